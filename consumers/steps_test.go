package consumers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
)

// Each step of the runner's chain, alone, with fakes for its one-method
// dependencies.

func newTestBatch(n int) *batch {
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{Topic: "in", Partition: i % 2, Offset: int64(i), Key: []byte("k" + strconv.Itoa(i)), Value: []byte("v" + strconv.Itoa(i))}
	}
	done := make(chan struct{})
	close(done)
	return &batch{recs: recs, work: context.Background(), stop: context.Background(),
		before: &turn{done: done, ok: true}, mine: &turn{done: make(chan struct{})}}
}

var fastBackoff = Backoff{Min: time.Millisecond, Max: 2 * time.Millisecond}

type stageFn func(ctx context.Context, batch []Record) ([]Result, error)

func (f stageFn) Process(ctx context.Context, batch []Record) ([]Result, error) { return f(ctx, batch) }

func TestProcessingRetriesTransientErrors(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	calls := 0
	st := stageFn(func(_ context.Context, batch []Record) ([]Result, error) {
		calls++
		if calls < 3 {
			return nil, errors.New("store down")
		}
		return make([]Result, len(batch)), nil
	})
	b := newTestBatch(4)
	if err := processing(st, "s", fastBackoff, m, zap.NewNop())(b); err != nil {
		t.Fatal(err)
	}
	if calls != 3 || b.attempts != 3 || len(b.results) != 4 {
		t.Fatalf("calls %d attempts %d results %d", calls, b.attempts, len(b.results))
	}
	if got := testutil.ToFloat64(m.retried.WithLabelValues("s", "process")); got != 2 {
		t.Errorf("retried = %v, want 2", got)
	}
}

func TestProcessingWrongResultCountIsTransientAndShutdownAbandons(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	st := stageFn(func(_ context.Context, batch []Record) ([]Result, error) { return make([]Result, 1), nil })
	b := newTestBatch(3)
	stop, cancel := context.WithCancel(context.Background())
	b.stop = stop
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if err := processing(st, "s", fastBackoff, m, zap.NewNop())(b); !errors.Is(err, errShutdown) {
		t.Fatalf("err = %v, want errShutdown", err)
	}
	if b.attempts < 2 {
		t.Errorf("only %d attempts before shutdown", b.attempts)
	}
}

func TestSizeGuardMakesOversizedOutputPoison(t *testing.T) {
	b := newTestBatch(2)
	b.results = []Result{
		{Out: []Record{{Topic: "out", Value: make([]byte, 100)}}},
		{Out: []Record{{Topic: "out", Value: make([]byte, 10)}}},
	}
	if err := sizeGuard(50)(b); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(b.results[0].Err, ErrPoison) || b.results[0].Out != nil || !strings.Contains(b.results[0].Err.Error(), "100 bytes") {
		t.Errorf("oversized: %+v", b.results[0])
	}
	if b.results[1].Err != nil || len(b.results[1].Out) != 1 {
		t.Errorf("small output changed: %+v", b.results[1])
	}
}

func TestDeadLetteringGathersOutputsAndCopies(t *testing.T) {
	b := newTestBatch(3)
	b.attempts = 2
	b.results = []Result{
		{Out: []Record{{Topic: "out", Key: []byte("a")}, {Topic: "out", Key: []byte("b")}}},
		{Err: fmt.Errorf("%w: bad json", ErrPoison)},
		{},
	}
	if err := deadLettering("dlq", "s", 0, zap.NewNop())(b); err != nil {
		t.Fatal(err)
	}
	if len(b.out) != 3 || b.dead != 1 {
		t.Fatalf("out %d dead %d", len(b.out), b.dead)
	}
	d := b.out[2]
	if d.Topic != "dlq" || string(d.Key) != "k1" || string(d.Value) != "v1" {
		t.Errorf("dead letter %+v", d)
	}
	if v, _ := d.Header(HeaderAttempts); string(v) != "2" {
		t.Errorf("attempts header %q", v)
	}
	if v, _ := d.Header(HeaderError); !strings.Contains(string(v), "bad json") {
		t.Errorf("error header %q", v)
	}
}

