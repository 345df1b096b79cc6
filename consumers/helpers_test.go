package consumers

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/broker"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// startBroker starts an embedded broker for one test.
func startBroker(t testing.TB) []string {
	t.Helper()
	b, err := broker.Start(broker.Config{}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b.Addrs()
}

func testTopics(t testing.TB, brokers []string, prefix string, partitions int) Topics {
	t.Helper()
	tp := Topics{Raw: prefix + ".raw", Enriched: prefix + ".enriched", Alerts: prefix + ".alerts", DLQ: prefix + ".dlq"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := EnsureTopics(ctx, brokers, tp.All(), TopicSpec{Partitions: partitions}); err != nil {
		t.Fatal(err)
	}
	if err := WaitTopics(ctx, brokers, tp.All()); err != nil {
		t.Fatal(err)
	}
	return tp
}

func rawArticle(i int) kafka.Message {
	a := article.Article{
		URL: fmt.Sprintf("https://test.example/story/%d", i), Source: "Test", Title: fmt.Sprintf("Story %d about Russia", i),
		Body: "North Korea and Russia signed a treaty.", Published: time.Date(2024, 6, 19, 0, 0, 0, 0, time.UTC),
	}
	if err := article.Normalize(&a, time.Now()); err != nil {
		panic(err)
	}
	b, _ := article.Marshal(&a)
	return kafka.Message{Key: []byte(a.ID), Value: b}
}

func produce(t testing.TB, brokers []string, topic string, msgs []kafka.Message) {
	t.Helper()
	w := NewWriter(brokers, zap.NewNop())
	defer w.Close()
	for i := range msgs {
		msgs[i].Topic = topic
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for start := 0; start < len(msgs); start += 500 {
		if err := w.WriteMessages(ctx, msgs[start:min(start+500, len(msgs))]...); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
}

// readAll reads every record of a topic up to its end offsets at call time.
func readAll(t testing.TB, brokers []string, topic string) []kafka.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, done := newClient(brokers, 10*time.Second)
	defer done()
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	var out []kafka.Message
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, tp := range md.Topics {
		for _, p := range tp.Partitions {
			lo, err := c.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: {kafka.LastOffsetOf(p.ID)}}})
			if err != nil {
				t.Fatal(err)
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

func totalLag(t testing.TB, brokers []string, group, topic string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lags, err := Lag(ctx, brokers, group, topic)
	if err != nil {
		return -1
	}
	var n int64
	for _, l := range lags {
		n += l.Lag
	}
	return n
}

func waitLagZero(t testing.TB, brokers []string, group, topic string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if totalLag(t, brokers, group, topic) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("group %s: lag on %s is %d after %v", group, topic, totalLag(t, brokers, group, topic), within)
}

type countryTagger struct{}

func (countryTagger) Tag(a *article.Article) article.Tags {
	tags := article.Tags{Countries: []article.CountryTag{}, Leaders: []article.LeaderTag{}, Treaties: []article.TreatyTag{}, Keywords: []string{}}
	if i := strings.Index(a.Body, "Russia"); i >= 0 {
		tags.Countries = append(tags.Countries, article.CountryTag{Code: "RU", Name: "Russia", Mentions: 1, Spans: []article.Span{{Field: "body", Start: i, End: i + 6}}})
	}
	return tags
}

func (countryTagger) Version() string { return "test-1" }
