package producers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
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
