package testsvc

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// ReadTopic reads every record of a topic up to the partitions' end
// offsets at call time, ordered by partition and offset. It works on any
// broker (the embedded one included) and fails the test on error.
func ReadTopic(t testing.TB, brokers []string, topic string) []kafka.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr}
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatalf("read metadata of %s: %v", topic, err)
	}
	var out []kafka.Message
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, tp := range md.Topics {
		for _, p := range tp.Partitions {
			lo, err := c.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: {kafka.LastOffsetOf(p.ID)}}})
			if err != nil {
				t.Fatalf("list offsets of %s/%d: %v", topic, p.ID, err)
			}
			end := lo.Topics[topic][0].LastOffset
			if end == 0 {
				continue
			}
			wg.Go(func() {
				r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p.ID, MaxBytes: 32 << 20, MaxWait: 100 * time.Millisecond})
				defer r.Close()
				for {
					m, err := r.ReadMessage(ctx)
					if err != nil {
						t.Errorf("read %s/%d: %v", topic, p.ID, err)
						return
					}
					mu.Lock()
					out = append(out, m)
					mu.Unlock()
					if m.Offset+1 >= end {
						return
					}
				}
			})
		}
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Partition != out[j].Partition {
			return out[i].Partition < out[j].Partition
		}
		return out[i].Offset < out[j].Offset
	})
	return out
}
