package match

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// subjectArticle is about North Korea (a subject) and Spain (tagged
// before roles existed), at a summit held in Russia (a venue), with the
// United States named in passing (a mention).
func subjectArticle() *article.Enriched {
	e := &article.Enriched{Article: article.Article{
		Schema: 1, ID: "s1", Source: "Reuters", URL: "https://news.example/s1",
		Title:   "North Korea and Spain talk trade at a summit in Moscow",
		Summary: "Pyongyang and Madrid met in Russia; Washington was not invited.",
	}}
	e.Tags.Countries = []article.CountryTag{
		{Code: "KP", Name: "North Korea", Role: index.RoleSubject, Spans: []article.Span{{Field: "title", Start: 0, End: 11}}},
		{Code: "RU", Name: "Russia", Role: index.RoleVenue, Spans: []article.Span{{Field: "summary", Start: 30, End: 36}}},
		{Code: "US", Name: "United States", Role: index.RoleMention, Spans: []article.Span{{Field: "summary", Start: 38, End: 48}}},
		{Code: "ES", Name: "Spain", Spans: []article.Span{{Field: "title", Start: 16, End: 21}}},
	}
	return e
}

func TestSubjectCountries(t *testing.T) {
	e := subjectArticle()
	tests := []matchCase{
		{"subject tag", Query{SubjectCountries: []string{"KP"}}, true},
		{"subject lower-case", Query{SubjectCountries: []string{" kp "}}, true},
		{"venue tag is no subject", Query{SubjectCountries: []string{"RU"}}, false},
		{"mention tag is no subject", Query{SubjectCountries: []string{"US"}}, false},
		{"tag without role counts as subject", Query{SubjectCountries: []string{"ES"}}, true},
		{"untagged country", Query{SubjectCountries: []string{"CN"}}, false},
		{"all subjects required", Query{SubjectCountries: []string{"KP", "ES"}}, true},
		{"all required, one a venue", Query{SubjectCountries: []string{"KP", "RU"}}, false},
		{"venue matches countries", Query{Countries: []string{"RU"}}, true},
		{"country in any role and a subject", Query{Countries: []string{"RU", "US"}, SubjectCountries: []string{"KP"}}, true},
		{"same code as country and subject", Query{Countries: []string{"RU"}, SubjectCountries: []string{"RU"}}, false},
		{"subject with text", Query{Text: "summit", SubjectCountries: []string{"KP"}}, true},
		{"subject with absent word", Query{Text: "missile", SubjectCountries: []string{"KP"}}, false},
		{"any: one subject holds", Query{Any: []Query{{SubjectCountries: []string{"RU"}}, {SubjectCountries: []string{"ES"}}}}, true},
		{"any: venue and mention only", Query{Any: []Query{{SubjectCountries: []string{"RU"}}, {SubjectCountries: []string{"US"}}}}, false},
		{"not subject: excluded", Query{Text: "summit", Not: []Query{{SubjectCountries: []string{"KP"}}}}, false},
		{"not subject: a venue does not exclude", Query{Text: "summit", Not: []Query{{SubjectCountries: []string{"RU"}}}}, true},
		{"not country: a venue excludes", Query{Text: "summit", Not: []Query{{Countries: []string{"RU"}}}}, false},
	}
	checkMatches(t, e, tests)
}

