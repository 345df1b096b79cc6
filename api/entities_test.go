package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"

	"github.com/newswire/newswire/enrich"
)

var (
	tagOnce sync.Once
	tagger  *enrich.Tagger
	tagErr  error
)

// sharedTagger is one real tagger for the tests of this file.
func sharedTagger(t *testing.T) *enrich.Tagger {
	t.Helper()
	tagOnce.Do(func() { tagger, tagErr = enrich.New(enrich.Options{}) })
	if tagErr != nil {
		t.Fatal(tagErr)
	}
	return tagger
}

func TestEntities(t *testing.T) {
	h := New(Config{Queries: sharedTagger(t)}, zap.NewNop()).Handler()
	for _, tc := range []struct {
		name   string
		query  url.Values
		code   int
		first  string // id of the first entity
		kind   string // every entity is of this kind
		max    int    // most entities expected (0: no bound checked)
		errHas string
	}{
		{name: "leader by surname", query: url.Values{"q": {"Putin"}, "kind": {"leader"}}, code: 200, first: "Q7747", kind: "leader"},
		{name: "treaty by alias", query: url.Values{"q": {"new start"}, "kind": {"treaty"}}, code: 200, first: "t-new-start", kind: "treaty"},
		{name: "country by name", query: url.Values{"q": {"North Korea"}, "kind": {"country"}}, code: 200, first: "KP", kind: "country"},
		{name: "country by code", query: url.Values{"q": {"kp"}, "kind": {"country"}}, code: 200, first: "KP", kind: "country"},
		{name: "accents ignored", query: url.Values{"q": {"Côte d’Ivoire"}}, code: 200, first: "CI"},
		{name: "keyword", query: url.Values{"q": {"summit"}, "kind": {"keyword"}}, code: 200, first: "summit", kind: "keyword"},
		{name: "prefix with limit", query: url.Values{"q": {"ka"}, "limit": {"3"}}, code: 200, max: 3},
		{name: "unknown name", query: url.Values{"q": {"zzqxv"}}, code: 200, max: -1},
		{name: "missing q", query: url.Values{"kind": {"leader"}}, code: 400, errHas: "q is required"},
		{name: "bad kind and limit", query: url.Values{"q": {"x"}, "kind": {"planet"}, "limit": {"500"}}, code: 400, errHas: "kind must be"},
		{name: "limit not a number", query: url.Values{"q": {"x"}, "limit": {"ten"}}, code: 400, errHas: "limit must be a number"},
		{name: "q too long", query: url.Values{"q": {strings.Repeat("a", MaxEntityQuery+1)}}, code: 400, errHas: "q is over the limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/entities?"+tc.query.Encode(), nil))
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			if tc.code != 200 {
				if !strings.Contains(rec.Body.String(), tc.errHas) {
					t.Errorf("error %s lacks %q", rec.Body, tc.errHas)
				}
				return
			}
			var got EntitiesAnswer
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Entities == nil {
				t.Fatalf("entities is null, want a list: %s", rec.Body)
			}
			switch {
			case tc.max < 0 && len(got.Entities) != 0:
				t.Errorf("got %d entities, want none: %+v", len(got.Entities), got.Entities)
			case tc.max > 0 && (len(got.Entities) == 0 || len(got.Entities) > tc.max):
				t.Errorf("got %d entities, want 1..%d", len(got.Entities), tc.max)
			}
			if tc.first != "" && (len(got.Entities) == 0 || got.Entities[0].ID != tc.first) {
				t.Fatalf("first entity %+v, want id %s", got.Entities, tc.first)
			}
			for _, e := range got.Entities {
				if tc.kind != "" && e.Kind != tc.kind {
					t.Errorf("entity %s of kind %s, want %s", e.ID, e.Kind, tc.kind)
				}
				if e.Label == "" {
					t.Errorf("entity %s has no label", e.ID)
				}
			}
		})
	}
	// Labels, aliases and countries travel: Putin is a Russian leader
	// with his full name as an alias.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/entities?kind=leader&q=Vladimir+Putin", nil))
	var got EntitiesAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got.Entities) == 0 {
		t.Fatalf("lookup of Vladimir Putin: %v %s", err, rec.Body)
	}
	if e := got.Entities[0]; e.Label != "Vladimir Putin" || !slices.Contains(e.Countries, "RU") || !slices.Contains(e.Aliases, "Vladimir Vladimirovich Putin") {
		t.Errorf("Putin entity %+v: want label, country RU and his full name as an alias", e)
	}
}

func TestEntitiesWithoutCatalogue(t *testing.T) {
	h := New(Config{}, zap.NewNop()).Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/entities?q=putin", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("no catalogue: %d, want 503", rec.Code)
	}
}

// BenchmarkEntitiesHandler: one autocomplete request through the HTTP
// handler, against its baseline, the tagger's Lookup alone.
func BenchmarkEntitiesHandler(b *testing.B) {
	tg, err := enrich.New(enrich.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("lookup-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(tg.Lookup("pu", "", 10)) == 0 {
				b.Fatal("no entities")
			}
		}
	})
	h := New(Config{Queries: tg}, zap.NewNop()).Handler()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/entities?q=pu&limit=10", nil)
	b.Run("handler", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
	})
}
