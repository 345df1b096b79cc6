package testsvc_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/newswire/newswire/testsvc"
)

// createTopic creates topic with the given partition count through the
// controller and waits until every partition has a leader.
func createTopic(ctx context.Context, t *testing.T, broker, topic string, partitions int) {
	t.Helper()
	var d kafka.Dialer
	conn, err := d.DialContext(ctx, "tcp", broker)
	if err != nil {
		t.Fatalf("dial %s: %v", broker, err)
	}
	defer conn.Close()
	ctrl, err := conn.Controller()
	if err != nil {
		t.Fatalf("find controller: %v", err)
	}
	cc, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ctrl.Host, strconv.Itoa(ctrl.Port)))
	if err != nil {
		t.Fatalf("dial controller %s:%d: %v", ctrl.Host, ctrl.Port, err)
	}
	defer cc.Close()
	if err := cc.CreateTopics(kafka.TopicConfig{
		Topic:             topic,
		NumPartitions:     partitions,
		ReplicationFactor: 1,
	}); err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}

	for {
		parts, err := conn.ReadPartitions(topic)
		ready := 0
		for _, p := range parts {
			if p.Leader.ID >= 0 && p.Leader.Host != "" {
				ready++
			}
		}
		if err == nil && ready == partitions {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("topic %s: %d of %d partitions have a leader (last error %v): %v",
				topic, ready, partitions, err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// delivery is one consumed record, reduced to what the test compares.
type delivery struct {
	key       string
	seq       int
	partition int
	offset    int64
}

func newGroupReader(brokers []string, group, topic string) *kafka.Reader {
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers:           brokers,
		GroupID:           group,
		Topic:             topic,
		StartOffset:       kafka.FirstOffset,
		MinBytes:          1,
		MaxBytes:          1 << 20,
		MaxWait:           100 * time.Millisecond,
		CommitInterval:    0, // CommitMessages commits synchronously
		HeartbeatInterval: time.Second,
		SessionTimeout:    10 * time.Second,
		RebalanceTimeout:  10 * time.Second,
		JoinGroupBackoff:  200 * time.Millisecond,
	})
}

// consume fetches n records, commits each one before fetching the next
// and returns them in fetch order.
func consume(ctx context.Context, t *testing.T, r *kafka.Reader, n int) []delivery {
	t.Helper()
	out := make([]delivery, 0, n)
	for len(out) < n {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("fetch record %d of %d: %v", len(out)+1, n, err)
		}
		seq, err := strconv.Atoi(string(m.Value))
		if err != nil {
			t.Fatalf("record at %d/%d has value %q, want a sequence number", m.Partition, m.Offset, m.Value)
		}
		if err := r.CommitMessages(ctx, m); err != nil {
			t.Fatalf("commit %d/%d: %v", m.Partition, m.Offset, err)
		}
		out = append(out, delivery{key: string(m.Key), seq: seq, partition: m.Partition, offset: m.Offset})
	}
	return out
}

// TestKafkaConsumerGroupRoundTrip proves on the real broker what the
// consumer runtime relies on: keyed records stay on one partition in
// order, and a consumer group that commits after each record resumes
// after a restart with exactly the records it had not committed.
func TestKafkaConsumerGroupRoundTrip(t *testing.T) {
	brokers := testsvc.KafkaBrokers(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	const (
		partitions = 3
		keys       = 30
		total      = 300
		first      = 200
	)
	topic := testsvc.UniqueName(t, "roundtrip")
	group := testsvc.UniqueName(t, "group")
	createTopic(ctx, t, brokers[0], topic, partitions)

	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	w := &kafka.Writer{
		Addr:         kafka.TCP(brokers...),
		Topic:        topic,
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: 5 * time.Millisecond,
		Transport:    tr,
	}
	msgs := make([]kafka.Message, total)
	for i := range msgs {
		msgs[i] = kafka.Message{
			Key:   []byte(fmt.Sprintf("article-%02d", i%keys)),
			Value: []byte(strconv.Itoa(i)),
		}
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		if cerr := w.Close(); cerr != nil {
			t.Logf("close writer: %v", cerr)
		}
		t.Fatalf("write %d records: %v", total, err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close writer: %v", err)
	}

	r1 := newGroupReader(brokers, group, topic)
	got1 := consume(ctx, t, r1, first)
	if err := r1.Close(); err != nil {
		t.Fatalf("close first reader: %v", err)
	}

	r2 := newGroupReader(brokers, group, topic)
	got2 := consume(ctx, t, r2, total-first)
	if err := r2.Close(); err != nil {
		t.Fatalf("close second reader: %v", err)
	}

	// Every sequence number exactly once across both readers: nothing the
	// first reader committed came back, nothing is missing.
	seen := make(map[int]int, total) // seq -> reader number
	for reader, got := range [][]delivery{got1, got2} {
		for _, d := range got {
			if prev, dup := seen[d.seq]; dup {
				t.Errorf("record %d (key %s, %d/%d) delivered again to reader %d after reader %d",
					d.seq, d.key, d.partition, d.offset, reader+1, prev)
			}
			seen[d.seq] = reader + 1
		}
	}
	for seq := 0; seq < total; seq++ {
		if _, ok := seen[seq]; !ok {
			t.Errorf("record %d never delivered", seq)
		}
	}

	// Each key lives on one partition, and its records arrive in the order
	// they were written.
	partitionOf := make(map[string]int, keys)
	lastSeq := make(map[string]int, keys)
	used := make(map[int]bool, partitions)
	for _, d := range append(got1, got2...) {
		used[d.partition] = true
		if p, ok := partitionOf[d.key]; ok && p != d.partition {
			t.Errorf("key %s seen on partitions %d and %d", d.key, p, d.partition)
		}
		partitionOf[d.key] = d.partition
		if last, ok := lastSeq[d.key]; ok && d.seq <= last {
			t.Errorf("key %s: record %d arrived after record %d", d.key, d.seq, last)
		}
		lastSeq[d.key] = d.seq
		if want := fmt.Sprintf("article-%02d", d.seq%keys); d.key != want {
			t.Errorf("record %d has key %s, want %s", d.seq, d.key, want)
		}
	}
	if len(used) != partitions {
		t.Errorf("records used %d partitions, want all %d (hash balancer over %d keys)", len(used), partitions, keys)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Errorf("test ran out of time")
	}
}
