package consumers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// ReplayOptions select which dead letters to re-drive.
type ReplayOptions struct {
	DLQTopic string
	// From is where to start in every partition of the dead-letter topic:
	// an offset (FromOffset ≥ 0) or a time (FromTime, when non-zero).
	FromOffset int64
	FromTime   time.Time
	// Stage, when set, replays only dead letters of that stage.
	Stage string
	// DryRun counts without writing.
	DryRun bool
}

// ReplayStats counts a replay.
type ReplayStats struct {
	Read     int            `json:"read"`
	Replayed int            `json:"replayed"`
	Skipped  int            `json:"skipped"`
	ByTopic  map[string]int `json:"by_topic"`
}

// HeaderReplayedFrom marks a re-driven record with the dead-letter
// position it came from.
const HeaderReplayedFrom = "newswire.replayed_from"

// Replay re-drives dead letters into the topic they came from (their
// newswire.source.topic header), with their original key, bytes and
// headers, once the cause is fixed. It reads every partition of the
// dead-letter topic from the chosen position up to the end offset seen at
// start, and returns once every replayed record is acknowledged.
func Replay(ctx context.Context, brokers []string, w MessageWriter, opt ReplayOptions, log *zap.Logger) (ReplayStats, error) {
	st := ReplayStats{ByTopic: map[string]int{}}
	c, done := newClient(brokers, 10*time.Second)
	defer done()
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{opt.DLQTopic}})
	if err != nil {
		return st, fmt.Errorf("read metadata of %s: %w", opt.DLQTopic, err)
	}
	var parts []int
	for _, t := range md.Topics {
		if t.Name == opt.DLQTopic && t.Error == nil {
			for _, p := range t.Partitions {
				parts = append(parts, p.ID)
			}
		}
	}
	if len(parts) == 0 {
		return st, fmt.Errorf("dead-letter topic %s not found", opt.DLQTopic)
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, p := range parts {
		req.Topics[opt.DLQTopic] = append(req.Topics[opt.DLQTopic], kafka.LastOffsetOf(p))
	}
	lo, err := c.ListOffsets(ctx, req)
	if err != nil {
		return st, fmt.Errorf("list offsets of %s: %w", opt.DLQTopic, err)
	}
	for _, po := range lo.Topics[opt.DLQTopic] {
		if po.Error != nil {
			return st, fmt.Errorf("list offsets of %s/%d: %w", opt.DLQTopic, po.Partition, po.Error)
		}
		if err := replayPartition(ctx, brokers, w, opt, po.Partition, po.LastOffset, &st, log); err != nil {
			return st, err
		}
	}
	return st, nil
}

func replayPartition(ctx context.Context, brokers []string, w MessageWriter, opt ReplayOptions, part int, end int64, st *ReplayStats, log *zap.Logger) error {
	if end <= 0 {
		return nil
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: opt.DLQTopic, Partition: part, MaxBytes: 32 << 20, MaxWait: 250 * time.Millisecond})
	defer r.Close()
	var err error
	if !opt.FromTime.IsZero() {
		err = r.SetOffsetAt(ctx, opt.FromTime)
	} else {
		off := opt.FromOffset
		if off <= 0 {
			off = kafka.FirstOffset
		}
		err = r.SetOffset(off)
	}
	if err != nil {
		return fmt.Errorf("seek %s/%d: %w", opt.DLQTopic, part, err)
	}
	var batch []kafka.Message
	flush := func() error {
		if len(batch) == 0 || opt.DryRun {
			batch = batch[:0]
			return nil
		}
		if err := w.WriteMessages(ctx, batch...); err != nil {
			return fmt.Errorf("replay %d records: %w", len(batch), err)
		}
		batch = batch[:0]
		return nil
	}
	for {
		if r.Offset() >= end {
			break
		}
		m, err := r.ReadMessage(ctx) // no group: ReadMessage only advances this reader
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return err
			}
			return fmt.Errorf("read %s/%d: %w", opt.DLQTopic, part, err)
		}
		st.Read++
		src, stage := header(m.Headers, HeaderTopic), header(m.Headers, HeaderStage)
		if src == "" || (opt.Stage != "" && stage != opt.Stage) {
			st.Skipped++
		} else {
			hs := passHeaders(m.Headers)
			hs = append(hs, kafka.Header{Key: HeaderReplayedFrom, Value: []byte(opt.DLQTopic + "/" + strconv.Itoa(m.Partition) + "/" + strconv.FormatInt(m.Offset, 10))})
			batch = append(batch, kafka.Message{Topic: src, Key: m.Key, Value: m.Value, Headers: hs})
			st.Replayed++
			st.ByTopic[src]++
			if len(batch) >= 200 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if m.Offset+1 >= end {
			break
		}
	}
	log.Debug("dead letters replayed", zap.String("topic", opt.DLQTopic), zap.Int("partition", part))
	return flush()
}

func header(hs []kafka.Header, key string) string {
	for _, h := range hs {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// MessageWriter writes records and returns once they are acknowledged.
type MessageWriter interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}
