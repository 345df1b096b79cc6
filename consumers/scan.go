package consumers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
)

// Position is a place in every partition of a topic: an offset (the same
// number in each partition) or, when Time is set, the first record at or
// after that time.
type Position struct {
	Offset int64
	Time   time.Time
}

// ParsePosition reads "<offset>" or an RFC 3339 time.
func ParsePosition(s string) (Position, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return Position{Time: t}, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return Position{Offset: n}, nil
	}
	return Position{}, fmt.Errorf("%q is neither an offset nor an RFC 3339 time", s)
}

// PartitionRange is the offsets [Start, End) of one partition to read.
type PartitionRange struct {
	Partition int   `json:"partition"`
	Start     int64 `json:"start"`
	End       int64 `json:"end"`
}

// Ranges resolves from and to (nil: the end offset now) into offset
// ranges, one per partition of topic. Everything is fixed when Ranges
// returns, so a scan of the ranges ends even while records keep arriving.
func Ranges(ctx context.Context, brokers []string, topic string, from Position, to *Position) ([]PartitionRange, error) {
	c, done := newClient(brokers, 10*time.Second)
	defer done()
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("read metadata of %s: %w", topic, err)
	}
	var parts []int
	for _, t := range md.Topics {
		if t.Name == topic && t.Error == nil {
			for _, p := range t.Partitions {
				parts = append(parts, p.ID)
			}
		}
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("topic %s not found", topic)
	}
	sort.Ints(parts)
	list := func(mk func(int) kafka.OffsetRequest) (map[int]kafka.PartitionOffsets, error) {
		req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
		for _, p := range parts {
			req.Topics[topic] = append(req.Topics[topic], mk(p))
		}
		lo, err := c.ListOffsets(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("list offsets of %s: %w", topic, err)
		}
		out := map[int]kafka.PartitionOffsets{}
		for _, po := range lo.Topics[topic] {
			if po.Error != nil {
				return nil, fmt.Errorf("list offsets of %s/%d: %w", topic, po.Partition, po.Error)
			}
			out[po.Partition] = po
		}
		return out, nil
	}
	firsts, err := list(kafka.FirstOffsetOf)
	if err != nil {
		return nil, err
	}
	lasts, err := list(kafka.LastOffsetOf)
	if err != nil {
		return nil, err
	}
	// at resolves a position per partition; a time with no record at or
	// after it resolves to the end.
	at := func(pos Position) (map[int]int64, error) {
		out := map[int]int64{}
		if pos.Time.IsZero() {
			for _, p := range parts {
				out[p] = min(max(pos.Offset, firsts[p].FirstOffset), lasts[p].LastOffset)
			}
			return out, nil
		}
		byTime, err := list(func(p int) kafka.OffsetRequest { return kafka.TimeOffsetOf(p, pos.Time) })
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			out[p] = lasts[p].LastOffset
			for off := range byTime[p].Offsets { // one entry when a record exists at or after the time
				if off >= 0 {
					out[p] = min(max(off, firsts[p].FirstOffset), lasts[p].LastOffset)
				}
			}
		}
		return out, nil
	}
	starts, err := at(from)
	if err != nil {
		return nil, err
	}
	ends := map[int]int64{}
	for _, p := range parts {
		ends[p] = lasts[p].LastOffset
	}
	if to != nil {
		if ends, err = at(*to); err != nil {
			return nil, err
		}
	}
	out := make([]PartitionRange, 0, len(parts))
	for _, p := range parts {
		out = append(out, PartitionRange{Partition: p, Start: starts[p], End: max(ends[p], starts[p])})
	}
	return out, nil
}

// scanIdle is how long a scan waits for a record it expects before it
// gives up on the partition (a record may be missing below the end
// offset: compacted away, or a transaction marker).
const scanIdle = 10 * time.Second

// ErrScanIncomplete is returned (joined) by Scan when a partition stopped
// short of its end offset because no record arrived for scanIdle.
var ErrScanIncomplete = errors.New("scan stopped before the end offset")

// Scan reads every record of the ranges of topic in partition order and
// calls fn with each. It reads without a consumer group and commits
// nothing. It stops at the first error of fn.
func Scan(ctx context.Context, brokers []string, topic string, ranges []PartitionRange, fn func(kafka.Message) error) error {
	var incomplete []error
	for _, pr := range ranges {
		if pr.Start >= pr.End {
			continue
		}
		err := scanPartition(ctx, brokers, topic, pr, fn)
		if errors.Is(err, ErrScanIncomplete) {
			incomplete = append(incomplete, err)
			continue
		}
		if err != nil {
			return err
		}
	}
	return errors.Join(incomplete...)
}

func scanPartition(ctx context.Context, brokers []string, topic string, pr PartitionRange, fn func(kafka.Message) error) error {
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: pr.Partition, MaxBytes: 32 << 20, MaxWait: 250 * time.Millisecond})
	defer r.Close()
	if err := r.SetOffset(pr.Start); err != nil {
		return fmt.Errorf("seek %s/%d to %d: %w", topic, pr.Partition, pr.Start, err)
	}
	next := pr.Start
	for next < pr.End {
		rctx, cancel := context.WithTimeout(ctx, scanIdle)
		m, err := r.ReadMessage(rctx) // no group: ReadMessage only advances this reader
		cancel()
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("%s/%d: nothing after offset %d for %s, end offset %d: %w", topic, pr.Partition, next-1, scanIdle, pr.End, ErrScanIncomplete)
		default:
			return fmt.Errorf("read %s/%d: %w", topic, pr.Partition, err)
		}
		if m.Offset >= pr.End {
			break
		}
		next = m.Offset + 1
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}
