package consumers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// Config configures one stage's consumer loop.
type Config struct {
	Brokers  []string // required
	Group    string   // consumer group id, required
	Topic    string   // input topic, required
	DLQTopic string   // dead-letter topic, required
	Stage    string   // stage name for logs, metrics and dead-letter headers, required

	MaxBatch      int           // records per batch (default 256)
	MaxBatchBytes int           // bytes of record values per batch (default 16 MiB)
	FlushInterval time.Duration // longest wait to fill a batch (default 20ms)
	// MaxBuffered bounds the records fetched ahead of processing; together
	// with MaxBatch it bounds memory (default 2×MaxBatch).
	MaxBuffered int
	// MaxRecordBytes is the largest record the reader accepts (default 16 MiB).
	MaxRecordBytes int
	// Backoff for transient errors (default 100ms to 10s).
	Backoff Backoff
	// MaxInFlight is how many batches may be worked on at once (default
	// 1). More than one overlaps a batch's write with the next one's, and
	// commits stay in order; but two versions of one article in different
	// batches may then be written out of order, so only stages whose
	// writes are versioned (the indexer) should raise it.
	MaxInFlight int
	// ShutdownTimeout bounds how long the in-flight batch may take to
	// finish after shutdown starts (default 30s).
	ShutdownTimeout time.Duration
	// StartOffset for a group with no committed offset (default first).
	StartOffset int64
	// SessionTimeout of the group membership (default 10s).
	SessionTimeout time.Duration
}

// Validate fills in defaults and checks required fields.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("brokers required"))
	}
	for name, v := range map[string]string{"group": c.Group, "topic": c.Topic, "dlq topic": c.DLQTopic, "stage": c.Stage} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s required", name))
		}
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 256
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = 20 * time.Millisecond
	}
	if c.MaxBatchBytes <= 0 {
		c.MaxBatchBytes = 16 << 20
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 1
	}
	if c.MaxBuffered <= 0 {
		c.MaxBuffered = 2 * c.MaxBatch
	}
	if c.MaxRecordBytes <= 0 {
		c.MaxRecordBytes = 16 << 20
	}
	if c.Backoff.Min <= 0 {
		c.Backoff.Min = 100 * time.Millisecond
	}
	if c.Backoff.Max <= 0 {
		c.Backoff.Max = 10 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.StartOffset == 0 {
		c.StartOffset = kafka.FirstOffset
	}
	if c.SessionTimeout <= 0 {
		c.SessionTimeout = 10 * time.Second
	}
	if len(errs) > 0 {
		return fmt.Errorf("consumer config for stage %q: %w", c.Stage, errors.Join(errs...))
	}
	return nil
}

// Runner runs one stage: fetch, process, write durably, commit.
type Runner struct {
	cfg   Config
	stage Stage
	w     *Writer
	log   *zap.Logger
	m     *Metrics
}

// NewRunner builds a runner. The writer is used for output and dead-letter
// records; it must wait for acknowledgements (see NewWriter). The runner
// does not close it.
func NewRunner(cfg Config, stage Stage, w *Writer, m *Metrics, log *zap.Logger) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if w == nil || stage == nil || m == nil {
		return nil, errors.New("runner needs a stage, a writer and metrics")
	}
	if w.RequiredAcks == kafka.RequireNone || w.Async {
		return nil, errors.New("runner writer must wait for acknowledgements (RequiredAcks all, not async)")
	}
	return &Runner{cfg: cfg, stage: stage, w: w, m: m,
		log: log.With(zap.String("component", "consumer"), zap.String("stage", cfg.Stage))}, nil
}

// Writer is a kafka-go writer that owns its transport, so that closing it
// also closes its connections.
type Writer struct {
	*kafka.Writer
	tr *kafka.Transport
}

// Close flushes pending records and closes the connections.
func (w *Writer) Close() error {
	err := w.Writer.Close()
	w.tr.CloseIdleConnections()
	return err
}

