package api

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/enrich"
	"github.com/newswire/newswire/index/embedded"
	"github.com/newswire/newswire/story"
)

// sampleStore is the real embedded store holding the sample corpus,
// tagged by the real tagger and clustered into stories, as the enricher
// and indexer would leave it.
func sampleStore(t testing.TB) (*embedded.Store, []article.Enriched) {
	t.Helper()
	f, err := os.Open("../samples/articles.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tg, err := enrich.New(enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := story.New(story.Config{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var docs []article.Enriched
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		a, err := article.Parse(sc.Bytes(), article.Limits{}, now)
		if err != nil {
			t.Fatalf("sample line %d: %v", len(docs)+1, err)
		}
		e := article.Enriched{Article: a, Tags: tg.Tag(&a), Enrichment: article.Enrichment{Version: tg.Version(), At: now}}
		cl.Assign(&e)
		docs = append(docs, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	s, err := embedded.Open(t.TempDir(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	rej, err := s.IndexBatch(context.Background(), docs)
	if err != nil || len(rej) > 0 {
		t.Fatalf("index samples: %v %+v", err, rej)
	}
	return s, docs
}
