package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/broker"
	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/testsvc"
)

// tarpit accepts connections and never answers.
type tarpit struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	done  chan struct{}
}

func startTarpit(t testing.TB) *tarpit {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tp := &tarpit{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(tp.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tp.mu.Lock()
			tp.conns = append(tp.conns, c)
			tp.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-tp.done
		tp.mu.Lock()
		for _, c := range tp.conns {
			_ = c.Close()
		}
		tp.mu.Unlock()
	})
	return tp
}

func (tp *tarpit) URL() string { return "http://" + tp.ln.Addr().String() + "/hook" }

// latencyReceiver records, per delivery id, the time from the alert's At
// (stamped when it was produced) to its arrival.
type latencyReceiver struct {
	mu  sync.Mutex
	lat map[string]time.Duration
	n   int
}

func (lr *latencyReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var a Alert
	_ = json.NewDecoder(r.Body).Decode(&a)
	lr.mu.Lock()
	lr.n++
	if _, ok := lr.lat[r.Header.Get(HeaderDelivery)]; !ok {
		lr.lat[r.Header.Get(HeaderDelivery)] = time.Since(a.At)
	}
	lr.mu.Unlock()
}

func (lr *latencyReceiver) count() int {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	return len(lr.lat)
}

func quantiles(ds []time.Duration) (p50, p99, maxD time.Duration) {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.50), at(0.99), s[len(s)-1]
}

