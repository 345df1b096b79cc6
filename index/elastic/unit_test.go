package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/indextest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fakeES is an in-memory stand-in for the cluster: it records requests and
// answers them with handle.
type fakeES struct {
	mu       sync.Mutex
	requests []recorded
	handle   func(r recorded, n int) (int, string) // n counts requests to r.Path
}

type recorded struct {
	Method, Path string
	Body         []byte
}

func (f *fakeES) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Elastic-Product", "Elasticsearch") // the fake plays a genuine cluster
	if req.Method == http.MethodGet && strings.HasPrefix(req.URL.Path, "/_alias/") {
		// One generation, as Setup leaves it.
		return &http.Response{StatusCode: 200, Header: h, Request: req, Body: io.NopCloser(strings.NewReader(
			`{"newswire-articles-000001":{"aliases":{"newswire-articles":{},"newswire-articles-write":{"is_write_index":true}}}}`))}, nil
	}
	r := recorded{Method: req.Method, Path: req.URL.Path, Body: body}
	f.mu.Lock()
	n := 0
	for _, p := range f.requests {
		if p.Path == r.Path {
			n++
		}
	}
	f.requests = append(f.requests, r)
	f.mu.Unlock()
	code, out := f.handle(r, n)
	return &http.Response{StatusCode: code, Header: h, Body: io.NopCloser(strings.NewReader(out)), Request: req}, nil
}

func (f *fakeES) bodies(path string) [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out [][]byte
	for _, r := range f.requests {
		if r.Path == path {
			out = append(out, r.Body)
		}
	}
	return out
}

