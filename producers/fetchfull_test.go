package producers

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/prometheus/client_golang/prometheus"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

const (
	withArticleText = "A survey of forty alpine glaciers found that the ice retreated faster last summer than in any year on record.\n\n" +
		"Researchers measured the ice front with drones & compared the images with maps drawn a century ago.\n\n" +
		"The team will repeat the survey next year."
	withoutArticleText = "Orchards in the valley picked a record apple harvest this autumn, growers said on Friday.\n\n" +
		"Warm spring weather and late rain helped the trees, according to the growers' association.\n\n" +
		"Prices at the market fell by a fifth as a result."
)

func TestFeedFetchFull(t *testing.T) {
	fs := newFeedServer(t)
	fs.route("/full.xml", "rss-full.xml")
	feedURL := fs.url("/full.xml")
	core, logs := observer.New(zapcore.DebugLevel)
	pub := &fakePublisher{}
	p, reg := newTestPoller(t, fs, FeedConfig{URLs: []string{feedURL}, FetchFull: true, Crawl: loopbackCrawl()}, pub, zap.New(core))

	n, err := p.PollOnce(context.Background(), feedURL)
	if err != nil || n != 4 {
		t.Fatalf("poll = %d, %v", n, err)
	}
	bodies := map[string]string{}
	for _, a := range pub.published()[0] {
		bodies[a.Title] = a.Body
	}
	want := map[string]string{
		"Page with an article element":   withArticleText,
		"Page that is missing":           "Short teaser three.",
		"Page behind too many redirects": "Short teaser four.",
	}
	for title, w := range want {
		if bodies[title] != w {
			t.Errorf("%s: body\n got %q\nwant %q", title, bodies[title], w)
		}
	}
	// On a page this small the extractor keeps the sidebar line too; the
	// story must be there whole, the script's text never.
	if b := bodies["Page without an article element"]; !strings.Contains(b, withoutArticleText) || strings.Contains(b, "injected") {
		t.Errorf("page without an article element: body %q", b)
	}
	if got := logs.FilterMessage("full text not used").Len(); got != 2 {
		t.Errorf("fallback logs = %d, want 2", got)
	}
	for result, want := range map[string]float64{ftOK: 2, ftHTTPError: 1, ftFetchError: 1, ftNoText: 0} {
		if got := metricValue(t, reg, "newswire_fulltext_total", result); got != want {
			t.Errorf("newswire_fulltext_total{result=%q} = %v, want %v", result, got, want)
		}
	}
}

// loopbackCrawl is a crawl configuration for servers the tests start:
// private targets allowed, a short host interval.
func loopbackCrawl() CrawlConfig {
	return CrawlConfig{AllowPrivate: true, HostInterval: time.Millisecond, HostConcurrency: 4}
}

// metricValue reads one labelled series of a counter vector.
func metricValue(t *testing.T, g prometheus.Gatherer, name, result string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no series %s{result=%q}", name, result)
	return 0
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Two feed items reach one story through two tracking links; the page
// names its canonical URL, so they make one article with the canonical
// id, and neither link is fetched again at the next poll.
func TestFeedFetchFullCanonicalID(t *testing.T) {
	s := newURLSite(t)
	s.handle("/r/2", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/story/harbour-bridge?utm_medium=email", http.StatusMovedPermanently)
	})
	s.handle("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Courier</title>
<item><title>Bridge reopens</title><link>` + s.srv.URL + `/r/1</link><description>Teaser.</description></item>
<item><title>Bridge reopens (newsletter)</title><link>` + s.srv.URL + `/r/2</link><description>Teaser.</description></item>
</channel></rss>`))
	})
	pub := &fakePublisher{}
	reg := prometheus.NewRegistry()
	p, err := NewFeedPoller(FeedConfig{URLs: []string{s.srv.URL + "/feed.xml"}, FetchFull: true, Crawl: loopbackCrawl(), Jitter: -1},
		pub, s.srv.Client(), zaptest.NewLogger(t), reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if n, err := p.PollOnce(ctx, s.srv.URL+"/feed.xml"); err != nil || n != 1 {
		t.Fatalf("first poll = %d, %v", n, err)
	}
	a := pub.published()[0][0]
	canonical := s.srv.URL + "/story/harbour-bridge"
	wantID, _ := article.DeriveID(canonical, "", "")
	if a.URL != canonical || a.ID != wantID || a.Title != "Bridge reopens" || len(a.Authors) != 1 {
		t.Errorf("article url %q id %q title %q authors %v", a.URL, a.ID, a.Title, a.Authors)
	}
	pages := s.hits("/story/harbour-bridge")
	if n, err := p.PollOnce(ctx, s.srv.URL+"/feed.xml"); err != nil || n != 0 {
		t.Fatalf("second poll = %d, %v", n, err)
	}
	if s.hits("/story/harbour-bridge") != pages || s.hits("/r/1") != 1 || s.hits("/r/2") != 1 {
		t.Errorf("links fetched again at the second poll")
	}
	if got := counter(t, p, "items", "seen"); got != 3 {
		t.Errorf("seen items = %v, want 3 (one at the first poll, two at the second)", got)
	}
}
