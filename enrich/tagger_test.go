package enrich

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newswire/newswire/article"
)

var update = flag.Bool("update", false, "rewrite golden files")

func newTagger(tb testing.TB) *Tagger {
	tb.Helper()
	tg, err := New(Options{ExtraKeywords: []string{"tariff"}, Now: func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		tb.Fatal(err)
	}
	return tg
}

func TestTagCases(t *testing.T) {
	tg := newTagger(t)
	date := time.Date(2024, 6, 19, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		body      string
		countries []string
		leaders   []string
		keywords  []string
	}{
		{"names and demonyms", "North Korea and Russia met. Pyongyang and the Russian side agreed.", []string{"KP", "RU"}, nil, nil},
		{"abbreviations", "The U.S., the UK, the UAE and the ROK spoke; the PRC did not.", []string{"AE", "CN", "GB", "KR", "US"}, nil, nil},
		{"lower-case us is a pronoun", "Tell us what happened.", nil, nil, nil},
		{"seats of government", "The Kremlin, the White House, Downing Street and Zhongnanhai replied.", []string{"CN", "GB", "RU", "US"}, nil, nil},
		{"Georgia the US state", "Voters in Atlanta said Georgia would decide the race.", nil, nil, []string{"election"}[:0]},
		{"Georgia the country", "Police in Tbilisi said Georgia would not yield.", []string{"GE"}, nil, nil},
		{"Jordan a person", "Jordan Peterson spoke in Toronto.", nil, nil, nil},
		{"porcelain", "She set out the fine china and the bone china.", nil, nil, nil},
		{"Niger and Nigeria", "Niger and Nigeria closed the border.", []string{"NE", "NG"}, nil, nil},
		{"place names inside names", "New Mexico and New Jersey, like Indiana Jones.", nil, nil, nil},
		{"title only", "The Chinese president met the North Korean leader.", []string{"CN", "KP"}, []string{"Q15031", "Q56226"}, nil},
		{"title and surname", "President Xi met Mr Putin.", nil, []string{"Q15031", "Q7747"}, nil},
		{"hyphen variant", "Kim Jong-un inspected a factory.", nil, []string{"Q56226"}, nil},
		{"keywords inflected", "Treaties, summits, a visited site, new sanctions and a cease-fire; tariffs too.", nil, nil, []string{"ceasefire", "sanctions", "summit", "tariff", "treaty", "visit"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tags := tg.Tag(&article.Article{Body: c.body, Published: date})
			got := tags.CountryCodes()
			sort.Strings(got)
			if !equalSet(got, c.countries) {
				t.Errorf("countries = %v, want %v", got, c.countries)
			}
			var ls []string
			for _, l := range tags.Leaders {
				ls = append(ls, l.ID)
			}
			sort.Strings(ls)
			if !equalSet(ls, c.leaders) {
				t.Errorf("leaders = %v, want %v", ls, c.leaders)
			}
			if c.keywords != nil && !equalSet(tags.Keywords, c.keywords) {
				t.Errorf("keywords = %v, want %v", tags.Keywords, c.keywords)
			}
			checkSpans(t, &article.Article{Body: c.body}, tags)
		})
	}
}

func equalSet(a, b []string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

func TestSpansExact(t *testing.T) {
	tg := newTagger(t)
	a := &article.Article{Title: "Putin in Pyongyang", Body: "Russia’s leader and the U.S. disagree."}
	tags := tg.Tag(a)
	want := map[string]string{"RU": "Russia", "KP": "Pyongyang", "US": "U.S."}
	for _, c := range tags.Countries {
		sp := c.Spans[0]
		if got := a.Field(sp.Field)[sp.Start:sp.End]; got != want[c.Code] {
			t.Errorf("%s span text %q, want %q", c.Code, got, want[c.Code])
		}
	}
	if len(tags.Countries) != 3 {
		t.Errorf("countries %v", tags.CountryCodes())
	}
}

func TestEmptyNonNil(t *testing.T) {
	tags := newTagger(t).Tag(&article.Article{})
	if tags.Countries == nil || tags.Leaders == nil || tags.Treaties == nil || tags.Keywords == nil {
		t.Fatalf("nil slice in %+v", tags)
	}
	b, _ := json.Marshal(tags)
	if !bytes.Contains(b, []byte(`"countries":[]`)) {
		t.Errorf("empty lists must encode as []: %s", b)
	}
}

func TestVersionChangesWithKeywords(t *testing.T) {
	a, _ := New(Options{})
	b, _ := New(Options{ExtraKeywords: []string{"tariff"}})
	if !regexp.MustCompile(`^`+regexp.QuoteMeta(rulesVersion)+`\+[0-9a-f]{10}$`).MatchString(a.Version()) || a.Version() == b.Version() {
		t.Errorf("versions %q %q", a.Version(), b.Version())
	}
}

func TestTagLines(t *testing.T) {
	tg := newTagger(t)
	in := strings.Join([]string{
		`{"url":"https://example.org/a","title":"Putin visits Pyongyang","published":"2024-06-19T00:00:00Z"}`,
		``,
		`not json`,
		`{"title":"No id, still tagged: Russia","published":"2024-06-19T00:00:00Z"}`,
		`{"title":"bad time","published":"yesterday"}`,
	}, "\n")
	var out bytes.Buffer
	bad, err := tg.TagLines(strings.NewReader(in), &out)
	if err != nil {
		t.Fatal(err)
	}
	if bad != 2 {
		t.Errorf("bad = %d, want 2", bad)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d output lines, want 4:\n%s", len(lines), out.String())
	}
	var e article.Enriched
	if err := json.Unmarshal([]byte(lines[0]), &e); err != nil {
		t.Fatal(err)
	}
	if e.Enrichment.Version != tg.Version() || !e.Enrichment.At.IsZero() || len(e.Tags.Countries) != 1 || len(e.Tags.Leaders) != 1 || e.ID == "" {
		t.Errorf("line 1: %s", lines[0])
	}
	if !strings.HasPrefix(lines[1], `{"line":3,"error":`) || !strings.HasPrefix(lines[3], `{"line":5,"error":`) {
		t.Errorf("error lines: %s / %s", lines[1], lines[3])
	}
	if !strings.Contains(lines[2], `"code":"RU"`) {
		t.Errorf("line 4 not tagged: %s", lines[2])
	}
}

// checkSpans asserts the span invariants: inside the field, on UTF-8
// boundaries, non-empty.
func checkSpans(t testing.TB, a *article.Article, tags article.Tags) {
	t.Helper()
	var spans []article.Span
	for _, c := range tags.Countries {
		spans = append(spans, c.Spans...)
		if c.Mentions != len(c.Spans) || c.Salience < 0 || c.Salience > 1 {
			t.Errorf("country %s: mentions %d spans %d salience %v", c.Code, c.Mentions, len(c.Spans), c.Salience)
		}
	}
	for _, l := range tags.Leaders {
		spans = append(spans, l.Spans...)
	}
	for _, tr := range tags.Treaties {
		spans = append(spans, tr.Spans...)
	}
	for _, sp := range spans {
		f := a.Field(sp.Field)
		if sp.Start < 0 || sp.End > len(f) || sp.Start >= sp.End {
			t.Fatalf("span %+v outside field of %d bytes", sp, len(f))
		}
		// Boundaries are only defined for valid UTF-8 (article.Decode rejects the rest).
		if utf8.ValidString(f) && (!utf8.RuneStart(f[sp.Start]) || sp.End < len(f) && !utf8.RuneStart(f[sp.End])) {
			t.Fatalf("span %+v not on UTF-8 boundaries", sp)
		}
	}
}

func TestGolden(t *testing.T) {
	tg := newTagger(t)
	var arts []article.Article
	raw, err := os.ReadFile("testdata/pyongyang.json")
	if err != nil {
		t.Fatal(err)
	}
	var p article.Article
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	arts = append(arts, p, samplePyongyang(t))
	for i, d := range loadDev(t) {
		if i%5 == 0 && len(arts) < 14 {
			arts = append(arts, d.Article)
		}
	}
	for _, a := range arts {
		a := a
		t.Run(a.ID, func(t *testing.T) {
			e := article.Enriched{Article: a, Tags: tg.Tag(&a), Enrichment: article.Enrichment{Version: "golden"}}
			got, err := json.MarshalIndent(e, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", a.ID+".json")
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			if !bytes.Equal(bytes.TrimSpace(want), bytes.TrimSpace(got)) {
				t.Errorf("golden mismatch for %s; got:\n%s", path, got)
			}
		})
	}
}

func FuzzTag(f *testing.F) {
	for _, s := range []string{"Putin visited Pyongyang.", "U.S.-China", "Kim Jong-un's", "Côte d'Ivoire’s N'Djamena", "\xff\xfe", "A.B.", "Russia’s", "the treaty between North Korea and Russia",
		"普京访问平壤。金正恩", "ウラジーミル・プーチン", "푸틴이 평양을", "с Путиным в Москве", "بالسعودية وإيران", "l'Ukraine et qu’il", "Nordkoreas Machthaber unterzeichnet ein Abkommen",
		"Die EU hat die Russlandsanktionen verlängert, der US-Präsident und die Bundeskanzlerin sind dafür", "中美关系，美军，其中美国，中美洲",
		"이란의 최고지도자, 인도와 한미 정상회담", "日米首脳会談で露大統領", "le Premier ministre britannique et le roi du Maroc", "رئيس الوزراء الإسرائيلي السابق"} {
		f.Add("t "+s, s)
	}
	tg, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, title, body string) {
		a := &article.Article{Title: title, Body: body, Summary: title + " " + body}
		t1 := tg.Tag(a)
		t2 := tg.Tag(a)
		if !reflect.DeepEqual(t1, t2) {
			t.Fatalf("non-deterministic")
		}
		checkSpans(t, a, t1)
		// The rules of one language only (German compounds, CJK
		// abbreviations) run when the article says so.
		for _, lang := range []string{"de", "zh", "ja", "ko", "ar"} {
			b := *a
			b.Language = lang
			checkSpans(t, &b, tg.Tag(&b))
		}
	})
}

func ExampleTagger_Tag() {
	tg, _ := New(Options{})
	tags := tg.Tag(&article.Article{Title: "Putin and Kim sign pact in Pyongyang", Published: time.Date(2024, 6, 19, 0, 0, 0, 0, time.UTC)})
	fmt.Println(tags.CountryCodes(), tags.Leaders[0].Name, tags.Leaders[1].Name)
	// Output: [KP] Kim Jong Un Vladimir Putin
}

// samplePyongyang is the Pyongyang treaty article of the sample corpus
// that `make run` ingests.
func samplePyongyang(t *testing.T) article.Article {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "samples", "articles.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(raw, []byte("\n")) {
		var a article.Article
		if json.Unmarshal(line, &a) != nil || !strings.Contains(a.Title, "Pyongyang") || !strings.Contains(a.Title, "Putin and Kim") {
			continue
		}
		a.ID = "sample-pyongyang"
		return a
	}
	t.Fatal("the sample corpus has no Pyongyang treaty article")
	return article.Article{}
}

