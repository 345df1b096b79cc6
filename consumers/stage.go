package consumers

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrPoison marks an error that retrying will never fix. A per-record
// error that wraps it sends the record to the dead-letter topic.
var ErrPoison = errors.New("poison record")

// Stage is the work of one pipeline stage on a batch of records fetched
// from its input topic.
//
// Process returns one Result per input record, in input order. A Result
// with Err set is poison and goes to the dead-letter topic; a Result with
// no Out and no Err means the record needs no output (dropped on purpose,
// or, for a stage that writes elsewhere such as the indexer, handled). A
// non-nil error is transient: nothing of the batch is committed and the
// whole batch is retried, so Process must be idempotent.
type Stage interface {
	Process(ctx context.Context, batch []Record) ([]Result, error)
}

// CommitObserver is implemented by a stage that must know when the
// outcome of a batch is durable: the runner calls Committed after the
// batch's output was acknowledged and its offsets committed, with the
// results Process returned for it. A batch abandoned at shutdown, or whose
// Process failed, is never reported. Committed must not block for long:
// the next batch's commit waits for it.
type CommitObserver interface {
	Committed(batch []Record, results []Result)
}

// Result is the outcome of one input record.
type Result struct {
	Out []Record // records to produce (Topic must be set)
	Err error    // poison: the reason it goes to the dead-letter topic
	// Ingested is the article's ingest time when the stage knows it; the
	// runner reports the end-to-end age (commit time minus Ingested), or
	// the record's own timestamp when it is zero.
	Ingested time.Time
	// Handled says the stage made the record's outcome durable itself
	// (the indexer writes to a store); with no Out it is not counted as
	// dropped.
	Handled bool
}

// StageFunc adapts a per-record function to a Stage. The function returns
// the records to produce; an error wrapping ErrPoison dead-letters the
// record, any other error makes the batch transient. A panic in the
// function dead-letters that record with the panic's message.
type StageFunc func(ctx context.Context, r Record) ([]Record, error)

// Process implements Stage.
func (f StageFunc) Process(ctx context.Context, batch []Record) ([]Result, error) {
	out := make([]Result, len(batch))
	for i, r := range batch {
		recs, err := f.call(ctx, r)
		if err != nil {
			if errors.Is(err, ErrPoison) {
				out[i].Err = err
				continue
			}
			return nil, err
		}
		out[i].Out = recs
	}
	return out, nil
}

func (f StageFunc) call(ctx context.Context, r Record) (recs []Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = PanicError(p)
		}
	}()
	return f(ctx, r)
}

// ErrPanic marks a poison error that comes from a recovered panic.
var ErrPanic = errors.New("panic")

// PanicError turns a recovered panic value into a poison error.
func PanicError(p any) error {
	return fmt.Errorf("%w: %w: %v", ErrPoison, ErrPanic, p)
}
