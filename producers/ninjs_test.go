package producers

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
)

// fixtureLine reads a JSON fixture and returns it as one compact line.
func fixtureLine(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("compact %s: %v", name, err)
	}
	return buf.Bytes()
}

func mustID(t *testing.T, url, source, guid string) string {
	t.Helper()
	id, err := article.DeriveID(url, source, guid)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestParseAnyNinjs(t *testing.T) {
	now := time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		file string
		want article.Article
	}{
		{"ninjs-1.json", article.Article{
			Schema:    article.SchemaVersion,
			ID:        mustID(t, "https://wire.example.org/2026/03/harbour-accord", "", ""),
			URL:       "https://wire.example.org/2026/03/harbour-accord",
			GUID:      "https://wire.example.org/2026/03/harbour-accord",
			Source:    "Example Wire Service",
			Title:     "Port cities sign harbour pollution accord",
			Summary:   "Twelve Mediterranean ports agree shared limits on ship emissions.",
			Body:      "Twelve port authorities signed an accord on Tuesday.\n\nThe text caps sulphur output from ships at berth & sets a review for 2028.",
			Language:  "en",
			Authors:   []string{"Ana Example and Jon Sample"},
			Published: time.Date(2026, 3, 4, 7, 0, 0, 0, time.UTC),
			Updated:   time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC),
			Ingested:  now,
		}},
		{"ninjs-2.json", article.Article{
			Schema:    article.SchemaVersion,
			ID:        mustID(t, "https://news.example.org/rail/link-approved", "", ""),
			URL:       "https://news.example.org/rail/link-approved?utm_source=wire",
			GUID:      "urn:newsml:wire.example.org:20260305:rail-link",
			Source:    "Example Wire Service",
			Title:     "Cross-border rail link wins approval",
			Summary:   "Both parliaments back the new line.",
			Body:      "Lawmakers in both countries approved the rail link on Thursday.\n\nConstruction starts next spring.",
			Language:  "en-gb",
			Authors:   []string{"Mia Placeholder"},
			Published: time.Date(2026, 3, 5, 11, 50, 0, 0, time.UTC),
			Updated:   time.Date(2026, 3, 5, 12, 15, 0, 0, time.UTC),
			Ingested:  now,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			line := fixtureLine(t, tc.file)
			if got := DetectFormat(line); got != FormatNinjs {
				t.Fatalf("DetectFormat = %q, want ninjs", got)
			}
			got, err := ParseAny(line, article.Limits{}, now)
			if err != nil {
				t.Fatalf("ParseAny: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				gj, _ := json.MarshalIndent(got, "", " ")
				wj, _ := json.MarshalIndent(tc.want, "", " ")
				t.Errorf("article mismatch\n got %s\nwant %s", gj, wj)
			}
		})
	}
}

