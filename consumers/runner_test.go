package consumers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/testsvc"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func runStage(t *testing.T, ctx context.Context, cfg Config, st Stage, m *Metrics) (wait func()) {
	t.Helper()
	w := NewWriter(cfg.Brokers, zap.NewNop())
	r, err := NewRunner(cfg, st, w, m, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := r.Run(ctx); err != nil {
			t.Errorf("runner: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Errorf("close writer: %v", err)
		}
	})
	return wg.Wait
}

// TestEnricherPoison feeds valid articles mixed with every kind of poison
// record, written as raw bytes by an independent writer: every valid
// article reaches the enriched topic, every poison record reaches the
// dead-letter topic with its original bytes and exact headers, and the
// group ends with no lag.
func TestEnricherPoison(t *testing.T) {
	poisonScenario(t, startBroker(t), "poison")
}

// TestEnricherPoisonRealKafka runs the same scenario on the real broker.
func TestEnricherPoisonRealKafka(t *testing.T) {
	brokers := testsvc.KafkaBrokers(t)
	poisonScenario(t, brokers, testsvc.UniqueName(t, "poison"))
}

func poisonScenario(t *testing.T, brokers []string, prefix string) {
	tp := testTopics(t, brokers, prefix, 3)
	group := prefix + "-enrich"
	var msgs []Record
	valid := map[string]bool{}
	poison := map[string]string{} // key → expected error substring
	for i := 0; i < 200; i++ {
		m := rawArticle(i)
		valid[string(m.Key)] = true
		msgs = append(msgs, m)
		if i%40 == 0 {
			k := fmt.Sprintf("poison-%d", i)
			var v []byte
			var want string
			switch (i / 40) % 5 {
			case 0:
				v, want = []byte(`{"title": "broken`), "malformed JSON"
			case 1:
				v, want = []byte("{\"title\":\"bad \xff utf8\",\"url\":\"https://x.example/\"}"), "not valid UTF-8"
			case 2:
				v, want = []byte(`{"url":"https://x.example/big","title":"big","body":"`+strings.Repeat("a", 5<<20)+`"}`), "over the limit"
			case 3:
				v, want = []byte(`{"source":"no url, no title"}`), "title or body required"
			case 4:
				v, want = []byte(`{"url":"https://x.example/t","title":"x","published":"last week"}`), "not an RFC 3339 time"
			}
			poison[k] = want
			msgs = append(msgs, Record{Key: []byte(k), Value: v, Headers: []Header{{Key: "trace", Value: []byte(k)}}})
		}
	}
	produce(t, brokers, tp.Raw, msgs)

	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	ctx, cancel := context.WithCancel(context.Background())
	wait := runStage(t, ctx, Config{Brokers: brokers, Group: group, Topic: tp.Raw, DLQTopic: tp.DLQ, Stage: "enrich", MaxBatch: 64},
		NewEnricher(countryTagger{}, tp.Enriched, article.Limits{}), m)
	waitLagZero(t, brokers, group, tp.Raw, 60*time.Second)
	cancel()
	wait()

	got := map[string]bool{}
	for _, e := range readAll(t, brokers, tp.Enriched) {
		en, err := article.DecodeEnriched(e.Value, article.Limits{})
		if err != nil {
			t.Fatalf("enriched record does not decode: %v", err)
		}
		if string(e.Key) != en.ID {
			t.Errorf("key %s != id %s", e.Key, en.ID)
		}
		if len(en.Tags.Countries) != 1 || en.Tags.Countries[0].Code != "RU" || en.Enrichment.Version != "test-1" {
			t.Errorf("tags not applied: %+v", en.Tags)
		}
		got[en.ID] = true
	}
	for id := range valid {
		if !got[id] {
			t.Errorf("valid article %s missing from enriched topic", id)
		}
	}
	dead := readAll(t, brokers, tp.DLQ)
	if len(dead) != len(poison) {
		t.Fatalf("dead letters: %d, want %d", len(dead), len(poison))
	}
	orig := map[string][]byte{}
	for _, m := range msgs {
		orig[string(m.Key)] = m.Value
	}
	for _, d := range dead {
		k := string(d.Key)
		want, ok := poison[k]
		if !ok {
			t.Errorf("unexpected dead letter %s", k)
			continue
		}
		if !bytes.Equal(d.Value, orig[k]) {
			t.Errorf("%s: dead letter bytes differ from the original", k)
		}
		h := map[string]string{}
		for _, x := range d.Headers {
			h[x.Key] = string(x.Value)
		}
		if !strings.Contains(h[HeaderError], want) {
			t.Errorf("%s: error header %q lacks %q", k, h[HeaderError], want)
		}
		if h[HeaderStage] != "enrich" || h[HeaderTopic] != tp.Raw || h[HeaderPartition] == "" || h[HeaderOffset] == "" || h[HeaderAttempts] != "1" || h["trace"] != k {
			t.Errorf("%s: headers %v", k, h)
		}
	}
	if n := testutil.ToFloat64(m.deadLettered.WithLabelValues("enrich", tp.Raw)); int(n) != len(poison) {
		t.Errorf("dead-lettered metric %v, want %d", n, len(poison))
	}

	// Replay re-drives them to the raw topic, original bytes and key.
	w := NewWriter(brokers, zap.NewNop())
	defer w.Close()
	rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer rcancel()
	st, err := Replay(rctx, brokers, w, ReplayOptions{DLQTopic: tp.DLQ, Stage: "enrich"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if st.Replayed != len(poison) || st.ByTopic[tp.Raw] != len(poison) {
		t.Fatalf("replay stats %+v, want %d to %s", st, len(poison), tp.Raw)
	}
	if n := len(readAll(t, brokers, tp.Raw)); n != len(msgs)+len(poison) {
		t.Fatalf("raw topic has %d records after replay, want %d", n, len(msgs)+len(poison))
	}
}

// flakyStage fails its first calls with a transient error, then passes
// records through to an output topic.
type flakyStage struct {
	failures atomic.Int32
	out      string
	calls    atomic.Int32
}

func (f *flakyStage) Process(ctx context.Context, batch []Record) ([]Result, error) {
	f.calls.Add(1)
	if f.failures.Add(-1) >= 0 {
		return nil, errors.New("store unavailable")
	}
	res := make([]Result, len(batch))
	for i, m := range batch {
		res[i].Out = []Record{{Topic: f.out, Key: m.Key, Value: m.Value}}
	}
	return res, nil
}

// TestTransientRetryAndResume checks that a transient error holds the
// offsets and retries, and that a restarted runner resumes from the
// committed offsets without losing or repeating committed records.
func TestTransientRetryAndResume(t *testing.T) {
	brokers := startBroker(t)
	tp := testTopics(t, brokers, "resume", 2)
	var first []Record
	for i := 0; i < 100; i++ {
		first = append(first, rawArticle(i))
	}
	produce(t, brokers, tp.Raw, first)

	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	st := &flakyStage{out: tp.Enriched}
	st.failures.Store(3)
	cfg := Config{Brokers: brokers, Group: "g-resume", Topic: tp.Raw, DLQTopic: tp.DLQ, Stage: "copy",
		Backoff: Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}}
	ctx, cancel := context.WithCancel(context.Background())
	wait := runStage(t, ctx, cfg, st, m)
	waitLagZero(t, brokers, "g-resume", tp.Raw, 30*time.Second)
	cancel()
	wait()
	if r := testutil.ToFloat64(m.retried.WithLabelValues("copy", "process")); r < 3 {
		t.Errorf("retried metric %v, want ≥ 3", r)
	}
	if n := len(readAll(t, brokers, tp.Enriched)); n != 100 {
		t.Fatalf("after first run: %d outputs, want 100 (failed attempts must produce nothing)", n)
	}

	var second []Record
	for i := 100; i < 150; i++ {
		second = append(second, rawArticle(i))
	}
	produce(t, brokers, tp.Raw, second)
	st2 := &flakyStage{out: tp.Enriched}
	ctx, cancel = context.WithCancel(context.Background())
	wait = runStage(t, ctx, cfg, st2, NewMetrics(prometheus.NewRegistry()))
	waitLagZero(t, brokers, "g-resume", tp.Raw, 30*time.Second)
	cancel()
	wait()
	out := readAll(t, brokers, tp.Enriched)
	if len(out) != 150 {
		t.Fatalf("after restart: %d outputs, want exactly 150 (no committed record redone)", len(out))
	}
	seen := map[string]int{}
	for _, o := range out {
		seen[string(o.Key)]++
	}
	for _, in := range append(first, second...) {
		if seen[string(in.Key)] != 1 {
			t.Errorf("key %s seen %d times", in.Key, seen[string(in.Key)])
		}
	}
}

func TestDeadLetterHeaders(t *testing.T) {
	in := Record{Topic: "news.raw", Partition: 4, Offset: 99, Key: []byte("k"), Value: []byte("v"),
		Headers: []Header{{Key: "trace", Value: []byte("t1")}, {Key: HeaderError, Value: []byte("old")}}}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d := DeadLetter(in, "news.dlq", "enrich", errors.New("boom"), 2, at, 0)
	h := map[string][]string{}
	for _, x := range d.Headers {
		h[x.Key] = append(h[x.Key], string(x.Value))
	}
	want := map[string]string{"trace": "t1", HeaderError: "boom", HeaderStage: "enrich", HeaderTopic: "news.raw",
		HeaderPartition: "4", HeaderOffset: "99", HeaderAttempts: "2", HeaderAt: "2026-01-02T03:04:05Z"}
	for k, v := range want {
		if len(h[k]) != 1 || h[k][0] != v {
			t.Errorf("header %s = %v, want [%s]", k, h[k], v)
		}
	}
	if d.Topic != "news.dlq" || string(d.Key) != "k" || string(d.Value) != "v" {
		t.Errorf("dead letter %+v", d)
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	for attempt := 1; attempt < 20; attempt++ {
		d := b.Delay(attempt)
		if d < 50*time.Millisecond || d > time.Second {
			t.Fatalf("attempt %d: delay %v outside [50ms, 1s]", attempt, d)
		}
	}
	if d := b.Delay(10); d < 500*time.Millisecond {
		t.Errorf("late attempts should approach the cap, got %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if b.Sleep(ctx, 5) {
		t.Error("Sleep on a cancelled context should report false")
	}
}

func TestStageFunc(t *testing.T) {
	f := StageFunc(func(ctx context.Context, m Record) ([]Record, error) {
		switch string(m.Value) {
		case "bad":
			return nil, fmt.Errorf("%w: nope", ErrPoison)
		case "down":
			return nil, errors.New("down")
		}
		return []Record{{Topic: "out", Value: m.Value}}, nil
	})
	res, err := f.Process(context.Background(), []Record{{Value: []byte("ok")}, {Value: []byte("bad")}})
	if err != nil || len(res) != 2 || res[0].Err != nil || res[1].Err == nil || len(res[0].Out) != 1 {
		t.Fatalf("got %+v, %v", res, err)
	}
	if _, err := f.Process(context.Background(), []Record{{Value: []byte("down")}}); err == nil {
		t.Fatal("transient error must fail the batch")
	}
}
