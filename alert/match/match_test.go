package match

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/newswire/newswire/article"
)

func testArticle() *article.Enriched {
	e := &article.Enriched{Article: article.Article{
		Schema: 1, ID: "a1", Source: "Reuters", URL: "https://news.example/a1",
		Title:   "Kim and Putin sign strategic partnership treaty",
		Summary: "North Korea and Russia agreed to mutual defence at a summit in Pyongyang.",
		Body:    "The treaties were signed on Wednesday. Russia's leader Vladimir Putin praised the agreement. Sanctions remain in force.\n\nAnalysts said the pact was a rumour until then.",
	}}
	e.Tags = article.Tags{
		Countries: []article.CountryTag{
			{Code: "KP", Name: "North Korea", Spans: []article.Span{{Field: "summary", Start: 0, End: 11}}},
			{Code: "RU", Name: "Russia", Spans: []article.Span{{Field: "summary", Start: 16, End: 22}}},
		},
		Leaders:  []article.LeaderTag{{ID: "Q7747", Name: "Vladimir Putin", Country: "RU", Spans: []article.Span{{Field: "title", Start: 8, End: 13}}}},
		Treaties: []article.TreatyTag{{ID: "ru-kp-partnership", Name: "Treaty on Comprehensive Strategic Partnership", Spans: []article.Span{{Field: "title", Start: 14, End: 47}}}},
		Keywords: []string{"treaty", "summit", "sanctions"},
	}
	return e
}

// matchCase is a rule query and whether it should match the article.
type matchCase struct {
	name string
	q    Query
	want bool
}

// checkMatches compiles one rule per case into one matcher (the index must
// find each rule among the others) and checks the indexed and the
// rule-by-rule matcher against every case.
func checkMatches(t *testing.T, e *article.Enriched, cases []matchCase) {
	t.Helper()
	var rules []Rule
	for i, tc := range cases {
		rules = append(rules, Rule{ID: "r" + string(rune('A'+i%26)) + string(rune('a'+i/26)), Name: tc.name, Query: tc.q})
	}
	m, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	got, lin := map[string]bool{}, map[string]bool{}
	for _, mt := range m.Match(e) {
		got[mt.RuleName] = true
	}
	for _, mt := range m.MatchLinear(e) {
		lin[mt.RuleName] = true
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got[tc.name] != tc.want {
				t.Errorf("indexed match = %v, want %v", got[tc.name], tc.want)
			}
			if lin[tc.name] != tc.want {
				t.Errorf("linear match = %v, want %v", lin[tc.name], tc.want)
			}
		})
	}
}