func TestHandOffSlowTarget(t *testing.T) {
	tp := startTarpit(t)
	fast := &receiver{}
	fsrv := httptest.NewServer(fast)
	defer fsrv.Close()
	rules := rulesMap{
		"slow": {ID: "slow", Name: "slow", Channels: []match.Channel{{Type: match.ChannelWebhook, URL: tp.URL(), Secret: "k"}}},
		"fast": {ID: "fast", Name: "fast", Channels: []match.Channel{{Type: match.ChannelWebhook, URL: fsrv.URL, Secret: "k"}}},
	}
	st, _ := openState(t)
	cfg := fastCfg(time.Now)
	cfg.SlowAfter = time.Second
	cfg.Timeout = 30 * time.Second // the breaker never opens in this test
	d, err := NewDeliveryStage(rules, st, nil, cfg, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	start := time.Now()
	res, err := d.Process(ctx, []consumers.Record{alertMsg(t, "slow", "a1"), alertMsg(t, "fast", "a1")})
	if err != nil {
		t.Fatal(err)
	}
	first := time.Since(start)
	if !errors.Is(res[0].Err, ErrHandedOff) || !errors.Is(res[0].Err, consumers.ErrPoison) || res[1].Err != nil {
		t.Fatalf("results: %v / %v", res[0].Err, res[1].Err)
	}
	if !strings.Contains(res[0].Err.Error(), "webhook channel") {
		t.Errorf("reason does not name the channel: %v", res[0].Err)
	}
	if fast.count() != 1 {
		t.Errorf("fast target got %d posts", fast.count())
	}
	// The target is known slow now: the next batch does not wait for it.
	start = time.Now()
	res, err = d.Process(ctx, []consumers.Record{alertMsg(t, "slow", "a2"), alertMsg(t, "fast", "a2")})
	if err != nil || !errors.Is(res[0].Err, ErrHandedOff) || res[1].Err != nil {
		t.Fatalf("second batch: %v %v %v", err, res[0].Err, res[1].Err)
	}
	// Bounds of an isolation property, not speed targets: the first batch
	// waited about SlowAfter, the second did not wait for the tarpit (nor
	// SlowAfter again; the margin is for a loaded machine).
	if second := time.Since(start); first > 5*time.Second || second > cfg.SlowAfter*9/10 {
		t.Errorf("batches took %s and %s", first, second)
	}
}

func TestBreakerOpensAndProbes(t *testing.T) {
	var mu sync.Mutex
	posts, failing := 0, true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		posts++
		if failing {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	rules := rulesMap{"r": {ID: "r", Name: "r", Channels: []match.Channel{{Type: match.ChannelWebhook, URL: srv.URL, Secret: "k"}}}}
	st, _ := openState(t)
	cfg := fastCfg(time.Now)
	cfg.Attempts, cfg.BreakerFailures, cfg.BreakerCooldown, cfg.Concurrency = 5, 3, 300*time.Millisecond, 1
	m := NewMetrics(nil)
	d, _ := NewDeliveryStage(rules, st, nil, cfg, m, zap.NewNop())
	defer d.Close()
	ctx := context.Background()
	gauge := func(state string) float64 {
		return testutil.ToFloat64(m.targets.WithLabelValues(match.ChannelWebhook, state))
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return posts }

	res, _ := d.Process(ctx, []consumers.Record{alertMsg(t, "r", "a1")})
	if !errors.Is(res[0].Err, ErrCircuitOpen) || !strings.Contains(res[0].Err.Error(), "status 502") || count() != 3 {
		t.Fatalf("after 3 failures: %v, %d posts", res[0].Err, count())
	}
	if gauge(stateOpen) != 1 || gauge(stateClosed) != 0 {
		t.Errorf("gauge open=%v closed=%v", gauge(stateOpen), gauge(stateClosed))
	}
	// Open: short-circuited without a request.
	res, _ = d.Process(ctx, []consumers.Record{alertMsg(t, "r", "a2")})
	if !errors.Is(res[0].Err, ErrCircuitOpen) || count() != 3 {
		t.Fatalf("while open: %v, %d posts", res[0].Err, count())
	}
	// After the cooldown one probe goes through; it succeeds and closes it.
	time.Sleep(350 * time.Millisecond)
	mu.Lock()
	failing = false
	mu.Unlock()
	res, _ = d.Process(ctx, []consumers.Record{alertMsg(t, "r", "a3")})
	if res[0].Err != nil || count() != 4 || gauge(stateClosed) != 1 || gauge(stateOpen) != 0 {
		t.Fatalf("probe: %v, %d posts, closed=%v", res[0].Err, count(), gauge(stateClosed))
	}
	// A replay of the dead-lettered a2 now delivers it.
	res, _ = d.Process(ctx, []consumers.Record{alertMsg(t, "r", "a2")})
	if res[0].Err != nil || count() != 5 {
		t.Fatalf("replay: %v, %d posts", res[0].Err, count())
	}
}

func TestQueueFullDeadLetters(t *testing.T) {
	tp := startTarpit(t)
	rules := rulesMap{"slow": {ID: "slow", Name: "slow", Channels: []match.Channel{{Type: match.ChannelWebhook, URL: tp.URL(), Secret: "k"}}}}
	st, _ := openState(t)
	cfg := fastCfg(time.Now)
	cfg.Concurrency, cfg.QueueSize, cfg.SlowAfter, cfg.Timeout = 1, 2, 100*time.Millisecond, 30*time.Second
	d, _ := NewDeliveryStage(rules, st, nil, cfg, nil, zap.NewNop())
	defer d.Close()
	var batch []consumers.Record
	for i := range 5 {
		batch = append(batch, alertMsg(t, "slow", fmt.Sprintf("a%d", i)))
	}
	res, err := d.Process(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	full := 0
	for _, r := range res {
		switch {
		case errors.Is(r.Err, ErrQueueFull):
			full++
		case !errors.Is(r.Err, ErrHandedOff):
			t.Errorf("result %v", r.Err)
		}
	}
	// Two fit in the queue and, once the worker has taken the first, a
	// third; the others are refused.
	if full < 2 || full > 3 {
		t.Errorf("%d of 5 refused for a full queue of 2, want 2 or 3", full)
	}
}

// TestIsolationOnBroker runs the delivery stage under the runner on the
// embedded broker with default delivery settings: one rule's webhook is
// a tarpit, another's answers at once. The fast target's alerts arrive
// with p99 under 1 s while the tarpit's end in the dead-letter topic with
// their reasons, and its circuit opens.
func TestIsolationOnBroker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker and runs for about 15 s")
	}
	b, err := broker.Start(broker.Config{}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	isolationScenario(t, b.Addrs(), "iso")
}

// TestIsolationRealKafka is the same on the Kafka of NEWSWIRE_TEST_KAFKA.
func TestIsolationRealKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 15 s")
	}
	brokers := testsvc.KafkaBrokers(t)
	isolationScenario(t, brokers, testsvc.UniqueName(t, "iso"))
}

