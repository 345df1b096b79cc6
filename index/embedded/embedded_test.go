package embedded

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/indextest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Bleve starts a fixed pool of analysis workers at package init;
		// they live for the whole process by design.
		goleak.IgnoreTopFunction("github.com/blevesearch/bleve_index_api.AnalysisWorker"),
	)
}

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), zap.NewNop())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: the whole conformance suite (TestEndToEndEmbedded in app still runs the embedded index); skipped with -short")
	}
	indextest.Run(t, func(t *testing.T) index.Store { return openTemp(t) })
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(dir, zap.NewNop())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	docs := indextest.Corpus()
	if rej, err := s.IndexBatch(ctx, docs); err != nil || len(rej) > 0 {
		t.Fatalf("IndexBatch = %v, %v", rej, err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping after Close = nil, want an error")
	}
	if _, err := s.Search(ctx, index.Query{}); err == nil {
		t.Error("Search after Close = nil error")
	}

	s, err = Open(dir, zap.NewNop())
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if n, err := s.Count(ctx); err != nil || n != len(docs) {
		t.Fatalf("Count after reopen = %d, %v; want %d", n, err, len(docs))
	}
	// Stored versions survive too: an older copy must not replace the newer.
	old := docs[0]
	old.Title = "stale copy"
	old.Published = old.Published.Add(-1)
	if _, err := s.IndexBatch(ctx, []article.Enriched{old}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Search(ctx, index.Query{Text: "stale"})
	if err != nil || res.Total != 0 {
		t.Fatalf("stale copy visible: %+v, %v", res, err)
	}
	res, err = s.Search(ctx, index.Query{Leaders: []string{"Q7747"}})
	if err != nil || len(res.Facets.Leaders) == 0 || res.Facets.Leaders[0].Label == "" {
		t.Fatalf("leader labels after reopen: %+v, %v", res.Facets.Leaders, err)
	}
}

func TestClosedStoreErrors(t *testing.T) {
	s, err := Open(t.TempDir(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := s.IndexBatch(context.Background(), indextest.Corpus()); err == nil {
		t.Error("IndexBatch after Close = nil error")
	}
	if _, err := s.Search(context.Background(), index.Query{Cursor: "x"}); !errors.Is(err, index.ErrBadQuery) {
		t.Errorf("bad cursor on a closed store = %v, want ErrBadQuery first", err)
	}
}
