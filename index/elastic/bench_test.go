package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index/indextest"
	"github.com/newswire/newswire/testsvc"
)

const benchBatch = 500

func benchDocs(i int, base []article.Enriched) []article.Enriched {
	out := make([]article.Enriched, len(base))
	for j := range base {
		out[j] = base[j]
		out[j].ID = fmt.Sprintf("b%d-%d", i, j)
	}
	return out
}

// BenchmarkElasticBulkPlain loads the prepared documents with a bare _bulk
// request per batch (index actions, no versions, no item sorting): the
// yardstick for BenchmarkElasticIndexBatch. One op is one batch of 500.
func BenchmarkElasticBulkPlain(b *testing.B) { benchEngines(b, benchBulkPlain) }

func benchBulkPlain(b *testing.B, url string) {
	s := newESStore(b, url)
	ctx := context.Background()
	base := indextest.Synthetic("x", benchBatch)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for _, e := range benchDocs(i, base) {
			_ = enc.Encode(map[string]any{"index": map[string]any{"_index": s.names.WriteAlias, "_id": e.ID}})
			_ = enc.Encode(toDocument(&e))
		}
		bodies[i] = buf.Bytes()
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		res, err := s.es.Bulk(bytes.NewReader(bodies[i]), s.es.Bulk.WithContext(ctx))
		if err != nil {
			b.Fatal(err)
		}
		var br struct {
			Errors bool `json:"errors"`
		}
		if err := decode(res, &br); err != nil || br.Errors {
			b.Fatalf("bulk: %v errors=%v", err, br.Errors)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/time.Since(start).Seconds(), "docs/s")
}

// BenchmarkElasticIndexBatch loads the same documents through IndexBatch
// (versioned actions, per-item result sorting). One op is one batch of 500.
func BenchmarkElasticIndexBatch(b *testing.B) { benchEngines(b, benchIndexBatch) }

func benchIndexBatch(b *testing.B, url string) {
	s := newESStore(b, url)
	ctx := context.Background()
	base := indextest.Synthetic("x", benchBatch)
	batches := make([][]article.Enriched, b.N)
	for i := range batches {
		batches[i] = benchDocs(i, base)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if rej, err := s.IndexBatch(ctx, batches[i]); err != nil || len(rej) > 0 {
			b.Fatalf("IndexBatch: %v %v", rej, err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/time.Since(start).Seconds(), "docs/s")
}

// benchEngines runs f as one sub-benchmark per search engine under test.
func benchEngines(b *testing.B, f func(b *testing.B, url string)) {
	for _, e := range testsvc.SearchEngines(b) {
		b.Run(e.Name, func(b *testing.B) { f(b, e.URL) })
	}
}
