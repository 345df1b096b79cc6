package match

import (
	"errors"
	"strings"
	"testing"
)

// fakeResolver knows a few names; the rest are unknown.
type fakeResolver map[string]string // kind + ":" + folded name → id

func (f fakeResolver) ResolveEntity(kind, v string) (string, error) {
	if id, ok := f[kind+":"+strings.ToLower(v)]; ok {
		return id, nil
	}
	return "", errors.New("unknown " + kind + " " + v)
}

func TestParseRuleJSONResolves(t *testing.T) {
	res := fakeResolver{"country:russia": "RU", "country:ru": "RU", "leader:vladimir putin": "Q7747", "keyword:summits": "summit"}
	for _, tc := range []struct {
		name, body string
		want       string   // countries|leaders|keywords of the result
		probs      []string // "path: message"
	}{
		{"names", `{"name":"n","query":{"countries":[" Russia "],"leaders":["Vladimir Putin"],"keywords":["summits"]}}`, "RU|Q7747|summit", nil},
		{"name and id repeat", `{"name":"n","query":{"countries":["Russia","RU"]}}`, "RU||", nil},
		{"unknown once, not also malformed", `{"name":"n","query":{"countries":["Rusia"]}}`, "", []string{"query.countries[0]: unknown country Rusia"}},
		{"nested and other problems", `{"name":"","query":{"any":[{"leaders":["Putn"]}],"not":[{"keywords":["x y"]}]}}`, "",
			[]string{"query.any[0].leaders[0]: unknown leader Putn", "query.not[0].keywords[0]: unknown keyword x y", "name: required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRuleJSON([]byte(tc.body), ValidateOptions{Resolver: res})
			if tc.probs == nil {
				if err != nil {
					t.Fatal(err)
				}
				got := strings.Join(r.Query.Countries, ",") + "|" + strings.Join(r.Query.Leaders, ",") + "|" + strings.Join(r.Query.Keywords, ",")
				if got != tc.want {
					t.Errorf("got %s, want %s", got, tc.want)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v, want a ValidationError", err)
			}
			var got []string
			for _, p := range ve.Problems {
				got = append(got, p.Path+": "+p.Message)
			}
			if strings.Join(got, "\n") != strings.Join(tc.probs, "\n") {
				t.Errorf("problems\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.probs, "\n"))
			}
		})
	}
	// Without a resolver, values are ids and a name is malformed.
	if _, err := ParseRuleJSON([]byte(`{"name":"n","query":{"countries":["Russia"]}}`), ValidateOptions{}); err == nil ||
		!strings.Contains(err.Error(), "two-letter country code") {
		t.Errorf("country name without a resolver: %v", err)
	}
}
