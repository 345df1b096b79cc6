package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/broker"
	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/elastic"
	"github.com/newswire/newswire/index/indextest"
	"github.com/newswire/newswire/testsvc"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// These benchmarks need the real engine (NEWSWIRE_TEST_ES); Kafka is the
// real broker when NEWSWIRE_TEST_KAFKA is set, else an embedded one.
// Run: make services-up; eval "$(deploy/local/services.sh env)";
// go test ./app -run '^$' -bench . -benchtime 5000x -count 5

func benchKafka(b *testing.B) []string {
	if os.Getenv(testsvc.EnvKafka) != "" {
		return testsvc.KafkaBrokers(b)
	}
	br, err := broker.Start(broker.Config{}, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(br.Close)
	return br.Addrs()
}

func benchESURL(b *testing.B) string {
	if os.Getenv(testsvc.EnvES) == "" {
		b.Skip("set NEWSWIRE_TEST_ES (make services-up) to benchmark against the real engine")
	}
	return testsvc.ESURL(b)
}

// BenchmarkESPlainBulkLoader is the yardstick: the prepared documents sent
// straight to the engine with bare _bulk requests of the indexer's batch
// size, one at a time, no Kafka, no versions.
func BenchmarkESPlainBulkLoader(b *testing.B) {
	esURL := benchESURL(b)
	base := testsvc.UniqueName(b, "bplain")
	b.Cleanup(func() { dropIndex(b, esURL, base) })
	st, err := esOpener(b, esURL, base)(zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	docs := indextest.Synthetic("p", b.N)
	var bodies [][]byte
	for start := 0; start < len(docs); start += IndexMaxBatch {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for _, d := range docs[start:min(start+IndexMaxBatch, len(docs))] {
			_ = enc.Encode(map[string]any{"index": map[string]any{"_index": base + "-write", "_id": d.ID}})
			_ = enc.Encode(elastic.Document(&d))
		}
		bodies = append(bodies, buf.Bytes())
	}
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	b.ResetTimer()
	for _, body := range bodies {
		resp, err := client.Post(esURL+"/_bulk", "application/x-ndjson", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || bytes.Contains(out[:min(len(out), 40)], []byte(`"errors":true`)) {
			b.Fatalf("bulk: %d %.300s", resp.StatusCode, out)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkESIndexerStage is the full indexer stage fed from Kafka: fetch
// from the enriched topic, decode, versioned bulk write, per-item sorting,
// commit. Same documents as BenchmarkESPlainBulkLoader.
func BenchmarkESIndexerStage(b *testing.B) {
	esURL := benchESURL(b)
	brokers := benchKafka(b)
	base := testsvc.UniqueName(b, "bstage")
	b.Cleanup(func() { dropIndex(b, esURL, base) })
	st, err := esOpener(b, esURL, base)(zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	tp := consumers.Topics{Raw: base + ".raw", Enriched: base + ".enriched", Alerts: base + ".alerts", DLQ: base + ".dlq"}
	ctx := context.Background()
	if _, err := consumers.EnsureTopics(ctx, brokers, tp.All(), consumers.TopicSpec{Partitions: 6}); err != nil {
		b.Fatal(err)
	}
	w := consumers.NewWriter(brokers, zap.NewNop())
	defer w.Close()
	docs := indextest.Synthetic("s", b.N)
	msgs := make([]kafka.Message, len(docs))
	for i := range docs {
		v, _ := json.Marshal(&docs[i])
		msgs[i] = kafka.Message{Topic: tp.Enriched, Key: []byte(docs[i].ID), Value: v}
	}
	for start := 0; start < len(msgs); start += 1000 {
		if err := w.WriteMessages(ctx, msgs[start:min(start+1000, len(msgs))]...); err != nil {
			b.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	m := consumers.NewMetrics(reg)
	r, err := consumers.NewRunner(consumers.Config{Brokers: brokers, Group: base + "-index", Topic: tp.Enriched, DLQTopic: tp.DLQ, Stage: "index",
		MaxBatch: IndexMaxBatch, MaxInFlight: IndexMaxInFlight},
		consumers.NewIndexer(st, article.Limits{}), w, m, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	b.ResetTimer()
	go func() { done <- r.Run(rctx) }()
	for {
		if committed(reg) >= float64(b.N) {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	if n, _ := st.Count(ctx); n > b.N {
		b.Fatalf("count %d > %d", n, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

func committed(reg *prometheus.Registry) float64 {
	mfs, _ := reg.Gather()
	var n float64
	for _, mf := range mfs {
		if mf.GetName() == "newswire_committed_records_total" {
			for _, m := range mf.GetMetric() {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

// BenchmarkProduceToSearchable measures, with the default flush settings,
// the time from an acknowledged POST to the article being found by the
// search API, on the embedded defaults and on real Kafka + the real engine.
func BenchmarkProduceToSearchable(b *testing.B) {
	b.Run("embedded", func(b *testing.B) {
		latencyBench(b, Config{DataDir: b.TempDir()})
	})
	b.Run("kafka+elasticsearch", func(b *testing.B) {
		esURL := benchESURL(b)
		if os.Getenv(testsvc.EnvKafka) == "" {
			b.Skip("set NEWSWIRE_TEST_KAFKA")
		}
		brokers := testsvc.KafkaBrokers(b)
		prefix := testsvc.UniqueName(b, "blat")
		b.Cleanup(func() { dropIndex(b, esURL, prefix) })
		latencyBench(b, Config{DataDir: b.TempDir(), Brokers: brokers, OpenStore: esOpener(b, esURL, prefix),
			Topics:      consumers.Topics{Raw: prefix + ".raw", Enriched: prefix + ".enriched", Alerts: prefix + ".alerts", DLQ: prefix + ".dlq", Rules: prefix + ".rules", AlertState: prefix + ".alerts.state"},
			EnrichGroup: prefix + "-enrich", IndexGroup: prefix + "-index"})
	})
}

func latencyBench(b *testing.B, cfg Config) {
	a := newBenchApp(b, cfg)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	}()
	lat := make([]time.Duration, 0, b.N)
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		word := fmt.Sprintf("zq%dx%d", time.Now().UnixNano(), i)
		body := fmt.Sprintf(`{"url":"https://lat.example/%s","title":"Latency %s","body":"Moscow and Beijing."}`, word, word)
		start := time.Now()
		resp, err := client.Post("http://"+a.HTTPAddr()+"/api/v1/articles", "application/json", strings.NewReader(body))
		if err != nil || resp.StatusCode != 202 {
			b.Fatalf("post: %v", err)
		}
		resp.Body.Close()
		for {
			resp, err := client.Get("http://" + a.HTTPAddr() + "/api/v1/search?" + url.Values{"q": {word}}.Encode())
			if err != nil {
				b.Fatal(err)
			}
			var res index.Result
			_ = json.NewDecoder(resp.Body).Decode(&res)
			resp.Body.Close()
			if res.Total == 1 {
				break
			}
			if time.Since(start) > 30*time.Second {
				b.Fatal("not searchable within 30s")
			}
			time.Sleep(2 * time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Milliseconds()), "p99-ms")
}

func newBenchApp(b *testing.B, cfg Config) *App {
	tagger, err := newTagger()
	if err != nil {
		b.Fatal(err)
	}
	cfg.Tagger = tagger
	cfg.EmbeddedBrokerAddr = "127.0.0.1:0"
	cfg.HTTPAddr = "127.0.0.1:0"
	a, err := New(cfg, zap.NewNop(), prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		b.Fatal(err)
	}
	return a
}