// TestSamplePyongyang checks the facts the newsroom relies on in the
// sample corpus's Pyongyang article, beyond its golden file.
func TestSamplePyongyang(t *testing.T) {
	tg := newTagger(t)
	a := samplePyongyang(t)
	tags := tg.Tag(&a)
	codes := map[string]bool{}
	for _, c := range tags.Countries {
		codes[c.Code] = true
	}
	if !codes["KP"] || !codes["RU"] {
		t.Errorf("countries %v lack KP or RU", tags.CountryCodes())
	}
	leaders := map[string]bool{}
	for _, l := range tags.Leaders {
		leaders[l.ID] = true
	}
	if !leaders["Q7747"] || !leaders["Q56226"] {
		t.Errorf("leaders %+v lack Putin (Q7747) or Kim Jong Un (Q56226)", tags.Leaders)
	}
	found := false
	for _, tr := range tags.Treaties {
		if tr.ID == "t-kp-ru-2024" {
			found = true
			if strings.Join(tr.Parties, ",") != "KP,RU" || tr.Action != "signed" {
				t.Errorf("treaty %+v: want parties KP,RU and action signed", tr)
			}
		}
	}
	if !found {
		t.Errorf("treaties %+v lack the 2024 Comprehensive Strategic Partnership treaty", tags.Treaties)
	}
	if !slices.Contains(tags.Keywords, "treaty") {
		t.Errorf("keywords %v lack treaty", tags.Keywords)
	}
}
