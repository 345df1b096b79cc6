package enrich

import (
	"fmt"
	"strings"
)

// addNameEntries puts the names of countries, leaders, treaties and alert
// keywords in further languages (data/v2/names.txt) in the matcher. A
// country form ending in "@" is a capital or seat; a leader form ending
// in "!" is a distinctive surname. Keywords report their English base
// word, so a rule on "treaty" matches "договор", "条约" and "traité".
func (t *Tagger) addNameEntries() error {
	persons := map[string]int{}
	for i := range t.persons {
		persons[t.persons[i].id] = i
	}
	treaties := map[string]int{}
	for i := range t.g.treaties {
		treaties[t.g.treaties[i].id] = i
	}
	keywords := map[string]int{}
	for i, k := range t.keywords {
		if _, ok := keywords[k]; !ok {
			keywords[k] = i
		}
	}
	m := t.m
	for n, row := range t.g.names {
		lang := langID(row.lang)
		for _, form := range row.forms {
			switch row.kind {
			case KindCountry:
				c, ok := t.codeIdx[row.id]
				if !ok {
					return fmt.Errorf("names row %d: country %q unknown", n+1, row.id)
				}
				seat := strings.HasSuffix(form, "@")
				m.add(strings.TrimSuffix(form, "@"), entry{kind: kCountry, seat: seat, target: int32(c), lang: lang}, true)
			case KindLeader:
				p, ok := persons[row.id]
				if !ok {
					return fmt.Errorf("names row %d: leader %q unknown", n+1, row.id)
				}
				if sn, isSN := strings.CutSuffix(form, "!"); isSN {
					t.addSurname(sn, p, true, lang)
					continue
				}
				m.add(form, entry{kind: kLeaderName, target: int32(p), lang: lang}, true)
			case KindTreaty:
				tr, ok := treaties[row.id]
				if !ok {
					return fmt.Errorf("names row %d: treaty %q unknown", n+1, row.id)
				}
				lower := isLowerPhrase(form)
				m.add(form, entry{kind: kTreaty, target: int32(tr), lang: lang}, !lower)
			case KindKeyword:
				k, ok := keywords[row.id]
				if !ok {
					return fmt.Errorf("names row %d: keyword %q unknown", n+1, row.id)
				}
				m.add(form, entry{kind: kKeyword, target: int32(k), lang: lang}, false)
			default:
				return fmt.Errorf("names row %d: kind %q unknown", n+1, row.kind)
			}
		}
	}
	return nil
}
