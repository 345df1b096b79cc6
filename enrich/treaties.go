package enrich

import (
	"cmp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// decideTreaties turns catalog matches and treaty words into treaty
// mentions.
//
//   - rule "catalog": a catalog name or alias.
//   - rule "described": a description ending in treaty/pact/accord/
//     agreement/convention/protocol ("a comprehensive strategic partnership
//     treaty") whose parties the sentence states: countries inside the
//     description, "between A and B", "with B", or the countries and
//     leaders who sign it. Two parties at least; a bare "a trade agreement"
//     is not a treaty. When the parties equal those of a catalogued
//     bilateral treaty concluded by the article's year, it is that treaty;
//     otherwise its id is "x-" + parties + the treaty word ("x-ru-vn-agreement").
//   - rule "anaphora": "the treaty", "the pact" after a treaty was named
//     refers to the one named last.
//   - rule "described-short-name": a capitalised short name ("a 1951
//     Mutual Defense Treaty") whose words are all in the name of exactly
//     one catalogued treaty between states the article names.
//   - rule "described-catalogued-words": stated parties equal to those of
//     the one catalogued treaty whose name holds every descriptive word
//     ("the withdrawal agreement that Johnson signed with the EU").
//
// Parties also come from "the two countries" (the last two named), from a
// parliament ("the Bundestag ratified"), from "A and B are bound by" and
// from signers after the treaty word ("the agreement the two countries
// signed"); never from the dateline. An indefinite description ("signed a
// defence agreement") is a new instrument, not a catalogued treaty, unless
// that treaty dates from the article's year or the sentence gives its
// year. A lower-case catalogue alias ("minerals deal") of a treaty between
// named states counts only when the article names all of them, and no
// catalogue name counts inside a hyphenated compound ("post-Brexit deal").
func (d *doc) decideTreaties() {
	t := d.t
	for _, h := range d.hits {
		e := d.entry(h)
		if e.kind != kTreaty {
			continue
		}
		// A dated alias ("ceasefire in Gaza") names the treaty only from
		// the year it was concluded.
		tr := &t.g.treaties[e.target]
		if e.weak && d.year < tr.year {
			continue
		}
		// "post-Brexit deal": a name glued by a hyphen to the word before
		// it is part of a compound, not the treaty.
		if d.toks[h.field][h.i].flags&fHyphenPrev != 0 {
			continue
		}
		// A lower-case descriptive alias ("minerals deal") of a treaty
		// between named states needs every party named in the article;
		// otherwise it describes some other deal.
		if e.generic && !d.partiesNamed(tr.parties) {
			continue
		}
		d.addTreaty(h.field, h.i, h.j, d.catalogKey(int(e.target)), "catalog")
		for k := h.i; k < h.j; k++ {
			d.setBit(h.field, k, bCovered)
		}
	}
	// Treaty head words in reading order.
	for _, h := range d.hits {
		if k := d.entry(h).kind; k == kTreaty || k == kHead {
			d.setBit(h.field, h.j, bTreatyEnd)
		}
	}
	heads := d.heads[:0]
	for _, h := range d.hits {
		if d.entry(h).kind == kHead && !d.tokBit(h.field, h.i, bCovered) {
			heads = append(heads, h)
		}
	}
	slices.SortFunc(heads, func(a, b hit) int {
		if a.field != b.field {
			return cmp.Compare(a.field, b.field)
		}
		return cmp.Compare(a.i, b.i)
	})
	d.heads = heads
	for _, h := range heads {
		d.describedTreaty(h)
	}
}

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

func (d *doc) addTreaty(f int8, i, j int32, key int, rule string) {
	d.treaties = append(d.treaties, mention{field: f, i: i, j: j, ent: key, rule: rule})
}

// describedTreaty handles one treaty word outside any catalog name.
func (d *doc) describedTreaty(h hit) {
	t := d.t
	toks := d.toks[h.field]
	i := int(h.i)
	sent := toks[i].sent
	if k, start := d.shortName(h); k >= 0 {
		d.addTreaty(h.field, int32(start), h.j, k, "described-short-name")
		return
	}
	parties := map[string]bool{}
	var nameToks []int
	// Walk back over the description.
	k := i - 1
	for n := 0; k >= 0 && n < 6; n++ {
		if toks[k+1].flags&fBreak != 0 && toks[k+1].flags&fHyphenPrev == 0 {
			break
		}
		if toks[k].sent != sent {
			break
		}
		if c, ok := d.countryEndAt(h.field, int32(k+1)); ok {
			parties[t.g.countries[c].code] = true
			// skip back over the country mention
			for _, m := range d.countries {
				if m.field == h.field && m.j == int32(k+1) {
					k = int(m.i) - 1
					break
				}
			}
			continue
		}
		tk := toks[k]
		if tk.id >= 0 && (t.w.stop[tk.id] || d.isAction(h.field, k) && !d.actionNoun(h.field, k, i)) || tk.flags&fDigit != 0 {
			break
		}
		w := strings.ToLower(d.text[h.field][tk.start:tk.end])
		if strings.HasSuffix(w, "ed") || strings.HasSuffix(w, "ing") && w != "binding" || tk.flags&fSentStart != 0 && tk.flags&fCapFirst != 0 && !d.capitalizedName(h.field, k) {
			break
		}
		if _, isLeader := d.leaderAtK(h.field, int32(k)); isLeader {
			break
		}
		nameToks = append(nameToks, k)
		k--
	}
	descStart := i
	if len(nameToks) > 0 {
		descStart = nameToks[len(nameToks)-1]
	}
	if len(parties) > 0 && k+1 < descStart {
		descStart = k + 1
		for descStart < i && toks[descStart].id >= 0 && t.w.stop[toks[descStart].id] {
			descStart++
		}
	}
	// Parties stated right after the treaty word: "between A and B",
	// "with B", "among A, B and C".
	j := int(h.j)
	fwd := map[string]bool{}
	if j < len(toks) && toks[j].sent == sent && (toks[j].id == t.w.between || toks[j].id == t.w.with || toks[j].id == t.w.among) {
		d.collectList(h.field, j+1, fwd)
	}
	plural := toks[i].id >= 0 && t.w.pluralHead[toks[i].id]
	// Anaphora: "the treaty" with nothing before or after it.
	// A bare "a treaty" goes on: its signers may state its parties
	// ("Indonesia and Malaysia signed a treaty").
	indefinite := i > 0 && (toks[i-1].id == t.w.a || toks[i-1].id == t.w.an)
	if len(nameToks) == 0 && len(parties) == 0 && len(fwd) == 0 && !indefinite && !d.hasSignersAfter(h) {
		if i > 0 && (toks[i-1].id == t.w.the || toks[i-1].id == t.w.this) && len(d.treaties) > 0 {
			last := d.treaties[len(d.treaties)-1]
			if !d.before(h, last) {
				d.addTreaty(h.field, h.i, h.j, last.ent, "anaphora")
			}
		}
		return
	}
	// Capitalised forward name: "Treaty of Amity and Cooperation".
	headCap := toks[i].flags&fCapFirst != 0 && !d.titleTC
	if headCap && j+1 < len(toks) && (toks[j].id == t.w.of || toks[j].id == t.w.on) && toks[j+1].flags&fCapFirst != 0 {
		for j < len(toks) && toks[j].flags&fBreak == 0 && (toks[j].flags&fCapFirst != 0 || toks[j].id == t.w.of || toks[j].id == t.w.on || toks[j].id == t.w.and || toks[j].id == t.w.the) {
			// "... Partnership on Wednesday": a date ends the name.
			if j > int(h.j) && j+1 < len(toks) && toks[j].id == t.w.on && calendarWords[strings.ToLower(d.text[h.field][toks[j+1].start:toks[j+1].end])] {
				break
			}
			j++
		}
	}
	// Signers: countries and leaders of the clause before a treaty action
	// earlier in the sentence ("Russia and Iran signed a ... treaty"). The
	// clause starts after the last treaty word before the action, so "the
	// treaty that A and B signed" does not count the sentence's subject.
	signers := map[string]bool{}
	for k := i - 1; k >= 0 && toks[k].sent == sent; k-- {
		if (d.isAction(h.field, k) || d.boundBy(h.field, k)) && !d.negated(h.field, k) {
			s := k
			for s > 0 && toks[s-1].sent == sent && !d.headEndsAt(h.field, s) && !d.clauseStart(h.field, s) {
				s--
			}
			d.collectParties(h.field, s, sent, k-s, signers)
			break
		}
	}
	// "the agreement the two countries signed", "the treaty that A signed
	// with B": signers between the treaty word and a following action.
	if len(signers) == 0 {
		d.signersAfter(h, signers)
	}
	// "reach an agreement with A": a bare indefinite treaty word with no
	// description and no signers is a hypothetical, not a treaty.
	if len(nameToks) == 0 && len(parties) == 0 && len(signers) == 0 && i > 0 && (toks[i-1].id == t.w.a || toks[i-1].id == t.w.an) {
		return
	}
	// "agreements with A and B" (plural) are separate agreements with
	// each of them, not one treaty among them.
	if plural && len(fwd) > 0 && len(signers) == 0 && len(parties) == 0 {
		return
	}
	// "its agreement with B": one stated partner and no signers; the other
	// party is the nearest country or leader before the treaty words.
	if len(fwd) == 1 && len(signers) == 0 && len(parties) == 0 {
		if c := d.nearestPartyBefore(h.field, descStart, sent, fwd); c != "" {
			parties[c] = true
		}
	}
	for c := range fwd {
		parties[c] = true
	}
	for c := range signers {
		parties[c] = true
	}
	if len(parties) < 2 {
		return
	}
	codes := make([]string, 0, len(parties))
	for c := range parties {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	// A catalogued treaty named in the same sentence whose parties cover
	// these: the description is that treaty ("the agreement between Iran
	// and six powers, known as the Joint Comprehensive Plan of Action").
	if k := d.catalogInSentence(h.field, sent, codes); k >= 0 {
		d.addTreaty(h.field, int32(descStart), int32(j), k, "described-apposed")
		return
	}
	// "the withdrawal agreement" signed by the parties of the Brexit
	// Withdrawal Agreement: the catalogued treaty with these parties whose
	// name holds every word of the description.
	if k := d.catalogByWords(h, nameToks, codes); k >= 0 {
		d.addTreaty(h.field, int32(descStart), int32(j), k, "described-catalogued-words")
		return
	}
	// "the ceasefire agreement" after "the Gaza ceasefire agreement": the
	// words of a definite description all belong to the name of a
	// catalogued treaty named earlier.
	if k := d.namedEarlier(h, nameToks, descStart); k >= 0 {
		d.addTreaty(h.field, int32(descStart), int32(j), k, "described-named-words")
		return
	}
	// Same parties as a catalogued treaty already named in this article:
	// that treaty ("the defence pact" after "the Russia-DPRK treaty").
	for k := range d.tkeys {
		if d.tkeys[k].cat >= 0 && equalStrings(d.tkeys[k].parties, codes) {
			d.addTreaty(h.field, int32(descStart), int32(j), k, "described-named")
			return
		}
	}
	// Same parties as a catalogued bilateral treaty in force by then: that
	// treaty. An indefinite description ("signed a defence agreement")
	// is a new instrument unless that treaty dates from the article's year
	// or the sentence gives its year ("a trade agreement signed in 2018").
	year := d.year
	indef := descStart > 0 && (toks[descStart-1].id == t.w.a || toks[descStart-1].id == t.w.an)
	best := -1
	for ci := range t.g.treaties {
		tr := &t.g.treaties[ci]
		if tr.year <= year && equalStrings(tr.parties, codes) && (best < 0 || tr.year > t.g.treaties[best].year) && (!indef || d.newOrDated(tr, h.field, sent)) {
			best = ci
		}
	}
	if best >= 0 {
		d.addTreaty(h.field, int32(descStart), int32(j), d.catalogKey(best), "described-catalogued")
		return
	}
	var words []string
	for n := len(nameToks) - 1; n >= 0; n-- {
		tk := toks[nameToks[n]]
		words = append(words, strings.ToLower(d.text[h.field][tk.start:tk.end]))
	}
	head := strings.ToLower(d.text[h.field][toks[i].start:toks[int(h.j)-1].end])
	head = singular(head)
	words = append(words, head)
	for k := int(h.j); k < j; k++ {
		words = append(words, strings.ToLower(d.text[h.field][toks[k].start:toks[k].end]))
	}
	name := strings.Join(words, " ")
	// The id depends only on the parties and the kind of instrument, so the
	// headline's "defence pact" and the body's "defence cooperation pact"
	// are one treaty; the name is the longest description seen.
	id := "x-" + slug(strings.Join(codes, "-")+"-"+head)
	key := d.tkeyOf(id)
	ok := key >= 0
	if !ok {
		// One article, one uncatalogued treaty per set of parties: the
		// headline's "peace accord" is the body's "ceasefire agreement".
		for k := range d.tkeys {
			if d.tkeys[k].cat < 0 && equalStrings(d.tkeys[k].parties, codes) {
				key, ok = k, true
				break
			}
		}
	}
	if !ok {
		d.tkeys = append(d.tkeys, treatyKey{id: id, name: name, cat: -1, parties: codes})
		key = len(d.tkeys) - 1
	} else if len(name) > len(d.tkeys[key].name) {
		d.tkeys[key].name = name
	}
	d.addTreaty(h.field, int32(descStart), int32(j), key, "described")
}

// signersAfter adds the parties that sign the treaty named by head h in
// a relative clause right after it: "the agreement the two countries
// signed", "the withdrawal agreement that Johnson signed with the EU".
func (d *doc) signersAfter(h hit, signers map[string]bool) {
	toks := d.toks[h.field]
	w := &d.t.w
	sent := toks[h.i].sent
	j := int(h.j)
	if j < len(toks) && (toks[j].id == w.that || toks[j].id == w.which) && toks[j].flags&fBreak == 0 {
		j++
	}
	for k := j; k < len(toks) && k < j+6 && toks[k].sent == sent && toks[k].flags&fBreak == 0; k++ {
		if !d.isAction(h.field, k) {
			continue
		}
		if k == j || d.negated(h.field, k) {
			return
		}
		d.collectParties(h.field, j, sent, k-j, signers)
		if len(signers) == 0 {
			return
		}
		// "signed with the EU"
		for a := k + 1; a < len(toks) && a <= k+2 && toks[a].sent == sent; a++ {
			if toks[a].id == w.with {
				d.collectList(h.field, a+1, signers)
				break
			}
		}
		return
	}
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

// boundBy reports whether tokens k, k+1 read "bound by": "A and B are
// bound by a treaty" states its parties as signing does.
func (d *doc) boundBy(f int8, k int) bool {
	toks := d.toks[f]
	return k+1 < len(toks) && toks[k].id == d.t.w.bound && toks[k+1].id == d.t.w.by
}

// hasSignersAfter reports whether signersAfter finds two parties.
func (d *doc) hasSignersAfter(h hit) bool {
	s := map[string]bool{}
	d.signersAfter(h, s)
	return len(s) >= 2
}

// actionNoun reports whether the action word at token k is a noun naming
// the treaty right before its head word i ("the withdrawal agreement").
func (d *doc) actionNoun(f int8, k, i int) bool {
	if k != i-1 {
		return false
	}
	toks := d.toks[f]
	w := strings.ToLower(d.text[f][toks[k].start:toks[k].end])
	return strings.HasSuffix(w, "al") || strings.HasSuffix(w, "ion")
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
	for ci := range d.t.g.treaties {
		tr := &d.t.g.treaties[ci]
		if tr.year > d.year || len(tr.parties) != len(codes) || !equalStrings(tr.parties, codes) || !d.nameHasWords(ci, words) || indef && !d.newOrDated(tr, h.field, toks[h.i].sent) {
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

// pairAt reports whether token k opens "the two countries", "both
// leaders" and the like, and returns the last two parties named before
// it in the field within the three sentences before.
func (d *doc) pairAt(f int8, k int) []string {
	toks := d.toks[f]
	w := &d.t.w
	if k+1 >= len(toks) || toks[k].id != w.two && toks[k].id != w.both || !w.pairNoun[toks[k+1].id] || toks[k+1].flags&fBreak != 0 {
		return nil
	}
	var out []string
	sent := toks[k].sent
	for n := k - 1; n >= 0 && toks[n].sent >= sent-3 && len(out) < 2; n-- {
		if d.inDateline(f, n) {
			break
		}
		code := ""
		if c, ok := d.countryAtK(f, int32(n)); ok {
			code = d.t.g.countries[c].code
		} else if p, ok := d.leaderAtK(f, int32(n)); ok {
			code = d.countryOn(p)
		}
		if code != "" && (len(out) == 0 || out[0] != code) {
			out = append(out, code)
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// inDateline reports whether token k of field f lies in the body's
// opening dateline ("MONTEVIDEO, Dec 6 (Reuters) -"): a place line is a
// venue, never a party to a treaty.
func (d *doc) inDateline(f int8, k int) bool {
	if f != 2 {
		return false
	}
	if d.dlEnd < 0 {
		d.dlEnd = 0
		toks := d.toks[2]
		if len(toks) > 0 && toks[0].flags&fAllUpper != 0 {
			for n := 1; n < len(toks) && n < 12; n++ {
				sep := d.text[2][toks[n-1].end:toks[n].start]
				if strings.Contains(sep, "—") || strings.Contains(sep, "–") || strings.Contains(sep, " - ") || strings.Contains(sep, " -- ") {
					d.dlEnd = n
					break
				}
			}
		}
	}
	return k < d.dlEnd
}

// partiesNamed reports whether every party of a catalogued treaty is a
// country tagged in the article; multilateral treaties need none.
func (d *doc) partiesNamed(parties []string) bool {
	if len(parties) == 1 && parties[0] == "multilateral" {
		return true
	}
	for _, p := range parties {
		found := false
		for _, m := range d.countries {
			if d.t.g.countries[m.ent].code == p {
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

// clauseStart reports whether token k opens a coordinated clause: a
// conjunction after a comma (", and", ", but", ", while") or any word
// after a semicolon. Signers of a treaty are looked for in its clause only.
func (d *doc) clauseStart(f int8, k int) bool {
	toks := d.toks[f]
	if k <= 0 {
		return false
	}
	sep := d.text[f][toks[k-1].end:toks[k].start]
	if strings.Contains(sep, ";") {
		return true
	}
	return toks[k].id >= 0 && d.t.w.clauseConj[toks[k].id] && strings.TrimSpace(sep) == ","
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

// calendarWords are day and month names; "on Monday" after a treaty name
// dates the signing and is no part of the name.
var calendarWords = map[string]bool{
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
	"january": true, "february": true, "march": true, "april": true, "may": true, "june": true, "july": true,
	"august": true, "september": true, "october": true, "november": true, "december": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true, "aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
}

func singular(w string) string {
	switch w {
	case "treaties":
		return "treaty"
	case "pacts", "accords", "agreements":
		return strings.TrimSuffix(w, "s")
	}
	return w
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

// capitalizedName reports whether token k (at a sentence start) is part of
// a proper name, i.e. a known country or leader word.
func (d *doc) capitalizedName(f int8, k int) bool {
	_, ok := d.countryAtK(f, int32(k))
	return ok
}

func (d *doc) before(h hit, m mention) bool {
	return h.field < m.field || h.field == m.field && h.i < m.i
}

// collectParties adds the countries and leaders' countries mentioned in
// tokens [from, from+n) of the sentence.
func (d *doc) collectParties(f int8, from int, sent int32, n int, parties map[string]bool) {
	toks := d.toks[f]
	for k := from; k < len(toks) && k < from+n && toks[k].sent == sent; k++ {
		if d.inDateline(f, k) {
			continue
		}
		if c, ok := d.countryAtK(f, int32(k)); ok {
			parties[d.t.g.countries[c].code] = true
			continue
		}
		if code, ok := d.t.w.legislature[toks[k].id]; ok && toks[k].flags&fCapFirst != 0 {
			parties[code] = true
			continue
		}
		if pair := d.pairAt(f, k); pair != nil {
			parties[pair[0]], parties[pair[1]] = true, true
			k++
			continue
		}
		if p, ok := d.leaderAtK(f, int32(k)); ok {
			parties[d.countryOn(p)] = true
		}
	}
}

// isAction reports whether token k of field f starts a treaty action word.
func (d *doc) isAction(f int8, k int) bool {
	return d.tokBit(f, int32(k), bAction)
}

// treatyAction is the action of the mention nearest to an action word in
// its sentence, taking the first mention in reading order that has one.
func (d *doc) treatyAction(key int) string {
	ms := d.tms[:0]
	for _, m := range d.treaties {
		if m.ent == key {
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b mention) int {
		if a.field != b.field {
			return cmp.Compare(a.field, b.field)
		}
		return cmp.Compare(a.i, b.i)
	})
	d.tms = ms
	for _, m := range ms {
		toks := d.toks[m.field]
		sent := toks[m.i].sent
		best, bestDist := "", 1<<30
		for _, h := range d.hits {
			if h.field != m.field || d.entry(h).kind != kAction || toks[h.i].sent != sent || d.negated(h.field, int(h.i)) {
				continue
			}
			// "the withdrawal agreement": a word of the name is no action.
			if h.i >= m.i && h.j <= m.j {
				continue
			}
			dist := int(m.i) - int(h.j)
			if h.i >= m.j {
				dist = int(h.i) - int(m.j)
			}
			if dist < 0 {
				dist = 0
			}
			if dist < bestDist {
				best, bestDist = d.t.actions[d.entry(h).target], dist
			}
		}
		if best != "" {
			return best
		}
	}
	return "mentioned"
}

// headEndsAt reports whether a treaty word or catalogued treaty name ends
// right before token k of field f.
func (d *doc) headEndsAt(f int8, k int) bool {
	return d.tokBit(f, int32(k), bTreatyEnd)
}

// negated reports whether the action word at token k is negated by one of
// the three words before it in its sentence ("would not extend", "never
// ratified", "refused to sign").
func (d *doc) negated(f int8, k int) bool {
	toks := d.toks[f]
	for n := k - 1; n >= 0 && n >= k-3 && toks[n].sent == toks[k].sent; n-- {
		if toks[n].id >= 0 && d.t.w.neg[toks[n].id] {
			return true
		}
	}
	return false
}

// nearestPartyBefore returns the country of the nearest country or leader
// mention before token end in the sentence that is not in skip.
func (d *doc) nearestPartyBefore(f int8, end int, sent int32, skip map[string]bool) string {
	toks := d.toks[f]
	for k := end - 1; k >= 0 && toks[k].sent == sent && !d.inDateline(f, k); k-- {
		if c, ok := d.countryAtK(f, int32(k)); ok {
			if code := d.t.g.countries[c].code; !skip[code] {
				return code
			}
			continue
		}
		if p, ok := d.leaderAtK(f, int32(k)); ok {
			if code := d.countryOn(p); !skip[code] {
				return code
			}
		}
		if code, ok := d.t.w.legislature[toks[k].id]; ok && toks[k].flags&fCapFirst != 0 && !skip[code] {
			return code
		}
	}
	return ""
}

// collectList adds the parties of a list starting at token k ("Russia and
// North Korea", "President Xi, Russia and Iran"), stopping at the first
// word that is neither a party, a title nor a list word.
func (d *doc) collectList(f int8, k int, parties map[string]bool) {
	toks := d.toks[f]
	w := &d.t.w
	sent := toks[k-1].sent
	for k < len(toks) && toks[k].sent == sent {
		if c, ok := d.countryAtK(f, int32(k)); ok {
			parties[d.t.g.countries[c].code] = true
			k = int(d.countryStopAt(f, int32(k)))
			continue
		}
		if p, ok := d.leaderAtK(f, int32(k)); ok {
			parties[d.countryOn(p)] = true
			for k < len(toks) {
				if q, ok := d.leaderAtK(f, int32(k)); !ok || q != p {
					break
				}
				k++
			}
			continue
		}
		if id := toks[k].id; id >= 0 && (id == w.and || id == w.or || id == w.the || w.listWord[id] || d.tokBit(f, int32(k), bTitleTok)) {
			k++
			continue
		}
		break
	}
}
