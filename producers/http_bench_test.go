package producers

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// BenchmarkIngestDecode times decoding a request of 1000 articles: the
// handler's item-by-item decoder, and as the baseline in the same run the
// whole-body decode it replaced (read all, unmarshal into raw items, then
// parse each).
func BenchmarkIngestDecode(b *testing.B) {
	body := []byte("[" + articles(1000, ",") + "]")
	now := time.Now()
	b.Run("streaming", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			bt := batch{max: DefaultIngestMaxItems, now: now, seen: map[string]int{}}
			if err := bt.readJSON(bytes.NewReader(body)); err != nil || len(bt.arts) != 1000 {
				b.Fatalf("%v, %d articles", err, len(bt.arts))
			}
		}
	})
	b.Run("whole-body", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(bytes.NewReader(body))
			var items []json.RawMessage
			if err := json.Unmarshal(buf.Bytes(), &items); err != nil {
				b.Fatal(err)
			}
			for _, raw := range items {
				if _, err := ParseAny(raw, article.Limits{}, now); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkIngestHandler is one request of 100 articles through the whole
// handler, to a writer that acknowledges at once.
func BenchmarkIngestHandler(b *testing.B) {
	body := []byte("[" + articles(100, ",") + "]")
	h := NewIngest(IngestConfig{}, NewPublisher(discardWriter{}, "news.raw", prometheus.NewRegistry(), zap.NewNop()), zap.NewNop())
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/articles", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

type discardWriter struct{}

func (discardWriter) WriteMessages(context.Context, ...kafka.Message) error { return nil }
