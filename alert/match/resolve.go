package match

import (
	"fmt"
	"slices"
	"strings"
)

// Resolver maps a name or id that a rule gives for a country, leader,
// treaty or keyword to the catalogue id the matcher compares with tags.
// kind is KindCountry (for countries and subject countries alike),
// KindLeader, KindTreaty or KindKeyword.
// ResolveEntity returns the id, or an error whose text says the value is
// unknown and what it may have meant (it becomes the Problem message).
type Resolver interface {
	ResolveEntity(kind, value string) (string, error)
}

// resolveRule replaces every country, subject country, leader, treaty and keyword of r's
// query (nested ones too) by its id, and reports the values res does not
// know at their paths ("query.leaders[0]"). Values are trimmed first;
// empty ones are left for Normalize to drop. Unknown values stay as
// given.
func resolveRule(r *Rule, res Resolver) []Problem {
	var ps []Problem
	resolveQuery(&r.Query, "query", res, &ps)
	return ps
}

func resolveQuery(q *Query, path string, res Resolver, ps *[]Problem) {
	for _, l := range []struct {
		name, kind string
		vals       []string
	}{{"countries", KindCountry, q.Countries}, {"subject_countries", KindCountry, q.SubjectCountries}, {"leaders", KindLeader, q.Leaders}, {"treaties", KindTreaty, q.Treaties}, {"keywords", KindKeyword, q.Keywords}} {
		for i, v := range l.vals {
			v = strings.TrimSpace(v)
			if v == "" || len(v) > 200 {
				continue // Normalize drops it, Validate reports it
			}
			id, err := res.ResolveEntity(l.kind, v)
			if err != nil {
				*ps = append(*ps, Problem{Path: fmt.Sprintf("%s.%s[%d]", path, l.name, i), Message: err.Error()})
				continue
			}
			l.vals[i] = id
		}
	}
	for i := range q.Any {
		resolveQuery(&q.Any[i], fmt.Sprintf("%s.any[%d]", path, i), res, ps)
	}
	for i := range q.Not {
		resolveQuery(&q.Not[i], fmt.Sprintf("%s.not[%d]", path, i), res, ps)
	}
}

// normalizeAndValidate resolves entity names (when opt.Resolver is set),
// normalizes and validates r, and reports every problem once: a value
// that did not resolve is reported as unknown, not also as malformed.
func normalizeAndValidate(r *Rule, opt ValidateOptions) error {
	var unknown []Problem
	if opt.Resolver != nil {
		unknown = resolveRule(r, opt.Resolver)
	}
	Normalize(r)
	err := Validate(r, opt)
	if len(unknown) == 0 {
		return err
	}
	ve := &ValidationError{Problems: unknown}
	if rv, ok := err.(*ValidationError); ok {
		for _, p := range rv.Problems {
			if !slices.ContainsFunc(unknown, func(u Problem) bool { return u.Path == p.Path }) {
				ve.Problems = append(ve.Problems, p)
			}
		}
	}
	return ve
}