// NewWriter returns a kafka-go writer set up for durable, ordered,
// key-partitioned writes: acknowledged by all in-sync replicas, hashed by
// key so one article always maps to one partition, small linger, and a
// batch size that admits large records. Topic is left empty: every
// message names its own.
func NewWriter(brokers []string, log *zap.Logger) *Writer {
	tr := &kafka.Transport{MetadataTTL: 10 * time.Second}
	return &Writer{tr: tr, Writer: &kafka.Writer{
		Addr:                   kafka.TCP(brokers...),
		Transport:              tr,
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           2 * time.Millisecond,
		BatchSize:              500,
		BatchBytes:             32 << 20,
		MaxAttempts:            5,
		WriteBackoffMin:        50 * time.Millisecond,
		WriteBackoffMax:        time.Second,
		AllowAutoTopicCreation: false,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			log.Debug("kafka writer", zap.String("msg", fmt.Sprintf(msg, args...)))
		}),
	}}
}

// Run consumes until ctx is cancelled, then shuts down in order: stop
// fetching, finish the in-flight batch (bounded by ShutdownTimeout; an
// unfinished batch is abandoned, i.e. not committed), commit, leave the
// group. It returns nil on a clean shutdown.
func (r *Runner) Run(ctx context.Context) error {
	rd := kafka.NewReader(kafka.ReaderConfig{
		Brokers:               r.cfg.Brokers,
		GroupID:               r.cfg.Group,
		Topic:                 r.cfg.Topic,
		MinBytes:              1,
		MaxBytes:              r.cfg.MaxRecordBytes + (1 << 20),
		MaxWait:               250 * time.Millisecond,
		ReadBatchTimeout:      2 * time.Second,
		CommitInterval:        0, // synchronous commits
		StartOffset:           r.cfg.StartOffset,
		SessionTimeout:        r.cfg.SessionTimeout,
		HeartbeatInterval:     r.cfg.SessionTimeout / 5,
		RebalanceTimeout:      r.cfg.SessionTimeout,
		QueueCapacity:         r.cfg.MaxBatch,
		ReadBackoffMin:        50 * time.Millisecond,
		ReadBackoffMax:        time.Second,
		WatchPartitionChanges: true,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			r.log.Debug("kafka reader", zap.String("msg", fmt.Sprintf(msg, args...)))
		}),
	})
	r.log.Info("stage started", zap.String("topic", r.cfg.Topic), zap.String("group", r.cfg.Group))

	fetched := make(chan kafka.Message, r.cfg.MaxBuffered)
	fetchDone := make(chan struct{})
	go r.fetch(ctx, rd, fetched, fetchDone)

	var runErr error
	buffered := r.m.buffered.WithLabelValues(r.cfg.Stage)
	// Up to MaxInFlight batches are worked on at once; each commits only
	// after the batch before it has committed, and not at all if that one
	// was abandoned, so the committed offset never passes unfinished work.
	slots := make(chan struct{}, r.cfg.MaxInFlight)
	prev := &turn{done: make(chan struct{}), ok: true}
	close(prev.done)
	var inflight sync.WaitGroup
	for {
		batch, ok := r.collect(ctx, fetched)
		buffered.Set(float64(len(fetched)))
		if len(batch) > 0 {
			slots <- struct{}{}
			mine := &turn{done: make(chan struct{})}
			before := prev
			prev = mine
			inflight.Go(func() {
				defer func() { <-slots }()
				r.handle(ctx, rd, batch, before, mine)
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
	abandoned := len(fetched)
	for range fetched {
	}
	if abandoned > 0 {
		r.m.abandoned.WithLabelValues(r.cfg.Stage).Add(float64(abandoned))
	}
	if err := rd.Close(); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("close reader of stage %s: %w", r.cfg.Stage, err))
	}
	r.log.Info("stage stopped", zap.Int("abandoned", abandoned))
	return runErr
}

func (r *Runner) fetch(ctx context.Context, rd *kafka.Reader, out chan<- kafka.Message, done chan<- struct{}) {
	defer close(done)
	defer close(out)
	attempt := 0
	for {
		m, err := rd.FetchMessage(ctx)
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
		r.m.consumed.WithLabelValues(r.cfg.Stage, m.Topic, partLabel(m.Partition)).Inc()
		select {
		case out <- m:
		case <-ctx.Done():
			return
		}
	}
}

// collect waits for the first record, then gathers more for at most
// FlushInterval or until MaxBatch records or MaxBatchBytes bytes. ok is
// false once the input is closed.
func (r *Runner) collect(ctx context.Context, in <-chan kafka.Message) (batch []kafka.Message, ok bool) {
	var m kafka.Message
	select {
	case m, ok = <-in:
		if !ok {
			return nil, false
		}
	case <-ctx.Done():
		return nil, false
	}
	batch = append(make([]kafka.Message, 0, r.cfg.MaxBatch), m)
	size := len(m.Value)
	timer := time.NewTimer(r.cfg.FlushInterval)
	defer timer.Stop()
	for len(batch) < r.cfg.MaxBatch && size < r.cfg.MaxBatchBytes {
		select {
		case m, ok = <-in:
			if !ok {
				return batch, false
			}
			batch = append(batch, m)
			size += len(m.Value)
		case <-timer.C:
			return batch, true
		case <-ctx.Done():
			return batch, false
		}
	}
	return batch, true
}

// turn orders the commits of batches in flight: done closes when the
// batch has committed (ok) or given up (not ok).
type turn struct {
	done chan struct{}
	ok   bool
}

// handle takes one batch to committed, or abandons it at shutdown. It
// commits only after the batch before it (before) committed, and reports
// its own outcome in mine.
func (r *Runner) handle(ctx context.Context, rd *kafka.Reader, batch []kafka.Message, before, mine *turn) {
	defer close(mine.done)
	start := time.Now()
	// Work started on a batch may finish after shutdown begins, within
	// the shutdown deadline; retries stop as soon as shutdown begins.
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(r.cfg.ShutdownTimeout, cancel)
		context.AfterFunc(work, func() { t.Stop() })
	})
	defer stop()

	var results []Result
	attempts := 0
	for {
		attempts++
		var err error
		results, err = r.stage.Process(work, batch)
		if err == nil && len(results) != len(batch) {
			err = fmt.Errorf("stage %s returned %d results for %d records", r.cfg.Stage, len(results), len(batch))
		}
		if err == nil {
			break
		}
		r.m.retried.WithLabelValues(r.cfg.Stage, "process").Inc()
		r.log.Warn("batch failed, will retry", zap.Error(err), zap.Int("attempt", attempts), zap.Int("records", len(batch)))
		if !r.cfg.Backoff.Sleep(ctx, attempts) {
			r.abandon(batch)
			return
		}
	}

	var out []kafka.Message
	dead := 0
	for i, res := range results {
		if res.Err != nil {
			out = append(out, DeadLetter(batch[i], r.cfg.DLQTopic, r.cfg.Stage, res.Err, attempts, time.Now()))
			dead++
			r.log.Warn("record dead-lettered", zap.String("topic", batch[i].Topic), zap.Int("partition", batch[i].Partition),
				zap.Int64("offset", batch[i].Offset), zap.String("article_id", string(batch[i].Key)), zap.Error(res.Err))
			continue
		}
		if len(res.Out) == 0 {
			r.m.dropped.WithLabelValues(r.cfg.Stage).Inc()
		}
		out = append(out, res.Out...)
	}
	if len(out) > 0 {
		for attempt := 1; ; attempt++ {
			err := r.w.WriteMessages(work, out...)
			if err == nil {
				break
			}
			r.m.retried.WithLabelValues(r.cfg.Stage, "produce").Inc()
			r.log.Warn("produce failed, will retry", zap.Error(err), zap.Int("attempt", attempt), zap.Int("records", len(out)))
			if !r.cfg.Backoff.Sleep(ctx, attempt) {
				r.abandon(batch)
				return
			}
		}
		for _, m := range out {
			if m.Topic == r.cfg.DLQTopic {
				r.m.deadLettered.WithLabelValues(r.cfg.Stage, batch[0].Topic).Inc()
			} else {
				r.m.produced.WithLabelValues(r.cfg.Stage, m.Topic).Inc()
			}
		}
	}

	// Everything of the batch is durable. Commit once the batch before
	// has committed; if it gave up, so does this one (its records are
	// redone after restart, harmlessly: the writes are idempotent).
	<-before.done
	if !before.ok {
		r.abandon(batch)
		return
	}
	// Commit. kafka-go commits the
	// highest offset per partition, which is right because the batch
	// holds every fetched record of its partitions up to that offset.
	for attempt := 1; ; attempt++ {
		err := rd.CommitMessages(work, batch...)
		if err == nil {
			break
		}
		// A failed commit loses nothing: the records are redone by
		// whoever owns the partition next. Retry a few times, then move
		// on rather than block the stream.
		r.log.Warn("commit failed", zap.Error(err), zap.Int("attempt", attempt))
		if attempt >= 3 || !r.cfg.Backoff.Sleep(ctx, attempt) {
			mine.ok = true // the work is durable; a later commit covers these offsets
			return
		}
	}
	mine.ok = true
	now := time.Now()
	age := r.m.age.WithLabelValues(r.cfg.Stage)
	for i, m := range batch {
		r.m.committed.WithLabelValues(r.cfg.Stage, m.Topic, partLabel(m.Partition)).Inc()
		switch {
		case !results[i].Ingested.IsZero():
			age.Observe(now.Sub(results[i].Ingested).Seconds())
		case !m.Time.IsZero():
			age.Observe(now.Sub(m.Time).Seconds())
		}
	}
	r.m.latency.WithLabelValues(r.cfg.Stage).Observe(now.Sub(start).Seconds())
	if dead > 0 {
		r.log.Info("batch committed", zap.Int("records", len(batch)), zap.Int("dead_lettered", dead))
	}
}

