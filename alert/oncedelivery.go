package alert

import (
	"context"
	"errors"

	"go.uber.org/zap"

	"github.com/newswire/newswire/consumers"
)

// OnceDelivery wraps the delivery stage so that an alert whose delivery
// some process committed is not delivered again by another: after a
// rebalance (a process joining, leaving on SIGTERM, or killed), the new
// owner of a partition of the alerts topic reads the alert-state topic to
// its end first, and skips the alerts marked delivered there.
//
// A delivered alert's mark goes to the alert-state topic (key = alert id,
// value {"delivered": true}) in the same produce batch, before the offset
// commit. So the only repeats left are deliveries made by a process
// killed before its batch's marks were written; they carry the same
// X-Newswire-Delivery id.
type OnceDelivery struct {
	inner consumers.Stage
	once  *Once
	topic string // the alert-state topic
	gate  *gate
}

// NewOnceDelivery wraps inner (the Delivery stage). barrier is the state
// follower's Barrier.
func NewOnceDelivery(inner consumers.Stage, once *Once, stateTopic string, barrier func(context.Context, []int) error, log *zap.Logger) (*OnceDelivery, error) {
	if inner == nil || once == nil || stateTopic == "" {
		return nil, errors.New("once-only delivery needs the stage, the state and the state topic")
	}
	return &OnceDelivery{inner: inner, once: once, topic: stateTopic,
		gate: newGate(barrier, DefaultFresh, log.With(zap.String("component", "alert-delivery-once")))}, nil
}

var deliveredMark = []byte(`{"delivered":true}`)

// Process implements consumers.Stage.
func (d *OnceDelivery) Process(ctx context.Context, batch []consumers.Record) ([]consumers.Result, error) {
	if err := d.gate.pass(ctx, batch); err != nil {
		return nil, err
	}
	res := make([]consumers.Result, len(batch))
	keep := make([]int, 0, len(batch))
	sub := make([]consumers.Record, 0, len(batch))
	for i, r := range batch {
		if len(r.Key) > 0 && d.once.wasDelivered(string(r.Key)) {
			res[i].Handled = true // delivered by an earlier owner
			continue
		}
		keep = append(keep, i)
		sub = append(sub, r)
	}
	if len(sub) == 0 {
		return res, nil
	}
	inner, err := d.inner.Process(ctx, sub)
	if err != nil {
		return nil, err
	}
	for j, i := range keep {
		res[i] = inner[j]
		if res[i].Err == nil && len(batch[i].Key) > 0 {
			res[i].Handled = true
			res[i].Out = append(res[i].Out, consumers.Record{Topic: d.topic, Key: batch[i].Key, Value: deliveredMark})
		}
	}
	return res, nil
}

// Committed implements consumers.CommitObserver: the batch's marks are
// durable, so they are known here at once.
func (d *OnceDelivery) Committed(batch []consumers.Record, results []consumers.Result) {
	for _, r := range results {
		for _, o := range r.Out {
			if o.Topic == d.topic {
				d.once.markDelivered(string(o.Key))
			}
		}
	}
	if obs, ok := d.inner.(consumers.CommitObserver); ok {
		obs.Committed(batch, results)
	}
}
