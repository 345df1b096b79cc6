package enrich

import "strings"

// inflect returns regular English inflections of a lower-case word.
func inflect(w string) []string {
	if strings.Contains(w, " ") {
		return []string{w + "s"}
	}
	out := []string{w + "s", w + "es", w + "ed", w + "ing"}
	if strings.HasSuffix(w, "e") {
		out = append(out, w+"d", strings.TrimSuffix(w, "e")+"ing")
	}
	if strings.HasSuffix(w, "y") && len(w) > 2 && !strings.ContainsRune("aeiou", rune(w[len(w)-2])) {
		out = append(out, w[:len(w)-1]+"ies", w[:len(w)-1]+"ied")
	}
	return out
}

// addKeywordEntries puts the alert keywords and the extra ones with
// their inflections in the matcher, and returns the extra ones used.
func (t *Tagger) addKeywordEntries(extraWords []string) []string {
	g, m := t.g, t.m
	kws := append([]keyword(nil), g.keywords...)
	var extra []string
	for _, w := range extraWords {
		w = strings.ToLower(strings.TrimSpace(w))
		if w == "" {
			continue
		}
		extra = append(extra, w)
		kws = append(kws, keyword{base: w, forms: inflect(w)})
	}
	for _, k := range kws {
		t.keywords = append(t.keywords, k.base)
		for _, f := range append([]string{k.base}, k.forms...) {
			m.add(f, entry{kind: kKeyword, target: int32(len(t.keywords) - 1)}, false)
		}
	}
	return extra
}
