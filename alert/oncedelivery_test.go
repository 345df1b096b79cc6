package alert

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/zap"

	"github.com/newswire/newswire/consumers"
)

type countingStage struct{ seen []string }

func (c *countingStage) Process(_ context.Context, batch []consumers.Record) ([]consumers.Result, error) {
	res := make([]consumers.Result, len(batch))
	for i, r := range batch {
		c.seen = append(c.seen, string(r.Key))
		if string(r.Key) == "r/bad" {
			res[i].Err = errors.New("target failed")
		}
	}
	return res, nil
}

// TestOnceDeliverySkipsWhatAnotherOwnerDelivered: a delivered alert gets
// a mark in the state topic; a process that learns the mark (from the
// topic, after a rebalance) skips the alert; a failed delivery gets none.
func TestOnceDeliverySkipsWhatAnotherOwnerDelivered(t *testing.T) {
	inner := &countingStage{}
	once := NewOnce(zap.NewNop())
	d, err := NewOnceDelivery(inner, once, "state", nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	batch := []consumers.Record{{Key: []byte("r/a1")}, {Key: []byte("r/bad")}}
	res, err := d.Process(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0].Out) != 1 || res[0].Out[0].Topic != "state" || string(res[0].Out[0].Value) != `{"delivered":true}` || !res[0].Handled {
		t.Fatalf("delivered alert: %+v", res[0])
	}
	if res[1].Err == nil || len(res[1].Out) != 0 {
		t.Fatalf("failed delivery must be dead-lettered without a mark: %+v", res[1])
	}
	// Not committed yet: nothing known.
	if once.wasDelivered("r/a1") {
		t.Fatal("mark known before its batch committed")
	}
	d.Committed(batch, res)
	if !once.wasDelivered("r/a1") || once.wasDelivered("r/bad") {
		t.Fatal("marks after commit are wrong")
	}
	// The same alert again (a redelivery): skipped, the target not called.
	inner.seen = nil
	res, err = d.Process(context.Background(), []consumers.Record{{Key: []byte("r/a1")}, {Key: []byte("r/a2")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(inner.seen) != 1 || inner.seen[0] != "r/a2" || !res[0].Handled || len(res[0].Out) != 0 {
		t.Fatalf("redelivery: inner saw %v, result %+v", inner.seen, res[0])
	}

	// A new owner learns the mark from the topic (the follower's path).
	other := NewOnce(zap.NewNop())
	other.markDelivered("r/a2")
	d2, _ := NewOnceDelivery(&countingStage{}, other, "state", nil, zap.NewNop())
	res, _ = d2.Process(context.Background(), []consumers.Record{{Key: []byte("r/a2")}})
	if !res[0].Handled || len(res[0].Out) != 0 {
		t.Errorf("new owner repeated a delivered alert: %+v", res[0])
	}
}
