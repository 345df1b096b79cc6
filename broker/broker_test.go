package broker

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{{"", true}, {"127.0.0.1:0", true}, {"localhost:19092", true}, {"0.0.0.0:9092", false}, {"10.0.0.1:9092", false}, {"nonsense", false}} {
		c := Config{Addr: tc.addr}
		if err := c.Validate(); (err == nil) != tc.ok {
			t.Errorf("addr %q: err %v, want ok=%v", tc.addr, err, tc.ok)
		}
	}
}

// TestPersistsAcrossRestart: a group that committed part of a topic
// resumes after a restart on the same data dir with exactly the rest.
func TestPersistsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	b, err := Start(Config{DataDir: dir}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addrs()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	c := &kafka.Client{Addr: kafka.TCP(addr), Transport: tr}
	if _, err := c.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: "t", NumPartitions: 1, ReplicationFactor: 1}}}); err != nil {
		t.Fatal(err)
	}
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: "t", RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond, Transport: tr}
	var msgs []kafka.Message
	for i := 0; i < 100; i++ {
		msgs = append(msgs, kafka.Message{Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprint(i))})
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	read := func(n int) []string {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, GroupID: "g", Topic: "t", StartOffset: kafka.FirstOffset, MaxWait: 100 * time.Millisecond})
		defer r.Close()
		var got []string
		for len(got) < n {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			if err := r.CommitMessages(ctx, m); err != nil {
				t.Fatalf("commit: %v", err)
			}
			got = append(got, string(m.Value))
		}
		return got
	}
	first := read(60)
	tr.CloseIdleConnections()
	b.Close()

	b, err = Start(Config{Addr: addr, DataDir: dir}, zap.NewNop())
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer b.Close()
	rest := read(40)
	if first[59] != "59" || rest[0] != "60" || rest[39] != "99" {
		t.Fatalf("after restart read %s..%s, want 60..99 (first run ended at %s)", rest[0], rest[39], first[59])
	}
}
