package consumers

import (
	"context"
	"errors"
	"time"

	"github.com/segmentio/kafka-go"
)

// ErrPoison marks an error that retrying will never fix. A per-record
// error that wraps it sends the record to the dead-letter topic.
var ErrPoison = errors.New("poison record")

// Stage is the work of one pipeline stage on a batch of records fetched
// from its input topic.
//
// Process returns one Result per input record, in input order. A Result
// with Err set is poison and goes to the dead-letter topic; a Result with
// no Out and no Err means the record was dropped on purpose. A non-nil
// error is transient: nothing of the batch is committed and the whole
// batch is retried, so Process must be idempotent.
type Stage interface {
	Process(ctx context.Context, batch []kafka.Message) ([]Result, error)
}

// Result is the outcome of one input record.
type Result struct {
	Out []kafka.Message // records to produce (Topic must be set)
	Err error           // poison: the reason it goes to the dead-letter topic
	// Ingested is the article's ingest time when the stage knows it; the
	// runner reports the end-to-end age (commit time minus Ingested), or
	// the record's own timestamp when it is zero.
	Ingested time.Time
}

// StageFunc adapts a per-record function to a Stage. The function returns
// the records to produce; an error wrapping ErrPoison dead-letters the
// record, any other error makes the batch transient.
type StageFunc func(ctx context.Context, m kafka.Message) ([]kafka.Message, error)

// Process implements Stage.
func (f StageFunc) Process(ctx context.Context, batch []kafka.Message) ([]Result, error) {
	out := make([]Result, len(batch))
	for i, m := range batch {
		msgs, err := f(ctx, m)
		if err != nil {
			if errors.Is(err, ErrPoison) {
				out[i].Err = err
				continue
			}
			return nil, err
		}
		out[i].Out = msgs
	}
	return out, nil
}
