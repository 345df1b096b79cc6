package consumers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/broker"
	"github.com/newswire/newswire/testsvc"
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

func rawArticle(i int) Record {
	a := article.Article{
		URL: fmt.Sprintf("https://test.example/story/%d", i), Source: "Test", Title: fmt.Sprintf("Story %d about Russia", i),
		Body: "North Korea and Russia signed a treaty.", Published: time.Date(2024, 6, 19, 0, 0, 0, 0, time.UTC),
	}
	if err := article.Normalize(&a, time.Now()); err != nil {
		panic(err)
	}
	b, _ := article.Marshal(&a)
	return Record{Key: []byte(a.ID), Value: b}
}

func produce(t testing.TB, brokers []string, topic string, msgs []Record) {
	t.Helper()
	w := NewWriter(brokers, zap.NewNop())
	defer w.Close()
	for i := range msgs {
		msgs[i].Topic = topic
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for start := 0; start < len(msgs); start += 500 {
		if err := w.Write(ctx, msgs[start:min(start+500, len(msgs))]...); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
}

// readAll reads every record of a topic up to its end offsets at call time.
func readAll(t testing.TB, brokers []string, topic string) []Record {
	msgs := testsvc.ReadTopic(t, brokers, topic)
	out := make([]Record, len(msgs))
	for i, m := range msgs {
		out[i] = FromMessage(m)
	}
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
	return SumLag(lags)
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
