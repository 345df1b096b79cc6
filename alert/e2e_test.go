package alert

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/broker"
	"github.com/newswire/newswire/consumers"
)

// TestStagesOnEmbeddedBroker runs the alerter and the delivery stage on
// the in-process broker: articles in, one webhook post per (rule,
// article), even when the enriched records are produced twice.
func TestStagesOnEmbeddedBroker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker")
	}
	b, err := broker.Start(broker.Config{}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	brokers := b.Addrs()
	tp := consumers.Topics{Raw: "e2e.raw", Enriched: "e2e.enriched", Alerts: "e2e.alerts", DLQ: "e2e.dlq", AlertState: "e2e.alerts.state"}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := consumers.EnsureTopics(ctx, brokers, tp.All(), tp.Spec(consumers.TopicSpec{Partitions: 2})); err != nil {
		t.Fatal(err)
	}
	if err := consumers.WaitTopics(ctx, brokers, tp.All()); err != nil {
		t.Fatal(err)
	}

	rc := &receiver{}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	rules := []match.Rule{
		{ID: "kp-ru-treaty", Name: "KP RU treaty", Query: match.Query{Text: "treaty", Countries: []string{"KP", "RU"}},
			Channels: []match.Channel{{Type: match.ChannelWebhook, URL: hook.URL, Secret: "k"}, {Type: match.ChannelKafka}}},
		{ID: "missile", Name: "Missile", Query: match.Query{Text: "missile"}},
	}
	st, _ := openState(t)
	m := compileRules(t, rules...)
	follower, err := NewStateFollower(brokers, tp.AlertState, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	fctx, stopFollow := context.WithCancel(context.Background())
	followed := make(chan error, 1)
	go func() { followed <- follower.Run(fctx) }()
	defer func() { stopFollow(); <-followed }()
	alerter, err := NewAlerterStage(m, follower.Once, AlerterConfig{Topic: tp.Alerts, StateTopic: tp.AlertState, Barrier: follower.Barrier}, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	byID := rulesMap{}
	for _, r := range rules {
		match.Normalize(&r)
		byID[r.ID] = r
	}
	deliver, err := NewDeliveryStage(byID, st, nil, fastCfg(time.Now), nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}

	w := consumers.NewWriter(brokers, zap.NewNop())
	defer w.Close()
	met := consumers.NewMetrics(prometheus.NewRegistry())
	run := func(group, topic, stage string, s consumers.Stage) func() {
		r, err := consumers.NewRunner(consumers.Config{Brokers: brokers, Group: group, Topic: topic, DLQTopic: tp.DLQ, Stage: stage,
			SessionTimeout: 6 * time.Second}, s, w, met, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		rctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.Run(rctx) }()
		return func() {
			stop()
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}
	stopA := run("newswire-alert", tp.Enriched, "alert", alerter)
	stopD := run("newswire-alert-deliver", tp.Alerts, "alert-deliver", deliver)

	msgs := []consumers.Record{encodeArticle(t, testArticle("a1")), encodeArticle(t, testArticle("a2")), encodeArticle(t, testArticle("a1"))}
	for i := range msgs {
		msgs[i].Topic = tp.Enriched
	}
	if err := w.Write(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(45 * time.Second)
	for rc.count() < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	// Produce a1 again, as a replay would, then give it time.
	if err := w.Write(ctx, msgs[0]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	stopA()
	stopD()
	if n := rc.count(); n != 2 {
		t.Fatalf("webhook got %d posts, want 2 (a1 and a2 once each)", n)
	}
	seen := map[string]bool{}
	for _, h := range rc.headers {
		seen[h.Get(HeaderDelivery)] = true
	}
	if !seen["kp-ru-treaty/a1"] || !seen["kp-ru-treaty/a2"] {
		t.Errorf("deliveries %v", seen)
	}
}
