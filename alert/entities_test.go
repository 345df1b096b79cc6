package alert

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/enrich"
)

var (
	catOnce sync.Once
	catalog *enrich.Tagger
	catErr  error
)

// testCatalog is the real tagger's catalogue, built once.
func testCatalog(t testing.TB) *enrich.Tagger {
	t.Helper()
	catOnce.Do(func() { catalog, catErr = enrich.New(enrich.Options{}) })
	if catErr != nil {
		t.Fatal(catErr)
	}
	return catalog
}

// TestRuleNamesResolve: rules created and changed through the API may
// name entities; they are stored as ids, and unknown ones are refused
// with the closest known entities, at the path of the value.
func TestRuleNamesResolve(t *testing.T) {
	store, err := OpenRuleStore(StoreConfig{Log: &memLog{}}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	store.cfg.Log.(*memLog).follow(store)
	svc, err := NewService(ServiceConfig{Store: store, Entities: testCatalog(t)}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, r := range svc.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, tc := range []struct {
		name  string
		query string // the rule's query JSON
		code  int
		want  match.Query // stored query (201)
		probs []string    // "path: message part" (400)
	}{
		{name: "names", query: `{"countries":["North Korea","russia"],"leaders":["vladimir putin"],"treaties":["New START"],"keywords":["Summits"]}`, code: 201,
			want: match.Query{Countries: []string{"KP", "RU"}, Leaders: []string{"Q7747"}, Treaties: []string{"t-new-start"}, Keywords: []string{"summit"}}},
		{name: "ids", query: `{"countries":["KP"],"leaders":["Q56226"],"treaties":["t-kp-ru-2024"]}`, code: 201,
			want: match.Query{Countries: []string{"KP"}, Leaders: []string{"Q56226"}, Treaties: []string{"t-kp-ru-2024"}}},
		{name: "name and id of one entity", query: `{"text":"treaty","countries":["Russia","RU"]}`, code: 201,
			want: match.Query{Text: "treaty", Countries: []string{"RU"}}},
		{name: "nested", query: `{"text":"pact","any":[{"leaders":["Kim Jong Un"]},{"countries":["China"]}],"not":[{"countries":["Japan"]}]}`, code: 201,
			want: match.Query{Text: "pact", Any: []match.Query{{Leaders: []string{"Q56226"}}, {Countries: []string{"CN"}}}, Not: []match.Query{{Countries: []string{"JP"}}}}},
		{name: "subject country names", query: `{"countries":["Russia"],"subject_countries":["north korea","KP","Japan"],"not":[{"subject_countries":["China"]}]}`, code: 201,
			want: match.Query{Countries: []string{"RU"}, SubjectCountries: []string{"KP", "JP"}, Not: []match.Query{{SubjectCountries: []string{"CN"}}}}},
		{name: "unknown subject country", query: `{"subject_countries":["Nort Korea"],"any":[{"subject_countries":["XX"]}]}`, code: 400,
			probs: []string{`query.subject_countries[0]: unknown country "Nort Korea"; did you mean North Korea (KP)`, `query.any[0].subject_countries[0]: unknown country "XX"`}},
		{name: "unknown leader", query: `{"leaders":["Putn"]}`, code: 400,
			probs: []string{`query.leaders[0]: unknown leader "Putn"; did you mean Vladimir Putin (Q7747)`}},
		// A bare surname is no name of one leader: the editor is told whom
		// it may mean rather than getting a rule that never matches.
		{name: "surname alone", query: `{"leaders":["Putin"]}`, code: 400,
			probs: []string{`query.leaders[0]: unknown leader "Putin"; did you mean Vladimir Putin (Q7747)`}},
		{name: "unknown code and treaty", query: `{"countries":["XX"],"treaties":["New STRAT"],"any":[{"keywords":["zzzqqq"]}]}`, code: 400,
			probs: []string{`query.countries[0]: unknown country "XX"; did you mean`, `query.treaties[0]: unknown treaty "New STRAT"; did you mean New START (t-new-start)`, `query.any[0].keywords[0]: unknown keyword "zzzqqq"`}},
		{name: "unknown next to another problem", query: `{"leaders":["Putn"],"near":{"a":"x","b":"y","within":0}}`, code: 400,
			probs: []string{`query.leaders[0]: unknown leader "Putn"`, `query.near.within: must be`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"name":"` + tc.name + `","query":` + tc.query + `}`
			resp, err := http.Post(srv.URL+"/api/v1/alerts/rules", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.code)
			}
			if tc.code == 201 {
				var got match.Rule
				if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
					t.Fatal(err)
				}
				if gj, wj := mustJSON(t, got.Query), mustJSON(t, tc.want); gj != wj {
					t.Errorf("stored query %s, want %s", gj, wj)
				}
				stored, err := store.Get(got.ID)
				if err != nil || mustJSON(t, stored.Query) != mustJSON(t, tc.want) {
					t.Errorf("store holds %+v (%v), want %+v", stored.Query, err, tc.want)
				}
				return
			}
			var eb errorBody
			if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil {
				t.Fatal(err)
			}
			if len(eb.Problems) != len(tc.probs) {
				t.Errorf("problems %+v, want %d", eb.Problems, len(tc.probs))
			}
			for _, want := range tc.probs {
				if !slices.ContainsFunc(eb.Problems, func(p match.Problem) bool { return strings.HasPrefix(p.Path+": "+p.Message, want) }) {
					t.Errorf("no problem %q in %+v", want, eb.Problems)
				}
			}
		})
	}

	// A name and an id of the same entities are one rule: the second
	// create is a duplicate of the first.
	code, _ := do(t, "POST", srv.URL+"/api/v1/alerts/rules", `{"name":"a","query":{"text":"summit","leaders":["Xi Jinping"]}}`)
	if code != 201 {
		t.Fatalf("create by name: %d", code)
	}
	code, m := do(t, "POST", srv.URL+"/api/v1/alerts/rules", `{"name":"b","query":{"text":"summit","leaders":["Q15031"]}}`)
	if code != http.StatusConflict || m["existing_id"] == nil {
		t.Errorf("same rule by id: %d %v, want 409 with existing_id", code, m)
	}
	// PUT resolves too.
	id := m["existing_id"].(string)
	code, m = do(t, "PUT", srv.URL+"/api/v1/alerts/rules/"+id, `{"name":"a","query":{"text":"summit","leaders":["Xi Jinpeng"]}}`)
	if code != 400 || !strings.Contains(mustJSON(t, m), "did you mean Xi Jinping (Q15031)") {
		t.Errorf("PUT with a misspelt leader: %d %v", code, m)
	}
	code, m = do(t, "PUT", srv.URL+"/api/v1/alerts/rules/"+id, `{"name":"a","query":{"text":"summit","countries":["China"]}}`)
	if code != 200 || mustJSON(t, m["query"]) != `{"countries":["CN"],"text":"summit"}` {
		t.Errorf("PUT by country name: %d %v", code, m)
	}
	code, m = do(t, "PUT", srv.URL+"/api/v1/alerts/rules/"+id, `{"name":"a","query":{"text":"summit","subject_countries":["China"]}}`)
	if code != 200 || mustJSON(t, m["query"]) != `{"subject_countries":["CN"],"text":"summit"}` {
		t.Errorf("PUT by subject country name: %d %v", code, m)
	}
	// The order of subject countries does not make another rule.
	if code, _ := do(t, "POST", srv.URL+"/api/v1/alerts/rules", `{"name":"c","query":{"text":"pact","subject_countries":["KP","RU"]}}`); code != 201 {
		t.Fatalf("create with subject countries: %d", code)
	}
	if code, m := do(t, "POST", srv.URL+"/api/v1/alerts/rules", `{"name":"d","query":{"text":"pact","subject_countries":["Russia","North Korea"]}}`); code != http.StatusConflict || m["existing_id"] == nil {
		t.Errorf("same subject countries in another order: %d %v, want 409", code, m)
	}
}

// TestRuleFileNamesResolve: the rule file takes names too, and a file
// with an unknown one fails to load with the same message.
func TestRuleFileNamesResolve(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	good := "rules:\n  - id: kp\n    name: KP treaty\n    query:\n      text: treaty\n      countries: [North Korea]\n      leaders: [Kim Jong Un]\n"
	if err := os.WriteFile(path, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	store, err := OpenRuleStore(StoreConfig{FilePath: path, Entities: testCatalog(t)}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	r, err := store.Get("kp")
	if err != nil || !slices.Equal(r.Query.Countries, []string{"KP"}) || !slices.Equal(r.Query.Leaders, []string{"Q56226"}) {
		t.Fatalf("file rule %+v (%v): want KP and Q56226", r.Query, err)
	}
	bad := strings.Replace(good, "Kim Jong Un", "Putn", 1)
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	err = store.Reload()
	var ve *match.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Path != "rules[0].query.leaders[0]" ||
		!strings.HasPrefix(ve.Problems[0].Message, `unknown leader "Putn"; did you mean Vladimir Putin (Q7747)`) {
		t.Fatalf("reload of a file with an unknown leader: %v", err)
	}
	if _, err := OpenRuleStore(StoreConfig{FilePath: path, Entities: testCatalog(t)}, zap.NewNop()); err == nil ||
		!strings.Contains(err.Error(), `unknown leader "Putn"`) {
		t.Fatalf("open with an unknown leader: %v", err)
	}
	if r, _ := store.Get("kp"); !slices.Equal(r.Query.Leaders, []string{"Q56226"}) {
		t.Errorf("a failed reload changed the rules in force: %+v", r.Query)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
