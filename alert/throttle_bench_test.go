package alert

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/consumers"
)

// BenchmarkThrottledBatch measures the delivery stage on a batch of 100
// alerts of one throttled rule, all held for its digest but the very
// first: the throttle decision per alert and the rule's record per batch.
func BenchmarkThrottledBatch(b *testing.B) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	st, err := OpenState(b.TempDir() + "/state.db")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cfg := benchThrottleCfg(DeliveryConfig{AllowPrivate: true, Now: time.Now})
	d, err := NewDeliveryStage(throttledRules(srv.URL, "1h", "r1"), st, nil, cfg, nil, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	const n = 100
	seq := 0
	next := func() []consumers.Record {
		batch := make([]consumers.Record, n)
		for i := range batch {
			seq++
			batch[i] = alertMsg(b, "r1", fmt.Sprintf("a%d", seq))
		}
		return batch
	}
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		batch := next()
		b.StartTimer()
		if _, err := d.Process(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "alerts/s")
}

// benchThrottleCfg gives the stage a state topic, so each batch encodes
// the rule's throttle record as it does in a deployment.
func benchThrottleCfg(c DeliveryConfig) DeliveryConfig {
	c.StateTopic, c.StateWriter = "news.alerts.state", &recWriter{}
	return c
}
