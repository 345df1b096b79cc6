package consumers

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// benchBrokers uses the real broker when NEWSWIRE_TEST_KAFKA is set (make
// bench with services up), else an embedded one.
func benchBrokers(b *testing.B) []string {
	if v := os.Getenv("NEWSWIRE_TEST_KAFKA"); v != "" {
		return strings.Split(v, ",")
	}
	br := startBroker(b)
	return br
}

var benchSeq atomic.Int64

func benchSetup(b *testing.B, brokers []string) (Topics, int64) {
	b.Helper()
	prefix := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), benchSeq.Add(1))
	tp := testTopics(b, brokers, prefix, 6)
	msgs := make([]Record, b.N)
	var size int64
	for i := range msgs {
		msgs[i] = rawArticle(i)
		size += int64(len(msgs[i].Value))
	}
	produce(b, brokers, tp.Raw, msgs)
	return tp, size / int64(max(1, b.N))
}

// noopTagger isolates the runtime's cost from the tagger's.
type noopTagger struct{}

func (noopTagger) Tag(*article.Article) article.Tags {
	return article.Tags{Countries: []article.CountryTag{}, Leaders: []article.LeaderTag{}, Treaties: []article.TreatyTag{}, Keywords: []string{}}
}
func (noopTagger) Version() string { return "noop" }

// BenchmarkCopyLoopBare is the baseline: the plainest correct kafka-go
// loop (fetch a batch, write it with acks=all, commit) copying raw to
// enriched with no decoding.
func BenchmarkCopyLoopBare(b *testing.B) {
	brokers := benchBrokers(b)
	tp, avg := benchSetup(b, brokers)
	b.SetBytes(avg)
	w := NewWriter(brokers, zap.NewNop())
	defer w.Close()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, GroupID: tp.Raw + "-bare", Topic: tp.Raw, MaxBytes: 16 << 20, MaxWait: 50 * time.Millisecond, StartOffset: kafka.FirstOffset})
	defer r.Close()
	ctx := context.Background()
	b.ResetTimer()
	done := 0
	batch := make([]kafka.Message, 0, 256)
	out := make([]kafka.Message, 0, 256)
	for done < b.N {
		batch, out = batch[:0], out[:0]
		fctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		for len(batch) < 256 && done+len(batch) < b.N {
			m, err := r.FetchMessage(fctx)
			if err != nil {
				break
			}
			batch = append(batch, m)
		}
		cancel()
		if len(batch) == 0 {
			continue
		}
		for _, m := range batch {
			out = append(out, kafka.Message{Topic: tp.Enriched, Key: m.Key, Value: m.Value})
		}
		if err := w.WriteMessages(ctx, out...); err != nil {
			b.Fatal(err)
		}
		if err := r.CommitMessages(ctx, batch...); err != nil {
			b.Fatal(err)
		}
		done += len(batch)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}

// BenchmarkEnricherStageNoopTagger is the full enricher stage (decode,
// validate, encode, runner, dead-letter sorting, metrics) with a tagger
// that does nothing, on the same workload as BenchmarkCopyLoopBare.
func BenchmarkEnricherStageNoopTagger(b *testing.B) {
	brokers := benchBrokers(b)
	tp, avg := benchSetup(b, brokers)
	b.SetBytes(avg)
	m := NewMetrics(prometheus.NewRegistry())
	group := tp.Raw + "-stage"
	w := NewWriter(brokers, zap.NewNop())
	defer w.Close()
	r, err := NewRunner(Config{Brokers: brokers, Group: group, Topic: tp.Raw, DLQTopic: tp.DLQ, Stage: "enrich"},
		NewEnricher(noopTagger{}, tp.Enriched, article.Limits{}), w, m, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.ResetTimer()
	finished := make(chan error, 1)
	go func() { finished <- r.Run(ctx) }()
	committed := m.committed
	for {
		var n float64
		for p := 0; p < 6; p++ {
			n += testutil.ToFloat64(committed.WithLabelValues("enrich", tp.Raw, partLabel(p)))
		}
		if int(n) >= b.N {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.StopTimer()
	cancel()
	if err := <-finished; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}
