package indextest

import (
	"slices"
	"testing"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// subjectCorpus: r1 and r2 have the same text and the same countries,
// with the roles swapped; r3 was tagged before roles existed; r4 names
// North Korea only in passing; r5 is about both countries.
func subjectCorpus() []article.Enriched {
	mk := func(id, title, body string, roles ...string) article.Enriched {
		var codes []string
		for i := 0; i < len(roles); i += 2 {
			codes = append(codes, roles[i])
		}
		e := build(spec{id: id, title: title, body: body, published: at(day2, 9, 0, 0), countries: codes, source: "reuters"})
		for i := range e.Tags.Countries {
			e.Tags.Countries[i].Role = roles[2*i+1]
		}
		return e
	}
	const title, body = "Envoys meet for talks", "The talks in the capital covered trade and security."
	return []article.Enriched{
		mk("r1", title, body, "ES", index.RoleVenue, "KP", index.RoleSubject),
		mk("r2", title, body, "ES", index.RoleSubject, "KP", index.RoleVenue),
		mk("r3", "Old wire item on Pyongyang", "Tagged before countries had roles.", "KP", ""),
		mk("r4", "Markets close higher", "Traders shrugged off the talks; North Korea was mentioned late.", "KP", index.RoleMention),
		mk("r5", "Madrid and Pyongyang trade notes", "Spain and North Korea exchanged notes.", "ES", index.RoleSubject, "KP", index.RoleSubject),
	}
}

// testSubjects: subject filters (AND, Any, Exclude) see only countries
// with role subject or no role; the subject_countries facet counts them;
// a relevance search ranks an article where an asked-for country is a
// subject above its twin where the country is only a venue.
func testSubjects(t *testing.T, s index.Store) {
	load(t, s, subjectCorpus())
	t.Run("filters", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			q    index.Query
			want []string
		}{
			{"subject", index.Query{SubjectCountries: []string{"kp"}}, ids("r1", "r3", "r5")},
			{"subject AND subject", index.Query{SubjectCountries: []string{"KP", "ES"}}, ids("r5")},
			{"subject any", index.Query{SubjectCountries: []string{"KP", "ES"}, Any: []string{index.KindSubjectCountries}}, ids("r1", "r2", "r3", "r5")},
			{"subject and country", index.Query{SubjectCountries: []string{"KP"}, Countries: []string{"ES"}}, ids("r1", "r5")},
			{"not subject", index.Query{Exclude: index.Filters{SubjectCountries: []string{"KP"}}}, ids("r2", "r4")},
			{"country of any role", index.Query{Countries: []string{"KP"}}, ids("r1", "r2", "r3", "r4", "r5")},
			{"subject with text", index.Query{Text: "talks", SubjectCountries: []string{"ES"}}, ids("r2")},
		} {
			t.Run(tt.name, func(t *testing.T) {
				checkIDs(t, search(t, s, tt.q), tt.want)
			})
		}
	})
	t.Run("facet", func(t *testing.T) {
		res := search(t, s, index.Query{})
		checkFacets(t, res.Facets, index.Facets{
			Countries:        []index.Bucket{{Key: "KP", Count: 5}, {Key: "ES", Count: 3}},
			SubjectCountries: []index.Bucket{{Key: "KP", Count: 3}, {Key: "ES", Count: 2}},
			Leaders:          []index.Bucket{},
			Treaties:         []index.Bucket{},
			Keywords:         []index.Bucket{},
			Sources:          []index.Bucket{{Key: "reuters", Count: 5}},
			Days:             []index.Bucket{{Key: "2026-03-03", Count: 5}},
		})
		res = search(t, s, index.Query{SubjectCountries: []string{"ES"}})
		if want := []index.Bucket{{Key: "ES", Count: 2}, {Key: "KP", Count: 1}}; !slices.Equal(res.Facets.SubjectCountries, want) {
			t.Errorf("subject facet of subject ES = %+v, want %+v", res.Facets.SubjectCountries, want)
		}
	})
	// before reports whether a ranks above b in the hits.
	before := func(res index.Result, a, b string) bool {
		h := hitIDs(res.Hits)
		i, j := slices.Index(h, a), slices.Index(h, b)
		return i >= 0 && j >= 0 && i < j
	}
	t.Run("ranking", func(t *testing.T) {
		// The twins swap places with the country asked for, so neither
		// the id order nor the text can explain the order.
		for _, tt := range []struct {
			name          string
			q             index.Query
			first, second string
		}{
			{"filter ES", index.Query{Countries: []string{"ES"}}, "r2", "r1"},
			{"filter KP", index.Query{Countries: []string{"KP"}}, "r1", "r2"},
			{"text and filter ES", index.Query{Text: "talks", Countries: []string{"ES"}}, "r2", "r1"},
			{"text and filter KP", index.Query{Text: "talks", Countries: []string{"KP"}}, "r1", "r2"},
			{"entity ES", index.Query{Text: "talks", Entities: []index.Mention{{Kind: index.KindCountries, ID: "ES", Words: "Spain"}}}, "r2", "r1"},
			{"entity KP", index.Query{Text: "talks", Entities: []index.Mention{{Kind: index.KindCountries, ID: "KP", Words: "North Korea"}}}, "r1", "r2"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				tt.q.Sort = index.SortRelevance
				tt.q.Collapse = false
				res := search(t, s, tt.q)
				if !before(res, tt.first, tt.second) {
					t.Errorf("relevance order %v: %s (country a subject) must rank above %s (country a venue)", hitIDs(res.Hits), tt.first, tt.second)
				}
			})
		}
		// The boost orders, it does not filter.
		res := search(t, s, index.Query{Countries: []string{"ES"}, Sort: index.SortRelevance})
		checkIDs(t, res, ids("r1", "r2", "r5"))
	})
}
