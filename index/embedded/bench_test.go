package embedded

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/indextest"
)

const benchBatch = 100

// BenchmarkEmbeddedIndexBatch writes batches of 100 new ~1.5 KB articles;
// one op is one batch.
func BenchmarkEmbeddedIndexBatch(b *testing.B) {
	s := openTemp(b)
	ctx := context.Background()
	base := indextest.Synthetic("x", benchBatch)
	batch := make([]article.Enriched, benchBatch)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for j := range base {
			batch[j] = base[j]
			batch[j].ID = fmt.Sprintf("b%d-%d", i, j)
		}
		if rej, err := s.IndexBatch(ctx, batch); err != nil || len(rej) > 0 {
			b.Fatalf("IndexBatch: %v %v", rej, err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/time.Since(start).Seconds(), "docs/s")
}

// BenchmarkEmbeddedSearch runs a mix of queries with facets and snippets
// over 5 000 articles; one op is one query.
func BenchmarkEmbeddedSearch(b *testing.B) {
	s := openTemp(b)
	ctx := context.Background()
	docs := indextest.Synthetic("s", 5000)
	for i := 0; i < len(docs); i += 500 {
		if _, err := s.IndexBatch(ctx, docs[i:i+500]); err != nil {
			b.Fatal(err)
		}
	}
	queries := []index.Query{
		{},
		{Text: "treaty"},
		{Text: `"north korea" -sanctions`, Sort: index.SortNewest},
		{Countries: []string{"KP", "RU"}, Keywords: []string{"summit"}},
		{Text: "talks", Countries: []string{"US"}, Size: 50},
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Search(ctx, queries[i%len(queries)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEmbeddedSearch100k: search latency over 100 000 articles in
// stories of 50 copies, collapsed and not (p50-ms, p99-ms per query of
// indextest.BenchQueries).
func BenchmarkEmbeddedSearch100k(b *testing.B) {
	s := openTemp(b)
	indextest.Load(b, s, indextest.StoryCorpus("h", 100000), 1000)
	b.Run("plain", func(b *testing.B) { indextest.BenchSearch(b, s, false) })
	b.Run("collapsed", func(b *testing.B) { indextest.BenchSearch(b, s, true) })
}
