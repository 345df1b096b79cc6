package api

import (
	"context"
	"testing"

	"go.uber.org/zap"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/enrich"
	"github.com/newswire/newswire/index/embedded"
	"github.com/newswire/newswire/index/indextest"
	"github.com/newswire/newswire/story"
)

// sampleStore is the real embedded store holding the sample corpus,
// tagged by the real tagger and clustered into stories, as the enricher
// and indexer would leave it.
func sampleStore(t testing.TB) (*embedded.Store, []article.Enriched) {
	t.Helper()
	tg, err := enrich.New(enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := story.New(story.Config{})
	if err != nil {
		t.Fatal(err)
	}
	docs := indextest.Samples(t, "../samples/articles.jsonl", tg.Tag, tg.Version())
	for i := range docs {
		cl.Assign(&docs[i])
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
