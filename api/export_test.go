package api

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/embedded"
	"github.com/newswire/newswire/index/indextest"
)

func TestExportPagesThroughCursor(t *testing.T) {
	st, err := embedded.Open(t.TempDir(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	docs := indextest.Synthetic("x", 250)
	docs[0].Title = "=HYPERLINK(\"http://evil.example\")"
	if rej, err := st.IndexBatch(context.Background(), docs); err != nil || len(rej) > 0 {
		t.Fatal(err, rej)
	}
	h := New(Config{Searcher: st}, zap.NewNop()).Handler()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/search/export?format=csv&collapse=false", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), "newswire-search.csv") {
		t.Fatalf("csv: %d %v", rec.Code, rec.Header())
	}
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 251 || strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if seen[r[0]] {
			t.Fatalf("article %s exported twice", r[0])
		}
		seen[r[0]] = true
		if strings.HasPrefix(r[3], "=") {
			t.Errorf("formula left in a cell: %q", r[3])
		}
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/search/export?format=jsonl&q=treaty&collapse=false", nil))
	sc := bufio.NewScanner(rec.Body)
	n := 0
	for sc.Scan() {
		var hit index.Hit
		if err := json.Unmarshal(sc.Bytes(), &hit); err != nil || hit.ID == "" || hit.Snippet != "" {
			t.Fatalf("line %d: %v %+v", n+1, err, hit)
		}
		n++
	}
	res, _ := st.Search(context.Background(), index.Query{Text: "treaty"})
	if n != res.Total || n == 0 {
		t.Errorf("jsonl has %d lines, the search %d hits", n, res.Total)
	}

	for _, bad := range []string{"format=xml", "format=csv&cursor=abc", "format=csv&size=0"} {
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/search/export?"+bad, nil))
		if rec.Code != 400 {
			t.Errorf("%s: status %d, want 400", bad, rec.Code)
		}
	}
}

func TestFavicon(t *testing.T) {
	h := New(Config{}, zap.NewNop()).Handler()
	for _, p := range []string{"/favicon.ico", "/favicon.svg"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "image/") || rec.Body.Len() < 100 {
			t.Errorf("%s: %d %q %d bytes", p, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
		}
	}
}
