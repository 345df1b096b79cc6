package consumers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// TailConfig configures a Tailer.
type TailConfig struct {
	Brokers []string // required
	Topic   string   // required
	// From is where each partition starts when Offsets names none for it.
	From StartAt
	// Offsets, when set, are the next offsets to read per partition (a
	// resume point).
	Offsets map[int]int64
	// MaxWait is the longest a fetch waits for new records (default
	// 100ms); it bounds the delay between a write and its delivery.
	MaxWait time.Duration
	// MaxRecordBytes is the largest record accepted (default
	// DefaultMaxRecordBytes).
	MaxRecordBytes int
}

// partitionsTimeout bounds one attempt to list a topic's partitions and
// offsets.
const partitionsTimeout = 5 * time.Second

// Tailer reads every partition of a topic without a consumer group, as a
// follower: every process that tails a topic sees all of it, in
// partition order. Rules (news.rules) and the live alert stream
// (news.alerts) are read this way. It commits nothing.
type Tailer struct {
	cfg    TailConfig
	log    *zap.Logger
	caught chan struct{}
	once   sync.Once

	mu       sync.Mutex
	pos      map[int]int64 // next offset to hand to fn, per partition
	advanced chan struct{} // closed and replaced when pos moves
	stopped  chan struct{} // closed when Run returns
	stopOnce sync.Once
}

// errTailStopped: the tailer's Run has returned; a read barrier can never
// be passed.
var errTailStopped = errors.New("tailer stopped")

// NewTailer builds a tailer; Run starts it.
func NewTailer(cfg TailConfig, log *zap.Logger) (*Tailer, error) {
	if len(cfg.Brokers) == 0 || cfg.Topic == "" {
		return nil, errors.New("tailer needs brokers and a topic")
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 100 * time.Millisecond
	}
	if cfg.MaxRecordBytes <= 0 {
		cfg.MaxRecordBytes = DefaultMaxRecordBytes
	}
	return &Tailer{cfg: cfg, log: log.With(zap.String("component", "tailer"), zap.String("topic", cfg.Topic)), caught: make(chan struct{}),
		advanced: make(chan struct{}), stopped: make(chan struct{})}, nil
}

// WaitFor waits until every partition named in end has been handed to
// fn up to its end offset there (partition → offset), or ctx ends. It is
// a read barrier: after it, every record written before end was taken is
// applied.
func (t *Tailer) WaitFor(ctx context.Context, end map[int]int64) error {
	for {
		t.mu.Lock()
		behind := -1
		if t.pos != nil {
			for p, e := range end {
				if t.pos[p] < e {
					behind = p
					break
				}
			}
		}
		started := t.pos != nil
		wait := t.advanced
		t.mu.Unlock()
		if started && behind < 0 {
			return nil
		}
		select {
		case <-wait:
		case <-t.stopped:
			return fmt.Errorf("tail of %s not up to %v: %w", t.cfg.Topic, end, errTailStopped)
		case <-ctx.Done():
			return fmt.Errorf("tail of %s not up to %v: %w", t.cfg.Topic, end, ctx.Err())
		}
	}
}

func (t *Tailer) advance(pos map[int]int64) {
	t.mu.Lock()
	if t.pos == nil {
		t.pos = map[int]int64{}
	}
	for p, o := range pos {
		t.pos[p] = o
	}
	close(t.advanced)
	t.advanced = make(chan struct{})
	t.mu.Unlock()
}

// CaughtUp is closed once every partition has been read up to the end
// offset it had when Run started (so a process can report ready only when
// it has seen every rule written before it started).
func (t *Tailer) CaughtUp() <-chan struct{} { return t.caught }

