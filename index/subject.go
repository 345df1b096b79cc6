package index

import (
	"slices"
	"strings"

	"github.com/newswire/newswire/article"
)

// FilterKinds lists every filter kind a query may name in Any, in the
// order error messages give them.
var FilterKinds = []string{KindCountries, KindSubjectCountries, KindLeaders, KindTreaties, KindKeywords, KindSources}

// Country roles as the tagger writes them in article.CountryTag.Role.
const (
	RoleSubject = "subject"
	RoleVenue   = "venue"
	RoleMention = "mention"
)

// SubjectBoost is how much a relevance search adds for an article that
// has a country the query asks for (Query.Countries, or a country entity
// of Query.Entities) as a subject, over one that names it only as a
// venue or in passing.
const SubjectBoost = 2.0

// IsSubject reports whether a country tag makes its country a subject of
// the article: its role is RoleSubject, or it has no role at all. Tags
// written before the tagger gave roles carry none; counting them as
// subjects keeps subject filters and facets working on old articles as
// they did before roles existed.
func IsSubject(c article.CountryTag) bool {
	switch strings.TrimSpace(c.Role) {
	case "", RoleSubject:
		return true
	}
	return false
}

// SubjectCountries returns the codes of the countries e is about (see
// IsSubject): upper-cased, trimmed, distinct, in tag order. Both stores
// index this list as the field subject_countries.
func SubjectCountries(e *article.Enriched) []string {
	var out []string
	for _, c := range e.Tags.Countries {
		if !IsSubject(c) {
			continue
		}
		if code := strings.ToUpper(strings.TrimSpace(c.Code)); code != "" && !slices.Contains(out, code) {
			out = append(out, code)
		}
	}
	return out
}

// BoostCountries returns the countries whose subject role raises an
// article's score in a relevance search: the country filters and the
// country entities of the query, distinct, in that order. It is empty for
// a search sorted by time, where scores do not matter.
func (q *Query) BoostCountries() []string {
	if q.Sort == SortNewest {
		return nil
	}
	var out []string
	for _, c := range q.Countries {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	for _, m := range q.Entities {
		if m.Kind == KindCountries && !slices.Contains(out, m.ID) {
			out = append(out, m.ID)
		}
	}
	return out
}
