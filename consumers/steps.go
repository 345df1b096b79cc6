package consumers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.uber.org/zap"
)

// batch is one batch of records on its way through the steps.
type batch struct {
	recs     []Record
	results  []Result // one per record, from the stage
	out      []Record // outputs and dead letters, to produce
	attempts int      // calls of Process it took
	dead     int      // records dead-lettered
	start    time.Time

	// work carries the batch's writes; it outlives the start of shutdown
	// by at most ShutdownTimeout. stop ends when shutdown begins: no step
	// starts a new retry after that.
	work, stop context.Context

	before, mine *turn // commit order among batches in flight
}

// turn orders the commits of batches in flight: done closes when the
// batch has committed (ok) or given up (not ok).
type turn struct {
	done chan struct{}
	ok   bool
}

// step is one concern of the batch's way to committed. An error abandons
// the batch: nothing more happens to it and it is not committed, so its
// records are redone by the partition's next owner.
type step func(b *batch) error

// errShutdown abandons a batch whose retries were cut short by shutdown.
var errShutdown = errors.New("shutdown began before the batch was durable")

// processing calls the stage, retrying transient errors with backoff
// until it succeeds or shutdown begins. A stage that returns the wrong
// number of results is treated as a transient error.
func processing(st Stage, stage string, bo Backoff, m *Metrics, log *zap.Logger) step {
	return func(b *batch) error {
		for {
			b.attempts++
			results, err := st.Process(b.work, b.recs)
			if err == nil && len(results) != len(b.recs) {
				err = fmt.Errorf("stage %s returned %d results for %d records", stage, len(results), len(b.recs))
			}
			if err == nil {
				b.results = results
				return nil
			}
			m.retried.WithLabelValues(stage, "process").Inc()
			log.Warn("batch failed, will retry", zap.Error(err), zap.Int("attempt", b.attempts), zap.Int("records", len(b.recs)))
			if !bo.Sleep(b.stop, b.attempts) {
				return errShutdown
			}
		}
	}
}

// sizeGuard turns an output record larger than max into poison for its
// input record: the broker would refuse it for ever and stop the stream.
func sizeGuard(max int) step {
	return func(b *batch) error {
		for i := range b.results {
			res := &b.results[i]
			if res.Err != nil {
				continue
			}
			for _, o := range res.Out {
				if n := o.Size(); n > max {
					res.Err = fmt.Errorf("%w: output record for topic %s is %d bytes, over the limit of %d", ErrPoison, o.Topic, n, max)
					res.Out = nil
					break
				}
			}
		}
		return nil
	}
}

// deadLettering gathers the records to produce: each result's outputs,
// and for a poison result the dead-letter copy of its input record.
func deadLettering(dlqTopic, stage string, maxBytes int, log *zap.Logger) step {
	return func(b *batch) error {
		b.out = b.out[:0]
		b.dead = 0
		now := time.Now()
		for i, res := range b.results {
			if res.Err == nil {
				b.out = append(b.out, res.Out...)
				continue
			}
			rec := b.recs[i]
			b.out = append(b.out, DeadLetter(rec, dlqTopic, stage, res.Err, b.attempts, now, maxBytes))
			b.dead++
			log.Warn("record dead-lettered", zap.String("topic", rec.Topic), zap.Int("partition", rec.Partition),
				zap.Int64("offset", rec.Offset), zap.String("article_id", string(rec.Key)), zap.Error(res.Err))
		}
		return nil
	}
}

// recordWriter writes records and returns once they are acknowledged.
// *Writer implements it.
type recordWriter interface {
	Write(ctx context.Context, recs ...Record) error
}

// producing writes the batch's records, retrying with backoff until they
// are acknowledged or shutdown begins.
func producing(w recordWriter, dlqTopic, stage string, bo Backoff, m *Metrics, log *zap.Logger) step {
	return func(b *batch) error {
		if len(b.out) == 0 {
			return nil
		}
		for attempt := 1; ; attempt++ {
			err := w.Write(b.work, b.out...)
			if err == nil {
				break
			}
			m.retried.WithLabelValues(stage, "produce").Inc()
			log.Warn("produce failed, will retry", zap.Error(err), zap.Int("attempt", attempt), zap.Int("records", len(b.out)))
			if !bo.Sleep(b.stop, attempt) {
				return errShutdown
			}
		}
		for _, o := range b.out {
			if o.Topic == dlqTopic {
				m.deadLettered.WithLabelValues(stage, b.recs[0].Topic).Inc()
			} else {
				m.produced.WithLabelValues(stage, o.Topic).Inc()
			}
		}
		return nil
	}
}

// committer commits the offsets of records (the highest per partition).
type committer interface {
	Commit(ctx context.Context, recs []Record) error
}

// errBeforeAbandoned abandons a batch whose predecessor was abandoned:
// committing it would move the offset past unfinished work.
var errBeforeAbandoned = errors.New("an earlier batch was abandoned")

