package producers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/newswire/newswire/article"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

// fakePublisher records what it is asked to publish and fails while err
// is set.
type fakePublisher struct {
	mu    sync.Mutex
	calls [][]article.Article
	err   error
}

func (f *fakePublisher) Publish(_ context.Context, via string, arts []article.Article) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if via != "feed" {
		return fmt.Errorf("via = %q, want feed", via)
	}
	if f.err != nil {
		return f.err
	}
	f.calls = append(f.calls, append([]article.Article(nil), arts...))
	return nil
}

func (f *fakePublisher) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func (f *fakePublisher) published() [][]article.Article {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]article.Article(nil), f.calls...)
}

// feedServer serves the fixtures in testdata with ETag and Last-Modified
// validators, and can be told to fail.
type feedServer struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	routes map[string]string // request path → fixture file
	status int               // when set, every feed request answers it
	reqs   []*http.Request   // feed requests, in order
}

func newFeedServer(t *testing.T) *feedServer {
	t.Helper()
	fs := &feedServer{t: t, routes: map[string]string{}}
	fs.srv = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.srv.Close)
	return fs
}

func (fs *feedServer) route(path, fixture string) {
	fs.mu.Lock()
	fs.routes[path] = fixture
	fs.mu.Unlock()
}

func (fs *feedServer) fail(status int) {
	fs.mu.Lock()
	fs.status = status
	fs.mu.Unlock()
}

func (fs *feedServer) requests() []*http.Request {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]*http.Request(nil), fs.reqs...)
}

func (fs *feedServer) url(path string) string { return fs.srv.URL + path }

