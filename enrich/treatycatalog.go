package enrich

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

func (d *doc) catalogKey(cat int) int {
	tr := &d.t.g.treaties[cat]
	if k := d.tkeyOf(tr.id); k >= 0 {
		return k
	}
	d.tkeys = append(d.tkeys, treatyKey{id: tr.id, name: tr.name, cat: cat, parties: tr.parties})
	return len(d.tkeys) - 1
}

// tkeyOf returns the index of the treaty key with this id, or -1.
func (d *doc) tkeyOf(id string) int {
	for k := range d.tkeys {
		if d.tkeys[k].id == id {
			return k
		}
	}
	return -1
}

// newOrDated reports whether an indefinite description ("a trade
// agreement") can be catalogued treaty tr: tr dates from the article's
// year, or the sentence gives its year.
func (d *doc) newOrDated(tr *treaty, f int8, sent int32) bool {
	return tr.year == d.year || d.sentenceHasYear(f, sent, tr.year)
}

// sentenceHasYear reports whether sentence sent of field f writes year y.
func (d *doc) sentenceHasYear(f int8, sent int32, y int) bool {
	toks := d.toks[f]
	ys := strconv.Itoa(y)
	for k := range toks {
		if toks[k].sent == sent && toks[k].flags&fDigit != 0 && d.text[f][toks[k].start:toks[k].end] == ys {
			return true
		}
	}
	return false
}

// catalogByWords returns the key of the one catalogued treaty concluded by
// the article's year whose parties equal codes and whose name or an alias
// holds every word of the description ending at h, or -1.
func (d *doc) catalogByWords(h hit, nameToks []int, codes []string) int {
	if len(nameToks) == 0 {
		return -1
	}
	toks := d.toks[h.field]
	words := make([]string, 0, len(nameToks)+1)
	for _, k := range nameToks {
		words = append(words, strings.ToLower(d.text[h.field][toks[k].start:toks[k].end]))
	}
	words = append(words, singular(strings.ToLower(d.text[h.field][toks[h.i].start:toks[h.j-1].end])))
	indef := nameToks[len(nameToks)-1] > 0 && (toks[nameToks[len(nameToks)-1]-1].id == d.t.w.a || toks[nameToks[len(nameToks)-1]-1].id == d.t.w.an)
	found := -1
	for _, c := range d.withParties(codes) {
		ci := int(c)
		tr := &d.t.g.treaties[ci]
		if tr.year > d.year || !d.nameHasWords(ci, words) || indef && !d.newOrDated(tr, h.field, toks[h.i].sent) {
			continue
		}
		if found >= 0 {
			return -1
		}
		found = ci
	}
	if found < 0 {
		return -1
	}
	return d.catalogKey(found)
}

// shortName returns the key of the catalogued treaty named by a
// capitalised short form ending at head h ("a 1951 Mutual Defense
// Treaty"): two capitalised words or more, all in the name or an alias of
// exactly one catalogued treaty between states that the article names.
func (d *doc) shortName(h hit) (key, start int) {
	toks := d.toks[h.field]
	if d.titleTC && h.field == 0 || toks[h.i].flags&fCapFirst == 0 {
		return -1, 0
	}
	start = int(h.i)
	var words []string
	for k := int(h.i) - 1; k >= 0 && toks[k].sent == toks[h.i].sent; k-- {
		tk := toks[k]
		if tk.flags&fCapFirst == 0 || tk.flags&fSentStart != 0 || toks[k+1].flags&fBreak != 0 && toks[k+1].flags&fHyphenPrev == 0 {
			break
		}
		if _, ok := d.countryAtK(h.field, int32(k)); ok {
			return -1, 0
		}
		words = append(words, strings.ToLower(d.text[h.field][tk.start:tk.end]))
		start = k
	}
	if len(words) < 2 {
		return -1, 0
	}
	words = append(words, singular(strings.ToLower(d.text[h.field][toks[h.i].start:toks[h.j-1].end])))
	found := -1
	for ci := range d.t.g.treaties {
		tr := &d.t.g.treaties[ci]
		if tr.year > d.year || len(tr.parties) < 2 || !d.partiesNamed(tr.parties) || !d.nameHasWords(ci, words) {
			continue
		}
		if found >= 0 {
			return -1, 0
		}
		found = ci
	}
	if found < 0 {
		return -1, 0
	}
	return d.catalogKey(found), start
}

