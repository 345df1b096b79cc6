package match

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseRuleJSON: the parser never panics; an accepted rule compiles,
// survives a JSON round trip unchanged, and matches the same way through
// the index and rule by rule.
func FuzzParseRuleJSON(f *testing.F) {
	for _, s := range []string{
		`{"name":"x","query":{"text":"treaty -rumour \"strategic partnership\"","countries":["KP","RU"]}}`,
		`{"name":"x","query":{"any":[{"text":"summit"},{"text":"treaty"}],"not":[{"keywords":["sanctions"]}]}}`,
		`{"name":"x","query":{"near":{"a":"putin","b":"treaty","within":10}},"throttle":"10m"}`,
		`{"name":"x","query":{"subject_countries":["kp"],"countries":["RU"],"not":[{"subject_countries":["US"]}]}}`,
		`{"name":"x","query":{"text":"\"unbalanced"}}`,
		`{"name":"x","query":{"leaders":["Q7747"],"treaties":["npt"],"sources":["bbc"]},"channels":[{"type":"slack","url":"https://h.example/x"}]}`,
		`{"name":"","query":{"any":[{"any":[{"any":[{"any":[{"any":[{"text":"a"}]}]}]}]}]}}`,
		`[]`, `{}`, `null`,
	} {
		f.Add([]byte(s))
	}
	e := testArticle()
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRuleJSON(b, ValidateOptions{})
		if err != nil {
			if !utf8.ValidString(err.Error()) && utf8.Valid(b) {
				t.Errorf("error message is not UTF-8: %q", err)
			}
			return
		}
		r.ID = "fuzz"
		m, err := Compile([]Rule{r})
		if err != nil {
			t.Fatalf("accepted rule does not compile: %v", err)
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := ParseRuleJSON(out, ValidateOptions{})
		if err != nil {
			t.Fatalf("round trip rejected: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip changed the rule:\n%+v\n%+v", r, r2)
		}
		got, want := m.Match(e), m.MatchLinear(e)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("index and linear differ: %+v vs %+v", got, want)
		}
		for _, mt := range got {
			for _, h := range mt.Terms {
				for _, s := range h.Spans {
					if s.Start < 0 || s.End > len(e.Field(s.Field)) || s.Start >= s.End {
						t.Fatalf("span %+v outside its field", s)
					}
				}
			}
		}
	})
}

// FuzzParseRulesYAML: the YAML parser never panics, and every accepted
// file has unique, non-empty ids.
func FuzzParseRulesYAML(f *testing.F) {
	f.Add([]byte("rules:\n  - id: a\n    name: A\n    query: {text: treaty}\n"))
	f.Add([]byte("rules:\n  - {id: a, name: A, query: {near: {a: x, b: y, within: 3}}}\n  - {id: b, name: B, query: {countries: [kp]}}\n"))
	f.Add([]byte("rules: [\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rules, err := ParseRulesYAML(b, ValidateOptions{})
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, r := range rules {
			if r.ID == "" || seen[r.ID] {
				t.Fatalf("bad id %q", r.ID)
			}
			seen[r.ID] = true
		}
		if _, err := Compile(rules); err != nil {
			t.Fatalf("accepted file does not compile: %v", err)
		}
	})
}

// FuzzTokens: word offsets lie inside the text, in order, on rune
// boundaries; stemming is deterministic.
func FuzzTokens(f *testing.F) {
	f.Add("Kim Jong-un's treaties, O'Neill… U.S. Ωmega naïve 1990s")
	f.Fuzz(func(t *testing.T, s string) {
		last := 0
		scanWords(s, nil, func(start, end int, form []byte) {
			if start < last || end <= start || end > len(s) {
				t.Fatalf("bad offsets %d..%d (last %d) in %q", start, end, last, s)
			}
			if utf8.ValidString(s) && (!utf8.RuneStart(s[start]) || (end < len(s) && !utf8.RuneStart(s[end]))) {
				t.Fatalf("offsets %d..%d split a rune", start, end)
			}
			if len(form) == 0 {
				t.Fatalf("empty word at %d", start)
			}
			last = end
		})
		if a, b := strings.Join(Tokens(s), " "), strings.Join(Tokens(s), " "); a != b {
			t.Fatal("not deterministic")
		}
	})
}