func (fs *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/redirect/"); ok {
		n, _ := strconv.Atoi(rest)
		if n <= 0 {
			http.Redirect(w, r, "/pages/with-article.html", http.StatusFound)
			return
		}
		http.Redirect(w, r, "/redirect/"+strconv.Itoa(n-1), http.StatusFound)
		return
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, "/pages/"); ok {
		b, err := os.ReadFile(filepath.Join("testdata", filepath.Base(rest)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(b)
		return
	}
	fs.mu.Lock()
	fs.reqs = append(fs.reqs, r.Clone(context.Background()))
	fixture, ok := fs.routes[r.URL.Path]
	status := fs.status
	fs.mu.Unlock()
	if status != 0 {
		http.Error(w, "failing on purpose", status)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		fs.t.Errorf("read fixture: %v", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	b = []byte(strings.ReplaceAll(string(b), "{{BASE}}", fs.srv.URL))
	sum := sha256.Sum256(b)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", "Mon, 02 Mar 2026 09:00:00 GMT")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write(b)
}

// newTestPoller builds a poller on the server's client with jitter off.
func newTestPoller(t *testing.T, fs *feedServer, cfg FeedConfig, pub ArticlePublisher, log *zap.Logger) (*FeedPoller, *prometheus.Registry) {
	t.Helper()
	if cfg.Jitter == 0 {
		cfg.Jitter = -1
	}
	if log == nil {
		log = zaptest.NewLogger(t)
	}
	reg := prometheus.NewRegistry()
	p, err := NewFeedPoller(cfg, pub, fs.srv.Client(), log, reg)
	if err != nil {
		t.Fatalf("NewFeedPoller: %v", err)
	}
	return p, reg
}

func counter(t *testing.T, p *FeedPoller, name, result string) float64 {
	t.Helper()
	switch name {
	case "polls":
		return testutil.ToFloat64(p.polls.WithLabelValues(result))
	case "items":
		return testutil.ToFloat64(p.items.WithLabelValues(result))
	}
	t.Fatalf("unknown counter %s", name)
	return 0
}

func TestFeedPollRSSLifecycle(t *testing.T) {
	fs := newFeedServer(t)
	fs.route("/rss.xml", "rss.xml")
	feedURL := fs.url("/rss.xml")
	statePath := filepath.Join(t.TempDir(), "state", "feeds.json")
	pub := &fakePublisher{}
	cfg := FeedConfig{URLs: []string{feedURL}, StatePath: statePath}
	p, _ := newTestPoller(t, fs, cfg, pub, nil)
	ctx := context.Background()

	// First poll: two valid items in one publish call, one invalid item.
	n, err := p.PollOnce(ctx, feedURL)
	if err != nil || n != 2 {
		t.Fatalf("first poll = %d, %v; want 2, nil", n, err)
	}
	calls := pub.published()
	if len(calls) != 1 || len(calls[0]) != 2 {
		t.Fatalf("publish calls = %d (%v), want one call with 2 articles", len(calls), calls)
	}
	got := calls[0]
	quota := got[0]
	wantQuota := article.Article{
		Schema:    article.SchemaVersion,
		ID:        mustID(t, fs.url("/news/fishing-quota"), "", ""),
		URL:       fs.url("/news/fishing-quota?utm_source=rss"),
		GUID:      "fq-2026-001",
		Source:    "Harbour Town Gazette",
		Title:     "Coastal states agree to review fishing quotas",
		Summary:   "Ministers from five coastal states & the EU will review quotas.",
		Body:      "Ministers from five coastal states and the EU agreed on Monday to review fishing quotas.\n\nThe review starts in April.",
		Language:  "en-gb",
		Authors:   []string{"Rita Tester"},
		Published: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC),
		Ingested:  quota.Ingested,
	}
	if quota.Ingested.IsZero() {
		t.Error("ingested not set")
	}
	if !reflect.DeepEqual(quota, wantQuota) {
		gj, _ := json.MarshalIndent(quota, "", " ")
		wj, _ := json.MarshalIndent(wantQuota, "", " ")
		t.Errorf("first item\n got %s\nwant %s", gj, wj)
	}
	grid := got[1]
	if grid.URL != fs.url("/news/grid-deal") || grid.GUID != grid.URL {
		t.Errorf("relative link not resolved: url %q guid %q", grid.URL, grid.GUID)
	}
	if grid.Body != grid.Summary || grid.Summary != "The council voted 9 to 2 in favour of joining the regional power grid." {
		t.Errorf("description-only item: summary %q body %q", grid.Summary, grid.Body)
	}
	if !reflect.DeepEqual(grid.Authors, []string{"Energy Desk"}) {
		t.Errorf("authors %q", grid.Authors)
	}
	if !grid.Published.Equal(time.Date(2026, 3, 1, 16, 30, 0, 0, time.UTC)) || grid.Published.Location() != time.UTC {
		t.Errorf("published %v", grid.Published)
	}
	if c := counter(t, p, "items", "new"); c != 2 {
		t.Errorf("items new = %v", c)
	}
	if c := counter(t, p, "items", "invalid"); c != 1 {
		t.Errorf("items invalid = %v", c)
	}

	// Second poll: the server answers 304 to the stored ETag.
	n, err = p.PollOnce(ctx, feedURL)
	if err != nil || n != 0 {
		t.Fatalf("second poll = %d, %v; want 0, nil", n, err)
	}
	reqs := fs.requests()
	if inm := reqs[len(reqs)-1].Header.Get("If-None-Match"); inm == "" {
		t.Error("second poll sent no If-None-Match")
	}
	if ims := reqs[len(reqs)-1].Header.Get("If-Modified-Since"); ims != "Mon, 02 Mar 2026 09:00:00 GMT" {
		t.Errorf("If-Modified-Since = %q", ims)
	}
	if len(pub.published()) != 1 {
		t.Error("a 304 published something")
	}
	if c := counter(t, p, "polls", "not_modified"); c != 1 {
		t.Errorf("polls not_modified = %v", c)
	}

	// The feed gains one item: only that item is published.
	fs.route("/rss.xml", "rss-more.xml")
	n, err = p.PollOnce(ctx, feedURL)
	if err != nil || n != 1 {
		t.Fatalf("third poll = %d, %v; want 1, nil", n, err)
	}
	calls = pub.published()
	if len(calls) != 2 || len(calls[1]) != 1 || calls[1][0].Title != "Ferry service resumes after storm" {
		t.Fatalf("third publish = %v", calls[len(calls)-1])
	}
	// The invalid item was remembered, so it is now "seen", not invalid again.
	if c := counter(t, p, "items", "seen"); c != 3 {
		t.Errorf("items seen = %v, want 3", c)
	}
	if c := counter(t, p, "items", "invalid"); c != 1 {
		t.Errorf("items invalid = %v, want still 1", c)
	}

	// The state file is valid JSON holding the four ids and the validators.
	raw, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	var st feedStateFile
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatalf("state file: %v", err)
	}
	fst := st.Feeds[feedURL]
	if st.Version != 1 || fst == nil || len(fst.Seen) != 4 || fst.ETag == "" || fst.LastModified == "" {
		t.Fatalf("state file content: %s", raw)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(statePath), ".*tmp*")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}

	// A new poller on the same state: 304 first, and nothing republished
	// when the document changes without new items.
	pub2 := &fakePublisher{}
	p2, _ := newTestPoller(t, fs, cfg, pub2, nil)
	n, err = p2.PollOnce(ctx, feedURL)
	if err != nil || n != 0 || counter(t, p2, "polls", "not_modified") != 1 {
		t.Fatalf("restarted poll = %d, %v (not_modified %v); want a 304", n, err, counter(t, p2, "polls", "not_modified"))
	}
	fs.route("/rss.xml", "rss.xml") // different ETag, only known items
	n, err = p2.PollOnce(ctx, feedURL)
	if err != nil || n != 0 || len(pub2.published()) != 0 {
		t.Fatalf("restarted poll of known items = %d, %v, calls %d", n, err, len(pub2.published()))
	}
	if c := counter(t, p2, "items", "seen"); c != 3 {
		t.Errorf("restarted items seen = %v, want 3", c)
	}
}

