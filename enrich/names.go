package enrich

import (
	"fmt"
	"math"
	"strings"
)

// addNameEntries puts the names of countries, leaders, treaties and alert
// keywords in further languages (data/names.txt) in the matcher. A
// country form ending in "@" is a capital or seat; a leader form ending
// in "!" is a distinctive surname. Keywords report their English base
// word, so a rule on "treaty" matches "договор", "条约" and "traité".
//
// Further kinds:
//   - title: the id is an English title of titles.txt ("president"),
//     optionally with the country the title implies when none is named
//     ("chancellor/DE" for "Bundeskanzler"); the forms name that office.
//   - abbr: one-character abbreviations of a country (美, 露) and names
//     that are also common words (Korean 이란, 인도), kept only in the
//     contexts of their language's context rows; a form ending in "~p"
//     counts only in a pair or list of abbreviations (中美, 日中).
//   - context: the words that make abbreviations safe: id "pair" after a
//     pair or list (关系, 首脳), id "single" after one abbreviation (军,
//     大統領, Korean particles). A leading "_" stands for a space.
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
	titles := map[string]int{}
	for i := len(t.g.titles) - 1; i >= 0; i-- {
		titles[t.g.titles[i].text] = i
	}
	ctxOf := func(lang string) int {
		for i := range t.abbrCtx {
			if t.abbrCtx[i].lang == lang {
				return i
			}
		}
		t.abbrCtx = append(t.abbrCtx, abbrContext{lang: lang, initial: lang == "ko", needOther: lang == "ko"})
		return len(t.abbrCtx) - 1
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
			case kindTitle:
				name, home, _ := strings.Cut(row.id, "/")
				ti, ok := titles[name]
				if !ok {
					return fmt.Errorf("names row %d: title %q unknown", n+1, name)
				}
				e := entry{kind: kTitle, target: int32(ti), lang: lang, post: true}
				if home != "" {
					c, ok := t.codeIdx[home]
					if !ok {
						return fmt.Errorf("names row %d: country %q unknown", n+1, home)
					}
					if c+1 > math.MaxUint8 {
						return fmt.Errorf("names row %d: country %q has index %d, too large for a title's country", n+1, home, c)
					}
					e.home = uint8(c + 1)
				}
				m.add(form, e, false)
			case kindAbbr:
				c, ok := t.codeIdx[row.id]
				if !ok {
					return fmt.Errorf("names row %d: country %q unknown", n+1, row.id)
				}
				f, pair := strings.CutSuffix(form, "~p")
				m.add(f, entry{kind: kAbbr, target: int32(c), lang: lang, ctx: uint8(ctxOf(row.lang) + 1), pair: pair}, false)
			case kindContext:
				ac := &t.abbrCtx[ctxOf(row.lang)]
				w := strings.ReplaceAll(form, "_", " ")
				switch row.id {
				case "pair":
					ac.pair = append(ac.pair, w)
				case "single":
					ac.single = append(ac.single, w)
				default:
					return fmt.Errorf("names row %d: context %q unknown", n+1, row.id)
				}
			default:
				return fmt.Errorf("names row %d: kind %q unknown", n+1, row.kind)
			}
		}
	}
	return nil
}

// Kinds of names rows that are not entity kinds.
const (
	kindTitle   = "title"
	kindAbbr    = "abbr"
	kindContext = "context"
)

// abbrContext holds what makes the abbreviations of one language count:
// the words after a pair or list of them, the words after a single one,
// and (Korean) whether the abbreviation must start a word and a single
// one needs another country named in the article.
type abbrContext struct {
	lang         string
	pair, single []string
	initial      bool
	needOther    bool
}

// startsWithAny reports whether s starts with one of ws.
func startsWithAny(s string, ws []string) bool {
	for _, w := range ws {
		if strings.HasPrefix(s, w) {
			return true
		}
	}
	return false
}