func TestDecodeNinjsMapping(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, a article.Article)
	}{
		{"urn uri gives guid only", `{"uri":"urn:x:1","headline":"h"}`, func(t *testing.T, a article.Article) {
			if a.URL != "" || a.GUID != "urn:x:1" {
				t.Errorf("url %q guid %q", a.URL, a.GUID)
			}
		}},
		{"canonical link wins over self and uri", `{"uri":"https://a.example/1","headline":"h","links":[{"rel":"self","href":"https://a.example/self"},{"rel":"canonical","href":"https://a.example/canon"}]}`, func(t *testing.T, a article.Article) {
			if a.URL != "https://a.example/canon" {
				t.Errorf("url %q", a.URL)
			}
		}},
		{"non-http canonical ignored", `{"uri":"urn:x:2","headline":"h","links":[{"rel":"canonical","href":"ftp://a.example/x"}]}`, func(t *testing.T, a article.Article) {
			if a.URL != "" {
				t.Errorf("url %q", a.URL)
			}
		}},
		{"1.x altids object", `{"uri":"urn:x:3","headline":"h","altids":{"canonical":"http://a.example/3","other":"z"}}`, func(t *testing.T, a article.Article) {
			if a.URL != "http://a.example/3" {
				t.Errorf("url %q", a.URL)
			}
		}},
		{"body_text preferred over body_html", `{"uri":"urn:x:4","body_text":"plain","body_html":"<p>html</p>"}`, func(t *testing.T, a article.Article) {
			if a.Body != "plain" {
				t.Errorf("body %q", a.Body)
			}
		}},
		{"html-only bodies stripped", `{"uri":"urn:x:5","bodies":[{"contenttype":"text/html","value":"<p>one</p><p>two &amp; three</p>"}]}`, func(t *testing.T, a article.Article) {
			if a.Body != "one\n\ntwo & three" {
				t.Errorf("body %q", a.Body)
			}
		}},
		{"first headline without main role", `{"uri":"urn:x:6","headlines":[{"value":"first"},{"value":"second"}]}`, func(t *testing.T, a article.Article) {
			if a.Title != "first" {
				t.Errorf("title %q", a.Title)
			}
		}},
		{"provider object is the source", `{"uri":"urn:x:7","headline":"h","provider":{"name":"Prov"},"copyrightholder":"Holder","located":"Oslo"}`, func(t *testing.T, a article.Article) {
			if a.Source != "Prov" {
				t.Errorf("source %q", a.Source)
			}
		}},
		{"provider string is the source", `{"uri":"urn:x:8","headline":"h","provider":"Prov2"}`, func(t *testing.T, a article.Article) {
			if a.Source != "Prov2" {
				t.Errorf("source %q", a.Source)
			}
		}},
		{"copyrightholder fallback, located never", `{"uri":"urn:x:9","headline":"h","copyrightholder":"Holder","located":"Oslo"}`, func(t *testing.T, a article.Article) {
			if a.Source != "Holder" {
				t.Errorf("source %q", a.Source)
			}
		}},
		{"1.x person authors", `{"uri":"urn:x:10","headline":"h","by":"ignored","person":[{"name":"P One","rel":"author"},{"name":"Subject","rel":"about"}]}`, func(t *testing.T, a article.Article) {
			if !reflect.DeepEqual(a.Authors, []string{"P One"}) {
				t.Errorf("authors %q", a.Authors)
			}
		}},
		{"by string", `{"uri":"urn:x:11","headline":"h","by":"by Someone"}`, func(t *testing.T, a article.Article) {
			if !reflect.DeepEqual(a.Authors, []string{"Someone"}) {
				t.Errorf("authors %q", a.Authors)
			}
		}},
		{"time without zone read as UTC", `{"uri":"urn:x:12","headline":"h","versioncreated":"2026-01-02T03:04:05"}`, func(t *testing.T, a article.Article) {
			if !a.Updated.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
				t.Errorf("updated %v", a.Updated)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := DecodeNinjs([]byte(tc.in))
			if err != nil {
				t.Fatalf("DecodeNinjs: %v", err)
			}
			tc.check(t, a)
		})
	}
}

func TestParseAnyErrors(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name, in, field string
	}{
		{"bad time", `{"uri":"urn:x:1","type":"text","headline":"h","versioncreated":"yesterday"}`, "versioncreated"},
		{"no title or body", `{"uri":"urn:x:2","type":"picture","headlines":[]}`, "title"},
		{"updated before published", `{"uri":"urn:x:3","type":"text","headline":"h","firstcreated":"2026-01-02T00:00:00Z","versioncreated":"2026-01-01T00:00:00Z"}`, "updated"},
		{"wrong type in ninjs", `{"uri":"urn:x:4","type":"text","headline":["not","a","string"]}`, ""},
		{"newswire path still validates", `{"schema":1,"title":"no id"}`, "id"},
		{"not json", `hello`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAny([]byte(tc.in), article.Limits{}, now)
			if err == nil {
				t.Fatal("want an error")
			}
			if !errors.Is(err, article.ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			var ve *article.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T is not a ValidationError", err)
			}
			if tc.field != "" {
				found := false
				for _, p := range ve.Problems {
					found = found || p.Field == tc.field
				}
				if !found {
					t.Errorf("no problem on field %q in %v", tc.field, err)
				}
			}
		})
	}
}