func isolationScenario(t *testing.T, brokers []string, prefix string) {
	alertsTopic, dlqTopic := prefix+".alerts", prefix+".dlq"
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, err := consumers.EnsureTopics(ctx, brokers, []string{alertsTopic, dlqTopic}, consumers.TopicSpec{Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	if err := consumers.WaitTopics(ctx, brokers, []string{alertsTopic, dlqTopic}); err != nil {
		t.Fatal(err)
	}
	tp := startTarpit(t)
	lr := &latencyReceiver{lat: map[string]time.Duration{}}
	fsrv := httptest.NewServer(lr)
	defer fsrv.Close()
	rules := rulesMap{
		"slow": {ID: "slow", Name: "slow", Channels: []match.Channel{{Type: match.ChannelWebhook, URL: tp.URL(), Secret: "k"}}},
		"fast": {ID: "fast", Name: "fast", Channels: []match.Channel{{Type: match.ChannelWebhook, URL: fsrv.URL, Secret: "k"}}},
	}
	st, _ := openState(t)
	met := NewMetrics(nil)
	w := consumers.NewWriter(brokers, zap.NewNop())
	defer w.Close()
	d, err := NewDeliveryStage(rules, st, nil, DeliveryConfig{AllowPrivate: true, DeadLetters: w, DLQTopic: dlqTopic}, met, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r, err := consumers.NewRunner(consumers.Config{Brokers: brokers, Group: prefix + "-deliver", Topic: alertsTopic, DLQTopic: dlqTopic,
		Stage: "alert-deliver", MaxInFlight: DeliveryMaxInFlight, SessionTimeout: 6 * time.Second},
		d, w, consumers.NewMetrics(prometheus.NewRegistry()), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	rctx, stopRunner := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- r.Run(rctx) }()
	digestDone := make(chan error, 1)
	go func() { digestDone <- d.Run(rctx) }()

	// 250 alerts per rule, one pair every 50 ms.
	const n = 250
	for i := range n {
		var recs []consumers.Record
		for _, rule := range []string{"slow", "fast"} {
			a := NewAlert(match.Match{RuleID: rule, RuleName: rule}, testArticle(fmt.Sprintf("a%03d", i)), time.Now())
			v, _ := json.Marshal(&a)
			recs = append(recs, consumers.Record{Topic: alertsTopic, Key: []byte(a.ID), Value: v})
		}
		if err := w.Write(ctx, recs...); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for lr.count() < n && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	// Every tarpit alert is dead-lettered, with its reason.
	reasons := readDeadLetters(t, ctx, brokers, dlqTopic, n)
	stopRunner()
	if err := <-runDone; err != nil {
		t.Error(err)
	}
	<-digestDone

	var lat []time.Duration
	for _, l := range lr.lat {
		lat = append(lat, l)
	}
	if len(lat) != n {
		t.Fatalf("fast target got %d of %d alerts", len(lat), n)
	}
	p50, p99, mx := quantiles(lat)
	t.Logf("fast target next to a tarpit: p50 %s, p99 %s, max %s over %d alerts", p50, p99, mx, n)
	if p99 >= time.Second {
		t.Errorf("fast target p99 %s, want under 1s", p99)
	}
	handed, open := 0, 0
	for id, reason := range reasons {
		if !strings.HasPrefix(id, "slow/") {
			t.Errorf("dead letter of %s: %s", id, reason)
		}
		switch {
		case strings.Contains(reason, ErrCircuitOpen.Error()):
			open++
		case strings.Contains(reason, ErrHandedOff.Error()):
			handed++
		default:
			t.Errorf("dead letter %s with reason %q", id, reason)
		}
	}
	t.Logf("tarpit alerts dead-lettered: %d handed off, %d with the circuit open", handed, open)
	if open == 0 {
		t.Error("the tarpit's circuit never opened")
	}
	if got := testutil.ToFloat64(met.targets.WithLabelValues(match.ChannelWebhook, stateOpen)); got != 1 {
		t.Errorf("open webhook targets %v, want 1", got)
	}
}

// readDeadLetters tails the dead-letter topic until it holds n distinct
// keys and returns each key's error header.
func readDeadLetters(t *testing.T, ctx context.Context, brokers []string, topic string, n int) map[string]string {
	t.Helper()
	tl, err := consumers.NewTailer(consumers.TailConfig{Brokers: brokers, Topic: topic, MaxWait: 50 * time.Millisecond}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	errEnough := errors.New("enough")
	err = tl.Run(ctx, func(r consumers.Record) error {
		v, _ := r.Header(consumers.HeaderError)
		out[string(r.Key)] = string(v)
		if len(out) >= n {
			return errEnough
		}
		return nil
	})
	if !errors.Is(err, errEnough) {
		t.Fatalf("dead letters: %d of %d (%v)", len(out), n, err)
	}
	return out
}

func TestDeliveryConfigValidate(t *testing.T) {
	w := consumers.NewWriter([]string{"127.0.0.1:1"}, zap.NewNop())
	defer w.Close()
	for _, tc := range []struct {
		name string
		cfg  DeliveryConfig
		want []string
	}{
		{"defaults", DeliveryConfig{}, nil},
		{"everything wrong", DeliveryConfig{
			Backoff:   consumers.Backoff{Min: time.Second, Max: time.Millisecond},
			SlowAfter: time.Minute, MaxHold: time.Second, DeadLetters: w,
			Email:      &EmailConfig{Addr: "smtp.example.org"},
			StateTopic: "news.alerts.state", FlushEvery: time.Second, TakeoverAfter: 1500 * time.Millisecond,
		}, []string{"backoff max 1ms is below backoff min 1s", "slow-after 1m0s is over max hold 1s", "dead letters and dlq topic go together", "from address required",
			"state writer and state topic go together", "takeover-after 1.5s is under twice flush-every 1s"}},
		{"takeover after follows a long flush interval", DeliveryConfig{FlushEvery: time.Minute}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.WithDefaults().Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}