func TestFeedPollAtom(t *testing.T) {
	fs := newFeedServer(t)
	fs.route("/atom.xml", "atom.xml")
	feedURL := fs.url("/atom.xml")
	pub := &fakePublisher{}
	p, _ := newTestPoller(t, fs, FeedConfig{URLs: []string{feedURL}}, pub, nil)
	n, err := p.PollOnce(context.Background(), feedURL)
	if err != nil || n != 2 {
		t.Fatalf("poll = %d, %v", n, err)
	}
	got := pub.published()[0]
	a := got[0]
	want := article.Article{
		Schema:    article.SchemaVersion,
		ID:        mustID(t, fs.url("/fr/budget-reporte"), "", ""),
		URL:       fs.url("/fr/budget-reporte"),
		GUID:      "tag:plaines.example,2026:budget-42",
		Source:    "Bulletin des Plaines",
		Title:     "Vote du budget reporté",
		Summary:   "Le conseil régional repousse le vote d'une semaine.",
		Body:      "Le conseil régional a repoussé le vote du budget.\n\n- transports\n- écoles",
		Language:  "fr",
		Authors:   []string{"Claire Exemple", "Paul Essai"},
		Published: time.Date(2026, 3, 4, 7, 0, 0, 0, time.UTC),
		Updated:   time.Date(2026, 3, 4, 9, 15, 0, 0, time.UTC),
		Ingested:  a.Ingested,
	}
	if !reflect.DeepEqual(a, want) {
		gj, _ := json.MarshalIndent(a, "", " ")
		wj, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("atom entry\n got %s\nwant %s", gj, wj)
	}
	b := got[1]
	// No link: the id comes from source and GUID; an update before
	// publication is dropped instead of failing validation.
	if b.URL != "" || b.ID != mustID(t, "", "Bulletin des Plaines", "tag:plaines.example,2026:bus-7") {
		t.Errorf("linkless entry: url %q id %q", b.URL, b.ID)
	}
	if !b.Updated.IsZero() || b.Body != "Une ligne relie la gare au lycée dès lundi." {
		t.Errorf("linkless entry: updated %v body %q", b.Updated, b.Body)
	}
}

