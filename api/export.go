package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"github.com/newswire/newswire/internal/httpjson"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/index"
)

// ExportLimit is the most articles (or stories, when collapsed) one
// export returns. The export walks the search's pages through the cursor
// and stops there.
const ExportLimit = 10000

// exportTimeout bounds one whole export.
const exportTimeout = 2 * time.Minute

// csvHeader names the columns of a CSV export.
var csvHeader = []string{"id", "published", "source", "title", "url", "countries", "leaders", "treaties", "keywords", "story", "other_copies"}

// export streams the current search as CSV or JSON lines:
// GET /api/v1/search/export?format=csv|jsonl plus the search parameters.
// Snippets are left out; the rows are the hits in search order.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Searcher == nil {
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "no search store configured"})
		return
	}
	format := r.URL.Query().Get("format")
	if format != "csv" && format != "jsonl" {
		httpjson.Write(w, http.StatusBadRequest, map[string]string{"error": `format must be "csv" or "jsonl"`})
		return
	}
	q, err := ParseQuery(r.URL.Query())
	if err != nil {
		httpjson.Write(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if q.Cursor != "" {
		httpjson.Write(w, http.StatusBadRequest, map[string]string{"error": "an export starts at the first page: drop cursor"})
		return
	}
	understand(s.cfg.Queries, &q, r.URL.Query(), time.Now())
	q.Size = index.MaxSize
	ctx, cancel := context.WithTimeout(r.Context(), exportTimeout)
	defer cancel()
	res, err := s.cfg.Searcher.Search(ctx, q)
	if err != nil {
		if errors.Is(err, index.ErrBadQuery) {
			httpjson.Write(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "search store unavailable: " + err.Error()})
		return
	}
	name := "newswire-search." + format
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson")
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Export-Limit", strconv.Itoa(ExportLimit))
	var write func(h *index.Hit) error
	var flush func() error
	if format == "csv" {
		cw := csv.NewWriter(w)
		if err := cw.Write(csvHeader); err != nil {
			return
		}
		write = func(h *index.Hit) error { return cw.Write(csvRow(h)) }
		flush = func() error { cw.Flush(); return cw.Error() }
	} else {
		enc := json.NewEncoder(w)
		write = func(h *index.Hit) error {
			c := *h
			c.Snippet = ""
			return enc.Encode(exportHit{Hit: c})
		}
		flush = func() error { return nil }
	}
	n := 0
	for {
		for i := range res.Hits {
			if n == ExportLimit {
				break
			}
			if err := write(&res.Hits[i]); err != nil {
				s.log.Info("export stopped", zap.Error(err))
				return
			}
			n++
		}
		if n == ExportLimit || res.NextCursor == "" {
			break
		}
		if err := flush(); err != nil {
			return
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		q.Cursor = res.NextCursor
		if res, err = s.cfg.Searcher.Search(ctx, q); err != nil {
			// The status is sent: cut the body short, say why in the log.
			s.log.Warn("export page failed", zap.Int("rows", n), zap.Error(err))
			_ = flush()
			return
		}
	}
	_ = flush()
}

// exportHit is one JSON line: the hit without its snippet.
type exportHit struct {
	index.Hit
	Snippet string `json:"snippet,omitempty"`
}

func csvRow(h *index.Hit) []string {
	var leaders, treaties []string
	for _, l := range h.Leaders {
		leaders = append(leaders, l.Name)
	}
	for _, t := range h.Treaties {
		treaties = append(treaties, t.ID)
	}
	published := ""
	if !h.Published.IsZero() {
		published = h.Published.UTC().Format(time.RFC3339)
	}
	story, copies := "", ""
	if h.Story != nil {
		story, copies = h.Story.ID, strconv.Itoa(h.Story.Copies)
	}
	return []string{h.ID, published, h.Source, csvSafe(h.Title), h.URL, strings.Join(h.Countries, ";"),
		csvSafe(strings.Join(leaders, ";")), strings.Join(treaties, ";"), strings.Join(h.Keywords, ";"), story, copies}
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
