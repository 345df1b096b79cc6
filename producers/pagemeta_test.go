package producers

import (
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newswire/newswire/article"
	"golang.org/x/net/html"
)

func TestParsePageMeta(t *testing.T) {
	tests := []struct {
		name, fixture, base string
		want                PageMeta
	}{
		{
			name: "JSON-LD article wins over OpenGraph and meta tags", fixture: "meta-jsonld.html",
			base: "https://courier.example/2026/03/harbour-bridge-reopens?ref=feed",
			want: PageMeta{
				Title:     "Harbour bridge reopens after repairs",
				Published: time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC),
				Modified:  time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC),
				Authors:   []string{"Ada Marsh", "Ben Okoro"},
				Language:  "en-GB",
				Canonical: "https://courier.example/2026/03/harbour-bridge-reopens",
				SiteName:  "Coast Courier",
			},
		},
		{
			name: "OpenGraph only", fixture: "meta-og.html", base: "https://www.valleypost.example/x",
			want: PageMeta{
				Title:     "Rail fares to rise in April",
				Published: time.Date(2026, 2, 27, 17, 5, 0, 0, time.UTC),
				Modified:  time.Date(2026, 2, 27, 18, 0, 0, 0, time.UTC),
				Authors:   []string{"Kim Weber"},
				Language:  "de-DE",
				Canonical: "https://www.valleypost.example/news/rail-fares?utm_source=share",
				SiteName:  "Valley Post",
			},
		},
		{
			name: "neither: the title element only", fixture: "meta-none.html", base: "https://minutes.example/3-march",
			want: PageMeta{Title: "Council minutes, 3 March"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := html.Parse(strings.NewReader(readFixture(t, tc.fixture)))
			if err != nil {
				t.Fatal(err)
			}
			base, _ := url.Parse(tc.base)
			if got := ParsePageMeta(doc, base); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParsePageTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2026-03-02T08:30:00+01:00":     time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC),
		"2026-03-02T08:30:00.123Z":      time.Date(2026, 3, 2, 8, 30, 0, 123e6, time.UTC),
		"2026-03-02T08:30:00+0100":      time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC),
		"2026-03-02T08:30:00":           time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC),
		"2026-03-02 08:30:00":           time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC),
		"2026-03-02":                    time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		"Mon, 02 Mar 2026 08:30:00 GMT": time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC),
		"March 2, 2026":                 time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		"yesterday":                     {},
		"0001-01-01T00:00:00Z":          {},
		"":                              {},
	} {
		if got := parsePageTime(in); !got.Equal(want) {
			t.Errorf("parsePageTime(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestApplyPageMetaFillsOnlyEmptyFields(t *testing.T) {
	m := PageMeta{
		Title: "Page title", Published: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		Modified: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Authors: []string{"Ada Marsh"},
		Language: "en-GB", SiteName: "Coast Courier",
	}
	var empty article.Article
	applyPageMeta(&empty, m)
	want := article.Article{Title: "Page title", Published: m.Published, Updated: m.Modified,
		Authors: []string{"Ada Marsh"}, Language: "en-gb", Source: "Coast Courier"}
	if !reflect.DeepEqual(empty, want) {
		t.Errorf("empty article: got %+v\nwant %+v", empty, want)
	}
	fromFeed := article.Article{Title: "Feed title", Published: time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC),
		Authors: []string{"Desk"}, Language: "fr", Source: "Feed"}
	got := fromFeed
	applyPageMeta(&got, m)
	// The page's modified time is before the feed's publication time, so
	// it is not taken: an article is never updated before it appeared.
	if !reflect.DeepEqual(got, fromFeed) {
		t.Errorf("feed article changed: got %+v\nwant %+v", got, fromFeed)
	}
}

// FuzzExtractPage: any bytes give an error or a page whose text is valid
// UTF-8 and whose canonical URL is empty or absolute http(s); nothing
// panics.
func FuzzExtractPage(f *testing.F) {
	for _, name := range []string{"meta-jsonld.html", "meta-og.html", "meta-none.html", "with-article.html", "without-article.html"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "text/html; charset=utf-8")
	}
	f.Add([]byte("<script type=application/ld+json>[[[[[[{\"@graph\":[{\"@type\":[1,{}]}]}]]]]]]</script>"), "")
	f.Add([]byte("\xff\xfe<\x00p\x00>\x00"), "text/html")
	base, _ := url.Parse("https://desk.example/a/b")
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		p, err := ExtractPage(body, ct, base)
		if err != nil && p.Text != "" {
			t.Errorf("error %v with text %q", err, p.Text)
		}
		if !utf8.ValidString(p.Text) || !utf8.ValidString(p.Meta.Title) {
			t.Errorf("invalid UTF-8: %q / %q", p.Text, p.Meta.Title)
		}
		if c := p.Meta.Canonical; c != "" && !isHTTPURL(c) {
			t.Errorf("canonical %q is not an absolute http(s) URL", c)
		}
	})
}
