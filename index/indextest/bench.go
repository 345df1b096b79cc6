package indextest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// StoryCopies is the number of copies per story in StoryCorpus.
const StoryCopies = 50

// StoryCorpus is Synthetic(prefix, n) with every article in a story of
// StoryCopies copies of the same text, as a bulk load of syndicated copy
// looks.
func StoryCorpus(prefix string, n int) []article.Enriched {
	docs := Synthetic(prefix, n)
	per := len(specs) * StoryCopies
	for i := range docs {
		docs[i].Story = &article.StoryRef{ID: fmt.Sprintf("s%02d-%05d", i%len(specs), i/per)}
	}
	return docs
}

// BenchQueries is the query mix of the search latency benchmarks.
var BenchQueries = []index.Query{
	{Sort: index.SortNewest},
	{Text: "treaty"},
	{Text: `"north korea" -sanctions`, Sort: index.SortNewest},
	{Countries: []string{"KP", "RU"}, Keywords: []string{"summit"}},
	{Text: "talks", Countries: []string{"US"}, Size: 50},
	{Text: "officials briefed", Exclude: index.Filters{Sources: []string{"bbc"}}},
}

// Load writes docs in batches of batch and waits until the store counts
// them.
func Load(tb testing.TB, s index.Store, docs []article.Enriched, batch int) {
	tb.Helper()
	ctx := context.Background()
	for i := 0; i < len(docs); i += batch {
		rej, err := s.IndexBatch(ctx, docs[i:min(i+batch, len(docs))])
		if err != nil || len(rej) > 0 {
			tb.Fatalf("IndexBatch at %d: %v %+v", i, err, rej)
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n, err := s.Count(ctx)
		if err == nil && n == len(docs) {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("Count = %d, %v; want %d", n, err, len(docs))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// BenchSearch runs BenchQueries in turn, collapsed or not, one query per
// op, and reports the 50th and 99th percentile latency.
func BenchSearch(b *testing.B, s index.Store, collapse bool) {
	ctx := context.Background()
	var lat []time.Duration
	i := 0
	for b.Loop() {
		q := BenchQueries[i%len(BenchQueries)]
		q.Collapse = collapse
		i++
		start := time.Now()
		if _, err := s.Search(ctx, q); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
