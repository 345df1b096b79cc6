package producers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

type fakeWriter struct {
	got []kafka.Message
	err error
}

func (f *fakeWriter) WriteMessages(ctx context.Context, msgs ...kafka.Message) error {
	if f.err != nil {
		return f.err
	}
	f.got = append(f.got, msgs...)
	return nil
}

const okArticle = `{"url":"https://h.example/a","title":"Summit","body":"Leaders met."}`

func TestIngestHandler(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		writerErr   error
		wantStatus  int
		wantWritten int
		wantInBody  string
	}{
		{"one object", "application/json", okArticle, nil, 202, 1, `"accepted":1`},
		{"array", "application/json; charset=utf-8", "[" + okArticle + "," + strings.Replace(okArticle, "/a", "/b", 1) + "]", nil, 202, 2, `"accepted":2`},
		{"ndjson", "application/x-ndjson", okArticle + "\n\n" + strings.Replace(okArticle, "/a", "/c", 1) + "\n", nil, 202, 2, `"accepted":2`},
		{"ninjs", "application/json", `{"uri":"https://h.example/n1","type":"text","headline":"Treaty signed","body_text":"Text."}`, nil, 202, 1, `"accepted":1`},
		{"one bad item writes nothing", "application/json", "[" + okArticle + `,{"title":"no url"}]`, nil, 400, 0, `"index":1`},
		{"broken json", "application/json", `{"title":`, nil, 400, 0, "malformed JSON"},
		{"empty", "application/json", "  ", nil, 400, 0, "no articles"},
		{"wrong type", "text/plain", okArticle, nil, 415, 0, "not supported"},
		{"too large", "application/json", `{"url":"https://h.example/big","title":"x","body":"` + strings.Repeat("y", 3000) + `"}`, nil, 413, 0, "over the limit"},
		{"kafka down", "application/json", okArticle, errors.New("broker unreachable"), 503, 0, "not acknowledged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fw := &fakeWriter{err: tt.writerErr}
			pub := NewPublisher(fw, "news.raw", prometheus.NewRegistry(), zap.NewNop())
			h := NewIngest(IngestConfig{MaxBodyBytes: 2048}, pub, zap.NewNop())
			req := httptest.NewRequest(http.MethodPost, "/api/v1/articles", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if len(fw.got) != tt.wantWritten {
				t.Fatalf("wrote %d records, want %d", len(fw.got), tt.wantWritten)
			}
			if !strings.Contains(rec.Body.String(), tt.wantInBody) {
				t.Fatalf("body %s lacks %s", rec.Body, tt.wantInBody)
			}
			for _, m := range fw.got {
				var a map[string]any
				if err := json.Unmarshal(m.Value, &a); err != nil {
					t.Fatal(err)
				}
				if string(m.Key) != a["id"] || a["ingested"] == nil || m.Topic != "news.raw" {
					t.Errorf("record key %s, value %s", m.Key, m.Value)
				}
			}
		})
	}
}

func TestIngestMethod(t *testing.T) {
	h := NewIngest(IngestConfig{}, NewPublisher(&fakeWriter{}, "t", prometheus.NewRegistry(), zap.NewNop()), zap.NewNop())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/articles", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" {
		t.Fatalf("GET: %d %v", rec.Code, rec.Header())
	}
}