func TestFeedPublishFailureRetries(t *testing.T) {
	fs := newFeedServer(t)
	fs.route("/rss.xml", "rss.xml")
	feedURL := fs.url("/rss.xml")
	statePath := filepath.Join(t.TempDir(), "feeds.json")
	pub := &fakePublisher{err: errors.New("broker unavailable")}
	p, _ := newTestPoller(t, fs, FeedConfig{URLs: []string{feedURL}, StatePath: statePath}, pub, nil)
	ctx := context.Background()

	n, err := p.PollOnce(ctx, feedURL)
	if err == nil || !strings.Contains(err.Error(), "broker unavailable") || n != 0 {
		t.Fatalf("poll with failing publisher = %d, %v", n, err)
	}
	if c := counter(t, p, "polls", "publish_error"); c != 1 {
		t.Errorf("polls publish_error = %v", c)
	}
	if c := counter(t, p, "items", "new"); c != 0 {
		t.Errorf("items new = %v after a failed publish", c)
	}
	if _, err := os.Stat(statePath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state written after a failed publish: %v", err)
	}
	if _, f := p.nextDelay(feedURL); f != 1 {
		t.Errorf("failures = %d, want 1", f)
	}

	// Next poll: no validators were kept, so the feed is fetched in full
	// and the same items are published.
	pub.setErr(nil)
	n, err = p.PollOnce(ctx, feedURL)
	if err != nil || n != 2 {
		t.Fatalf("retry poll = %d, %v", n, err)
	}
	reqs := fs.requests()
	if inm := reqs[len(reqs)-1].Header.Get("If-None-Match"); inm != "" {
		t.Errorf("retry sent If-None-Match %q; a 304 would lose the items", inm)
	}
	if _, f := p.nextDelay(feedURL); f != 0 {
		t.Errorf("failures = %d after success, want 0", f)
	}
}

