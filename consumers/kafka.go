package consumers

// This file is the runtime's only contact with kafka-go on the stage path:
// the conversions between Record and kafka.Message, the writer, and the
// group reader behind the runner. Operator tools (admin.go, dlq.go) use
// kafka-go directly.

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

func fromKafka(m kafka.Message) Record {
	r := Record{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value, Time: m.Time}
	if len(m.Headers) > 0 {
		r.Headers = make([]Header, len(m.Headers))
		for i, h := range m.Headers {
			r.Headers[i] = Header{Key: h.Key, Value: h.Value}
		}
	}
	return r
}

func toKafka(r Record) kafka.Message {
	m := kafka.Message{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value, Time: r.Time}
	if len(r.Headers) > 0 {
		m.Headers = make([]kafka.Header, len(r.Headers))
		for i, h := range r.Headers {
			m.Headers[i] = kafka.Header{Key: h.Key, Value: h.Value}
		}
	}
	return m
}

// FromMessage converts a kafka-go message (for tools that read with
// kafka-go directly).
func FromMessage(m kafka.Message) Record { return fromKafka(m) }

// ToMessage converts a record to a kafka-go message.
func ToMessage(r Record) kafka.Message { return toKafka(r) }

// Writer writes records durably: every write returns only once all
// in-sync replicas have acknowledged it, by construction (NewWriter is the
// only way to build one). Records are hashed by key to partitions, so one
// article always maps to one partition, in order. A key holding a "/" is
// hashed on its part before the first "/" only (see prefixBalancer): the
// alerts topic, keyed "<rule id>/<article id>", is so partitioned by rule.
type Writer struct {
	w  *kafka.Writer
	tr *kafka.Transport
}

// NewWriter returns a writer set up for durable, ordered, key-partitioned
// writes: acknowledged by all in-sync replicas, small linger, and a batch
// size that admits large records. Every record names its own topic.
func NewWriter(brokers []string, log *zap.Logger) *Writer {
	tr := &kafka.Transport{MetadataTTL: 10 * time.Second}
	return &Writer{tr: tr, w: &kafka.Writer{
		Addr:                   kafka.TCP(brokers...),
		Transport:              tr,
		Balancer:               &prefixBalancer{},
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           2 * time.Millisecond,
		BatchSize:              500,
		BatchBytes:             DefaultMaxRecordBytes, // the topics' max.message.bytes: no batch goes over it
		MaxAttempts:            5,
		WriteBackoffMin:        50 * time.Millisecond,
		WriteBackoffMax:        time.Second,
		AllowAutoTopicCreation: false,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			log.Debug("kafka writer", zap.String("msg", fmt.Sprintf(msg, args...)))
		}),
	}}
}

// prefixBalancer is kafka.Hash over the part of the key before its first
// "/", and over the whole key when it holds none. Article and rule ids
// hold no "/" (article.IDChars, the rule id pattern), so the raw,
// enriched, rules and alert-state-by-article records map exactly as
// kafka.Hash maps them; alerts ("<rule id>/<article id>"), their delivered
// marks and the rule's throttle record ("<rule id>/#throttle") all map by
// rule id, so one partition, and one delivery process at a time, owns a
// rule's throttle.
type prefixBalancer struct {
	h kafka.Hash
}

// Balance implements kafka.Balancer.
func (b *prefixBalancer) Balance(msg kafka.Message, partitions ...int) int {
	if i := bytes.IndexByte(msg.Key, '/'); i >= 0 {
		msg.Key = msg.Key[:i]
	}
	return b.h.Balance(msg, partitions...)
}

// Write writes records and returns once they are acknowledged.
func (w *Writer) Write(ctx context.Context, recs ...Record) error {
	msgs := make([]kafka.Message, len(recs))
	for i, r := range recs {
		msgs[i] = toKafka(r)
		msgs[i].Partition, msgs[i].Offset, msgs[i].Time = 0, 0, time.Time{}
	}
	return w.w.WriteMessages(ctx, msgs...)
}

// WriteMessages writes kafka-go messages (for producers, which build them
// directly) and returns once they are acknowledged.
func (w *Writer) WriteMessages(ctx context.Context, msgs ...kafka.Message) error {
	return w.w.WriteMessages(ctx, msgs...)
}

// Close flushes pending records and closes the connections.
func (w *Writer) Close() error {
	err := w.w.Close()
	w.tr.CloseIdleConnections()
	return err
}

// groupSource is the runner's input: a kafka-go group reader.
type groupSource struct {
	rd *kafka.Reader
}

func newGroupSource(cfg Config, log *zap.Logger) *groupSource {
	return &groupSource{rd: kafka.NewReader(kafka.ReaderConfig{
		Brokers:               cfg.Brokers,
		GroupID:               cfg.Group,
		Topic:                 cfg.Topic,
		MinBytes:              1,
		MaxBytes:              cfg.MaxRecordBytes + (1 << 20),
		MaxWait:               250 * time.Millisecond,
		ReadBatchTimeout:      2 * time.Second,
		CommitInterval:        0, // synchronous commits
		StartOffset:           startOffset(cfg.StartAt),
		SessionTimeout:        cfg.SessionTimeout,
		HeartbeatInterval:     cfg.SessionTimeout / 5,
		RebalanceTimeout:      cfg.SessionTimeout,
		QueueCapacity:         cfg.MaxBatch,
		ReadBackoffMin:        50 * time.Millisecond,
		ReadBackoffMax:        time.Second,
		WatchPartitionChanges: true,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			log.Debug("kafka reader", zap.String("msg", fmt.Sprintf(msg, args...)))
		}),
	})}
}

func startOffset(s StartAt) int64 {
	if s == StartLast {
		return kafka.LastOffset
	}
	return kafka.FirstOffset
}

func (s *groupSource) Fetch(ctx context.Context) (Record, error) {
	m, err := s.rd.FetchMessage(ctx)
	if err != nil {
		return Record{}, err
	}
	return fromKafka(m), nil
}

// Commit commits the highest offset per partition of recs. kafka-go does
// the per-partition maximum itself.
func (s *groupSource) Commit(ctx context.Context, recs []Record) error {
	msgs := make([]kafka.Message, len(recs))
	for i, r := range recs {
		msgs[i] = kafka.Message{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset}
	}
	return s.rd.CommitMessages(ctx, msgs...)
}

func (s *groupSource) Close() error { return s.rd.Close() }

// passHeaders is keepHeaders for kafka-go headers (the replay tool).
func passHeaders(h []kafka.Header) []kafka.Header {
	var out []kafka.Header
	for _, x := range h {
		if isDeadLetterHeader(x.Key) {
			continue
		}
		out = append(out, x)
	}
	return out
}
