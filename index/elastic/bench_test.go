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

// BenchmarkElasticSearch100k: search latency over 100 000 articles in
// stories of 50 copies, collapsed and not (p50-ms, p99-ms per query of
// indextest.BenchQueries).
func BenchmarkElasticSearch100k(b *testing.B) {
	benchEngines(b, func(b *testing.B, url string) {
		s := newESStore(b, url)
		indextest.Load(b, s, indextest.StoryCorpus("h", 100000), 1000)
		b.Run("plain", func(b *testing.B) { indextest.BenchSearch(b, s, false) })
		b.Run("collapsed", func(b *testing.B) { indextest.BenchSearch(b, s, true) })
	})
}

// BenchmarkElasticIndexBatchVsPlain alternates, batch by batch on the same
// store, a bare _bulk of the prepared documents (the plain loader) and
// IndexBatch (topology, routing lookup, versioned actions, per-item
// sorting) of an equal batch, so both see the same engine state; ratio is
// IndexBatch's throughput over the plain loader's. One op is one pair of
// 500-document batches.
func BenchmarkElasticIndexBatchVsPlain(b *testing.B) { benchEngines(b, benchVsPlain) }

func benchVsPlain(b *testing.B, url string) {
	s := newESStore(b, url)
	ctx := context.Background()
	base := indextest.Synthetic("x", benchBatch)
	plain := make([][]byte, b.N)
	batches := make([][]article.Enriched, b.N)
	for i := range plain {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for _, e := range benchDocs(2*i, base) {
			_ = enc.Encode(map[string]any{"index": map[string]any{"_index": s.names.WriteAlias, "_id": e.ID}})
			_ = enc.Encode(toDocument(&e))
		}
		plain[i] = buf.Bytes()
		batches[i] = benchDocs(2*i+1, base)
	}
	var tPlain, tStore time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		res, err := s.es.Bulk(bytes.NewReader(plain[i]), s.es.Bulk.WithContext(ctx))
		if err != nil {
			b.Fatal(err)
		}
		var br struct {
			Errors bool `json:"errors"`
		}
		if err := decode(res, &br); err != nil || br.Errors {
			b.Fatalf("bulk: %v errors=%v", err, br.Errors)
		}
		tPlain += time.Since(start)
		start = time.Now()
		if rej, err := s.IndexBatch(ctx, batches[i]); err != nil || len(rej) > 0 {
			b.Fatalf("IndexBatch: %v %v", rej, err)
		}
		tStore += time.Since(start)
	}
	b.ReportMetric(float64(b.N*benchBatch)/tPlain.Seconds(), "plain_docs/s")
	b.ReportMetric(float64(b.N*benchBatch)/tStore.Seconds(), "store_docs/s")
	b.ReportMetric(tPlain.Seconds()/tStore.Seconds(), "ratio")
}