// TestDeadLetterTruncatesOversizedCopy: a record near the size limit gets a
// dead-letter copy that fits, names the original size and hash, and keeps
// its source coordinates (issue row: a 16 MiB − 200 B record stopped every
// partition because its copy could never be written).
func TestDeadLetterTruncatesOversizedCopy(t *testing.T) {
	val := make([]byte, 16<<20-200)
	for i := range val {
		val[i] = byte(i)
	}
	in := Record{Topic: "news.raw", Partition: 2, Offset: 7, Key: []byte("id"), Value: val}
	d := DeadLetter(in, "news.dlq", "enrich", fmt.Errorf("%w: too big", ErrPoison), 1, time.Now(), DefaultMaxDeadLetterBytes)
	if d.Size() > DefaultMaxDeadLetterBytes {
		t.Fatalf("copy is %d bytes, over %d", d.Size(), DefaultMaxDeadLetterBytes)
	}
	sum := sha256.Sum256(val)
	for k, want := range map[string]string{
		HeaderTruncated: "true", HeaderOriginalSize: strconv.Itoa(len(val)), HeaderOriginalHash: hex.EncodeToString(sum[:]),
		HeaderTopic: "news.raw", HeaderPartition: "2", HeaderOffset: "7",
	} {
		if v, ok := d.Header(k); !ok || string(v) != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	if len(d.Value) == 0 || string(d.Value[:100]) != string(val[:100]) {
		t.Error("truncated copy must keep the start of the value")
	}
	small := DeadLetter(Record{Value: []byte("x")}, "dlq", "s", errors.New("e"), 1, time.Now(), DefaultMaxDeadLetterBytes)
	if _, ok := small.Header(HeaderTruncated); ok || string(small.Value) != "x" {
		t.Error("a small copy must not be truncated")
	}
}

type fakeWriter struct {
	fails atomic.Int32
	got   [][]Record
}

func (w *fakeWriter) Write(_ context.Context, recs ...Record) error {
	if w.fails.Add(-1) >= 0 {
		return errors.New("broker down")
	}
	w.got = append(w.got, recs)
	return nil
}

func TestProducingRetriesAndCounts(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	w := &fakeWriter{}
	w.fails.Store(2)
	b := newTestBatch(2)
	b.out = []Record{{Topic: "out"}, {Topic: "dlq"}}
	if err := producing(w, "dlq", "s", fastBackoff, m, zap.NewNop())(b); err != nil {
		t.Fatal(err)
	}
	if len(w.got) != 1 || len(w.got[0]) != 2 {
		t.Fatalf("writes %v", w.got)
	}
	if testutil.ToFloat64(m.produced.WithLabelValues("s", "out")) != 1 || testutil.ToFloat64(m.deadLettered.WithLabelValues("s", "in")) != 1 {
		t.Error("produced/dead-lettered counters wrong")
	}
	if testutil.ToFloat64(m.retried.WithLabelValues("s", "produce")) != 2 {
		t.Error("retried counter wrong")
	}
}

func TestProducingAbandonsAtShutdown(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	w := &fakeWriter{}
	w.fails.Store(1 << 30)
	b := newTestBatch(1)
	b.out = []Record{{Topic: "out"}}
	stop, cancel := context.WithCancel(context.Background())
	cancel()
	b.stop = stop
	if err := producing(w, "dlq", "s", fastBackoff, m, zap.NewNop())(b); !errors.Is(err, errShutdown) {
		t.Fatalf("err = %v", err)
	}
}

type fakeCommitter struct{ commits [][]Record }

func (c *fakeCommitter) Commit(_ context.Context, recs []Record) error {
	c.commits = append(c.commits, recs)
	return nil
}

func TestCommittingWaitsForTheBatchBefore(t *testing.T) {
	c := &fakeCommitter{}
	b := newTestBatch(2)
	before := &turn{done: make(chan struct{})}
	b.before = before
	errc := make(chan error, 1)
	go func() { errc <- committing(c, fastBackoff, zap.NewNop())(b) }()
	time.Sleep(10 * time.Millisecond)
	if len(c.commits) != 0 {
		t.Fatal("committed before the batch before")
	}
	before.ok = true
	close(before.done)
	if err := <-errc; err != nil || len(c.commits) != 1 || !b.mine.ok {
		t.Fatalf("err %v commits %d ok %v", err, len(c.commits), b.mine.ok)
	}

	// If the batch before gave up, this one does too, without committing.
	c2 := &fakeCommitter{}
	b2 := newTestBatch(1)
	gaveUp := &turn{done: make(chan struct{})}
	close(gaveUp.done)
	b2.before = gaveUp
	if err := committing(c2, fastBackoff, zap.NewNop())(b2); !errors.Is(err, errBeforeAbandoned) || len(c2.commits) != 0 || b2.mine.ok {
		t.Fatalf("err %v commits %d", err, len(c2.commits))
	}
}

type observingStage struct {
	stageFn
	committed [][]Record
}

func (o *observingStage) Committed(batch []Record, _ []Result) {
	o.committed = append(o.committed, batch)
}

func TestNotifyingCallsCommitObserver(t *testing.T) {
	st := &observingStage{stageFn: func(context.Context, []Record) ([]Result, error) { return nil, nil }}
	b := newTestBatch(3)
	if err := notifying(st)(b); err != nil || len(st.committed) != 1 || len(st.committed[0]) != 3 {
		t.Fatalf("err %v committed %v", err, st.committed)
	}
	// A stage without the hook is fine.
	if err := notifying(stageFn(nil))(b); err != nil {
		t.Fatal(err)
	}
}

func TestMeteringCountsDroppedNotHandled(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	b := newTestBatch(4)
	b.start = time.Now()
	b.results = []Result{{Handled: true}, {}, {Out: []Record{{Topic: "x"}}}, {Err: PanicError("boom")}}
	if err := metering("s", m, zap.NewNop())(b); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(m.dropped.WithLabelValues("s")); got != 1 {
		t.Errorf("dropped = %v, want 1 (only the record with no output that no store handled)", got)
	}
	if got := testutil.ToFloat64(m.panics.WithLabelValues("s")); got != 1 {
		t.Errorf("panics = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.committed.WithLabelValues("s", "in", "0")) + testutil.ToFloat64(m.committed.WithLabelValues("s", "in", "1")); got != 4 {
		t.Errorf("committed = %v, want 4", got)
	}
}

func TestBufferBoundsBytes(t *testing.T) {
	buf := newBuffer(100, 1000)
	ctx := context.Background()
	if !buf.put(ctx, Record{Value: make([]byte, 600)}) {
		t.Fatal("first put")
	}
	// A second 600-byte record does not fit until the first is taken.
	put := make(chan bool, 1)
	go func() { put <- buf.put(ctx, Record{Value: make([]byte, 600)}) }()
	select {
	case <-put:
		t.Fatal("buffer went over its byte bound")
	case <-time.After(20 * time.Millisecond):
	}
	if _, st := buf.get(ctx, nil); st != got {
		t.Fatal("get")
	}
	if !<-put {
		t.Fatal("second put")
	}
	if buf.bytesHeld() != 600 {
		t.Errorf("bytes held %d", buf.bytesHeld())
	}
	// One record over the bound alone is admitted when the buffer is empty.
	buf.get(ctx, nil)
	if !buf.put(ctx, Record{Value: make([]byte, 5000)}) {
		t.Fatal("oversized record into an empty buffer")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if buf.put(cctx, Record{Value: make([]byte, 10)}) {
		t.Error("put on a full buffer with a cancelled context must give up")
	}
}

func TestStageFuncPanicIsPoison(t *testing.T) {
	f := StageFunc(func(ctx context.Context, r Record) ([]Record, error) {
		if string(r.Value) == "boom" {
			panic("tagger exploded")
		}
		return nil, nil
	})
	res, err := f.Process(context.Background(), []Record{{Value: []byte("ok")}, {Value: []byte("boom")}})
	if err != nil || !errors.Is(res[1].Err, ErrPoison) || !errors.Is(res[1].Err, ErrPanic) || !strings.Contains(res[1].Err.Error(), "tagger exploded") {
		t.Fatalf("res %+v err %v", res, err)
	}
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	err := Config{MaxBatch: -1}.Validate()
	if err == nil {
		t.Fatal("empty config accepted")
	}
	for _, want := range []string{"brokers required", "group required", "topic required", "dlq topic required", "stage required", "max batch must be positive"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	c := Config{Brokers: []string{"b"}, Group: "g", Topic: "t", DLQTopic: "d", Stage: "s"}
	if c.Validate() == nil {
		t.Error("Validate must not fill defaults: zero limits are invalid")
	}
	if err := c.WithDefaults().Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
	if d := c.WithDefaults(); d.MaxBatch != DefaultMaxBatch || d.MaxBuffered != 2*DefaultMaxBatch || d.MaxDeadLetterBytes != DefaultMaxDeadLetterBytes {
		t.Errorf("defaults %+v", d)
	}
}

type fakeStories struct{ n atomic.Int32 } // called from the enricher's workers at once

func (f *fakeStories) Assign(e *article.Enriched) {
	f.n.Add(1)
	e.Story = &article.StoryRef{ID: "s-" + e.ID}
}

func TestEnricherAssignsStories(t *testing.T) {
	st := &fakeStories{}
	e := NewEnricher(countryTagger{}, "out", article.Limits{}).WithStories(st)
	res, err := e.Process(context.Background(), []Record{rawArticle(1), rawArticle(2)})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		en, err := article.DecodeEnriched(r.Out[0].Value, article.Limits{})
		if err != nil || en.Story == nil || en.Story.ID != "s-"+en.ID {
			t.Fatalf("story %+v, err %v", en.Story, err)
		}
	}
	if n := st.n.Load(); n != 2 {
		t.Errorf("Assign called %d times, want 2", n)
	}
}

type panickyTagger struct{ countryTagger }

func (panickyTagger) Tag(a *article.Article) article.Tags {
	if strings.Contains(a.Title, "Story 1 ") {
		panic("index out of range in a rule")
	}
	return countryTagger{}.Tag(a)
}

// TestEnricherTaggerPanicIsPoison is the hardening issue's row 8: a panic
// inside the tagger dead-letters that record with the panic's message
// (and the runner counts it), the others are enriched.
func TestEnricherTaggerPanicIsPoison(t *testing.T) {
	e := NewEnricher(panickyTagger{}, "out", article.Limits{})
	res, err := e.Process(context.Background(), []Record{rawArticle(1), rawArticle(2)})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res[0].Err, ErrPanic) || !errors.Is(res[0].Err, ErrPoison) || !strings.Contains(res[0].Err.Error(), "index out of range in a rule") {
		t.Errorf("panicking record: %v", res[0].Err)
	}
	if res[1].Err != nil || len(res[1].Out) != 1 {
		t.Errorf("other record: %+v", res[1])
	}
}