func newFake(t *testing.T, f *fakeES, maxRetries int) *Store {
	t.Helper()
	s, err := New(Config{Addresses: []string{"http://127.0.0.1:9"}, Transport: f, MaxRetries: maxRetries}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bulkItems answers a _bulk body with one item per action line, using
// status(id) for each.
func bulkItems(body []byte, status func(id string) (int, string)) string {
	var items []string
	errs := false
	for i, line := range bytes.Split(bytes.TrimSpace(body), []byte("\n")) {
		if i%2 == 1 {
			continue
		}
		var a bulkAction
		if err := json.Unmarshal(line, &a); err != nil {
			panic(err)
		}
		code, errType := status(a.Index.ID)
		item := fmt.Sprintf(`{"index":{"_index":"x-000001","_id":%q,"status":%d`, a.Index.ID, code)
		if errType != "" {
			errs = true
			item += fmt.Sprintf(`,"error":{"type":%q,"reason":"it failed"}`, errType)
		}
		items = append(items, item+"}}")
	}
	return fmt.Sprintf(`{"took":1,"errors":%v,"items":[%s]}`, errs, strings.Join(items, ","))
}

func TestIndexBatchSortsItems(t *testing.T) {
	docs := indextest.Corpus()[:5]
	docs[3].ID = "" // never sent
	f := &fakeES{handle: func(r recorded, n int) (int, string) {
		return 200, bulkItems(r.Body, func(id string) (int, string) {
			switch {
			case id == "a02" && n == 0:
				return 429, "es_rejected_execution_exception"
			case id == "a03":
				return 400, "mapper_parsing_exception"
			case id == "a05":
				return 409, "version_conflict_engine_exception"
			}
			return 201, ""
		})
	}}
	s := newFake(t, f, 3)
	rej, err := s.IndexBatch(context.Background(), docs)
	if err != nil {
		t.Fatalf("IndexBatch: %v", err)
	}
	want := []index.Rejection{
		{Index: 2, ID: "a03", Reason: "mapper_parsing_exception: it failed"},
		{Index: 3, ID: "", Reason: "article id is empty"},
	}
	if fmt.Sprint(rej) != fmt.Sprint(want) {
		t.Errorf("rejections = %+v, want %+v", rej, want)
	}
	bodies := f.bodies("/_bulk")
	if len(bodies) != 2 {
		t.Fatalf("%d bulk requests, want 2", len(bodies))
	}
	if lines := bytes.Count(bodies[1], []byte("\n")); lines != 2 || !bytes.Contains(bodies[1], []byte(`"_id":"a02"`)) {
		t.Errorf("retry body = %s, want only a02", bodies[1])
	}
}

func TestIndexBatchGivesUpAsTransient(t *testing.T) {
	f := &fakeES{handle: func(r recorded, n int) (int, string) {
		return 200, bulkItems(r.Body, func(id string) (int, string) {
			if id == "a01" {
				return 503, "unavailable_shards_exception"
			}
			return 201, ""
		})
	}}
	s := newFake(t, f, 2)
	_, err := s.IndexBatch(context.Background(), indextest.Corpus()[:2])
	if !errors.Is(err, index.ErrTransient) {
		t.Fatalf("IndexBatch = %v, want ErrTransient", err)
	}
	if n := len(f.bodies("/_bulk")); n != 3 {
		t.Errorf("%d bulk requests, want 3 (one try and two retries)", n)
	}
}

func TestIndexBatchRequestErrors(t *testing.T) {
	tests := []struct {
		name      string
		code      int
		body      string
		transient bool
	}{
		{"overloaded", 429, `{"error":{"type":"es_rejected_execution_exception","reason":"queue full"},"status":429}`, true},
		{"server error", 503, `{"error":{"type":"cluster_block_exception","reason":"blocked"},"status":503}`, true},
		{"too large", 413, `{"error":"Request Entity Too Large"}`, false},
		{"malformed answer", 200, `{"items":[`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeES{handle: func(recorded, int) (int, string) { return tt.code, tt.body }}
			s := newFake(t, f, 1)
			_, err := s.IndexBatch(context.Background(), indextest.Corpus()[:1])
			if err == nil || errors.Is(err, index.ErrTransient) != tt.transient {
				t.Fatalf("IndexBatch = %v, want transient=%v", err, tt.transient)
			}
		})
	}
}

func TestIndexBatchHonoursContext(t *testing.T) {
	f := &fakeES{handle: func(r recorded, n int) (int, string) {
		return 200, bulkItems(r.Body, func(string) (int, string) { return 429, "es_rejected_execution_exception" })
	}}
	s := newFake(t, f, 1000)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.IndexBatch(ctx, indextest.Corpus()[:1])
	if !errors.Is(err, index.ErrTransient) || time.Since(start) > 5*time.Second {
		t.Fatalf("IndexBatch = %v after %s", err, time.Since(start))
	}
}

func TestSearchErrors(t *testing.T) {
	f := &fakeES{handle: func(recorded, int) (int, string) {
		return 400, `{"error":{"type":"search_phase_execution_exception","reason":"bad search_after"},"status":400}`
	}}
	s := newFake(t, f, 1)
	cur := index.EncodeCursor(cursor{Sort: index.SortRelevance, After: []any{1.5, "a01"}})
	if _, err := s.Search(context.Background(), index.Query{Cursor: cur}); !errors.Is(err, index.ErrBadQuery) {
		t.Errorf("engine refusing a cursor = %v, want ErrBadQuery", err)
	}
	if _, err := s.Search(context.Background(), index.Query{}); err == nil || errors.Is(err, index.ErrBadQuery) {
		t.Errorf("engine refusing a query without cursor = %v, want a plain error", err)
	}
	for _, c := range []string{"%%%", index.EncodeCursor(cursor{Sort: index.SortRelevance, After: []any{"x", "a01"}}), index.EncodeCursor(cursor{Sort: index.SortRelevance, After: []any{1}})} {
		if _, err := s.Search(context.Background(), index.Query{Cursor: c}); !errors.Is(err, index.ErrBadQuery) {
			t.Errorf("cursor %q = %v, want ErrBadQuery", c, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"minimal", Config{Addresses: []string{"http://127.0.0.1:9200"}}, true},
		{"full", Config{Addresses: []string{"https://es1:9200", "https://es2:9200"}, Username: "u", Password: "p", Index: "news.v2", MaxRetries: 5, Shards: 3, Replicas: NoReplicas}, true},
		{"no address", Config{}, false},
		{"bad address", Config{Addresses: []string{"es1:9200"}}, false},
		{"key and user", Config{Addresses: []string{"http://h:1"}, APIKey: "k", Username: "u", Password: "p"}, false},
		{"user without password", Config{Addresses: []string{"http://h:1"}, Username: "u"}, false},
		{"upper-case index", Config{Addresses: []string{"http://h:1"}, Index: "News"}, false},
		{"negative retries", Config{Addresses: []string{"http://h:1"}, MaxRetries: -1}, false},
		{"bad replicas", Config{Addresses: []string{"http://h:1"}, Replicas: -2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	if _, err := New(Config{Addresses: []string{"http://h:1"}, CACertFile: filepath.Join(t.TempDir(), "missing.pem")}, zap.NewNop()); err == nil {
		t.Error("New with a missing CA file = nil error")
	}
}

func TestMappingDiff(t *testing.T) {
	same := mappings()
	if d := mappingDiff(same, mappings()); d != "" {
		t.Errorf("diff of equal mappings = %q", d)
	}
	other := mappings()
	other["dynamic"] = "true"
	props := other["properties"].(map[string]any)
	props["body"] = map[string]any{"type": "text", "analyzer": "standard"}
	delete(props, "version")
	props["extra"] = map[string]any{"type": "keyword"}
	d := mappingDiff(other, mappings())
	for _, want := range []string{"dynamic is true", "field body: analyzer is standard", "field version missing", "unexpected field extra"} {
		if !strings.Contains(d, want) {
			t.Errorf("diff %q lacks %q", d, want)
		}
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestBulkBodyGolden(t *testing.T) {
	docs := indextest.Corpus()[:3]
	upd := indextest.Corpus()[7] // the article with markup in its body
	upd.Updated = upd.Published.Add(90 * time.Minute)
	docs = append(docs, upd)
	f := &fakeES{handle: func(r recorded, n int) (int, string) {
		return 200, bulkItems(r.Body, func(string) (int, string) { return 201, "" })
	}}
	s := newFake(t, f, 1)
	if _, err := s.IndexBatch(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	bodies := f.bodies("/_bulk")
	if len(bodies) != 1 {
		t.Fatalf("%d bulk requests", len(bodies))
	}
	golden(t, "bulk.ndjson", bodies[0])
}

func TestSearchDSLGolden(t *testing.T) {
	day := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	relCursor := index.EncodeCursor(cursor{Sort: index.SortRelevance, After: []any{json.Number("1.2345"), "a07"}})
	tests := []struct {
		name string
		q    index.Query
	}{
		{"match_all", index.Query{}},
		{"text_filters_newest", index.Query{
			Text:      `treaty "north korea" -sanctions -"white house" the`,
			Countries: []string{"kp", "RU"}, Leaders: []string{"Q7747"}, Treaties: []string{"ru-kp-partnership"},
			Keywords: []string{"Summit"}, Sources: []string{"reuters"},
			From: day, To: day.Add(24*time.Hour - time.Nanosecond),
			Sort: index.SortNewest, Size: 5,
		}},
		{"relevance_cursor", index.Query{Text: "treaties", Cursor: relCursor, Size: 3}},
		{"entities_any_exclude", index.Query{
			Text: "defence", Entities: []index.Mention{{Kind: index.KindCountries, ID: "KP", Words: "DPRK"}},
			Countries: []string{"RU", "CN"}, Any: []string{index.KindCountries},
			Exclude: index.Filters{Sources: []string{"tass"}}, FacetSize: 50,
		}},
		{"subjects", index.Query{
			SubjectCountries: []string{"kp", "RU"}, Any: []string{index.KindSubjectCountries},
			Countries: []string{"ES"}, Exclude: index.Filters{SubjectCountries: []string{"ES"}},
		}},
		{"collapsed_page2", index.Query{Text: "pact", Story: "s0123456789abcdef", Collapse: true, Size: 10,
			Cursor: index.EncodeCursor(cursor{Sort: index.SortRelevance, Off: 10, Collapsed: true})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeES{handle: func(recorded, int) (int, string) {
				return 200, `{"hits":{"total":{"value":0},"hits":[]},"aggregations":{}}`
			}}
			s := newFake(t, f, 1)
			if _, err := s.Search(context.Background(), tt.q); err != nil {
				t.Fatal(err)
			}
			bodies := f.bodies("/" + s.names.ReadAlias + "/_search")
			if len(bodies) != 1 {
				t.Fatalf("%d search requests", len(bodies))
			}
			var out bytes.Buffer
			if err := json.Indent(&out, bodies[0], "", "  "); err != nil {
				t.Fatal(err)
			}
			out.WriteByte('\n')
			golden(t, "search_"+tt.name+".json", out.Bytes())
		})
	}
}

func TestSearchParsesAnswer(t *testing.T) {
	answer := `{"hits":{"total":{"value":42},"hits":[
	  {"_id":"a01","_source":{"id":"a01","title":"T","url":"https://x/1","source":"reuters","published":"2026-03-02T09:00:00Z",
	   "countries":["KP"],"leaders":["Q7747"],"leader_names":["Vladimir Putin"],"keywords":["treaty"]},
	   "sort":[1.5,"a01"],"highlight":{"summary":["start of summary"],"body":["a <mark>treaty</mark> &amp; more"]}},
	  {"_id":"a02","_source":{"id":"a02"},"sort":[1.25,"a02"]}]},
	 "aggregations":{
	  "countries":{"buckets":[{"key":"KP","doc_count":3}]},
	  "subject_countries":{"buckets":[{"key":"KP","doc_count":2}]},
	  "leaders":{"buckets":[{"key":"Q7747","doc_count":2,"label":{"hits":{"hits":[{"_source":{"leaders":["Q1","Q7747"],"leader_names":["Someone","Vladimir Putin"]}}]}}}]},
	  "treaties":{"buckets":[]},"keywords":{"buckets":[]},"sources":{"buckets":[]},
	  "days":{"buckets":[{"key_as_string":"2026-03-02","key":1772409600000,"doc_count":3}]}}}`
	f := &fakeES{handle: func(recorded, int) (int, string) { return 200, answer }}
	s := newFake(t, f, 1)
	res, err := s.Search(context.Background(), index.Query{Text: "treaty", Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 42 || len(res.Hits) != 1 || res.NextCursor == "" {
		t.Fatalf("result = %+v", res)
	}
	h := res.Hits[0]
	if h.Snippet != "a <mark>treaty</mark> &amp; more" || h.Leaders[0].Name != "Vladimir Putin" || h.Published.IsZero() || len(h.Treaties) != 0 || h.Treaties == nil {
		t.Errorf("hit = %+v", h)
	}
	if res.Facets.Leaders[0].Label != "Vladimir Putin" || !slices.Equal(res.Facets.SubjectCountries, []index.Bucket{{Key: "KP", Count: 2}}) || res.Facets.Days[0] != (index.Bucket{Key: "2026-03-02", Count: 3}) {
		t.Errorf("facets = %+v", res.Facets)
	}
	after, err := decodeCursor(res.NextCursor, index.SortRelevance)
	if err != nil || fmt.Sprint(after) != "[1.5 a01]" {
		t.Errorf("cursor values = %v, %v", after, err)
	}
	// The leader's name was unknown: one lookup after the search. The
	// next search finds it in the cache.
	path := "/" + s.names.ReadAlias + "/_search"
	if bodies := f.bodies(path); len(bodies) != 2 || !strings.Contains(string(bodies[1]), `"include":["Q7747"]`) {
		t.Fatalf("requests %d, want the search and a label lookup for Q7747", len(bodies))
	}
	res, err = s.Search(context.Background(), index.Query{Text: "treaty", Size: 1})
	if err != nil || res.Facets.Leaders[0].Label != "Vladimir Putin" {
		t.Fatalf("second search: %+v, %v", res.Facets.Leaders, err)
	}
	if n := len(f.bodies(path)); n != 3 {
		t.Errorf("%d requests after the second search, want 3 (no lookup)", n)
	}
}

func TestLabelsBodyGolden(t *testing.T) {
	b, err := json.Marshal(labelsBody(map[string][]string{"leaders": {"Q7747", "Q56226"}, "treaties": {"new-start"}}))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	golden(t, "labels.json", out.Bytes())
}

func TestLabelCache(t *testing.T) {
	var c labelCache
	now := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	if _, ok := c.get(labelLeader, "Q1", now); ok {
		t.Fatal("empty cache has a name")
	}
	c.put(labelLeader, "Q1", "One", now)
	c.put(labelTreaty, "Q1", "", now) // no name: nothing kept
	if n, ok := c.get(labelLeader, "Q1", now.Add(labelTTL)); !ok || n != "One" {
		t.Errorf("get within the TTL = %q, %v", n, ok)
	}
	if _, ok := c.get(labelTreaty, "Q1", now); ok {
		t.Error("kinds are apart: a treaty Q1 was found")
	}
	if _, ok := c.get(labelLeader, "Q1", now.Add(labelTTL+time.Second)); ok {
		t.Error("an entry older than the TTL was returned")
	}
	for i := range labelCap {
		c.put(labelTreaty, fmt.Sprint(i), "x", now)
	}
	c.put(labelTreaty, "last", "x", now)
	if _, ok := c.get(labelTreaty, "0", now); ok || len(c.m) >= labelCap {
		t.Errorf("a full cache starts afresh: %d entries", len(c.m))
	}
}

func TestPickSnippet(t *testing.T) {
	tests := []struct {
		hl   map[string][]string
		want string
	}{
		{map[string][]string{"summary": {"s"}, "body": {"b <mark>x</mark>"}}, "b <mark>x</mark>"},
		{map[string][]string{"summary": {"s <mark>x</mark>"}, "body": {"b <mark>x</mark>"}}, "s <mark>x</mark>"},
		{map[string][]string{"summary": {"s"}, "body": {"b"}}, "s"},
		{map[string][]string{"body": {"b"}}, "b"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := pickSnippet(tt.hl); got != tt.want {
			t.Errorf("pickSnippet(%v) = %q, want %q", tt.hl, got, tt.want)
		}
	}
}

func TestTimelineDSLGolden(t *testing.T) {
	var out bytes.Buffer
	b, err := json.Marshal(timelineBody("t-kp.ru+2024"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	golden(t, "timeline.json", out.Bytes())
	if got := regexpQuote("t-kp.ru+2024:"); got != `t\-kp\.ru\+2024\:` {
		t.Errorf("regexpQuote = %s", got)
	}
}