// catalogInSentence returns the key of the one catalogued treaty named in
// sentence sent of field f whose parties are multilateral or include all
// of codes, or -1.
func (d *doc) catalogInSentence(f int8, sent int32, codes []string) int {
	found := -1
	for _, m := range d.treaties {
		if m.field != f || m.rule != "catalog" || d.toks[f][m.i].sent != sent {
			continue
		}
		tk := &d.tkeys[m.ent]
		if !covers(tk.parties, codes) {
			continue
		}
		if found >= 0 && found != m.ent {
			return -1
		}
		found = m.ent
	}
	return found
}

// namedEarlier returns the key of the catalogued treaty named before h
// whose name or an alias contains every word of the definite description
// ending at h ("the ceasefire agreement"), or -1. It needs one descriptive
// word at least and one such treaty only.
func (d *doc) namedEarlier(h hit, nameToks []int, descStart int) int {
	toks := d.toks[h.field]
	if len(nameToks) == 0 || descStart == 0 || toks[descStart-1].id != d.t.w.the {
		return -1
	}
	var words []string
	for _, k := range nameToks {
		words = append(words, strings.ToLower(d.text[h.field][toks[k].start:toks[k].end]))
	}
	words = append(words, singular(strings.ToLower(d.text[h.field][toks[h.i].start:toks[h.j-1].end])))
	found := -1
	for _, m := range d.treaties {
		if m.rule != "catalog" || !d.before(hit{field: m.field, i: m.i}, mention{field: h.field, i: h.i}) {
			continue
		}
		tk := &d.tkeys[m.ent]
		if tk.cat < 0 || !d.nameHasWords(tk.cat, words) {
			continue
		}
		if found >= 0 && found != m.ent {
			return -1
		}
		found = m.ent
	}
	return found
}

// nameHasWords reports whether the name or an alias of catalogued treaty
// cat contains all words.
func (d *doc) nameHasWords(cat int, words []string) bool {
	for _, have := range d.t.treatyWords[cat] {
		all := true
		for _, w := range words {
			if !slices.Contains(have, w) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// covers reports whether parties (a catalogued treaty's) include every
// code, a multilateral treaty covering any set.
func covers(parties, codes []string) bool {
	if len(parties) == 1 && parties[0] == "multilateral" {
		return true
	}
	for _, c := range codes {
		found := false
		for _, p := range parties {
			if p == c {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// partySep joins party codes into a byParties key.
const partySep = "\x00"

// indexParties maps each catalogued treaty's sorted parties to the
// treaties that have them, in catalogue order.
func indexParties(trs []treaty) map[string][]int32 {
	out := map[string][]int32{}
	for ci := range trs {
		ps := slices.Clone(trs[ci].parties)
		sort.Strings(ps)
		k := strings.Join(ps, partySep)
		out[k] = append(out[k], int32(ci))
	}
	return out
}

// withParties returns the catalogued treaties, in catalogue order, whose
// sorted parties are codes exactly (equalStrings(tr.parties, codes)).
func (d *doc) withParties(codes []string) []int32 {
	b := d.keyBuf[:0]
	for i, c := range codes {
		if i > 0 {
			b = append(b, partySep...)
		}
		b = append(b, c...)
	}
	d.keyBuf = b
	return d.t.byParties[string(b)]
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	var buf [8]string
	var as []string
	if len(a) <= len(buf) {
		as = buf[:len(a)]
		copy(as, a)
		// insertion sort: party lists are short
		for i := 1; i < len(as); i++ {
			for j := i; j > 0 && as[j] < as[j-1]; j-- {
				as[j], as[j-1] = as[j-1], as[j]
			}
		}
	} else {
		as = append([]string(nil), a...)
		sort.Strings(as)
	}
	for i := range as {
		if as[i] != b[i] {
			return false
		}
	}
	return true
}

// isMultilateral reports whether id is a catalogued multilateral treaty.
func (t *Tagger) isMultilateral(id string) bool {
	for i := range t.g.treaties {
		if tr := &t.g.treaties[i]; tr.id == id {
			return len(tr.parties) == 1 && tr.parties[0] == "multilateral"
		}
	}
	return false
}
