package consumers

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
	"github.com/segmentio/kafka-go"
)

// AuditOptions select what Audit checks.
type AuditOptions struct {
	RawTopic string // default DefaultTopics.Raw
	DLQTopic string // default DefaultTopics.DLQ
	// From and To bound the raw records checked, in every partition; a
	// nil To means the end offsets seen at start.
	From Position
	To   *Position
	// MaxListed bounds the ids listed per outcome (default 100).
	MaxListed int
}

// AuditReport is the outcome of an audit. Every article id read on the
// raw topic is counted once, at the newest version read, in exactly one
// of Indexed, Stale, Missing and DeadLettered.
type AuditReport struct {
	Records int `json:"records"` // raw records read
	Checked int `json:"checked"` // distinct article ids among them
	// Indexed: the store holds that version or a newer one.
	Indexed int `json:"indexed"`
	// Stale: the store holds an older version only, and the id is not in
	// the dead-letter topic.
	Stale int `json:"stale"`
	// Missing: the store holds no version, and the id is not in the
	// dead-letter topic.
	Missing int `json:"missing"`
	// DeadLettered: not indexed at that version, and the id (the record
	// key) is in the dead-letter topic, from any stage.
	DeadLettered int `json:"dead_lettered"`

	Ranges          []PartitionRange `json:"ranges"`
	MissingIDs      []string         `json:"missing_ids,omitempty"`
	StaleIDs        []string         `json:"stale_ids,omitempty"`
	DeadLetteredIDs []string         `json:"dead_lettered_ids,omitempty"`
}

// OK reports whether every checked article is indexed or dead-lettered.
func (r *AuditReport) OK() bool { return r.Missing == 0 && r.Stale == 0 }

// Audit reads the article ids and versions on the raw topic over a range,
// checks each against the search store, and looks the ones not indexed up
// in the dead-letter topic: the operator's proof that nothing was lost. A
// record that does not decode as an article counts under its key with
// version 0; it must have been dead-lettered.
//
// The store answers what is searchable: run it once the pipeline has
// caught up (consumer lag 0), or recent articles count as missing.
func Audit(ctx context.Context, brokers []string, store index.VersionReader, opt AuditOptions) (AuditReport, error) {
	var rep AuditReport
	if opt.RawTopic == "" {
		opt.RawTopic = DefaultTopics.Raw
	}
	if opt.DLQTopic == "" {
		opt.DLQTopic = DefaultTopics.DLQ
	}
	if opt.MaxListed <= 0 {
		opt.MaxListed = 100
	}
	ranges, err := Ranges(ctx, brokers, opt.RawTopic, opt.From, opt.To)
	if err != nil {
		return rep, fmt.Errorf("audit: %w", err)
	}
	rep.Ranges = ranges
	want := map[string]int64{} // id → newest version read
	var order []string
	err = Scan(ctx, brokers, opt.RawTopic, ranges, func(m kafka.Message) error {
		rep.Records++
		id, v := string(m.Key), int64(0)
		if a, err := article.Decode(m.Value, article.Limits{}); err == nil && a.ID != "" {
			id, v = a.ID, index.DocVersion(&a)
		}
		old, seen := want[id]
		if !seen {
			order = append(order, id)
		}
		if !seen || v > old {
			want[id] = v
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("audit: read %s: %w", opt.RawTopic, err)
	}
	rep.Checked = len(order)
	stored := make(map[string]int64, len(order))
	for start := 0; start < len(order); start += 1000 {
		got, err := store.Versions(ctx, order[start:min(start+1000, len(order))])
		if err != nil {
			return rep, fmt.Errorf("audit: look up the store: %w", err)
		}
		for k, v := range got {
			stored[k] = v
		}
	}
	var notIndexed []string
	for _, id := range order {
		if v, ok := stored[id]; ok && v >= want[id] {
			rep.Indexed++
		} else {
			notIndexed = append(notIndexed, id)
		}
	}
	dead := map[string]bool{}
	if len(notIndexed) > 0 {
		wanted := map[string]bool{}
		for _, id := range notIndexed {
			wanted[id] = true
		}
		dr, err := Ranges(ctx, brokers, opt.DLQTopic, Position{}, nil)
		if err != nil {
			return rep, fmt.Errorf("audit: %w", err)
		}
		err = Scan(ctx, brokers, opt.DLQTopic, dr, func(m kafka.Message) error {
			if k := string(m.Key); wanted[k] {
				dead[k] = true
			}
			return nil
		})
		if err != nil && !errors.Is(err, ErrScanIncomplete) {
			return rep, fmt.Errorf("audit: read %s: %w", opt.DLQTopic, err)
		}
	}
	add := func(list *[]string, id string) {
		if len(*list) < opt.MaxListed {
			*list = append(*list, id)
		}
	}
	for _, id := range notIndexed {
		_, some := stored[id]
		switch {
		case dead[id]:
			rep.DeadLettered++
			add(&rep.DeadLetteredIDs, id)
		case some:
			rep.Stale++
			add(&rep.StaleIDs, id)
		default:
			rep.Missing++
			add(&rep.MissingIDs, id)
		}
	}
	slices.Sort(rep.MissingIDs)
	slices.Sort(rep.StaleIDs)
	slices.Sort(rep.DeadLetteredIDs)
	return rep, nil
}
