package consumers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Defaults of Config. The flags of cmd/newswire use the same constants.
const (
	DefaultMaxBatch         = 256
	DefaultMaxBatchBytes    = 16 << 20
	DefaultFlushInterval    = 20 * time.Millisecond
	DefaultMaxRecordBytes   = 16 << 20
	DefaultMaxBufferedBytes = 64 << 20
	DefaultMaxInFlight      = 1
	DefaultShutdownTimeout  = 30 * time.Second
	DefaultSessionTimeout   = 10 * time.Second
	DefaultBackoffMin       = 100 * time.Millisecond
	DefaultBackoffMax       = 10 * time.Second
	// DefaultMaxDeadLetterBytes leaves room under the topics'
	// max.message.bytes (TopicSpec's 16 MiB default) for the batch
	// framing; larger dead-letter copies are truncated (see DeadLetter).
	DefaultMaxDeadLetterBytes = DefaultMaxRecordBytes - 64<<10
)

// StartAt is where a group with no committed offset starts reading.
type StartAt int

// Start positions.
const (
	StartFirst StartAt = iota // the oldest retained record (the default)
	StartLast                 // only records written after the group joins
)

// Config configures one stage's consumer loop. Zero fields take the
// Default* constants (see WithDefaults).
type Config struct {
	Brokers  []string // required
	Group    string   // consumer group id, required
	Topic    string   // input topic, required
	DLQTopic string   // dead-letter topic, required
	Stage    string   // stage name for logs, metrics and dead-letter headers, required

	MaxBatch      int           // records per batch
	MaxBatchBytes int           // bytes of records per batch
	FlushInterval time.Duration // longest wait to fill a batch
	// MaxBuffered bounds the records fetched ahead of processing (default
	// 2×MaxBatch), and MaxBufferedBytes their bytes: together with the
	// batch limits and MaxInFlight they bound a stage's memory.
	MaxBuffered      int
	MaxBufferedBytes int
	// MaxRecordBytes is the largest record the reader accepts and the
	// largest output record the stage may produce: a larger output makes
	// its input record poison rather than stop the stream.
	MaxRecordBytes int
	// MaxDeadLetterBytes caps a dead-letter copy; a larger one is written
	// truncated, with headers naming the original size and SHA-256.
	MaxDeadLetterBytes int
	// Backoff for transient errors.
	Backoff Backoff
	// MaxInFlight is how many batches may be worked on at once. More than
	// one overlaps a batch's write with the next one's, and commits stay
	// in order; but two versions of one article in different batches may
	// then be written out of order, so only stages whose writes are
	// versioned (the indexer) should raise it.
	MaxInFlight int
	// ShutdownTimeout bounds how long the in-flight batch may take to
	// finish after shutdown starts; an unfinished batch is abandoned.
	ShutdownTimeout time.Duration
	// StartAt for a group with no committed offset.
	StartAt StartAt
	// SessionTimeout of the group membership.
	SessionTimeout time.Duration
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	setDefault(&c.MaxBatch, DefaultMaxBatch)
	setDefault(&c.MaxBatchBytes, DefaultMaxBatchBytes)
	setDefault(&c.FlushInterval, DefaultFlushInterval)
	setDefault(&c.MaxBuffered, 2*c.MaxBatch)
	setDefault(&c.MaxBufferedBytes, DefaultMaxBufferedBytes)
	setDefault(&c.MaxRecordBytes, DefaultMaxRecordBytes)
	setDefault(&c.MaxDeadLetterBytes, DefaultMaxDeadLetterBytes)
	setDefault(&c.Backoff.Min, DefaultBackoffMin)
	setDefault(&c.Backoff.Max, DefaultBackoffMax)
	setDefault(&c.MaxInFlight, DefaultMaxInFlight)
	setDefault(&c.ShutdownTimeout, DefaultShutdownTimeout)
	setDefault(&c.SessionTimeout, DefaultSessionTimeout)
	return c
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Validate reports every problem of the configuration at once. It does
// not fill in defaults: call WithDefaults first.
func (c Config) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("brokers required"))
	}
	for _, f := range []struct{ name, v string }{{"group", c.Group}, {"topic", c.Topic}, {"dlq topic", c.DLQTopic}, {"stage", c.Stage}} {
		if f.v == "" {
			errs = append(errs, fmt.Errorf("%s required", f.name))
		}
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"max batch", int64(c.MaxBatch)}, {"max batch bytes", int64(c.MaxBatchBytes)}, {"flush interval", int64(c.FlushInterval)},
		{"max buffered", int64(c.MaxBuffered)}, {"max buffered bytes", int64(c.MaxBufferedBytes)},
		{"max record bytes", int64(c.MaxRecordBytes)}, {"max dead-letter bytes", int64(c.MaxDeadLetterBytes)},
		{"max in flight", int64(c.MaxInFlight)}, {"shutdown timeout", int64(c.ShutdownTimeout)}, {"session timeout", int64(c.SessionTimeout)},
		{"backoff min", int64(c.Backoff.Min)}, {"backoff max", int64(c.Backoff.Max)},
	} {
		if f.v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %d", f.name, f.v))
		}
	}
	if c.MaxDeadLetterBytes > 0 && c.MaxDeadLetterBytes < 4096 {
		errs = append(errs, fmt.Errorf("max dead-letter bytes %d is below 4096, too small for the headers", c.MaxDeadLetterBytes))
	}
	if c.StartAt != StartFirst && c.StartAt != StartLast {
		errs = append(errs, fmt.Errorf("unknown start position %d", c.StartAt))
	}
	if len(errs) > 0 {
		return fmt.Errorf("consumer config for stage %q: %w", c.Stage, errors.Join(errs...))
	}
	return nil
}

