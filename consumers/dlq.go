package consumers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// KnownStages are the stage names that dead letters carry in their
// newswire.stage header.
var KnownStages = []string{"enrich", "index", "alert", "alert-deliver", "alert-digest"}

// HeaderReplayedFrom marks a re-driven record with the dead-letter
// position it came from.
const HeaderReplayedFrom = "newswire.replayed_from"

// HeaderReplays counts the times a record has been re-driven from the
// dead-letter topic. Replay sets it on the records it writes; stages keep
// it when they dead-letter a record again, so a record that keeps failing
// is not re-driven for ever (see ReplayOptions.MaxAttempts).
const HeaderReplays = "newswire.replays"

// DefaultReplayMaxAttempts is how many times, by default, one dead letter
// may be re-driven before Replay reports it instead.
const DefaultReplayMaxAttempts = 3

// ReplayOptions select which dead letters to re-drive.
type ReplayOptions struct {
	DLQTopic string
	// From is where to start in every partition of the dead-letter topic:
	// an offset (FromOffset ≥ 0) or a time (FromTime, when non-zero).
	FromOffset int64
	FromTime   time.Time
	// Stage, when set, replays only dead letters of that stage; it must be
	// one of KnownStages.
	Stage string
	// MaxAttempts is how many times one record may be re-driven (its
	// newswire.replays header); a dead letter already re-driven that many
	// times is reported in ReplayStats.Exhausted, not written. Default
	// DefaultReplayMaxAttempts.
	MaxAttempts int
	// DryRun counts without writing.
	DryRun bool
}

// Validate reports every problem of the options.
func (o *ReplayOptions) Validate() error {
	var errs []error
	if o.DLQTopic == "" {
		errs = append(errs, errors.New("dead-letter topic required"))
	}
	if o.FromOffset < 0 {
		errs = append(errs, fmt.Errorf("from offset %d is negative", o.FromOffset))
	}
	if o.Stage != "" && !slices.Contains(KnownStages, o.Stage) {
		errs = append(errs, fmt.Errorf("stage %q is not one of %s", o.Stage, strings.Join(KnownStages, ", ")))
	}
	if o.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("max attempts %d is negative", o.MaxAttempts))
	}
	return errors.Join(errs...)
}

// ReplayStats counts a replay.
type ReplayStats struct {
	Read     int            `json:"read"`
	Replayed int            `json:"replayed"`
	Skipped  int            `json:"skipped"`
	ByTopic  map[string]int `json:"by_topic"`
	// Exhausted lists (up to 100 of) the dead letters not replayed because
	// they had already been re-driven MaxAttempts times;
	// ExhaustedCount counts them all.
	ExhaustedCount int              `json:"exhausted_count"`
	Exhausted      []DeadLetterInfo `json:"exhausted,omitempty"`
	// TruncatedCount counts dead letters not replayed because their copy
	// is truncated (over the record size limit).
	TruncatedCount int `json:"truncated_count"`
}

