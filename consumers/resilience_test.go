package consumers

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/broker"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
)

// TestBrokerRestartMidStream stops the (persistent, embedded) broker while
// the enricher is working and starts it again on the same port and data
// dir: the stage reconnects and every article is enriched.
func TestBrokerRestartMidStream(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: restarts the broker mid-stream; skipped with -short")
	}
	dir := t.TempDir()
	b, err := broker.Start(broker.Config{DataDir: dir}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addrs()[0]
	brokers := []string{addr}
	tp := testTopics(t, brokers, "restart", 3)
	const n = 3000
	var msgs []Record
	for i := 0; i < n; i++ {
		msgs = append(msgs, rawArticle(i))
	}
	produce(t, brokers, tp.Raw, msgs)

	slow := &slowEnricher{Enricher: NewEnricher(countryTagger{}, tp.Enriched, article.Limits{}), delay: 5 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	wait := runStage(t, ctx, Config{Brokers: brokers, Group: "g-restart", Topic: tp.Raw, DLQTopic: tp.DLQ, Stage: "enrich",
		MaxBatch: 50, Backoff: Backoff{Min: 50 * time.Millisecond, Max: 500 * time.Millisecond}}, slow, NewMetrics(prometheus.NewRegistry()))

	// Let it make progress, then take the broker away for a while.
	deadline := time.Now().Add(30 * time.Second)
	for slow.done.Load() < 500 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if slow.done.Load() < 500 {
		t.Fatal("no progress before the restart")
	}
	b.Close()
	time.Sleep(1500 * time.Millisecond)
	b, err = broker.Start(broker.Config{Addr: addr, DataDir: dir}, zap.NewNop())
	if err != nil {
		t.Fatalf("restart broker: %v", err)
	}
	defer b.Close()

	waitLagZero(t, brokers, "g-restart", tp.Raw, 90*time.Second)
	cancel()
	wait()
	got := map[string]bool{}
	for _, m := range readAll(t, brokers, tp.Enriched) {
		got[string(m.Key)] = true
	}
	for _, m := range msgs {
		if !got[string(m.Key)] {
			t.Fatalf("article %s lost across the broker restart (%d of %d enriched)", m.Key, len(got), n)
		}
	}
}

type slowEnricher struct {
	*Enricher
	delay time.Duration
	done  atomic.Int64
}

func (s *slowEnricher) Process(ctx context.Context, batch []Record) ([]Result, error) {
	time.Sleep(s.delay)
	r, err := s.Enricher.Process(ctx, batch)
	if err == nil {
		s.done.Add(int64(len(batch)))
	}
	return r, err
}

// TestSlowDownstreamBoundsMemory runs a stage far slower than the input
// and checks that the records fetched ahead of processing never exceed the
// configured bound.
func TestSlowDownstreamBoundsMemory(t *testing.T) {
	brokers := startBroker(t)
	tp := testTopics(t, brokers, "slow", 2)
	var msgs []Record
	for i := 0; i < 4000; i++ {
		msgs = append(msgs, rawArticle(i))
	}
	produce(t, brokers, tp.Raw, msgs)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	slow := &slowEnricher{Enricher: NewEnricher(countryTagger{}, tp.Enriched, article.Limits{}), delay: 20 * time.Millisecond}
	cfg := Config{Brokers: brokers, Group: "g-slow", Topic: tp.Raw, DLQTopic: tp.DLQ, Stage: "enrich", MaxBatch: 32, MaxBuffered: 64}
	ctx, cancel := context.WithCancel(context.Background())
	wait := runStage(t, ctx, cfg, slow, m)
	var peak float64
	stopAt := time.Now().Add(2 * time.Second)
	for time.Now().Before(stopAt) {
		peak = max(peak, testutil.ToFloat64(m.buffered.WithLabelValues("enrich")))
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	wait()
	if peak > 64 {
		t.Fatalf("buffered records peaked at %v, over the bound of 64", peak)
	}
	if peak < 1 {
		t.Fatalf("buffered gauge never moved (peak %v): the stage was not the bottleneck", peak)
	}
	done := slow.done.Load()
	if done == 0 || done >= 4000 {
		t.Fatalf("processed %d: want partial progress under a slow stage", done)
	}
	// What was not processed is not committed: the lag is exactly the rest.
	if lag := totalLag(t, brokers, "g-slow", tp.Raw); lag != 4000-done {
		t.Fatalf("lag %d, want %d (uncommitted work must stay uncommitted)", lag, 4000-done)
	}
}