// source is the runner's input: a consumer group's records and commits.
type source interface {
	Fetch(ctx context.Context) (Record, error)
	Commit(ctx context.Context, recs []Record) error
	Close() error
}

// Runner runs one stage: fetch, process, write durably, commit. Each
// batch goes through a chain of small steps (steps.go): process with
// retries, guard output sizes, dead-letter poison, produce, commit in
// order, tell the stage, record metrics.
type Runner struct {
	cfg   Config
	stage Stage
	w     *Writer
	log   *zap.Logger
	m     *Metrics

	newSource func() source
}

// NewRunner builds a runner. The writer (see NewWriter) is used for
// output and dead-letter records; the runner does not close it.
func NewRunner(cfg Config, stage Stage, w *Writer, m *Metrics, log *zap.Logger) (*Runner, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if w == nil || stage == nil || m == nil {
		return nil, errors.New("runner needs a stage, a writer and metrics")
	}
	log = log.With(zap.String("component", "consumer"), zap.String("stage", cfg.Stage))
	r := &Runner{cfg: cfg, stage: stage, w: w, m: m, log: log}
	r.newSource = func() source { return newGroupSource(cfg, log) }
	return r, nil
}

// chain assembles the steps of one batch, in order.
func (r *Runner) chain(src source) []step {
	return []step{
		processing(r.stage, r.cfg.Stage, r.cfg.Backoff, r.m, r.log),
		sizeGuard(r.cfg.MaxRecordBytes),
		deadLettering(r.cfg.DLQTopic, r.cfg.Stage, r.cfg.MaxDeadLetterBytes, r.log),
		producing(r.w, r.cfg.DLQTopic, r.cfg.Stage, r.cfg.Backoff, r.m, r.log),
		committing(src, r.cfg.Backoff, r.log),
		notifying(r.stage),
		metering(r.cfg.Stage, r.m, r.log),
	}
}

