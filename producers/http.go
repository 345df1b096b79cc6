package producers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/internal/httpjson"
	"go.uber.org/zap"
)

// IngestConfig configures the HTTP ingest endpoint.
type IngestConfig struct {
	MaxBodyBytes int64          // default DefaultIngestMaxBodyBytes (10 MiB)
	Limits       article.Limits // per-article limits
	Timeout      time.Duration  // Kafka acknowledgement deadline (default DefaultIngestTimeout, 30s)
}

// Defaults of IngestConfig.
const (
	DefaultIngestMaxBodyBytes = 10 << 20
	DefaultIngestTimeout      = 30 * time.Second
)

// Ingest is the handler of POST /api/v1/articles. A request carries one
// article object, a JSON array of them, or JSON lines
// (application/x-ndjson). Authentication is the route table's (scope
// ingest in package api), not the handler's. It is all-or-nothing: if any item is invalid the
// answer is 400 listing every item's error and nothing is written; 202
// comes only after Kafka has acknowledged every record.
type Ingest struct {
	cfg IngestConfig
	pub *Publisher
	log *zap.Logger
	now func() time.Time
}

// NewIngest builds the ingest handler.
func NewIngest(cfg IngestConfig, pub *Publisher, log *zap.Logger) *Ingest {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultIngestMaxBodyBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultIngestTimeout
	}
	return &Ingest{cfg: cfg, pub: pub, log: log.With(zap.String("component", "ingest")), now: time.Now}
}

// ItemError is the error of one item of a request.
type ItemError struct {
	Index int    `json:"index"`
	Error string `json:"error"`
}

type errorBody struct {
	Error string      `json:"error"`
	Items []ItemError `json:"items,omitempty"`
}

func (h *Ingest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httpjson.Write(w, http.StatusMethodNotAllowed, errorBody{Error: "use POST"})
		return
	}
	ndjson := false
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		switch {
		case err != nil:
			httpjson.Write(w, http.StatusUnsupportedMediaType, errorBody{Error: fmt.Sprintf("content type %q: %v", ct, err)})
			return
		case mt == "application/json":
		case mt == "application/x-ndjson" || mt == "application/jsonl" || mt == "application/json-seq":
			ndjson = true
		default:
			httpjson.Write(w, http.StatusUnsupportedMediaType, errorBody{Error: fmt.Sprintf("content type %q not supported: use application/json or application/x-ndjson", mt)})
			return
		}
	}
	body := http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes)
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(body); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			httpjson.Write(w, http.StatusRequestEntityTooLarge, errorBody{Error: fmt.Sprintf("body over the limit of %d bytes", h.cfg.MaxBodyBytes)})
			return
		}
		httpjson.Write(w, http.StatusBadRequest, errorBody{Error: "read body: " + err.Error()})
		return
	}
	raws, err := splitItems(buf.Bytes(), ndjson)
	if err != nil {
		httpjson.Write(w, http.StatusBadRequest, errorBody{Error: err.Error()})
		return
	}
	if len(raws) == 0 {
		httpjson.Write(w, http.StatusBadRequest, errorBody{Error: "no articles in body"})
		return
	}
	now := h.now()
	arts := make([]article.Article, len(raws))
	var bad []ItemError
	for i, raw := range raws {
		a, err := ParseAny(raw, h.cfg.Limits, now)
		if err != nil {
			bad = append(bad, ItemError{Index: i, Error: err.Error()})
			continue
		}
		arts[i] = a
	}
	if len(bad) > 0 {
		httpjson.Write(w, http.StatusBadRequest, errorBody{Error: fmt.Sprintf("%d of %d articles invalid; nothing was written", len(bad), len(raws)), Items: bad})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.Timeout)
	defer cancel()
	if err := h.pub.Publish(ctx, "http", arts); err != nil {
		h.log.Warn("ingest not acknowledged", zap.Error(err), zap.Int("articles", len(arts)))
		httpjson.Write(w, http.StatusServiceUnavailable, errorBody{Error: "articles not acknowledged by Kafka, retry: " + err.Error()})
		return
	}
	ids := make([]string, len(arts))
	for i := range arts {
		ids[i] = arts[i].ID
	}
	httpjson.Write(w, http.StatusAccepted, map[string]any{"accepted": len(arts), "ids": ids})
}

// splitItems splits a body into raw article objects.
func splitItems(b []byte, ndjson bool) ([][]byte, error) {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return nil, nil
	}
	if !ndjson {
		switch t[0] {
		case '{':
			return [][]byte{t}, nil
		case '[':
			var items []json.RawMessage
			if err := json.Unmarshal(t, &items); err != nil {
				return nil, fmt.Errorf("body is not a JSON array of articles: %v", err)
			}
			out := make([][]byte, len(items))
			for i := range items {
				out[i] = items[i]
			}
			return out, nil
		default:
			return nil, errors.New("body must be a JSON object or array (or send application/x-ndjson)")
		}
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(t))
	sc.Buffer(make([]byte, 64<<10), len(t)+1)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		out = append(out, append([]byte(nil), line...))
	}
	return out, sc.Err()
}
