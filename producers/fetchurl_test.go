package producers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
)

// urlPublisher records what ingest by URL publishes.
type urlPublisher struct {
	mu   sync.Mutex
	arts []article.Article
	err  error
}

func (p *urlPublisher) Publish(_ context.Context, via string, arts []article.Article) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if via != "url" {
		return fmt.Errorf("via = %q, want url", via)
	}
	if p.err != nil {
		return p.err
	}
	p.arts = append(p.arts, arts...)
	return nil
}

func (p *urlPublisher) published() []article.Article {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]article.Article(nil), p.arts...)
}

// storyPage is an article page with JSON-LD metadata and a canonical URL
// on its own site (path /story/harbour-bridge).
func storyPage(base string) string {
	return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Harbour bridge reopens | Coast Courier</title>
<link rel="canonical" href="` + base + `/story/harbour-bridge">
<meta property="og:site_name" content="Coast Courier">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",
"headline":"Harbour bridge reopens after repairs","datePublished":"2026-03-02T08:30:00Z",
"author":{"@type":"Person","name":"Ada Marsh"}}</script>
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Harbour bridge reopens after repairs</h1>
<p>The harbour bridge reopened to traffic on Monday morning after eight months of repairs to its steel deck and cables.</p>
<p>Engineers replaced more than four hundred bolts and repainted the towers, the port authority said in a statement.</p>
<p>Ferry services that had carried commuters across the bay during the works will return to their winter timetable.</p>
</article>
<footer>Copyright Coast Courier</footer>
</body></html>`
}

func newURLSite(t *testing.T) *pageSite {
	t.Helper()
	s := newPageSite(t)
	s.handle("/story/harbour-bridge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"bridge-1"`)
		if r.Header.Get("If-None-Match") == `"bridge-1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(storyPage(s.srv.URL)))
	})
	// A tracking link that redirects to the story.
	s.handle("/r/1", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/story/harbour-bridge?utm_source=feed", http.StatusFound)
	})
	s.html("/empty", "<html><body><p>Nothing to read here.</p></body></html>")
	s.handle("/private/page", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a page denied by robots.txt was requested")
	})
	s.robots = "User-agent: *\nDisallow: /private/\n"
	return s
}

func newTestURLIngester(t *testing.T, cfg URLConfig, pub ArticlePublisher) (*URLIngester, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	ing, err := NewURLIngester(cfg, pub, zaptest.NewLogger(t), reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ing.Close)
	return ing, reg
}

func TestURLIngest(t *testing.T) {
	s := newURLSite(t)
	pub := &urlPublisher{}
	ing, reg := newTestURLIngester(t, URLConfig{Crawl: loopbackCrawl()}, pub)
	ctx := context.Background()

	a, err := ing.Ingest(ctx, s.srv.URL+"/r/1")
	if err != nil {
		t.Fatal(err)
	}
	canonical := s.srv.URL + "/story/harbour-bridge"
	wantID, _ := article.DeriveID(canonical, "", "")
	if a.URL != canonical || a.ID != wantID {
		t.Errorf("url %q id %q, want the canonical URL %q and its id %q", a.URL, a.ID, canonical, wantID)
	}
	if a.Title != "Harbour bridge reopens after repairs" || a.Source != "Coast Courier" ||
		!a.Published.Equal(time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC)) ||
		len(a.Authors) != 1 || a.Authors[0] != "Ada Marsh" || a.Language != "en" {
		t.Errorf("metadata not filled: %+v", a)
	}
	if !strings.HasPrefix(a.Body, "The harbour bridge reopened") || strings.Contains(a.Body, "Home") || strings.Contains(a.Body, "Copyright") {
		t.Errorf("body %q", a.Body)
	}
	if got := pub.published(); len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("published %+v", got)
	}

	// The same story by its own URL: the page is unchanged (304), so
	// nothing is published again.
	if _, err := ing.Ingest(ctx, canonical); err != nil {
		t.Fatalf("first fetch of the canonical URL: %v", err)
	}
	if _, err := ing.Ingest(ctx, canonical); !errors.Is(err, ErrNotModified) {
		t.Fatalf("second fetch: err = %v, want not modified", err)
	}
	if got := pub.published(); len(got) != 2 || got[1].ID != a.ID {
		t.Errorf("one story through two links must be one article id: %+v", got)
	}

	for _, tc := range []struct {
		link, result string
	}{
		{s.srv.URL + "/empty", ftNoText},
		{s.srv.URL + "/private/page", ftRobots},
		{s.srv.URL + "/missing", ftHTTPError},
	} {
		_, err := ing.Ingest(ctx, tc.link)
		if got := fullTextResult(err); got != tc.result {
			t.Errorf("%s: result %s (%v), want %s", tc.link, got, err, tc.result)
		}
	}
	for result, want := range map[string]float64{ftOK: 2, ftNotModified: 1, ftNoText: 1, ftRobots: 1, ftHTTPError: 1, ftBlocked: 0} {
		if got := metricValue(t, reg, "newswire_fulltext_total", result); got != want {
			t.Errorf("newswire_fulltext_total{result=%q} = %v, want %v", result, got, want)
		}
	}
	if len(pub.published()) != 2 {
		t.Errorf("failed pages were published")
	}
}

// TestURLIngestRefusesLoopback is what `produce --url` does with the
// private-address guard on (its default): a loopback target is refused
// at dial time and nothing is published.
func TestURLIngestRefusesLoopback(t *testing.T) {
	s := newURLSite(t)
	pub := &urlPublisher{}
	ing, reg := newTestURLIngester(t, URLConfig{Crawl: CrawlConfig{HostInterval: time.Millisecond}}, pub)
	var results []URLResult
	n, err := ing.IngestAll(context.Background(), []string{s.srv.URL + "/story/harbour-bridge", s.srv.URL + "/r/1"},
		func(r URLResult) { results = append(results, r) })
	if n != 0 || err == nil || !strings.Contains(err.Error(), "2 of 2 not published") {
		t.Errorf("IngestAll = %d, %v", n, err)
	}
	for _, r := range results {
		if r.Result != ftBlocked || !errors.Is(r.Err, ErrPrivateTarget) {
			t.Errorf("%s: result %s, err %v", r.URL, r.Result, r.Err)
		}
	}
	if len(results) != 2 || len(pub.published()) != 0 || s.hits("/story/harbour-bridge")+s.hits("/robots.txt") != 0 {
		t.Errorf("results %d, published %d, requests seen %d", len(results), len(pub.published()), len(s.reqs))
	}
	if got := metricValue(t, reg, "newswire_fulltext_total", ftBlocked); got != 2 {
		t.Errorf("blocked counter = %v", got)
	}
}

func TestURLIngestAll(t *testing.T) {
	s := newURLSite(t)
	pub := &urlPublisher{}
	ing, _ := newTestURLIngester(t, URLConfig{Crawl: loopbackCrawl(), Workers: 3}, pub)
	links := []string{s.srv.URL + "/r/1", s.srv.URL + "/empty", s.srv.URL + "/story/harbour-bridge"}
	got := map[string]string{}
	n, err := ing.IngestAll(context.Background(), links, func(r URLResult) { got[r.URL] = r.Result })
	if n != 2 || err == nil || !strings.Contains(err.Error(), "1 of 3 not published") {
		t.Errorf("IngestAll = %d, %v", n, err)
	}
	want := map[string]string{links[0]: ftOK, links[1]: ftNoText, links[2]: ftOK}
	for l, w := range want {
		if got[l] != w {
			t.Errorf("%s: %s, want %s", l, got[l], w)
		}
	}
	// A failed publish is reported as such and the page is not
	// remembered: the next try fetches it in full and publishes it.
	failing := &urlPublisher{err: errors.New("broker down")}
	ing2, _ := newTestURLIngester(t, URLConfig{Crawl: loopbackCrawl()}, failing)
	_, err = ing2.IngestAll(context.Background(), []string{links[0]}, func(r URLResult) { got["failed"] = r.Result })
	if err == nil || got["failed"] != "publish_error" {
		t.Errorf("publish failure: %v, result %s", err, got["failed"])
	}
	failing.mu.Lock()
	failing.err = nil
	failing.mu.Unlock()
	if n, err := ing2.IngestAll(context.Background(), []string{links[0]}, nil); n != 1 || err != nil {
		t.Errorf("retry after a failed publish: %d, %v", n, err)
	}
	// Remembered now, also behind the redirect of the tracking link.
	if _, err := ing2.Ingest(context.Background(), links[0]); !errors.Is(err, ErrNotModified) {
		t.Errorf("third try: err = %v, want not modified", err)
	}
}

func TestFetchHandler(t *testing.T) {
	s := newURLSite(t)
	pub := &urlPublisher{}
	ing, _ := newTestURLIngester(t, URLConfig{Crawl: loopbackCrawl()}, pub)
	api := httptest.NewServer(NewFetchHandler(ing, zaptest.NewLogger(t)))
	t.Cleanup(api.Close)
	post := func(body, token string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, api.URL, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := api.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	story := s.srv.URL + "/story/harbour-bridge"
	for _, tc := range []struct {
		name, body, token string
		status            int
		check             func(map[string]any) bool
	}{
		{"not JSON", `url=` + story, "sesame", http.StatusBadRequest, nil},
		{"unknown field", `{"link":"` + story + `"}`, "sesame", http.StatusBadRequest, nil},
		{"not http", `{"url":"file:///etc/passwd"}`, "sesame", http.StatusBadRequest, nil},
		{"published", `{"url":"` + story + `"}`, "sesame", http.StatusAccepted, func(m map[string]any) bool {
			return m["url"] == story && m["title"] == "Harbour bridge reopens after repairs" && m["id"] != ""
		}},
		{"unchanged", `{"url":"` + story + `"}`, "sesame", http.StatusOK, func(m map[string]any) bool { return m["result"] == ftNotModified }},
		{"robots", `{"url":"` + s.srv.URL + `/private/page"}`, "sesame", http.StatusForbidden, func(m map[string]any) bool { return m["result"] == ftRobots }},
		{"no text", `{"url":"` + s.srv.URL + `/empty"}`, "sesame", http.StatusUnprocessableEntity, func(m map[string]any) bool { return m["result"] == ftNoText }},
		{"site error", `{"url":"` + s.srv.URL + `/missing"}`, "sesame", http.StatusBadGateway, func(m map[string]any) bool { return m["result"] == ftHTTPError }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := post(tc.body, tc.token)
			if status != tc.status || (tc.check != nil && !tc.check(out)) {
				t.Errorf("status %d body %v, want %d", status, out, tc.status)
			}
		})
	}
	if n := len(pub.published()); n != 1 {
		t.Errorf("published %d articles, want 1", n)
	}
	resp, err := api.Client().Get(api.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
}

// A feed poller with FetchFull and ingest by URL in one process share
// newswire_fulltext_total instead of failing to register it twice.
func TestFullTextMetricShared(t *testing.T) {
	s := newURLSite(t)
	reg := prometheus.NewRegistry()
	ing, err := NewURLIngester(URLConfig{Crawl: loopbackCrawl()}, &urlPublisher{}, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	defer ing.Close()
	if _, err := NewFeedPoller(FeedConfig{URLs: []string{s.srv.URL + "/feed.xml"}, FetchFull: true, Crawl: loopbackCrawl()}, &fakePublisher{}, nil, nil, reg); err != nil {
		t.Fatalf("second registration: %v", err)
	}
	if _, err := ing.Ingest(context.Background(), s.srv.URL+"/empty"); !errors.Is(err, ErrNoArticleText) {
		t.Fatal(err)
	}
	if got := metricValue(t, reg, "newswire_fulltext_total", ftNoText); got != 1 {
		t.Errorf("no_text = %v", got)
	}
}
