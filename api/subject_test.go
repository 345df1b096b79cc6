package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// TestSubjectSearchOnSamples: on the samples as the real tagger tags
// them, subject=XX finds exactly the articles whose tag for XX has role
// subject, country=XX every article tagged XX, and the answer carries
// the subject_countries facet; a malformed code is a 400.
func TestSubjectSearchOnSamples(t *testing.T) {
	st, docs := sampleStore(t)
	h := New(Config{Searcher: st}, zap.NewNop()).Handler()
	search := func(t *testing.T, params string) (int, map[string]json.RawMessage) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/search?collapse=false&size=100&"+params, nil))
		var m map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s: %d %s", params, rec.Code, rec.Body)
		}
		return rec.Code, m
	}
	roleOf := func(e *article.Enriched, code string) (string, bool) {
		for _, c := range e.Tags.Countries {
			if c.Code == code {
				return c.Role, true
			}
		}
		return "", false
	}
	fewer := 0
	for _, code := range []string{"US", "CN", "FR", "KP"} {
		t.Run(code, func(t *testing.T) {
			var subject, any []string
			for i := range docs {
				role, ok := roleOf(&docs[i], code)
				if !ok {
					continue
				}
				any = append(any, docs[i].ID)
				if role == "subject" {
					subject = append(subject, docs[i].ID)
				}
			}
			slices.Sort(subject)
			slices.Sort(any)
			if len(subject) < len(any) {
				fewer++
			}
			for _, c := range []struct {
				params string
				want   []string
			}{{"subject=" + strings.ToLower(code), subject}, {"country=" + code, any}} {
				status, m := search(t, c.params)
				var hits []index.Hit
				if err := json.Unmarshal(m["hits"], &hits); status != http.StatusOK || err != nil {
					t.Fatalf("%s: %d %v", c.params, status, err)
				}
				var got []string
				for _, h := range hits {
					got = append(got, h.ID)
				}
				slices.Sort(got)
				if !slices.Equal(got, c.want) {
					t.Errorf("%s: hits %v, want %v", c.params, got, c.want)
				}
			}
			_, m := search(t, "subject="+code)
			var f index.Facets
			if err := json.Unmarshal(m["facets"], &f); err != nil {
				t.Fatal(err)
			}
			if i := slices.IndexFunc(f.SubjectCountries, func(b index.Bucket) bool { return b.Key == code }); i < 0 || f.SubjectCountries[i].Count != len(subject) {
				t.Errorf("subject_countries facet %+v, want %s counted %d times", f.SubjectCountries, code, len(subject))
			}
		})
	}
	if fewer == 0 {
		t.Error("the samples give none of the countries a venue or mention role; the test shows nothing")
	}
	for _, bad := range []string{"subject=Korea", "not_subject=K", "any=subjects"} {
		if status, m := search(t, bad); status != http.StatusBadRequest || !strings.Contains(string(m["error"]), strings.Split(bad, "=")[0]) {
			t.Errorf("%s: %d %s, want 400 naming the parameter", bad, status, m["error"])
		}
	}
}