// Run reads until ctx ends and calls fn for every record, from one
// goroutine at a time (records of one partition in order). It retries
// broker errors with backoff. It returns nil when ctx ends, or fn's error.
func (t *Tailer) Run(ctx context.Context, fn func(Record) error) error {
	defer t.stopOnce.Do(func() { close(t.stopped) })
	var ids []int
	var first, end map[int]int64
	for attempt := 1; ; attempt++ {
		// Each attempt has its own deadline: right after a topic is
		// created, a request to a broker that is not yet the leader can
		// stall, and the tailer must keep trying rather than wait on it.
		actx, cancel := context.WithTimeout(ctx, partitionsTimeout)
		var err error
		ids, first, end, err = partitionOffsets(actx, t.cfg.Brokers, t.cfg.Topic)
		cancel()
		if err == nil {
			break
		}
		t.log.Warn("read partitions, will retry", zap.Error(err), zap.Int("attempt", attempt))
		if !(Backoff{Min: 50 * time.Millisecond, Max: 2 * time.Second}).Sleep(ctx, attempt) {
			return nil
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	recs := make(chan Record, 64)
	pending := map[int]int64{} // partition → end offset still to reach
	var wg sync.WaitGroup
	for _, p := range ids {
		start := first[p]
		if t.cfg.From == StartLast {
			start = end[p]
		}
		if o, ok := t.cfg.Offsets[p]; ok && o >= first[p] && o <= end[p] {
			start = o
		}
		if start < end[p] {
			pending[p] = end[p]
		}
		wg.Go(func() { t.readPartition(ctx, p, start, recs) })
	}
	go func() { wg.Wait(); close(recs) }()
	startPos := map[int]int64{}
	for _, p := range ids {
		start := first[p]
		if t.cfg.From == StartLast {
			start = end[p]
		}
		if o, ok := t.cfg.Offsets[p]; ok && o >= first[p] && o <= end[p] {
			start = o
		}
		startPos[p] = start
	}
	t.advance(startPos)
	if len(pending) == 0 {
		t.once.Do(func() { close(t.caught) })
	}
	for r := range recs {
		if err := fn(r); err != nil {
			cancel()
			for range recs {
			}
			return err
		}
		t.advance(map[int]int64{r.Partition: r.Offset + 1})
		if e, ok := pending[r.Partition]; ok && r.Offset+1 >= e {
			delete(pending, r.Partition)
			if len(pending) == 0 {
				t.once.Do(func() { close(t.caught) })
			}
		}
	}
	return nil
}

func (t *Tailer) readPartition(ctx context.Context, p int, start int64, out chan<- Record) {
	rd := kafka.NewReader(kafka.ReaderConfig{
		Brokers: t.cfg.Brokers, Topic: t.cfg.Topic, Partition: p,
		MinBytes: 1, MaxBytes: t.cfg.MaxRecordBytes + (1 << 20), MaxWait: t.cfg.MaxWait,
		ReadBackoffMin: 50 * time.Millisecond, ReadBackoffMax: time.Second,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			t.log.Debug("kafka tail reader", zap.String("msg", fmt.Sprintf(msg, args...)))
		}),
	})
	defer rd.Close()
	if err := rd.SetOffset(start); err != nil {
		t.log.Error("set tail offset", zap.Int("partition", p), zap.Error(err))
		return
	}
	for attempt := 0; ; {
		m, err := rd.ReadMessage(ctx) // no group: nothing to commit
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			attempt++
			t.log.Warn("tail read failed", zap.Int("partition", p), zap.Error(err), zap.Int("attempt", attempt))
			if !(Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}).Sleep(ctx, attempt) {
				return
			}
			continue
		}
		attempt = 0
		select {
		case out <- fromKafka(m):
		case <-ctx.Done():
			return
		}
	}
}

// partitionOffsets lists a topic's partitions with their first and end
// offsets.
func partitionOffsets(ctx context.Context, brokers []string, topic string) (ids []int, first, end map[int]int64, err error) {
	c, done := newClient(brokers, 10*time.Second)
	defer done()
	return topicOffsets(ctx, c, topic)
}

// topicOffsets is partitionOffsets on a client the caller holds.
func topicOffsets(ctx context.Context, c *kafka.Client, topic string) (ids []int, first, end map[int]int64, err error) {
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read metadata of %s: %w", topic, err)
	}
	for _, tp := range md.Topics {
		if tp.Name != topic {
			continue
		}
		if tp.Error != nil {
			return nil, nil, nil, fmt.Errorf("topic %s: %w", topic, tp.Error)
		}
		for _, p := range tp.Partitions {
			ids = append(ids, p.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil, nil, fmt.Errorf("topic %s has no partitions (does it exist?)", topic)
	}
	sort.Ints(ids)
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, id := range ids {
		req.Topics[topic] = append(req.Topics[topic], kafka.FirstOffsetOf(id), kafka.LastOffsetOf(id))
	}
	lo, err := c.ListOffsets(ctx, req)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("list offsets of %s: %w", topic, err)
	}
	first, end = map[int]int64{}, map[int]int64{}
	for _, p := range lo.Topics[topic] {
		if p.Error != nil {
			return nil, nil, nil, fmt.Errorf("list offsets of %s/%d: %w", topic, p.Partition, p.Error)
		}
		first[p.Partition] = p.FirstOffset
		end[p.Partition] = p.LastOffset
	}
	return ids, first, end, nil
}

// EndOffsets returns the end offset (the next offset to be written) of
// every partition of topic.
func EndOffsets(ctx context.Context, brokers []string, topic string) (map[int]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, partitionsTimeout)
	defer cancel()
	_, _, end, err := partitionOffsets(ctx, brokers, topic)
	return end, err
}
