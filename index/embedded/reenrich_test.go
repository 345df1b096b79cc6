package embedded

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/enrich"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/indextest"
)

func TestReenrich(t *testing.T) {
	s, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	tagger, err := enrich.New(enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	docs := indextest.Synthetic("e", 3000)
	docs[5].Updated = docs[5].Published.Add(time.Hour) // a stored update
	for i := range docs {
		docs[i].Tags = article.Tags{} // the old tagger found nothing
	}
	if rej, err := s.IndexBatch(ctx, docs); err != nil || len(rej) > 0 {
		t.Fatalf("IndexBatch: %v %v", rej, err)
	}
	want := map[string]int{}
	for i := range docs {
		for _, c := range tagger.Tag(&docs[i].Article).Countries {
			want[c.Code]++
		}
	}
	if len(want) == 0 {
		t.Fatal("the tagger finds no country in the corpus; the test proves nothing")
	}

	runCtx, cancel := context.WithCancel(ctx)
	cfg := ReenrichConfig{Version: tagger.Version(), Tag: tagger.Tag, Batch: 400,
		Progress: func(done, total int64, rate float64) {
			if done >= 1000 {
				cancel()
			}
		}}
	if _, err := s.Reenrich(runCtx, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Reenrich = %v, want context.Canceled", err)
	}
	cp, err := s.loadCheckpoint()
	if err != nil || cp == nil || cp.Done < 1000 || cp.Done >= 3000 {
		t.Fatalf("checkpoint after the interruption: %+v, %v", cp, err)
	}
	cfg.Progress = nil
	if did, err := s.Reenrich(ctx, cfg); err != nil || !did {
		t.Fatalf("resumed Reenrich = %v, %v", did, err)
	}
	for code, n := range want {
		res, err := s.Search(ctx, index.Query{Countries: []string{code}, Size: 1})
		if err != nil || res.Total != n {
			t.Errorf("country %s: %d articles, %v; want %d", code, res.Total, err, n)
		}
	}
	if c, _ := s.Count(ctx); c != len(docs) {
		t.Errorf("Count = %d, want %d", c, len(docs))
	}
	// The stored update kept its version: an older version is still refused.
	older := docs[5]
	older.Updated = time.Time{}
	older.Title = "older title"
	if _, err := s.IndexBatch(ctx, []article.Enriched{older}); err != nil {
		t.Fatal(err)
	}
	if res, _ := s.Search(ctx, index.Query{Text: "\"older title\""}); res.Total != 0 {
		t.Error("an older version replaced the re-enriched article")
	}
	if did, err := s.Reenrich(ctx, cfg); err != nil || did {
		t.Errorf("Reenrich at the same version again = %v, %v; want nothing to do", did, err)
	}
}