// TestSubjectMatcherWithoutSubjectRules: a matcher without subject rules
// skips roles, and its country rules match a country in any role.
func TestSubjectMatcherWithoutSubjectRules(t *testing.T) {
	e := subjectArticle()
	m, err := Compile([]Rule{{ID: "c", Name: "c", Query: Query{Countries: []string{"RU"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Match(e); len(got) != 1 || got[0].Entities[0].Kind != KindCountry {
		t.Fatalf("country rule on a venue: %+v", got)
	}
}

func TestSubjectExplain(t *testing.T) {
	e := subjectArticle()
	m, err := Compile([]Rule{{ID: "r1", Name: "about KP, at RU", Query: Query{Countries: []string{"RU"}, SubjectCountries: []string{"KP", "ES"}}}})
	if err != nil {
		t.Fatal(err)
	}
	got := m.Match(e)
	if len(got) != 1 {
		t.Fatalf("got %d matches, want 1", len(got))
	}
	want := []EntityHit{
		{Kind: KindCountry, ID: "RU", Name: "Russia", Spans: []article.Span{{Field: "summary", Start: 30, End: 36}}},
		{Kind: KindSubjectCountry, ID: "KP", Name: "North Korea", Spans: []article.Span{{Field: "title", Start: 0, End: 11}}},
		{Kind: KindSubjectCountry, ID: "ES", Name: "Spain", Spans: []article.Span{{Field: "title", Start: 16, End: 21}}},
	}
	if !reflect.DeepEqual(got[0].Entities, want) {
		t.Errorf("entities:\n got %+v\nwant %+v", got[0].Entities, want)
	}
}

func TestSubjectValidation(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"bad code", `{"name":"x","query":{"subject_countries":["KP","North Korea"]}}`, []string{`query.subject_countries[1]: "NORTH KOREA" is not a two-letter country code`}},
		{"nested bad code", `{"name":"x","query":{"text":"a","any":[{"subject_countries":["K"]}],"not":[{"subject_countries":["1X"]}]}}`,
			[]string{`query.any[0].subject_countries[0]: "K" is not`, `query.not[0].subject_countries[0]: "1X" is not`}},
		{"repeats dropped", `{"name":"x","query":{"subject_countries":["` + strings.Repeat(`KP","`, MaxValues) + `RU"]}}`, nil},
		{"type", `{"name":"x","query":{"subject_countries":"KP"}}`, []string{"query.subject_countries: must be a list"}},
		{"misspelt field", `{"name":"x","query":{"subject_country":["KP"]}}`, []string{`unknown field "subject_country"`}},
		{"only a subject is enough", `{"name":"x","query":{"subject_countries":["kp"]}}`, nil},
		{"empty values dropped, then nothing left", `{"name":"x","query":{"subject_countries":[" ",""]}}`, []string{"query: needs at least one"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRuleJSON([]byte(tc.body), ValidateOptions{})
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				for _, c := range r.Query.SubjectCountries {
					if !isCountryCode(c) {
						t.Errorf("subject country %q not normalized", c)
					}
				}
				return
			}
			if !errors.Is(err, ErrInvalidRule) {
				t.Fatalf("error %v, want ErrInvalidRule", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// Over the limit of distinct values, named by the field.
	var codes []string
	for a := 'A'; len(codes) <= MaxValues; a++ {
		for b := 'A'; b <= 'Z' && len(codes) <= MaxValues; b++ {
			codes = append(codes, string([]rune{a, b}))
		}
	}
	body, _ := json.Marshal(map[string]any{"name": "x", "query": map[string]any{"subject_countries": codes}})
	if _, err := ParseRuleJSON(body, ValidateOptions{}); err == nil || !strings.Contains(err.Error(), "query.subject_countries: has 51 values, over the limit of 50") {
		t.Errorf("51 subject countries: %v", err)
	}
}

func TestSubjectRoundTrip(t *testing.T) {
	in := `{"name":"n","query":{"countries":["RU"],"subject_countries":["kp"," es","KP"],"not":[{"subject_countries":["us"]}]}}`
	r, err := ParseRuleJSON([]byte(in), ValidateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"KP", "ES"}; !reflect.DeepEqual(r.Query.SubjectCountries, want) {
		t.Fatalf("subject countries %q, want %q", r.Query.SubjectCountries, want)
	}
	b, _ := json.Marshal(r)
	if !strings.Contains(string(b), `"subject_countries":["KP","ES"]`) || !strings.Contains(string(b), `"not":[{"subject_countries":["US"]}]`) {
		t.Errorf("JSON lacks the subject countries: %s", b)
	}
	r2, err := ParseRuleJSON(b, ValidateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r, r2) {
		t.Errorf("JSON round trip changed the rule:\n%+v\n%+v", r, r2)
	}

	file := "rules:\n  - id: about-kp\n    name: About North Korea\n    query:\n      subject_countries: [kp]\n      not:\n        - subject_countries: [US]\n"
	rules, err := ParseRulesYAML([]byte(file), ValidateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 1 || !reflect.DeepEqual(rules[0].Query.SubjectCountries, []string{"KP"}) || !reflect.DeepEqual(rules[0].Query.Not[0].SubjectCountries, []string{"US"}) {
		t.Fatalf("YAML rules = %+v", rules)
	}
	y, err := yaml.Marshal(RuleFile{Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(y), "subject_countries:") {
		t.Errorf("YAML lacks subject_countries:\n%s", y)
	}
	again, err := ParseRulesYAML(y, ValidateOptions{})
	if err != nil {
		t.Fatalf("YAML round trip rejected: %v\n%s", err, y)
	}
	if !reflect.DeepEqual(rules, again) {
		t.Errorf("YAML round trip changed the rules:\n%+v\n%+v", rules, again)
	}
	if _, err := ParseRulesYAML([]byte("rules:\n  - {id: a, name: x, query: {subject_countries: [Korea]}}\n"), ValidateOptions{}); err == nil ||
		!strings.Contains(err.Error(), `rules[0].query.subject_countries[0]: "KOREA" is not a two-letter country code`) {
		t.Errorf("bad YAML subject country: %v", err)
	}
}

func TestSubjectResolves(t *testing.T) {
	res := fakeResolver{"country:north korea": "KP", "country:kp": "KP", "country:spain": "ES"}
	r, err := ParseRuleJSON([]byte(`{"name":"n","query":{"subject_countries":["North Korea","KP"],"any":[{"subject_countries":[" Spain "]}]}}`), ValidateOptions{Resolver: res})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Query.SubjectCountries, []string{"KP"}) || !reflect.DeepEqual(r.Query.Any[0].SubjectCountries, []string{"ES"}) {
		t.Errorf("resolved to %q and %q", r.Query.SubjectCountries, r.Query.Any[0].SubjectCountries)
	}
	_, err = ParseRuleJSON([]byte(`{"name":"n","query":{"subject_countries":["Narnia"]}}`), ValidateOptions{Resolver: res})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Path != "query.subject_countries[0]" || ve.Problems[0].Message != "unknown country Narnia" {
		t.Errorf("unknown subject country: %v", err)
	}
}