func (r *Runner) abandon(batch []kafka.Message) {
	r.m.abandoned.WithLabelValues(r.cfg.Stage).Add(float64(len(batch)))
	r.log.Info("batch abandoned at shutdown; it will be redone", zap.Int("records", len(batch)))
}

// Header names on dead-letter records.
const (
	HeaderError     = "newswire.error"
	HeaderStage     = "newswire.stage"
	HeaderTopic     = "newswire.source.topic"
	HeaderPartition = "newswire.source.partition"
	HeaderOffset    = "newswire.source.offset"
	HeaderAttempts  = "newswire.attempts"
	HeaderAt        = "newswire.dead_lettered_at"
)

// DeadLetter builds the dead-letter copy of a poison record: the original
// key, bytes and headers, plus headers naming the error, the stage, the
// source topic, partition and offset, and the attempts made.
func DeadLetter(m kafka.Message, dlqTopic, stage string, reason error, attempts int, at time.Time) kafka.Message {
	// Drop dead-letter headers of an earlier trip so each trip's are exact.
	h := passHeaders(m.Headers)
	h = append(h,
		kafka.Header{Key: HeaderError, Value: []byte(reason.Error())},
		kafka.Header{Key: HeaderStage, Value: []byte(stage)},
		kafka.Header{Key: HeaderTopic, Value: []byte(m.Topic)},
		kafka.Header{Key: HeaderPartition, Value: []byte(strconv.Itoa(m.Partition))},
		kafka.Header{Key: HeaderOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))},
		kafka.Header{Key: HeaderAttempts, Value: []byte(strconv.Itoa(attempts))},
		kafka.Header{Key: HeaderAt, Value: []byte(at.UTC().Format(time.RFC3339Nano))},
	)
	return kafka.Message{Topic: dlqTopic, Key: m.Key, Value: m.Value, Headers: h}
}