func TestQuerySemantics(t *testing.T) {
	e := testArticle()
	tests := []matchCase{
		{"word", Query{Text: "treaty"}, true},
		{"word case", Query{Text: "TREATY"}, true},
		{"plural in text, singular in rule", Query{Text: "summits"}, true},
		{"singular rule matches plural text", Query{Text: "sanction"}, true},
		{"past tense", Query{Text: "signing"}, true},
		{"agree/agreed", Query{Text: "agree"}, true},
		{"possessive", Query{Text: "russia"}, true},
		{"absent word", Query{Text: "missile"}, false},
		{"and of words", Query{Text: "treaty summit"}, true},
		{"and fails on one", Query{Text: "treaty missile"}, false},
		{"phrase", Query{Text: `"strategic partnership"`}, true},
		{"phrase inflected", Query{Text: `"strategic partnerships treaties"`}, true},
		{"phrase order", Query{Text: `"partnership strategic"`}, false},
		{"phrase across fields", Query{Text: `"treaty north korea"`}, false},
		{"phrase across sentence is fine", Query{Text: `"wednesday russia"`}, true},
		{"exclusion hits", Query{Text: "treaty -rumour"}, false},
		{"exclusion misses", Query{Text: "treaty -missile"}, true},
		{"excluded phrase", Query{Text: `treaty -"mutual defence"`}, false},
		{"excluded phrase absent", Query{Text: `treaty -"defence mutual"`}, true},
		{"hyphenated word is a phrase", Query{Text: "north-korea"}, true},
		{"countries", Query{Countries: []string{"KP", "RU"}}, true},
		{"countries lower-case", Query{Countries: []string{"kp"}}, true},
		{"countries all required", Query{Countries: []string{"KP", "US"}}, false},
		{"leader", Query{Leaders: []string{"Q7747"}}, true},
		{"leader absent", Query{Leaders: []string{"Q56226"}}, false},
		{"treaty id", Query{Treaties: []string{"RU-KP-PARTNERSHIP"}}, true},
		{"keyword", Query{Keywords: []string{"Summit"}}, true},
		{"keyword inflected", Query{Keywords: []string{"sanction"}}, true},
		{"keyword absent", Query{Keywords: []string{"missile"}}, false},
		{"source", Query{Sources: []string{"reuters"}}, true},
		{"source absent", Query{Sources: []string{"bbc"}}, false},
		{"issue example", Query{Text: "treaty", Countries: []string{"KP", "RU"}}, true},
		{"any: one holds", Query{Any: []Query{{Text: "missile"}, {Text: "summit"}}}, true},
		{"any: none holds", Query{Any: []Query{{Text: "missile"}, {Countries: []string{"US"}}}}, false},
		{"any and text", Query{Text: "treaty", Any: []Query{{Text: "missile"}, {Leaders: []string{"Q7747"}}}}, true},
		{"not: holds", Query{Text: "treaty", Not: []Query{{Countries: []string{"US"}}}}, true},
		{"not: excluded", Query{Text: "treaty", Not: []Query{{Countries: []string{"RU"}}}}, false},
		{"not of and: partly", Query{Text: "treaty", Not: []Query{{Text: "summit missile"}}}, true},
		{"nested any in not", Query{Text: "treaty", Not: []Query{{Any: []Query{{Text: "missile"}, {Text: "pyongyang"}}}}}, false},
		{"near within", Query{Near: &Near{A: "putin", B: "treaty", Within: 5}}, true},
		{"near reversed order", Query{Near: &Near{A: "treaty", B: "kim", Within: 6}}, true},
		{"near too far", Query{Near: &Near{A: "kim", B: "treaty", Within: 5}}, false},
		// "treaty" is in the title and body, "north" only in the summary.
		{"near not across fields", Query{Near: &Near{A: "treaty", B: "north", Within: 50}}, false},
		{"near across fields refused", Query{Near: &Near{A: "kim", B: "korea", Within: 50}}, false},
		{"near same word twice", Query{Near: &Near{A: "putin", B: "putin", Within: 10}}, false},
		{"near absent", Query{Near: &Near{A: "putin", B: "missile", Within: 50}}, false},
	}
	checkMatches(t, e, tests)
}

func TestStem(t *testing.T) {
	groups := [][]string{
		{"treaty", "treaties", "treaty's"},
		{"sanction", "sanctions", "sanctioned", "sanctioning"},
		{"summit", "summits"},
		{"sign", "signs", "signed", "signing"},
		{"ratify", "ratified", "ratifies", "ratifying"},
		{"plan", "plans", "planned", "planning"},
		{"agree", "agreed", "agrees"},
		{"match", "matches"},
		{"crisis"},
	}
	for _, g := range groups {
		want := Tokens(g[0])
		for _, w := range g[1:] {
			if got := Tokens(w); !reflect.DeepEqual(got, want) {
				t.Errorf("Tokens(%q) = %q, want %q (as %q)", w, got, want, g[0])
			}
		}
	}
	if a, b := Tokens("treaty"), Tokens("treat"); reflect.DeepEqual(a, b) {
		t.Errorf("treaty and treat conflated: %q", a)
	}
	if got := Tokens("Kim Jong-un's O'Neill, U.S."); !reflect.DeepEqual(got, []string{"kim", "jong", "un", "oneill", "u", "s"}) {
		t.Errorf("Tokens = %q", got)
	}
}