// Run consumes until ctx is cancelled, then shuts down in order: stop
// fetching, finish the in-flight batches (bounded by ShutdownTimeout; an
// unfinished batch is abandoned, i.e. not committed), commit, leave the
// group. It returns nil on a clean shutdown.
func (r *Runner) Run(ctx context.Context) error {
	src := r.newSource()
	steps := r.chain(src)
	r.log.Info("stage started", zap.String("topic", r.cfg.Topic), zap.String("group", r.cfg.Group))

	buf := newBuffer(r.cfg.MaxBuffered, r.cfg.MaxBufferedBytes)
	fetchDone := make(chan struct{})
	go r.fetch(ctx, src, buf, fetchDone)

	buffered := r.m.buffered.WithLabelValues(r.cfg.Stage)
	// Up to MaxInFlight batches are worked on at once; each commits only
	// after the batch before it has committed, and not at all if that one
	// was abandoned, so the committed offset never passes unfinished work.
	slots := make(chan struct{}, r.cfg.MaxInFlight)
	prev := &turn{done: make(chan struct{}), ok: true}
	close(prev.done)
	var inflight sync.WaitGroup
	for {
		recs, ok := r.collect(ctx, buf)
		buffered.Set(float64(buf.len()))
		if len(recs) > 0 {
			slots <- struct{}{}
			b := &batch{recs: recs, before: prev, mine: &turn{done: make(chan struct{})}}
			prev = b.mine
			inflight.Go(func() {
				defer func() { <-slots }()
				r.handle(ctx, b, steps)
			})
		}
		if !ok {
			break
		}
	}
	inflight.Wait()
	<-fetchDone
	// Whatever was fetched but not handled is abandoned: not committed,
	// so the group's next owner of the partition reads it again.
	abandoned := buf.drain()
	if abandoned > 0 {
		r.m.abandoned.WithLabelValues(r.cfg.Stage).Add(float64(abandoned))
	}
	var runErr error
	if err := src.Close(); err != nil {
		runErr = fmt.Errorf("close reader of stage %s: %w", r.cfg.Stage, err)
	}
	r.log.Info("stage stopped", zap.Int("abandoned", abandoned))
	return runErr
}

func (r *Runner) fetch(ctx context.Context, src source, buf *buffer, done chan<- struct{}) {
	defer close(done)
	defer buf.close()
	attempt := 0
	for {
		rec, err := src.Fetch(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			attempt++
			r.log.Warn("fetch failed", zap.Error(err), zap.Int("attempt", attempt))
			r.m.retried.WithLabelValues(r.cfg.Stage, "fetch").Inc()
			if !r.cfg.Backoff.Sleep(ctx, attempt) {
				return
			}
			continue
		}
		attempt = 0
		r.m.consumed.WithLabelValues(r.cfg.Stage, rec.Topic, partLabel(rec.Partition)).Inc()
		if !buf.put(ctx, rec) {
			return
		}
	}
}

// collect waits for the first record, then gathers more for at most
// FlushInterval or until MaxBatch records or MaxBatchBytes bytes. ok is
// false once the input is closed or shutdown began.
func (r *Runner) collect(ctx context.Context, buf *buffer) (recs []Record, ok bool) {
	first, st := buf.get(ctx, nil)
	if st != got {
		return nil, false
	}
	recs = append(make([]Record, 0, r.cfg.MaxBatch), first)
	size := first.Size()
	timer := time.NewTimer(r.cfg.FlushInterval)
	defer timer.Stop()
	for len(recs) < r.cfg.MaxBatch && size < r.cfg.MaxBatchBytes {
		rec, st := buf.get(ctx, timer.C)
		switch st {
		case timedOut:
			return recs, true
		case stopped:
			return recs, false
		}
		recs = append(recs, rec)
		size += rec.Size()
	}
	return recs, true
}

// handle takes one batch through the steps to committed, or abandons it
// at shutdown.
func (r *Runner) handle(ctx context.Context, b *batch, steps []step) {
	defer close(b.mine.done)
	b.start = time.Now()
	// Work started on a batch may finish after shutdown begins, within
	// the shutdown deadline; retries stop as soon as shutdown begins.
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(r.cfg.ShutdownTimeout, cancel)
		context.AfterFunc(work, func() { t.Stop() })
	})
	defer stop()
	b.work, b.stop = work, ctx
	for _, s := range steps {
		if err := s(b); err != nil {
			r.m.abandoned.WithLabelValues(r.cfg.Stage).Add(float64(len(b.recs)))
			r.log.Info("batch abandoned at shutdown; it will be redone", zap.Int("records", len(b.recs)), zap.Error(err))
			return
		}
	}
}
