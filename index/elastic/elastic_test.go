package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/indextest"
	"github.com/newswire/newswire/testsvc"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newESStore returns a store on the test engine under a unique alias base,
// set up, and removes its index and template when the test ends.
func newESStore(t testing.TB, url string) *Store {
	t.Helper()
	s := newESStoreNoSetup(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Setup(ctx); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	return s
}

// newESStoreNoSetup is newESStore without Setup.
func newESStoreNoSetup(t testing.TB, url string) *Store {
	t.Helper()
	// The shipped client as the binary builds it; only the transport is
	// ours, so that the test can close its idle connections (goleak).
	base := &http.Transport{}
	s, err := New(Config{
		Addresses: []string{url},
		Index:     testsvc.UniqueName(t, "nwtest"),
		Replicas:  NoReplicas,
		Transport: base,
	}, zap.NewNop())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		dropStore(t, s)
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		base.CloseIdleConnections()
	})
	return s
}

// dropStore deletes the store's indices (every generation and the
// re-enrichment state) by name, as Elasticsearch 8 requires, and its
// template.
func dropStore(t testing.TB, s *Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := s.es.Indices.Get([]string{s.names.Pattern, s.names.ReadAlias + ".*"},
		s.es.Indices.Get.WithContext(ctx), s.es.Indices.Get.WithIgnoreUnavailable(true), s.es.Indices.Get.WithAllowNoIndices(true))
	var got map[string]any
	if err == nil {
		err = decode(res, &got)
	}
	var names []string
	for n := range got {
		names = append(names, n)
	}
	if err == nil && len(names) > 0 {
		res, err = s.es.Indices.Delete(names, s.es.Indices.Delete.WithContext(ctx), s.es.Indices.Delete.WithIgnoreUnavailable(true))
		if err == nil {
			err = decode(res, nil)
		}
	}
	if err != nil {
		t.Errorf("delete indices %v: %v", names, err)
	}
	res, err = s.es.Indices.DeleteIndexTemplate(s.names.Template, s.es.Indices.DeleteIndexTemplate.WithContext(ctx))
	if err == nil && res.StatusCode != http.StatusNotFound {
		err = decode(res, nil)
	} else if err == nil {
		_ = decode(res, nil)
	}
	if err != nil {
		t.Errorf("delete template %s: %v", s.names.Template, err)
	}
}

// engines runs f as one subtest per search engine under test.
func engines(t *testing.T, f func(t *testing.T, url string)) {
	for _, e := range testsvc.SearchEngines(t) {
		t.Run(e.Name, func(t *testing.T) { f(t, e.URL) })
	}
}

func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: the whole conformance suite against each engine; skipped with -short")
	}
	engines(t, func(t *testing.T, url string) {
		indextest.Run(t, func(t *testing.T) index.Store { return newESStore(t, url) })
	})
}

func TestSetupIdempotent(t *testing.T) { engines(t, testSetupIdempotent) }

func testSetupIdempotent(t *testing.T, url string) {
	s := newESStore(t, url)
	ctx := context.Background()
	for range 2 {
		if err := s.Setup(ctx); err != nil {
			t.Fatalf("second Setup: %v", err)
		}
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if n, err := s.Count(ctx); err != nil || n != 0 {
		t.Fatalf("Count = %d, %v", n, err)
	}
}

func TestSetupRefusesConflictingMapping(t *testing.T) { engines(t, testSetupRefusesConflictingMapping) }

func testSetupRefusesConflictingMapping(t *testing.T, url string) {
	ctx := context.Background()
	other := mappings()
	other["properties"].(map[string]any)["title"] = map[string]any{"type": "keyword"}

	t.Run("template", func(t *testing.T) {
		s := newESStoreNoSetup(t, url)
		tmpl := s.templateBody()
		tmpl["template"].(map[string]any)["mappings"] = other
		res, err := s.es.Indices.PutIndexTemplate(s.names.Template, jsonBody(t, tmpl))
		if err == nil {
			err = decode(res, nil)
		}
		if err != nil {
			t.Fatalf("put foreign template: %v", err)
		}
		err = s.Setup(ctx)
		if err == nil || !strings.Contains(err.Error(), "field title") {
			t.Fatalf("Setup = %v, want an error naming field title", err)
		}
	})
	t.Run("index", func(t *testing.T) {
		s := newESStoreNoSetup(t, url)
		res, err := s.es.Indices.Create(s.names.FirstIndex, s.es.Indices.Create.WithBody(jsonBody(t, map[string]any{
			"settings": map[string]any{"number_of_replicas": 0},
			"mappings": other,
			"aliases":  map[string]any{s.names.WriteAlias: map[string]any{"is_write_index": true}},
		})))
		if err == nil {
			err = decode(res, nil)
		}
		if err != nil {
			t.Fatalf("create foreign index: %v", err)
		}
		err = s.Setup(ctx)
		if err == nil || !strings.Contains(err.Error(), "field title") || !strings.Contains(err.Error(), s.names.FirstIndex) {
			t.Fatalf("Setup = %v, want an error naming the index and field title", err)
		}
	})
}

func jsonBody(t *testing.T, v any) io.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

func TestIndexBatchRejection(t *testing.T) {
	if testing.Short() {
		t.Skip("slow against a real engine; skipped with -short")
	}
	engines(t, testIndexBatchRejection)
}

func testIndexBatchRejection(t *testing.T, url string) {
	s := newESStore(t, url)
	ctx := context.Background()
	docs := indextest.Corpus()[:3]
	// A keyword longer than Lucene's term limit: the engine refuses the
	// document for good.
	docs[1].Tags.Keywords = []string{strings.Repeat("x", 40000)}
	rej, err := s.IndexBatch(ctx, docs)
	if err != nil {
		t.Fatalf("IndexBatch: %v", err)
	}
	if len(rej) != 1 || rej[0].Index != 1 || rej[0].ID != docs[1].ID || rej[0].Reason == "" {
		t.Fatalf("rejections = %+v, want one for position 1", rej)
	}
	t.Logf("rejection reason: %s", rej[0].Reason)
	waitCount(t, s, 2)

	// Redelivery, and an older version of a stored article, change nothing.
	older := docs[0]
	older.Title = "an older title"
	older.Updated = older.Published.Add(-time.Hour)
	older.Published = older.Published.Add(-2 * time.Hour)
	docs[1].Tags.Keywords = nil
	if rej, err := s.IndexBatch(ctx, []article.Enriched{docs[0], older, docs[2]}); err != nil || len(rej) > 0 {
		t.Fatalf("redelivery: %v, %v", rej, err)
	}
	time.Sleep(1500 * time.Millisecond)
	waitCount(t, s, 2)
	res, err := s.Search(ctx, index.Query{Text: "older"})
	if err != nil || res.Total != 0 {
		t.Fatalf("older version visible: %+v, %v", res, err)
	}
}

func waitCount(t *testing.T, s *Store, want int) {
	t.Helper()
	deadline := time.Now().Add(indextest.Timeout)
	for {
		n, err := s.Count(context.Background())
		if err == nil && n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Count = %d, %v; want %d", n, err, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestUnreachable(t *testing.T) {
	s, err := New(Config{Addresses: []string{"http://127.0.0.1:1"}, MaxRetries: 1}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.IndexBatch(ctx, indextest.Corpus()[:1]); !errors.Is(err, index.ErrTransient) {
		t.Errorf("IndexBatch on a dead address = %v, want ErrTransient", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, index.ErrTransient) {
		t.Errorf("Ping on a dead address = %v, want ErrTransient", err)
	}
}
