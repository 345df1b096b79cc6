package producers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"golang.org/x/net/html"
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
	p, _ := newTestPoller(t, fs, FeedConfig{URLs: []string{feedURL}, FetchFull: true}, pub, zap.New(core))

	n, err := p.PollOnce(context.Background(), feedURL)
	if err != nil || n != 4 {
		t.Fatalf("poll = %d, %v", n, err)
	}
	bodies := map[string]string{}
	for _, a := range pub.published()[0] {
		bodies[a.Title] = a.Body
	}
	want := map[string]string{
		"Page with an article element":    withArticleText,
		"Page without an article element": withoutArticleText,
		"Page that is missing":            "Short teaser three.",
		"Page behind too many redirects":  "Short teaser four.",
	}
	for title, w := range want {
		if bodies[title] != w {
			t.Errorf("%s: body\n got %q\nwant %q", title, bodies[title], w)
		}
	}
	if got := logs.FilterMessage("full text not used").Len(); got != 2 {
		t.Errorf("fallback logs = %d, want 2", got)
	}
}

func TestExtractArticleText(t *testing.T) {
	tests := []struct {
		name, page, want string
	}{
		{"article element", readFixture(t, "with-article.html"), withArticleText},
		{"densest paragraphs", readFixture(t, "without-article.html"), withoutArticleText},
		{"too little text", "<html><body><p>Only a short line.</p></body></html>", ""},
		{"teaser articles lose to the densest one", "<article><p>" + strings.Repeat("teaser words ", 3) + "</p></article><article><p>" + strings.Repeat("long story words ", 20) + "</p></article>", strings.TrimSpace(strings.Repeat("long story words ", 20))},
		{"empty article element falls back", "<article><p>tiny</p></article><div><p>" + strings.Repeat("body text here ", 12) + "</p></div>", strings.TrimSpace(strings.Repeat("body text here ", 12))},
		{"commentary class is not boilerplate", `<div class="commentary-body"><p>` + strings.Repeat("opinion words ", 12) + `</p></div>`, strings.TrimSpace(strings.Repeat("opinion words ", 12))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := html.Parse(strings.NewReader(tc.page))
			if err != nil {
				t.Fatal(err)
			}
			if got := extractArticleText(doc); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFetchFullTextRefusals(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/to-ftp", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://files.example/story", http.StatusFound)
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"p":"` + strings.Repeat("x", 500) + `"}`))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<p>" + strings.Repeat("word ", 1000) + "</p>"))
	})
	mux.HandleFunc("/latin1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		// "Café" and "été" in Latin-1 bytes.
		_, _ = w.Write([]byte("<article><p>Caf\xe9 owners expect a busy \xe9t\xe9 season, the chamber of commerce said in its report on Monday morning.</p></article>"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	p, err := NewFeedPoller(FeedConfig{URLs: []string{srv.URL}, MaxBodyBytes: 2000}, &fakePublisher{}, srv.Client(), zap.NewNop(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct{ name, link, wantErr string }{
		{"not http", "mailto:desk@example.org", "not an http"},
		{"redirect to ftp", srv.URL + "/to-ftp", "redirect to ftp"},
		{"not html", srv.URL + "/json", "not HTML"},
		{"too big", srv.URL + "/big", "size limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.fetchFullText(ctx, tc.link)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
	t.Run("declared charset decoded", func(t *testing.T) {
		got, err := p.fetchFullText(ctx, srv.URL+"/latin1")
		if err != nil || !strings.HasPrefix(got, "Café owners expect a busy été season") {
			t.Errorf("got %q, %v", got, err)
		}
	})
}
