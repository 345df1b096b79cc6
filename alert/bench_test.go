package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/broker"
	"github.com/newswire/newswire/consumers"
)

// BenchmarkProduceToWebhook measures the latency from writing an alert
// record (acknowledged) to its webhook post, one alert at a time, with
// the delivery stage under the runner with default settings:
//
//   - tail: baseline, the same write read back by a Tailer (the broker's
//     share of the latency);
//   - webhook: the delivery stage posting to a receiver on loopback;
//   - webhook_next_to_tarpit: the same, while another rule's alerts go to
//     a target that accepts and never answers.
//
// It runs on the embedded broker, or on the Kafka of
// NEWSWIRE_TEST_KAFKA when set. p50 and p99 are reported in ms.
func BenchmarkProduceToWebhook(b *testing.B) {
	var brokers []string
	if addr := os.Getenv("NEWSWIRE_TEST_KAFKA"); addr != "" {
		brokers = strings.Split(addr, ",")
	} else {
		br, err := broker.Start(broker.Config{}, zap.NewNop())
		if err != nil {
			b.Fatal(err)
		}
		defer br.Close()
		brokers = br.Addrs()
	}
	prefix := fmt.Sprintf("bench-deliver-%d", time.Now().UnixNano())
	alertsTopic, dlqTopic := prefix+".alerts", prefix+".dlq"
	ctx := context.Background()
	if _, err := consumers.EnsureTopics(ctx, brokers, []string{alertsTopic, dlqTopic}, consumers.TopicSpec{Partitions: 3}); err != nil {
		b.Fatal(err)
	}
	if err := consumers.WaitTopics(ctx, brokers, []string{alertsTopic, dlqTopic}); err != nil {
		b.Fatal(err)
	}
	w := consumers.NewWriter(brokers, zap.NewNop())
	defer w.Close()
	var seq atomic.Int64
	produce := func(b *testing.B, rule string) {
		a := NewAlert(match.Match{RuleID: rule, RuleName: rule}, testArticle(fmt.Sprintf("a%d", seq.Add(1))), time.Now())
		v, _ := json.Marshal(&a)
		if err := w.Write(ctx, consumers.Record{Topic: alertsTopic, Key: []byte(a.ID), Value: v}); err != nil {
			b.Fatal(err)
		}
	}
	// arrivals carries each fast alert's latency.
	arrivals := make(chan time.Duration, 1024)
	measure := func(b *testing.B, tarpitToo bool) {
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			if tarpitToo {
				produce(b, "slow")
			}
			produce(b, "fast")
			select {
			case l := <-arrivals:
				lat = append(lat, l)
			case <-time.After(30 * time.Second):
				b.Fatal("alert not delivered within 30s")
			}
		}
		p50, p99, _ := quantiles(lat)
		b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	}

	b.Run("tail", func(b *testing.B) {
		tl, err := consumers.NewTailer(consumers.TailConfig{Brokers: brokers, Topic: alertsTopic, From: consumers.StartLast}, zap.NewNop())
		if err != nil {
			b.Fatal(err)
		}
		tctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- tl.Run(tctx, func(r consumers.Record) error {
				var a Alert
				if json.Unmarshal(r.Value, &a) == nil {
					arrivals <- time.Since(a.At)
				}
				return nil
			})
		}()
		<-tl.CaughtUp()
		measure(b, false)
		stop()
		<-done
	})

	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a Alert
		if json.NewDecoder(r.Body).Decode(&a) == nil {
			arrivals <- time.Since(a.At)
		}
	}))
	defer fast.Close()
	tp := startTarpit(b)
	rules := rulesMap{
		"slow": {ID: "slow", Name: "slow", Channels: []match.Channel{{Type: match.ChannelWebhook, URL: tp.URL(), Secret: "k"}}},
		"fast": {ID: "fast", Name: "fast", Channels: []match.Channel{{Type: match.ChannelWebhook, URL: fast.URL, Secret: "k"}}},
	}
	st, err := OpenState(b.TempDir() + "/state.db")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	d, err := NewDeliveryStage(rules, st, nil, DeliveryConfig{AllowPrivate: true, DeadLetters: w, DLQTopic: dlqTopic}, nil, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	r, err := consumers.NewRunner(consumers.Config{Brokers: brokers, Group: prefix + "-deliver", Topic: alertsTopic, DLQTopic: dlqTopic,
		Stage: "alert-deliver", MaxInFlight: DeliveryMaxInFlight, StartAt: consumers.StartLast, SessionTimeout: 6 * time.Second},
		d, w, consumers.NewMetrics(prometheus.NewRegistry()), zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- r.Run(rctx) }()
	go func() { _ = d.Run(rctx) }()
	defer func() {
		stop()
		<-runDone
		d.Close()
	}()
	// Warm up: the group joins and the first alert goes through.
	for warm := false; !warm; {
		produce(b, "fast")
		select {
		case <-arrivals:
			warm = true
		case <-time.After(5 * time.Second):
		}
	}
	time.Sleep(time.Second)
	for len(arrivals) > 0 {
		<-arrivals
	}
	b.Run("webhook", func(b *testing.B) { measure(b, false) })
	b.Run("webhook_next_to_tarpit", func(b *testing.B) { measure(b, true) })
}
