package consumers

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// jitterStage copies records but takes a random time per batch, so that
// with several batches in flight later ones often finish first.
type jitterStage struct {
	out string
	mu  sync.Mutex
	max int
	cur int
}

func (j *jitterStage) Process(ctx context.Context, batch []Record) ([]Result, error) {
	j.mu.Lock()
	j.cur++
	j.max = max(j.max, j.cur)
	j.mu.Unlock()
	time.Sleep(time.Duration(rand.IntN(15)) * time.Millisecond)
	j.mu.Lock()
	j.cur--
	j.mu.Unlock()
	res := make([]Result, len(batch))
	for i, m := range batch {
		res[i].Out = []Record{{Topic: j.out, Key: m.Key, Value: m.Value}}
	}
	return res, nil
}

// TestInFlightBatches runs several batches at once and checks that
// everything is written and committed, and that a restarted runner finds
// nothing left: commits stayed in order even though batches finished out
// of order.
func TestInFlightBatches(t *testing.T) {
	brokers := startBroker(t)
	tp := testTopics(t, brokers, "inflight", 3)
	var msgs []Record
	for i := 0; i < 2000; i++ {
		msgs = append(msgs, rawArticle(i))
	}
	produce(t, brokers, tp.Raw, msgs)
	st := &jitterStage{out: tp.Enriched}
	cfg := Config{Brokers: brokers, Group: "g-inflight", Topic: tp.Raw, DLQTopic: tp.DLQ, Stage: "copy", MaxBatch: 20, MaxInFlight: 4, FlushInterval: time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	wait := runStage(t, ctx, cfg, st, NewMetrics(prometheus.NewRegistry()))
	waitLagZero(t, brokers, "g-inflight", tp.Raw, 60*time.Second)
	cancel()
	wait()
	if st.max < 2 {
		t.Fatalf("at most %d batch in flight: the test did not overlap batches", st.max)
	}
	if st.max > 4 {
		t.Fatalf("%d batches in flight, over the limit of 4", st.max)
	}
	seen := map[string]bool{}
	for _, m := range readAll(t, brokers, tp.Enriched) {
		seen[string(m.Key)] = true
	}
	for _, m := range msgs {
		if !seen[string(m.Key)] {
			t.Fatalf("record %s not written", m.Key)
		}
	}
	if lag := totalLag(t, brokers, "g-inflight", tp.Raw); lag != 0 {
		t.Fatalf("lag %d after the run", lag)
	}
}
