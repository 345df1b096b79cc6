package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/testsvc"
	"go.uber.org/zap"
)

// BenchmarkSplitProduceToWebhook measures alert latency in the shape we
// ship, on real Kafka with default settings: one `newswire serve` (rules
// API) and one `newswire alert` process; an enriched article is written
// to the enriched topic and the clock stops when its webhook arrives.
// The baseline, in the same run, is the same write read back by a tailer
// (the broker's own round trip). It reports p50/p99 of both and the
// rule propagation time (create on serve → listed by a second serve).
func BenchmarkSplitProduceToWebhook(b *testing.B) {
	brokers := testsvc.KafkaBrokers(b)
	prefix := testsvc.UniqueName(b, "split")
	bs := strings.Join(brokers, ",")
	topics, topicFlags := prefixTopics(prefix, bs)
	var out strings.Builder
	if code := run(append([]string{"topics", "ensure", "--partitions", "6"}, topicFlags...), nil, &out, &out); code != 0 {
		b.Fatalf("topics ensure: %s", out.String())
	}
	var mu sync.Mutex
	arrived := map[string]time.Time{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		var a struct {
			ArticleID string `json:"article_id"`
		}
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &a)
		mu.Lock()
		arrived[a.ArticleID] = now
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()

	start := func(args ...string) (*proc, string) {
		addr := freeAddr(b)
		p := startProc(b, append(append(args, "--http", addr, "--data-dir", b.TempDir(), "--alerts-allow-private", "--log-level", "warn"), topicFlags...)...)
		waitReady(b, p, addr)
		return p, addr
	}
	serveA, addrA := start("serve")
	serveB, addrB := start("serve")
	alerter, _ := start("alert", "--group", prefix+"-alert")
	defer func() {
		for _, p := range []*proc{serveA, serveB, alerter} {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			_ = p.cmd.Wait()
		}
	}()

	// Rule propagation: create on A, poll B.
	var propagation []time.Duration
	for i := range 5 {
		body := fmt.Sprintf(`{"name":"split %d","query":{"text":"zeppelin%d"},"channels":[{"type":"webhook","url":%q,"secret":"k"}]}`, i, i, hook.URL)
		t0 := time.Now()
		resp, err := http.Post("http://"+addrA+"/api/v1/alerts/rules", "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		var r struct {
			ID string `json:"id"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		for {
			resp, err := http.Get("http://" + addrB + "/api/v1/alerts/rules/" + r.ID)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Since(t0) > 10*time.Second {
				b.Fatal("rule never reached serve B")
			}
			time.Sleep(time.Millisecond)
		}
		propagation = append(propagation, time.Since(t0))
	}
	// Let the alerter see the rules too before the clock starts.
	time.Sleep(500 * time.Millisecond)

	w := consumers.NewWriter(brokers, zap.NewNop())
	defer w.Close()
	tl, err := consumers.NewTailer(consumers.TailConfig{Brokers: brokers, Topic: topics.Enriched, From: consumers.StartLast}, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	tailed := map[string]time.Time{}
	ctx, cancel := context.WithCancel(context.Background())
	tailDone := make(chan struct{})
	go func() {
		defer close(tailDone)
		_ = tl.Run(ctx, func(r consumers.Record) error {
			mu.Lock()
			tailed[string(r.Key)] = time.Now()
			mu.Unlock()
			return nil
		})
	}()
	<-tl.CaughtUp()
	sent := map[string]time.Time{}
	b.ResetTimer()
	for i := range b.N {
		a := article.Article{URL: fmt.Sprintf("https://split.example/%s/%d", prefix, i), Source: "Split", Title: "Airship news",
			Body: "A zeppelin0 flew over the harbour.", Published: time.Now().UTC()}
		if err := article.Normalize(&a, time.Now()); err != nil {
			b.Fatal(err)
		}
		v, _ := json.Marshal(&article.Enriched{Article: a})
		t0 := time.Now()
		if err := w.Write(ctx, consumers.Record{Topic: topics.Enriched, Key: []byte(a.ID), Value: v}); err != nil {
			b.Fatal(err)
		}
		sent[a.ID] = t0
		time.Sleep(20 * time.Millisecond) // one article at a time, as news arrives
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := 0
		for id := range sent {
			if _, ok := arrived[id]; ok {
				n++
			}
		}
		mu.Unlock()
		if n == len(sent) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	cancel()
	<-tailDone
	var hookLat, tailLat []time.Duration
	mu.Lock()
	for id, t0 := range sent {
		if t1, ok := arrived[id]; ok {
			hookLat = append(hookLat, t1.Sub(t0))
		}
		if t1, ok := tailed[id]; ok {
			tailLat = append(tailLat, t1.Sub(t0))
		}
	}
	mu.Unlock()
	if len(hookLat) != len(sent) {
		b.Fatalf("%d of %d alerts arrived", len(hookLat), len(sent))
	}
	pct := func(d []time.Duration, p float64) float64 {
		slices.Sort(d)
		return float64(d[min(len(d)-1, int(p*float64(len(d))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(hookLat, 0.5), "webhook-p50-ms")
	b.ReportMetric(pct(hookLat, 0.99), "webhook-p99-ms")
	if len(tailLat) > 0 {
		b.ReportMetric(pct(tailLat, 0.5), "tail-p50-ms")
		b.ReportMetric(pct(tailLat, 0.99), "tail-p99-ms")
	}
	b.ReportMetric(pct(propagation, 0.5), "rule-propagation-p50-ms")
}