func TestFeedErrorsBackOff(t *testing.T) {
	fs := newFeedServer(t)
	fs.route("/rss.xml", "rss.xml")
	fs.route("/garbage.xml", "with-article.html") // a web page is not a feed
	feedURL := fs.url("/rss.xml")
	cfg := FeedConfig{URLs: []string{feedURL}, Interval: time.Minute, MaxBackoff: 5 * time.Minute}
	pub := &fakePublisher{}
	p, _ := newTestPoller(t, fs, cfg, pub, nil)
	ctx := context.Background()

	fs.fail(http.StatusInternalServerError)
	wantDelays := []time.Duration{2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for i, want := range wantDelays {
		n, err := p.PollOnce(ctx, feedURL)
		var se *FeedStatusError
		if !errors.As(err, &se) || se.Status != http.StatusInternalServerError || n != 0 {
			t.Fatalf("poll %d = %d, %v; want a FeedStatusError 500", i, n, err)
		}
		if d, f := p.nextDelay(feedURL); d != want || f != i+1 {
			t.Errorf("after %d failures delay = %v (failures %d), want %v", i+1, d, f, want)
		}
	}
	if c := counter(t, p, "polls", "http_error"); c != 4 {
		t.Errorf("polls http_error = %v", c)
	}
	if len(pub.published()) != 0 {
		t.Error("published on HTTP error")
	}

	fs.fail(0)
	if _, err := p.PollOnce(ctx, feedURL); err != nil {
		t.Fatalf("recovery poll: %v", err)
	}
	if d, f := p.nextDelay(feedURL); d != time.Minute || f != 0 {
		t.Errorf("after success delay = %v failures %d, want 1m 0", d, f)
	}

	// A document that is not a feed is a parse error.
	garbage := fs.url("/garbage.xml")
	if _, err := p.PollOnce(ctx, garbage); err == nil || counter(t, p, "polls", "parse_error") != 1 {
		t.Errorf("garbage feed: err %v, parse_error %v", err, counter(t, p, "polls", "parse_error"))
	}
	// A refused connection is a fetch error.
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL + "/rss.xml"
	dead.Close()
	if _, err := p.PollOnce(ctx, deadURL); err == nil || counter(t, p, "polls", "fetch_error") != 1 {
		t.Errorf("dead server: err %v, fetch_error %v", err, counter(t, p, "polls", "fetch_error"))
	}
	// A document over the size cap is a fetch error.
	small, _ := newTestPoller(t, fs, FeedConfig{URLs: []string{feedURL}, MaxBodyBytes: 100}, pub, nil)
	if _, err := small.PollOnce(ctx, feedURL); !errors.Is(err, errTooLarge) {
		t.Errorf("oversized feed: err %v, want errTooLarge", err)
	}
}

func TestFeedJitterBounds(t *testing.T) {
	fs := newFeedServer(t)
	feedURL := fs.url("/rss.xml")
	p, _ := newTestPoller(t, fs, FeedConfig{URLs: []string{feedURL}, Interval: 100 * time.Second, Jitter: 0.2}, &fakePublisher{}, nil)
	for _, r := range []float64{0, 0.5, 0.999} {
		p.rnd = func() float64 { return r }
		d, _ := p.nextDelay(feedURL)
		if d < 80*time.Second || d > 120*time.Second {
			t.Errorf("rand %v: delay %v outside 100s ± 20%%", r, d)
		}
	}
}

func TestFeedSeenIsBounded(t *testing.T) {
	dir := t.TempDir()
	statePath := filepath.Join(dir, "feeds.json")
	cfg := FeedConfig{URLs: []string{"https://feeds.example/a"}, StatePath: statePath, MaxSeen: 3}
	p, err := NewFeedPoller(cfg, &fakePublisher{}, nil, zap.NewNop(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	const feedURL = "https://feeds.example/a"
	p.commit(feedURL, []string{"a", "b"}, "", "")
	p.commit(feedURL, []string{"b", "c", "d", "e"}, `"v1"`, "")
	if err := p.saveState(); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"a": false, "b": false, "c": true, "d": true, "e": true} {
		if got := p.seen(feedURL, id); got != want {
			t.Errorf("seen(%s) = %v, want %v", id, got, want)
		}
	}
	p2, err := NewFeedPoller(cfg, &fakePublisher{}, nil, zap.NewNop(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if got := p2.state.Feeds[feedURL].Seen; !reflect.DeepEqual(got, []string{"c", "d", "e"}) {
		t.Errorf("reloaded seen = %v", got)
	}
	if etag, _ := p2.validators(feedURL); etag != `"v1"` {
		t.Errorf("reloaded etag = %q", etag)
	}

	// A corrupt state file is reported, not silently replaced.
	if err := os.WriteFile(statePath, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFeedPoller(cfg, &fakePublisher{}, nil, zap.NewNop(), prometheus.NewRegistry()); err == nil {
		t.Error("corrupt state file accepted")
	}
}

func TestFeedRun(t *testing.T) {
	fs := newFeedServer(t)
	fs.route("/rss.xml", "rss.xml")
	fs.route("/atom.xml", "atom.xml")
	core, logs := observer.New(zapcore.DebugLevel)
	pub := &fakePublisher{}
	cfg := FeedConfig{URLs: []string{fs.url("/rss.xml"), fs.url("/atom.xml"), fs.url("/broken.xml")}, Interval: time.Hour}
	p, _ := newTestPoller(t, fs, cfg, pub, zap.New(core))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for (len(pub.published()) < 2 || logs.FilterMessage("feed poll failed").Len() < 1) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil after cancel", err)
	}
	if n := len(pub.published()); n != 2 {
		t.Fatalf("publish calls = %d, want one per healthy feed", n)
	}
	failed := logs.FilterMessage("feed poll failed").All()
	if len(failed) != 1 {
		t.Fatalf("failure logs = %d, want 1", len(failed))
	}
	fields := failed[0].ContextMap()
	if fields["feed"] != fs.url("/broken.xml") || fields["status"] != int64(http.StatusNotFound) || fields["component"] != "feed" {
		t.Errorf("failure log fields = %v", fields)
	}
}

func TestFeedConfigValidate(t *testing.T) {
	ok := []string{"https://a.example/feed"}
	tests := []struct {
		name    string
		cfg     FeedConfig
		wantErr string
	}{
		{"defaults", FeedConfig{URLs: ok}, ""},
		{"no urls", FeedConfig{}, "at least one"},
		{"relative url", FeedConfig{URLs: []string{"/feed"}}, "not an absolute"},
		{"ftp url", FeedConfig{URLs: []string{"ftp://a.example/feed"}}, "not an absolute"},
		{"duplicate", FeedConfig{URLs: []string{ok[0], ok[0]}}, "listed twice"},
		{"tiny interval", FeedConfig{URLs: ok, Interval: time.Millisecond}, "below 1s"},
		{"jitter too big", FeedConfig{URLs: ok, Jitter: 1}, "jitter"},
		{"negative jitter disables", FeedConfig{URLs: ok, Jitter: -1}, ""},
		{"negative timeout", FeedConfig{URLs: ok, Timeout: -time.Second}, "timeout"},
		{"negative body cap", FeedConfig{URLs: ok, MaxBodyBytes: -1}, "max body"},
		{"negative seen", FeedConfig{URLs: ok, MaxSeen: -1}, "max seen"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
	d := FeedConfig{URLs: ok}.withDefaults()
	if d.Interval != 5*time.Minute || d.Jitter != 0.2 || d.Timeout != 20*time.Second || d.MaxBodyBytes != 10<<20 || d.MaxSeen != 10000 {
		t.Errorf("defaults = %+v", d)
	}
}

func TestParseFeedList(t *testing.T) {
	in := "# regional desks\nhttps://a.example/rss\n\n   https://b.example/atom.xml   # weekly\n\t# indented comment\nhttps://c.example/feed\n"
	got, err := ParseFeedList(strings.NewReader(in))
	want := []string{"https://a.example/rss", "https://b.example/atom.xml", "https://c.example/feed"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseFeedList = %q, %v; want %q", got, err, want)
	}
}

func TestFeedPollAll(t *testing.T) {
	fs := newFeedServer(t)
	fs.route("/rss.xml", "rss.xml")
	fs.route("/atom.xml", "atom.xml")
	pub := &fakePublisher{}
	cfg := FeedConfig{URLs: []string{fs.url("/rss.xml"), fs.url("/missing.xml"), fs.url("/atom.xml")}}
	p, _ := newTestPoller(t, fs, cfg, pub, nil)
	n, err := p.PollAll(context.Background())
	var se *FeedStatusError
	if n != 4 || !errors.As(err, &se) || se.Status != http.StatusNotFound {
		t.Fatalf("PollAll = %d, %v; want 4 and the 404 of one feed", n, err)
	}
}

func TestItemWithoutLinkOrGUIDGetsContentID(t *testing.T) {
	feed := &gofeed.Feed{Title: "Wire Desk"}
	item := func(title, desc, content string) *gofeed.Item {
		return &gofeed.Item{Title: title, Description: desc, Content: content}
	}
	id := func(feedURL string, it *gofeed.Item) string {
		t.Helper()
		a := itemArticle(feed, it, nil, feedURL)
		if err := article.Normalize(&a, time.Now()); err != nil {
			t.Fatalf("normalize: %v", err)
		}
		if err := article.Validate(&a, article.Limits{}); err != nil {
			t.Fatalf("validate: %v", err)
		}
		return a.ID
	}
	const f1, f2 = "https://one.example/feed.xml", "https://two.example/feed.xml"
	base := id(f1, item("Port strike ends", "Dockers return to work.", ""))
	if again := id(f1, item("Port strike ends", "Dockers return to work.", "")); again != base {
		t.Errorf("same item, new id: %s then %s", base, again)
	}
	// Derived ids follow the same form as every other article id.
	if len(base) != 32 {
		t.Errorf("id %q is not 32 hex digits", base)
	}
	for name, other := range map[string]string{
		"other feed":               id(f2, item("Port strike ends", "Dockers return to work.", "")),
		"other title":              id(f1, item("Port strike over", "Dockers return to work.", "")),
		"other description":        id(f1, item("Port strike ends", "Dockers went back.", "")),
		"content wins over teaser": id(f1, item("Port strike ends", "Dockers return to work.", "<p>Full story.</p>")),
	} {
		if other == base {
			t.Errorf("%s: same id %s", name, base)
		}
	}
	// A feed that trims or re-wraps the same text keeps the id.
	if got := id(f1, item("  Port strike ends ", "\nDockers return to work.\n", "")); got != base {
		t.Errorf("surrounding white space changed the id")
	}
	// Items with a guid keep the guid-derived id.
	withGUID := itemArticle(feed, &gofeed.Item{Title: "x", GUID: "tag:desk,2026:1"}, nil, f1)
	if withGUID.ID != "" || withGUID.GUID != "tag:desk,2026:1" {
		t.Errorf("item with guid: id %q guid %q", withGUID.ID, withGUID.GUID)
	}
}