func TestExplain(t *testing.T) {
	e := testArticle()
	m, err := Compile([]Rule{{ID: "r1", Name: "kp ru treaty", Query: Query{
		Text: `treaty "strategic partnership" -rumours`, Countries: []string{"KP", "RU"}, Keywords: []string{"summit"},
		Any:  []Query{{Text: "missile"}, {Leaders: []string{"Q7747"}}},
		Near: &Near{A: "putin", B: "treaty", Within: 5},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	// "-rumours" excludes "rumour": this rule must not match.
	if got := m.Match(e); len(got) != 0 {
		t.Fatalf("matched despite the exclusion: %+v", got)
	}
	m, err = Compile([]Rule{{ID: "r1", Name: "kp ru treaty", Query: Query{
		Text: `treaty "strategic partnership"`, Countries: []string{"KP", "RU"}, Keywords: []string{"summit"},
		Any:  []Query{{Text: "missile"}, {Leaders: []string{"Q7747"}}},
		Near: &Near{A: "putin", B: "treaty", Within: 5},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	got := m.Match(e)
	if len(got) != 1 {
		t.Fatalf("got %d matches", len(got))
	}
	mt := got[0]
	sp := func(f string, s, en int) article.Span { return article.Span{Field: f, Start: s, End: en} }
	wantTerms := []TermHit{
		{Kind: KindWord, Text: "treaty", Spans: []article.Span{sp("title", 41, 47), sp("body", 4, 12)}},
		{Kind: KindPhrase, Text: "strategic partnership", Spans: []article.Span{sp("title", 19, 40)}},
		{Kind: KindNear, Text: "putin within 5 words of treaty", Spans: []article.Span{sp("title", 8, 47)}},
	}
	if !reflect.DeepEqual(mt.Terms, wantTerms) {
		t.Errorf("terms:\n got %+v\nwant %+v", mt.Terms, wantTerms)
	}
	for _, h := range mt.Terms {
		for _, s := range h.Spans {
			if txt := e.Field(s.Field)[s.Start:s.End]; !strings.Contains(strings.ToLower(txt), strings.Fields(strings.ToLower(h.Text))[0][:4]) {
				t.Errorf("span %+v of %q covers %q", s, h.Text, txt)
			}
		}
	}
	var kinds []string
	for _, h := range mt.Entities {
		kinds = append(kinds, h.Kind+":"+h.ID)
	}
	if want := []string{"country:KP", "country:RU", "keyword:summit", "leader:Q7747"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("entities = %v, want %v", kinds, want)
	}
	if s := mt.Entities[2].Spans; len(s) != 1 || e.Field(s[0].Field)[s[0].Start:s[0].End] != "summit" {
		t.Errorf("keyword spans = %+v", s)
	}
	if mt.Entities[0].Name != "North Korea" || len(mt.Entities[0].Spans) != 1 {
		t.Errorf("country hit = %+v", mt.Entities[0])
	}
}

func TestValidationPaths(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string // substrings, each must be in the error
	}{
		{"ok", `{"name":"x","query":{"text":"treaty"}}`, nil},
		{"no name", `{"query":{"text":"treaty"}}`, []string{"name: required"}},
		{"unbalanced quote", `{"name":"x","query":{"text":"treaty -rumour \"strategic"}}`, []string{"query.text: unbalanced quote at 15"}},
		{"within range", `{"name":"x","query":{"near":{"a":"putin","b":"treaty","within":99}}}`, []string{"query.near.within: must be 1..50"}},
		{"near two words", `{"name":"x","query":{"near":{"a":"kim jong","b":"treaty","within":3}}}`, []string{`query.near.a: "kim jong" must be one word`}},
		{"near missing b", `{"name":"x","query":{"near":{"a":"kim","within":3}}}`, []string{"query.near.b: required"}},
		{"bad country", `{"name":"x","query":{"countries":["KP","Russia"]}}`, []string{`query.countries[1]: "RUSSIA" is not a two-letter country code`}},
		{"nested", `{"name":"x","query":{"text":"a","any":[{"text":"b"},{"near":{"a":"x","b":"y","within":0}}]}}`, []string{"query.any[1].near.within: must be 1..50"}},
		{"only exclusions", `{"name":"x","query":{"text":"-rumour"}}`, []string{"query: needs at least one"}},
		{"empty query", `{"name":"x","query":{}}`, []string{"query: needs at least one"}},
		{"empty not", `{"name":"x","query":{"text":"a","not":[{}]}}`, []string{"query.not[0]: needs at least one"}},
		{"type error", `{"name":"x","query":{"near":{"a":"x","b":"y","within":"ten"}}}`, []string{"query.near.within: must be a whole number"}},
		{"unknown field", `{"name":"x","query":{"txt":"a"}}`, []string{`unknown field "txt"`}},
		{"bad throttle", `{"name":"x","query":{"text":"a"},"throttle":"soon"}`, []string{"throttle:"}},
		{"short throttle", `{"name":"x","query":{"text":"a"},"throttle":"1s"}`, []string{"throttle: must be from"}},
		{"channel type", `{"name":"x","query":{"text":"a"},"channels":[{"type":"pager"}]}`, []string{`channels[0].type: "pager" is not`}},
		{"webhook needs secret", `{"name":"x","query":{"text":"a"},"channels":[{"type":"webhook","url":"https://hooks.example.com/x"}]}`, []string{"channels[0].secret: required"}},
		{"loopback refused", `{"name":"x","query":{"text":"a"},"channels":[{"type":"slack","url":"http://127.0.0.1:9/x"}]}`, []string{"channels[0].url: targets a loopback"}},
		{"private refused", `{"name":"x","query":{"text":"a"},"channels":[{"type":"slack","url":"http://10.1.2.3/x"}]}`, []string{"channels[0].url: targets a loopback, private"}},
		{"localhost refused", `{"name":"x","query":{"text":"a"},"channels":[{"type":"slack","url":"http://localhost/x"}]}`, []string{"channels[0].url: targets a loopback host"}},
		{"bad id", `{"id":"a b","name":"x","query":{"text":"a"}}`, []string{"id:"}},
		{"not json", `treaty`, []string{"malformed JSON"}},
		{"trailing", `{"name":"x","query":{"text":"a"}} {}`, []string{"trailing data"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRuleJSON([]byte(tc.body), ValidateOptions{})
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if len(r.Channels) != 2 || r.Channels[0].Type != ChannelKafka {
					t.Errorf("default channels = %+v", r.Channels)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !errors.Is(err, ErrInvalidRule) {
				t.Errorf("error %v does not wrap ErrInvalidRule", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestParseRulesYAML(t *testing.T) {
	good := `
rules:
  - id: summit-or-treaty
    name: Summit or treaty
    query:
      any:
        - text: summit
        - text: treaty
    throttle: 10m
  - id: kp-ru
    name: North Korea and Russia with treaty
    query:
      text: treaty
      countries: [KP, RU]
    channels:
      - type: webhook
        url: https://hooks.example.com/x
        secret: s3cret
`
	rules, err := ParseRulesYAML([]byte(good), ValidateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 || rules[0].Origin != OriginFile || rules[0].ThrottleDuration().Minutes() != 10 || rules[1].Channels[0].Secret != "s3cret" {
		t.Fatalf("rules = %+v", rules)
	}
	bad := []struct{ name, y, want string }{
		{"missing id", "rules:\n  - name: x\n    query: {text: a}\n", "rules[0].id: required"},
		{"duplicate id", "rules:\n  - {id: a, name: x, query: {text: a}}\n  - {id: a, name: y, query: {text: b}}\n", `rules[1].id: "a" repeats`},
		{"nested path", "rules:\n  - {id: a, name: x, query: {near: {a: x, b: y, within: 60}}}\n", "rules[0].query.near.within: must be 1..50"},
		{"unknown key", "rules:\n  - {id: a, name: x, qeury: {text: a}}\n", "malformed YAML"},
		{"syntax", "rules: [\n", "malformed YAML"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRulesYAML([]byte(tc.y), ValidateOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	if rules, err := ParseRulesYAML(nil, ValidateOptions{}); err != nil || len(rules) != 0 {
		t.Errorf("empty file: %v %v", rules, err)
	}
}

func TestRuleJSONRoundTrip(t *testing.T) {
	in := `{"name":"n","query":{"text":"treaty -rumour \"strategic partnership\"","countries":["KP","RU"],"leaders":["Q7747"],"treaties":["new-start"],"keywords":["summit"],"sources":["bbc"],"any":[{"text":"a"}],"not":[{"text":"b"}],"near":{"a":"putin","b":"treaty","within":10}},"channels":[{"type":"webhook","url":"https://x.example/h","secret":"k"},{"type":"slack","url":"https://x.example/s"},{"type":"kafka"},{"type":"stream"}],"throttle":"10m"}`
	r, err := ParseRuleJSON([]byte(in), ValidateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	r2, err := ParseRuleJSON(b, ValidateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r, r2) {
		t.Errorf("round trip changed the rule:\n%+v\n%+v", r, r2)
	}
}

func TestCompileRejects(t *testing.T) {
	if _, err := Compile([]Rule{{ID: "a", Name: "x", Query: Query{Text: "a"}}, {ID: "a", Name: "y", Query: Query{Text: "b"}}}); err == nil {
		t.Error("duplicate ids compiled")
	}
	if _, err := Compile([]Rule{{ID: "a", Name: "x"}}); !errors.Is(err, ErrInvalidRule) {
		t.Errorf("empty query: %v", err)
	}
}
