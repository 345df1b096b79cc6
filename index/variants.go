package index

import (
	"slices"
	"strings"
)

// Variants returns a lower-case word and its other spellings in British
// and American English — defence/defense, organise/organize,
// organisation/organization, analyse/analyze, labour/labor,
// centre/center, catalogue/catalog — the word itself first, plus the
// words news copy uses interchangeably for an agreement between states
// (pact, treaty, accord). Both engines match any of them for a query
// word, so that a search in one spelling finds articles in the other.
func Variants(w string) []string {
	out := []string{w}
	add := func(v string) {
		if v != "" && v != w {
			for _, x := range out {
				if x == v {
					return
				}
			}
			out = append(out, v)
		}
	}
	if v, ok := spellingPairs[w]; ok {
		add(v)
	}
	for _, group := range synonyms {
		if slices.Contains(group, w) {
			for _, v := range group {
				add(v)
			}
		}
	}
	// -ise/-ize and -yse/-yze with their inflections, on words long enough
	// not to be "rise" or "size".
	for _, suf := range []struct{ uk, us string }{
		{"isation", "ization"}, {"isations", "izations"},
		{"ise", "ize"}, {"ises", "izes"}, {"ised", "ized"}, {"ising", "izing"}, {"iser", "izer"}, {"isers", "izers"},
		{"yse", "yze"}, {"ysed", "yzed"}, {"ysing", "yzing"}, {"yses", "yzes"},
	} {
		if len(w) < 7 {
			break
		}
		if stem, ok := strings.CutSuffix(w, suf.uk); ok && !noIze[stem+"ise"] {
			add(stem + suf.us)
		}
		if stem, ok := strings.CutSuffix(w, suf.us); ok {
			add(stem + suf.uk)
		}
	}
	// -our/-or on the catalogued stems (armour, favour, labour, …).
	for _, stem := range ourStems {
		for _, end := range []string{"", "s", "ed", "ing", "ite", "ites", "able", "er", "ers", "ful"} {
			switch w {
			case stem + "our" + end:
				add(stem + "or" + end)
			case stem + "or" + end:
				add(stem + "our" + end)
			}
		}
	}
	return out
}

// spellingPairs are British–American pairs no suffix rule covers.
var spellingPairs = func() map[string]string {
	m := map[string]string{}
	for _, p := range [][2]string{
		{"defence", "defense"}, {"defences", "defenses"}, {"offence", "offense"}, {"offences", "offenses"},
		{"licence", "license"}, {"pretence", "pretense"},
		{"centre", "center"}, {"centres", "centers"}, {"theatre", "theater"}, {"theatres", "theaters"},
		{"catalogue", "catalog"}, {"dialogue", "dialog"}, {"programme", "program"}, {"programmes", "programs"},
		{"travelled", "traveled"}, {"travelling", "traveling"}, {"cancelled", "canceled"}, {"cancelling", "canceling"},
		{"grey", "gray"}, {"aluminium", "aluminum"}, {"tyre", "tire"}, {"cheque", "check"},
		{"manoeuvre", "maneuver"}, {"manoeuvres", "maneuvers"}, {"paediatric", "pediatric"},
		{"sceptic", "skeptic"}, {"sceptical", "skeptical"}, {"judgement", "judgment"}, {"fulfil", "fulfill"},
		{"enrol", "enroll"}, {"ageing", "aging"}, {"kerb", "curb"},
	} {
		m[p[0]], m[p[1]] = p[1], p[0]
	}
	return m
}()

// synonyms are groups of words news copy uses for one thing.
var synonyms = [][]string{
	{"pact", "treaty", "accord"},
	{"pacts", "treaties", "accords"},
}

// ourStems take -our in British and -or in American spelling.
var ourStems = []string{"arm", "behavi", "clam", "col", "endeav", "fav", "flav", "harb", "hon", "hum",
	"lab", "neighb", "od", "parl", "rum", "sav", "splend", "tum", "val", "vap", "vig"}

// noIze are -ise words that never take -ize.
var noIze = map[string]bool{
	"advertise": true, "advise": true, "chastise": true, "comprise": true, "compromise": true,
	"demise": true, "despise": true, "devise": true, "enterprise": true, "excise": true,
	"exercise": true, "expertise": true, "franchise": true, "improvise": true, "merchandise": true,
	"otherwise": true, "precise": true, "premise": true, "promise": true, "revise": true,
	"supervise": true, "surmise": true, "surprise": true, "televise": true, "treatise": true,
	"concise": true, "paradise": true,
}
