package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/index"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

func TestParseQuery(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	tests := []struct {
		name    string
		in      string
		want    index.Query
		wantErr string
	}{
		{"empty sorts newest", "", index.Query{Collapse: true, Sort: "newest"}, ""},
		{"all copies of one story", "story=s0123&collapse=false", index.Query{Story: "s0123", Sort: "newest"}, ""},
		{"or and exclude", "q=pact&country=KP&country=RU&any=countries&not_source=tass&not_country=US,CN&facet_size=50",
			index.Query{Text: "pact", Countries: []string{"KP", "RU"}, Any: []string{"countries"}, FacetSize: 50, Collapse: true,
				Exclude: index.Filters{Sources: []string{"tass"}, Countries: []string{"US", "CN"}}}, ""},
		{"bad any", "any=planets", index.Query{}, "any lists"},
		{"subject countries", "subject=KP&subject=ru,ES&not_subject=us&any=subject_countries",
			index.Query{SubjectCountries: []string{"KP", "ru", "ES"}, Any: []string{"subject_countries"}, Collapse: true, Sort: "newest",
				Exclude: index.Filters{SubjectCountries: []string{"us"}}}, ""},
		{"subject and country together", "country=ES&subject=KP",
			index.Query{Countries: []string{"ES"}, SubjectCountries: []string{"KP"}, Collapse: true, Sort: "newest"}, ""},
		{"bad subject", "subject=North+Korea", index.Query{}, `subject must be a two-letter country code (ISO 3166-1 alpha-2), got "North Korea"`},
		{"bad subject code", "subject=K1", index.Query{}, `got "K1"`},
		{"bad not_subject", "not_subject=USA", index.Query{}, `not_subject must be a two-letter country code`},
		{"bad facet size", "facet_size=0", index.Query{}, "facet_size must be"},
		{"bad collapse", "collapse=maybe", index.Query{}, "collapse must be"},
		{"text and repeated filters", "q=treaty+%22strategic+partnership%22+-rumour&country=KP&country=RU&leader=Q7747&keyword=summit,visit",
			index.Query{Text: `treaty "strategic partnership" -rumour`, Countries: []string{"KP", "RU"}, Leaders: []string{"Q7747"}, Keywords: []string{"summit", "visit"}, Collapse: true}, ""},
		{"dates: to covers the whole day", "from=2024-06-01&to=2024-06-30",
			index.Query{From: day("2024-06-01"), To: day("2024-07-01").Add(-time.Nanosecond), Collapse: true, Sort: "newest"}, ""},
		{"rfc3339 dates", "from=2024-06-01T10:00:00Z", index.Query{From: time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC), Collapse: true, Sort: "newest"}, ""},
		{"sort size cursor", "sort=newest&size=5&cursor=abc", index.Query{Sort: "newest", Size: 5, Cursor: "abc", Collapse: true}, ""},
		{"bad size", "size=500", index.Query{}, "size must be"},
		{"bad sort", "sort=oldest", index.Query{}, "sort must be"},
		{"bad date", "from=yesterday", index.Query{}, "from: want YYYY-MM-DD"},
		{"to before from", "from=2024-06-02&to=2024-06-01", index.Query{}, "to is before from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _ := url.ParseQuery(tt.in)
			got, err := ParseQuery(v)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

type fakeSearcher struct {
	got index.Query
	res index.Result
	err error
}

func (f *fakeSearcher) Search(ctx context.Context, q index.Query) (index.Result, error) {
	f.got = q
	return f.res, f.err
}

func get(t *testing.T, h http.Handler, path string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	var m map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &m)
	return rec, m
}

func TestSearchHandler(t *testing.T) {
	fs := &fakeSearcher{res: index.Result{Total: 1, Hits: []index.Hit{{ID: "a1", Title: "T", Snippet: "<mark>treaty</mark> &amp; more"}}}}
	s := New(Config{Searcher: fs}, zap.NewNop())
	rec, m := get(t, s.Handler(), "/api/v1/search?q=treaty&country=kp")
	if rec.Code != 200 || m["total"].(float64) != 1 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if fs.got.Text != "treaty" || !reflect.DeepEqual(fs.got.Countries, []string{"kp"}) {
		t.Fatalf("query passed on: %+v", fs.got)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
	// The snippet travels as a JSON string, escaped HTML inside.
	if !strings.Contains(rec.Body.String(), `\u003cmark\u003etreaty\u003c/mark\u003e \u0026amp; more`) {
		t.Fatalf("snippet not carried verbatim: %s", rec.Body)
	}

	for _, tc := range []struct {
		err  error
		code int
	}{
		{fmt.Errorf("cursor: %w", index.ErrBadQuery), 400},
		{errors.New("connection refused"), 503},
	} {
		fs.err = tc.err
		if rec, _ := get(t, s.Handler(), "/api/v1/search"); rec.Code != tc.code {
			t.Errorf("store error %v: status %d, want %d", tc.err, rec.Code, tc.code)
		}
	}
	if rec, m := get(t, s.Handler(), "/api/v1/search?size=0"); rec.Code != 400 || !strings.Contains(m["error"].(string), "size") {
		t.Errorf("size=0: %d %v", rec.Code, m)
	}
	fs.err = nil
	fs.res = index.Result{}
	if rec, _ := get(t, s.Handler(), "/api/v1/search?q=none"); !strings.Contains(rec.Body.String(), `"hits":[]`) {
		t.Errorf("no hits must be an empty list: %s", rec.Body)
	}
}

func TestHealthReadyMetricsPage(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "x_total", Help: "x"}))
	failing := errors.New("broker 127.0.0.1:9092: connection refused")
	var brokerErr error
	s := New(Config{Gatherer: reg, Checks: []Check{
		{Name: "kafka", Fn: func(context.Context) error { return brokerErr }},
		{Name: "index", Fn: func(context.Context) error { return nil }},
	}}, zap.NewNop())
	h := s.Handler()
	if rec, _ := get(t, h, "/healthz"); rec.Code != 200 {
		t.Fatalf("healthz %d", rec.Code)
	}
	if rec, _ := get(t, h, "/readyz"); rec.Code != 200 {
		t.Fatalf("readyz %d", rec.Code)
	}
	brokerErr = failing
	rec, m := get(t, h, "/readyz")
	if rec.Code != 503 || !strings.Contains(fmt.Sprint(m["reasons"]), "connection refused") {
		t.Fatalf("readyz with a failing broker: %d %v", rec.Code, m)
	}
	brokerErr = nil
	s.Drain()
	if rec, m := get(t, h, "/readyz"); rec.Code != 503 || m["status"] != "draining" {
		t.Fatalf("readyz while draining: %d %v", rec.Code, m)
	}
	if rec, _ := get(t, h, "/metrics"); rec.Code != 200 || !strings.Contains(rec.Body.String(), "x_total") {
		t.Fatalf("metrics: %d", rec.Code)
	}
	rec, _ = get(t, h, "/")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<html") || rec.Header().Get("Content-Security-Policy") == "" {
		t.Fatalf("page: %d %v", rec.Code, rec.Header())
	}
	if rec, _ := get(t, h, "/api/v1/search"); rec.Code != 503 {
		t.Fatalf("search without a store: %d, want 503", rec.Code)
	}
}