// Replay re-drives dead letters into the topic they came from (their
// newswire.source.topic header), with their original key, bytes and
// headers, once the cause is fixed. It reads every partition of the
// dead-letter topic from the chosen position up to the end offset seen at
// start (so it ends even when nothing is newer than the position), and
// returns once every replayed record is acknowledged. Each replayed record
// carries newswire.replayed_from and an incremented newswire.replays.
func Replay(ctx context.Context, brokers []string, w MessageWriter, opt ReplayOptions, log *zap.Logger) (ReplayStats, error) {
	st := ReplayStats{ByTopic: map[string]int{}}
	if err := opt.Validate(); err != nil {
		return st, err
	}
	if opt.MaxAttempts == 0 {
		opt.MaxAttempts = DefaultReplayMaxAttempts
	}
	ranges, err := Ranges(ctx, brokers, opt.DLQTopic, Position{Offset: opt.FromOffset, Time: opt.FromTime}, nil)
	if err != nil {
		return st, fmt.Errorf("find dead letters: %w", err)
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
	err = Scan(ctx, brokers, opt.DLQTopic, ranges, func(m kafka.Message) error {
		st.Read++
		info := ParseDeadLetter(m)
		if info.SourceTopic == "" || (opt.Stage != "" && info.Stage != opt.Stage) {
			st.Skipped++
			return nil
		}
		if info.Truncated {
			// Only the start of the value was kept: replaying it would
			// write a different record. The original is at the source
			// position the headers name, with its SHA-256.
			st.TruncatedCount++
			return nil
		}
		if info.Replays >= opt.MaxAttempts {
			st.ExhaustedCount++
			if len(st.Exhausted) < 100 {
				st.Exhausted = append(st.Exhausted, info)
			}
			return nil
		}
		hs := slices.DeleteFunc(passHeaders(m.Headers), func(h kafka.Header) bool {
			return h.Key == HeaderReplays || h.Key == HeaderReplayedFrom
		})
		hs = append(hs,
			kafka.Header{Key: HeaderReplayedFrom, Value: []byte(opt.DLQTopic + "/" + strconv.Itoa(m.Partition) + "/" + strconv.FormatInt(m.Offset, 10))},
			kafka.Header{Key: HeaderReplays, Value: []byte(strconv.Itoa(info.Replays + 1))},
		)
		batch = append(batch, kafka.Message{Topic: info.SourceTopic, Key: m.Key, Value: m.Value, Headers: hs})
		st.Replayed++
		st.ByTopic[info.SourceTopic]++
		if len(batch) >= 200 {
			return flush()
		}
		return nil
	})
	if ferr := flush(); err == nil {
		err = ferr
	}
	log.Debug("dead letters replayed", zap.String("topic", opt.DLQTopic), zap.Int("replayed", st.Replayed))
	return st, err
}

// DeadLetterInfo describes one dead letter: where it sits in the
// dead-letter topic, where it came from and why it is there.
type DeadLetterInfo struct {
	Partition       int       `json:"partition"`
	Offset          int64     `json:"offset"`
	Key             string    `json:"key"`
	Stage           string    `json:"stage"`
	Error           string    `json:"error"`
	SourceTopic     string    `json:"source_topic"`
	SourcePartition int       `json:"source_partition"`
	SourceOffset    int64     `json:"source_offset"`
	At              time.Time `json:"at"`        // when it was dead-lettered (the record time if no header)
	Size            int       `json:"size"`      // bytes of the original value
	Truncated       bool      `json:"truncated"` // the copy holds only the start of the value (see HeaderTruncated)
	Attempts        int       `json:"attempts"`  // tries by the stage before it gave up
	Replays         int       `json:"replays"`   // times re-driven already
}

// ParseDeadLetter reads the dead-letter headers of m. Missing or malformed
// headers leave their fields zero (SourcePartition and SourceOffset -1).
func ParseDeadLetter(m kafka.Message) DeadLetterInfo {
	d := DeadLetterInfo{
		Partition: m.Partition, Offset: m.Offset, Key: string(m.Key), Size: len(m.Value),
		Stage: header(m.Headers, HeaderStage), Error: header(m.Headers, HeaderError), SourceTopic: header(m.Headers, HeaderTopic),
		SourcePartition: -1, SourceOffset: -1, At: m.Time.UTC(),
	}
	if n, err := strconv.Atoi(header(m.Headers, HeaderPartition)); err == nil {
		d.SourcePartition = n
	}
	if n, err := strconv.ParseInt(header(m.Headers, HeaderOffset), 10, 64); err == nil {
		d.SourceOffset = n
	}
	if t, err := time.Parse(time.RFC3339Nano, header(m.Headers, HeaderAt)); err == nil {
		d.At = t.UTC()
	}
	if header(m.Headers, HeaderTruncated) == "true" {
		d.Truncated = true
		if n, err := strconv.Atoi(header(m.Headers, HeaderOriginalSize)); err == nil {
			d.Size = n
		}
	}
	d.Attempts, _ = strconv.Atoi(header(m.Headers, HeaderAttempts))
	d.Replays, _ = strconv.Atoi(header(m.Headers, HeaderReplays))
	return d
}

// ListOptions select dead letters to list.
type ListOptions struct {
	DLQTopic string
	// From is where to start reading; Since, when set and From is zero,
	// also seeks there.
	From Position
	// Stage keeps only dead letters of one of KnownStages.
	Stage string
	// Since and Until keep dead letters dead-lettered in [Since, Until);
	// zero leaves a side open.
	Since, Until time.Time
}

// Validate reports every problem of the options.
func (o *ListOptions) Validate() error {
	var errs []error
	if o.DLQTopic == "" {
		errs = append(errs, errors.New("dead-letter topic required"))
	}
	if o.Stage != "" && !slices.Contains(KnownStages, o.Stage) {
		errs = append(errs, fmt.Errorf("stage %q is not one of %s", o.Stage, strings.Join(KnownStages, ", ")))
	}
	if !o.Since.IsZero() && !o.Until.IsZero() && !o.Since.Before(o.Until) {
		errs = append(errs, fmt.Errorf("since %s is not before until %s", o.Since.Format(time.RFC3339), o.Until.Format(time.RFC3339)))
	}
	return errors.Join(errs...)
}

// ListDeadLetters calls fn with every dead letter that the options
// select, up to the end offsets seen at start, partition by partition.
func ListDeadLetters(ctx context.Context, brokers []string, opt ListOptions, fn func(DeadLetterInfo) error) error {
	if err := opt.Validate(); err != nil {
		return err
	}
	from := opt.From
	if from == (Position{}) && !opt.Since.IsZero() {
		// Records are appended in time order closely enough: a dead letter
		// is written right after its stage gave up. Start a minute early.
		from.Time = opt.Since.Add(-time.Minute)
	}
	ranges, err := Ranges(ctx, brokers, opt.DLQTopic, from, nil)
	if err != nil {
		return fmt.Errorf("find dead letters: %w", err)
	}
	return Scan(ctx, brokers, opt.DLQTopic, ranges, func(m kafka.Message) error {
		d := ParseDeadLetter(m)
		if opt.Stage != "" && d.Stage != opt.Stage {
			return nil
		}
		if (!opt.Since.IsZero() && d.At.Before(opt.Since)) || (!opt.Until.IsZero() && !d.At.Before(opt.Until)) {
			return nil
		}
		return fn(d)
	})
}

// ReadDeadLetter returns the record at partition/offset of the dead-letter
// topic.
func ReadDeadLetter(ctx context.Context, brokers []string, topic string, partition int, offset int64) (kafka.Message, error) {
	ranges, err := Ranges(ctx, brokers, topic, Position{Offset: offset}, nil)
	if err != nil {
		return kafka.Message{}, err
	}
	i := slices.IndexFunc(ranges, func(r PartitionRange) bool { return r.Partition == partition })
	if i < 0 {
		return kafka.Message{}, fmt.Errorf("topic %s has no partition %d", topic, partition)
	}
	if ranges[i].Start != offset || offset >= ranges[i].End {
		return kafka.Message{}, fmt.Errorf("no record at %s/%d offset %d: the partition holds offsets below %d", topic, partition, offset, ranges[i].End)
	}
	var got *kafka.Message
	errFound := errors.New("found")
	err = Scan(ctx, brokers, topic, []PartitionRange{{Partition: partition, Start: offset, End: offset + 1}}, func(m kafka.Message) error {
		got = &m
		return errFound
	})
	if got != nil {
		return *got, nil
	}
	if err == nil {
		err = errors.New("no such record")
	}
	return kafka.Message{}, fmt.Errorf("read %s/%d at offset %d: %w", topic, partition, offset, err)
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