func TestParseAnyRecordLimit(t *testing.T) {
	line := []byte(`{"uri":"urn:x:1","type":"text","headline":"h","body_text":"` + strings.Repeat("x", 200) + `"}`)
	_, err := ParseAny(line, article.Limits{MaxRecord: 100}, time.Now())
	if !errors.Is(err, article.ErrInvalid) || !strings.Contains(err.Error(), "over the limit") {
		t.Fatalf("err = %v, want over-the-limit", err)
	}
}

func TestParseAnyNewswireUnchanged(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	line := []byte(`{"schema":1,"url":"https://n.example/a","title":"T","body":"B","type":"x","uri":"y","headline":"z"}`)
	want, werr := article.Parse(line, article.Limits{}, now)
	got, gerr := ParseAny(line, article.Limits{}, now)
	if werr != nil || gerr != nil {
		t.Fatalf("errors: %v / %v", werr, gerr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseAny differs from article.Parse:\n%+v\n%+v", got, want)
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"newswire article", `{"schema":1,"url":"https://a.example/x","title":"t"}`, FormatNewswire},
		{"newswire without schema", `{"url":"https://a.example/x","title":"t","body":"b"}`, FormatNewswire},
		{"ninjs 1.x", `{"uri":"urn:a","type":"text","headline":"h","body_text":"b"}`, FormatNinjs},
		{"ninjs 2.x", `{"uri":"urn:a","type":"text","headlines":[{"value":"h"}]}`, FormatNinjs},
		{"ninjs bodies only", `{"uri":"urn:a","type":"text","bodies":[{"value":"b"}]}`, FormatNinjs},
		{"ninjs without type", `{"uri":"urn:a","headlines":[{"value":"h"}],"by":"x"}`, FormatNinjs},
		{"uri and headline but newswire url", `{"uri":"urn:a","headline":"h","url":"https://a.example/x"}`, FormatNewswire},
		{"schema key wins", `{"schema":1,"uri":"urn:a","type":"text","headline":"h"}`, FormatNewswire},
		{"ninjs without content", `{"uri":"urn:a","type":"picture","renditions":[]}`, FormatNewswire},
		{"no uri", `{"type":"text","headline":"h"}`, FormatNewswire},
		{"array", `[{"uri":"urn:a","type":"text","headline":"h"}]`, FormatNewswire},
		{"malformed", `{"uri":`, FormatNewswire},
		{"empty", ``, FormatNewswire},
		{"leading space", "  \t{\"uri\":\"urn:a\",\"type\":\"text\",\"headline\":\"h\"}", FormatNinjs},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DetectFormat([]byte(tc.in)); got != tc.want {
				t.Errorf("DetectFormat(%s) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzParseAny(f *testing.F) {
	f.Add([]byte(`{"uri":"urn:a","type":"text","headline":"h","body_html":"<p>x</p>"}`))
	f.Add([]byte(`{"schema":1,"url":"https://a.example/x","title":"t"}`))
	f.Add([]byte(`{"uri":"https://a.example/1","headlines":[{"value":"h"}],"altids":{"url":"https://b.example"}}`))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAny(b, article.Limits{}, now)
		if err != nil {
			if !errors.Is(err, article.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if a.ID == "" || a.Schema != article.SchemaVersion {
			t.Fatalf("valid article without id or schema: %+v", a)
		}
	})
}

func BenchmarkParseAnyNinjs(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "ninjs-2.json"))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		b.Fatal(err)
	}
	line := buf.Bytes()
	now := time.Now()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := ParseAny(line, article.Limits{}, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAnyNewswire(b *testing.B) {
	line := []byte(`{"schema":1,"url":"https://n.example/a/1","source":"Desk","title":"Ministers meet","body":"` + strings.Repeat("Talks continued on Tuesday. ", 40) + `"}`)
	now := time.Now()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := ParseAny(line, article.Limits{}, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkArticleParseBaseline(b *testing.B) {
	line := []byte(`{"schema":1,"url":"https://n.example/a/1","source":"Desk","title":"Ministers meet","body":"` + strings.Repeat("Talks continued on Tuesday. ", 40) + `"}`)
	now := time.Now()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := article.Parse(line, article.Limits{}, now); err != nil {
			b.Fatal(err)
		}
	}
}
