package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/broker"
	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/testsvc"
)

// TestThrottleOnBroker runs the throttle scenarios on the in-process
// broker.
func TestThrottleOnBroker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker and runs for about 20 s")
	}
	b, err := broker.Start(broker.Config{}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	throttleScenarios(t, b.Addrs(), "thr")
}

// TestThrottleRealKafka is the same on the Kafka of NEWSWIRE_TEST_KAFKA.
func TestThrottleRealKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 20 s")
	}
	brokers := testsvc.KafkaBrokers(t)
	throttleScenarios(t, brokers, testsvc.UniqueName(t, "thr"))
}

func throttleScenarios(t *testing.T, brokers []string, prefix string) {
	t.Run("two stages, one message per period", func(t *testing.T) { twoStagesScenario(t, brokers, prefix+"-two") })
	t.Run("lost pod, digest taken over", func(t *testing.T) { lostPodScenario(t, brokers, prefix+"-lost") })
	t.Run("older record written later", func(t *testing.T) { seqOrderScenario(t, brokers, prefix+"-seq") })
}

// throttleTopics creates the alerts, alert-state and dead-letter topics.
func throttleTopics(t *testing.T, ctx context.Context, brokers []string, prefix string, partitions int) consumers.Topics {
	t.Helper()
	tp := consumers.Topics{Alerts: prefix + ".alerts", AlertState: prefix + ".alerts.state", DLQ: prefix + ".dlq"}
	names := []string{tp.Alerts, tp.AlertState, tp.DLQ}
	if _, err := consumers.EnsureTopics(ctx, brokers, names, tp.Spec(consumers.TopicSpec{Partitions: partitions})); err != nil {
		t.Fatal(err)
	}
	if err := consumers.WaitTopics(ctx, brokers, names); err != nil {
		t.Fatal(err)
	}
	return tp
}

// message is one post a receiver got: an alert or a digest.
type message struct {
	at    time.Time
	id    string // X-Newswire-Delivery
	event Digest // Type, RuleID, Alerts (a digest), Since, At
	alert Alert
}

// ruleReceiver records every post, per rule.
type ruleReceiver struct {
	mu     sync.Mutex
	byRule map[string][]message
}

func (rr *ruleReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	m := message{at: time.Now(), id: r.Header.Get(HeaderDelivery)}
	if r.Header.Get(HeaderEvent) == TypeDigest {
		_ = json.Unmarshal(b, &m.event)
	} else {
		_ = json.Unmarshal(b, &m.alert)
		m.event.Type, m.event.RuleID = TypeAlert, m.alert.RuleID
	}
	rr.mu.Lock()
	rr.byRule[m.event.RuleID] = append(rr.byRule[m.event.RuleID], m)
	rr.mu.Unlock()
}

// distinct returns a rule's messages with repeats of a delivery id
// dropped, as receivers drop them.
func (rr *ruleReceiver) distinct(rule string) []message {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	var out []message
	seen := map[string]bool{}
	for _, m := range rr.byRule[rule] {
		if !seen[m.id] {
			seen[m.id] = true
			out = append(out, m)
		}
	}
	return out
}

// alertIDs lists the alerts a rule's distinct messages carry, pushed or
// in a digest, with repeats.
func alertIDs(ms []message) []string {
	var ids []string
	for _, m := range ms {
		if m.event.Type == TypeDigest {
			for _, e := range m.event.Alerts {
				ids = append(ids, e.ID)
			}
		} else {
			ids = append(ids, m.alert.ID)
		}
	}
	return ids
}

// deliveryProc is one alert process's delivery side: the state follower,
// the local state file, the delivery stage behind OnceDelivery, its
// runner and its digest sender.
type deliveryProc struct {
	dir  string
	stop func()
}

