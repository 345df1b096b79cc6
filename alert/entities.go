package alert

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/enrich"
)

// EntityResolver finds the catalogued country, leader, treaty or keyword
// that a rule names, by id or any alias, and the nearest ones to a name
// it does not know. enrich.Tagger implements it.
type EntityResolver interface {
	Resolve(kind, idOrName string) (enrich.Entity, bool)
	Closest(kind, name string, n int) []enrich.Entity
}

// SuggestEntities is how many close entities an unknown name's problem
// suggests.
const SuggestEntities = 3

// ruleResolver lets rules name entities: it turns an EntityResolver into
// the match.Resolver the rule parsers use.
type ruleResolver struct{ r EntityResolver }

// resolverOf returns the match.Resolver of r, nil when r is nil.
func resolverOf(r EntityResolver) match.Resolver {
	if r == nil {
		return nil
	}
	return ruleResolver{r}
}

// ResolveEntity implements match.Resolver: `unknown leader "Putn"; did
// you mean Vladimir Putin (Q7747)?`.
func (x ruleResolver) ResolveEntity(kind, value string) (string, error) {
	if e, ok := x.r.Resolve(kind, value); ok {
		return e.ID, nil
	}
	msg := "unknown " + kind + " " + strconv.Quote(value)
	if near := nearest(value, x.r.Closest(kind, value, SuggestEntities)); len(near) > 0 {
		names := make([]string, len(near))
		for i, e := range near {
			names[i] = e.Label
			if e.ID != e.Label {
				names[i] += " (" + e.ID + ")"
			}
		}
		msg += "; did you mean " + orList(names) + "?"
	}
	return "", fmt.Errorf("%s", msg)
}

// orList joins "a", "b", "c" as "a, b or c".
func orList(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// nearest keeps the entities of cands (nearest first) that are as near to
// value as the first: a clear best guess is suggested alone, a tie in
// full.
func nearest(value string, cands []enrich.Entity) []enrich.Entity {
	if len(cands) <= 1 {
		return cands
	}
	v := []rune(strings.ToLower(value))
	dist := func(e enrich.Entity) int {
		best := -1
		for _, n := range append([]string{e.Label}, e.Aliases...) {
			n = strings.ToLower(n)
			for _, w := range append([]string{n}, strings.Fields(n)...) {
				if d := levenshtein(v, []rune(w)); best < 0 || d < best {
					best = d
				}
			}
		}
		return best
	}
	d0 := dist(cands[0])
	out := cands[:1]
	for _, e := range cands[1:] {
		if dist(e) <= d0 {
			out = append(out, e)
		}
	}
	return out
}

// levenshtein is the edit distance of a and b.
func levenshtein(a, b []rune) int {
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		prev := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cur := row[j]
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			row[j] = min(row[j]+1, row[j-1]+1, prev+cost)
			prev = cur
		}
	}
	return row[len(b)]
}
