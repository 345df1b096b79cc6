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
	if near := x.r.Closest(kind, value, SuggestEntities); len(near) > 0 {
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