func startDeliveryProc(t *testing.T, brokers []string, tp consumers.Topics, group string, rules RuleSource, dir string, flushEvery, takeover time.Duration) *deliveryProc {
	t.Helper()
	log := zap.NewNop()
	follower, err := NewStateFollower(brokers, tp.AlertState, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	bg.Go(func() { _ = follower.Run(ctx) })
	st, err := OpenState(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	w := consumers.NewWriter(brokers, log)
	d, err := NewDeliveryStage(rules, st, nil, DeliveryConfig{AllowPrivate: true, DeadLetters: w, DLQTopic: tp.DLQ,
		Throttles: follower.Once.Throttles, StateTopic: tp.AlertState, StateWriter: w, Ready: follower.CaughtUp(),
		FlushEvery: flushEvery, TakeoverAfter: takeover}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	od, err := NewOnceDelivery(d, follower.Once, tp.AlertState, follower.Barrier, log)
	if err != nil {
		t.Fatal(err)
	}
	r, err := consumers.NewRunner(consumers.Config{Brokers: brokers, Group: group, Topic: tp.Alerts, DLQTopic: tp.DLQ,
		Stage: "alert-deliver", MaxInFlight: DeliveryMaxInFlight, SessionTimeout: 6 * time.Second},
		od, w, consumers.NewMetrics(prometheus.NewRegistry()), log)
	if err != nil {
		t.Fatal(err)
	}
	rctx, stopRun := context.WithCancel(ctx)
	var run sync.WaitGroup
	run.Go(func() {
		if err := r.Run(rctx); err != nil {
			t.Errorf("runner: %v", err)
		}
	})
	run.Go(func() { _ = d.Run(rctx) })
	p := &deliveryProc{dir: dir}
	var once sync.Once
	p.stop = func() {
		once.Do(func() {
			stopRun()
			run.Wait()
			d.Close()
			cancel()
			bg.Wait()
			if err := w.Close(); err != nil {
				t.Errorf("close writer: %v", err)
			}
			if err := st.Close(); err != nil {
				t.Errorf("close state: %v", err)
			}
		})
	}
	t.Cleanup(p.stop)
	return p
}

// produceAlerts writes one alert of each rule per article.
func produceAlerts(t *testing.T, ctx context.Context, w *consumers.Writer, topic string, rules []string, articles ...string) {
	t.Helper()
	var recs []consumers.Record
	for _, art := range articles {
		for _, rule := range rules {
			a := NewAlert(match.Match{RuleID: rule, RuleName: rule}, testArticle(art), time.Now())
			v, err := json.Marshal(&a)
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, consumers.Record{Topic: topic, Key: []byte(a.ID), Value: v})
		}
	}
	if err := w.Write(ctx, recs...); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %v", what, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func throttledRules(url string, throttle string, ids ...string) rulesMap {
	rs := rulesMap{}
	for _, id := range ids {
		rs[id] = match.Rule{ID: id, Name: id, Throttle: throttle, Channels: []match.Channel{{Type: match.ChannelWebhook, URL: url, Secret: "k"}}}
	}
	return rs
}

// twoStagesScenario: two delivery processes in one group over a
// four-partition alerts topic, four throttled rules. Each rule's
// messages, over both processes, are a period apart, and together list
// every alert exactly once.
func twoStagesScenario(t *testing.T, brokers []string, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tp := throttleTopics(t, ctx, brokers, prefix, 4)
	rr := &ruleReceiver{byRule: map[string][]message{}}
	srv := httptest.NewServer(rr)
	defer srv.Close()
	const period = 2 * time.Second
	ruleIDs := []string{"t0", "t1", "t2", "t3"}
	rules := throttledRules(srv.URL, period.String(), ruleIDs...)
	group := prefix + "-deliver"
	p1 := startDeliveryProc(t, brokers, tp, group, rules, t.TempDir(), 50*time.Millisecond, time.Second)
	p2 := startDeliveryProc(t, brokers, tp, group, rules, t.TempDir(), 50*time.Millisecond, time.Second)
	defer p1.stop()
	defer p2.stop()
	// Both processes own partitions before the alerts flow.
	waitFor(t, ctx, "both processes own partitions", func() bool {
		lags, err := consumers.Lag(ctx, brokers, group, tp.Alerts)
		if err != nil {
			return false
		}
		members := map[string]bool{}
		for _, l := range lags {
			if l.MemberID == "" {
				return false
			}
			members[l.MemberID] = true
		}
		return len(members) == 2
	})

	w := consumers.NewWriter(brokers, zap.NewNop())
	defer w.Close()
	// 30 alerts per rule: a burst of 10 in one write (spread over every
	// partition, were the topic not partitioned by rule: each process
	// would push one), then one every 100 ms.
	const n, burst = 30, 10
	var first []string
	for i := range burst {
		first = append(first, fmt.Sprintf("a%02d", i))
	}
	produceAlerts(t, ctx, w, tp.Alerts, ruleIDs, first...)
	for i := burst; i < n; i++ {
		time.Sleep(100 * time.Millisecond)
		produceAlerts(t, ctx, w, tp.Alerts, ruleIDs, fmt.Sprintf("a%02d", i))
	}
	// Every alert listed, or 30 s: then the checks below say what is
	// missing or repeated.
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	for _, rule := range ruleIDs {
		for len(alertIDs(rr.distinct(rule))) < n && wctx.Err() == nil {
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, rule := range ruleIDs {
		ms := rr.distinct(rule)
		ids := alertIDs(ms)
		sorted := slices.Clone(ids)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != n || len(ids) != n {
			t.Errorf("rule %s: %d alert listings, %d distinct, want each of %d once: %v", rule, len(ids), len(sorted), n, ids)
		}
		pushes := 0
		for i, m := range ms {
			if m.event.Type == TypeAlert {
				pushes++
			}
			// A message follows the previous one by a period, less the
			// delivery latency of the previous one (slack).
			if i > 0 && m.at.Sub(ms[i-1].at) < period-500*time.Millisecond {
				t.Errorf("rule %s: message %d (%s) only %s after the previous one (%s), period %s",
					rule, i, m.id, m.at.Sub(ms[i-1].at), ms[i-1].id, period)
			}
		}
		if pushes != 1 {
			t.Errorf("rule %s: %d alerts pushed at once, want 1 (the rest in digests)", rule, pushes)
		}
		t.Logf("rule %s: %d messages (%d distinct) for %d alerts", rule, len(rr.byRule[rule]), len(ms), n)
	}
}

// lostPodScenario: a process holds alerts for a digest, stops, and its
// state file is deleted. A fresh process with an empty data directory
// sends the digest, with every held alert, once it is overdue by the
// takeover grace, though no new alert of the rule arrives.
func lostPodScenario(t *testing.T, brokers []string, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tp := throttleTopics(t, ctx, brokers, prefix, 3)
	rr := &ruleReceiver{byRule: map[string][]message{}}
	srv := httptest.NewServer(rr)
	defer srv.Close()
	const period, takeover = 3 * time.Second, 2 * time.Second
	rules := throttledRules(srv.URL, period.String(), "lost")
	group := prefix + "-deliver"
	a := startDeliveryProc(t, brokers, tp, group, rules, t.TempDir(), 50*time.Millisecond, takeover)

	w := consumers.NewWriter(brokers, zap.NewNop())
	defer w.Close()
	const n = 8
	var arts []string
	for i := range n {
		arts = append(arts, fmt.Sprintf("b%02d", i))
	}
	produceAlerts(t, ctx, w, tp.Alerts, []string{"lost"}, arts...)
	// The first is pushed; the rest are held, recorded in the state topic
	// and committed before the process stops.
	waitFor(t, ctx, "first alert pushed", func() bool { return len(rr.distinct("lost")) == 1 })
	waitFor(t, ctx, "alerts committed", func() bool {
		lags, err := consumers.Lag(ctx, brokers, group, tp.Alerts)
		return err == nil && consumers.SumLag(lags) == 0
	})
	a.stop()
	if err := os.RemoveAll(a.dir); err != nil {
		t.Fatal(err)
	}
	if got := len(rr.distinct("lost")); got != 1 {
		t.Fatalf("%d messages before the stop, want 1 (the digest was not due)", got)
	}

	startDeliveryProc(t, brokers, tp, group, rules, t.TempDir(), 50*time.Millisecond, takeover)
	waitFor(t, ctx, "digest taken over", func() bool { return len(rr.distinct("lost")) >= 2 })
	ms := rr.distinct("lost")
	dg := ms[1].event
	if dg.Type != TypeDigest || dg.Count != n-1 || len(dg.Alerts) != n-1 {
		t.Fatalf("second message %+v, want the digest of %d alerts", dg, n-1)
	}
	ids := alertIDs(ms[:2])
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != n {
		t.Errorf("alerts listed %v, want each of %d once", ids, n)
	}
	// It went out once overdue by the grace, not when merely due: the new
	// process is not the rule's owner.
	if d := dg.At.Sub(dg.Since); d < period+takeover {
		t.Errorf("digest sent %s into its period, before period + takeover grace %s", d, period+takeover)
	}
	if len(ms) != 2 {
		t.Errorf("%d messages, want the push and one digest", len(ms))
	}
}

// seqOrderScenario: a rule's throttle record with a lower seq, written to
// the state topic after a higher one, does not win in a process that
// reads the topic.
func seqOrderScenario(t *testing.T, brokers []string, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tp := throttleTopics(t, ctx, brokers, prefix, 2)
	w := consumers.NewWriter(brokers, zap.NewNop())
	defer w.Close()
	write := func(seq uint64, pending ...string) {
		r := throttleRecord{Seq: seq, Owner: "p", Updated: time.Now().UTC(), throttleState: throttleState{LastSent: time.Now().UTC()}}
		for _, p := range pending {
			r.Pending = append(r.Pending, DigestEntry{ID: "s/" + p, ArticleID: p})
		}
		v, err := r.encode()
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(ctx, consumers.Record{Topic: tp.AlertState, Key: []byte(throttleKey("s")), Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	write(7, "x", "y", "z")
	write(6, "x", "y")
	write(5)
	f, err := NewStateFollower(brokers, tp.AlertState, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	fctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.Run(fctx) }()
	defer func() { stop(); <-done }()
	if err := f.Barrier(ctx, nil); err != nil {
		t.Fatal(err)
	}
	r, ok := f.Once.Throttles.get("s")
	if !ok || r.Seq != 7 || pendingIDs(r) != "x,y,z" {
		t.Errorf("record after the topic: %+v (seq %d), want seq 7 with x,y,z", r, r.Seq)
	}
}