// committing commits the batch once the batch before it has committed.
// If that one gave up, so does this one (its records are redone after
// restart, harmlessly: the writes are idempotent). A commit that fails
// three times is given up without abandoning: the work is durable and a
// later commit covers these offsets.
func committing(c committer, bo Backoff, log *zap.Logger) step {
	return func(b *batch) error {
		<-b.before.done
		if !b.before.ok {
			return errBeforeAbandoned
		}
		for attempt := 1; ; attempt++ {
			err := c.Commit(b.work, b.recs)
			if err == nil {
				break
			}
			log.Warn("commit failed", zap.Error(err), zap.Int("attempt", attempt))
			if attempt >= 3 || !bo.Sleep(b.stop, attempt) {
				break
			}
		}
		b.mine.ok = true
		return nil
	}
}

// notifying tells a stage that implements CommitObserver that the batch
// is committed.
func notifying(st Stage) step {
	obs, ok := st.(CommitObserver)
	return func(b *batch) error {
		if ok {
			obs.Committed(b.recs, b.results)
		}
		return nil
	}
}

// metering records a committed batch's metrics: committed records, their
// end-to-end age, records dropped on purpose, and the batch's latency.
func metering(stage string, m *Metrics, log *zap.Logger) step {
	age := m.age.WithLabelValues(stage)
	latency := m.latency.WithLabelValues(stage)
	dropped := m.dropped.WithLabelValues(stage)
	return func(b *batch) error {
		now := time.Now()
		for i, rec := range b.recs {
			res := b.results[i]
			m.committed.WithLabelValues(stage, rec.Topic, partLabel(rec.Partition)).Inc()
			if res.Err == nil && len(res.Out) == 0 && !res.Handled {
				dropped.Inc()
			}
			if res.Err != nil && errors.Is(res.Err, ErrPanic) {
				m.panics.WithLabelValues(stage).Inc()
			}
			switch {
			case !res.Ingested.IsZero():
				age.Observe(now.Sub(res.Ingested).Seconds())
			case !rec.Time.IsZero():
				age.Observe(now.Sub(rec.Time).Seconds())
			}
		}
		latency.Observe(now.Sub(b.start).Seconds())
		if b.dead > 0 {
			log.Info("batch committed", zap.Int("records", len(b.recs)), zap.Int("dead_lettered", b.dead))
		}
		return nil
	}
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
	// On a dead-letter copy too large to write whole: the value is cut,
	// and these name the original.
	HeaderTruncated    = "newswire.truncated"
	HeaderOriginalSize = "newswire.original_size"
	HeaderOriginalHash = "newswire.original_sha256"
)

// maxErrorHeader caps the error text carried in a dead-letter header.
const maxErrorHeader = 4096

// DeadLetter builds the dead-letter copy of a poison record: the original
// key, bytes and headers, plus headers naming the error, the stage, the
// source topic, partition and offset, and the attempts made. A copy over
// maxBytes (0: no limit) keeps its headers and key and has its value cut
// to fit, with headers for the original size and SHA-256, so that the
// dead-letter write never fails on size and nothing is skipped silently.
func DeadLetter(r Record, dlqTopic, stage string, reason error, attempts int, at time.Time, maxBytes int) Record {
	msg := reason.Error()
	if len(msg) > maxErrorHeader {
		msg = msg[:maxErrorHeader]
	}
	// Drop dead-letter headers of an earlier trip so each trip's are exact.
	h := keepHeaders(r.Headers)
	h = append(h,
		Header{Key: HeaderError, Value: []byte(msg)},
		Header{Key: HeaderStage, Value: []byte(stage)},
		Header{Key: HeaderTopic, Value: []byte(r.Topic)},
		Header{Key: HeaderPartition, Value: []byte(strconv.Itoa(r.Partition))},
		Header{Key: HeaderOffset, Value: []byte(strconv.FormatInt(r.Offset, 10))},
		Header{Key: HeaderAttempts, Value: []byte(strconv.Itoa(attempts))},
		Header{Key: HeaderAt, Value: []byte(at.UTC().Format(time.RFC3339Nano))},
	)
	d := Record{Topic: dlqTopic, Key: r.Key, Value: r.Value, Headers: h}
	if maxBytes > 0 && d.Size() > maxBytes {
		sum := sha256.Sum256(r.Value)
		d.Headers = append(d.Headers,
			Header{Key: HeaderTruncated, Value: []byte("true")},
			Header{Key: HeaderOriginalSize, Value: []byte(strconv.Itoa(len(r.Value)))},
			Header{Key: HeaderOriginalHash, Value: []byte(hex.EncodeToString(sum[:]))},
		)
		keep := max(0, maxBytes-(d.Size()-len(r.Value)))
		d.Value = r.Value[:min(keep, len(r.Value))]
	}
	return d
}

// keepHeaders keeps a record's headers (trace ids, say) but the
// dead-letter headers of an earlier trip through the dead-letter topic.
func keepHeaders(h []Header) []Header {
	var out []Header
	for _, x := range h {
		if isDeadLetterHeader(x.Key) {
			continue
		}
		out = append(out, x)
	}
	return out
}

func isDeadLetterHeader(k string) bool {
	switch k {
	case HeaderError, HeaderStage, HeaderTopic, HeaderPartition, HeaderOffset, HeaderAttempts, HeaderAt,
		HeaderTruncated, HeaderOriginalSize, HeaderOriginalHash:
		return true
	}
	return false
}
