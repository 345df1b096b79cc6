package enrich

import (
	"sort"
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
func (d *doc) decideTreaties() {
	t := d.t
	d.tkeyIdx = map[string]int{}
	covered := map[posKey]bool{}
	for _, h := range d.hits {
		e := d.entry(h)
		if e.kind != kTreaty {
			continue
		}
		// A dated alias ("ceasefire in Gaza") names the treaty only from
		// the year it was concluded.
		if tr := &t.g.treaties[e.target]; e.weak && d.date.Year() < tr.year {
			continue
		}
		d.addTreaty(h.field, h.i, h.j, d.catalogKey(int(e.target)), "catalog")
		for k := h.i; k < h.j; k++ {
			covered[posKey{h.field, k}] = true
		}
	}
	// Treaty head words in reading order.
	d.treatyEnd = map[posKey]bool{}
	for _, h := range d.hits {
		if k := d.entry(h).kind; k == kTreaty || k == kHead {
			d.treatyEnd[posKey{h.field, h.j}] = true
		}
	}
	heads := make([]hit, 0, 8)
	for _, h := range d.hits {
		if d.entry(h).kind == kHead && !covered[posKey{h.field, h.i}] {
			heads = append(heads, h)
		}
	}
	sort.Slice(heads, func(a, b int) bool {
		if heads[a].field != heads[b].field {
			return heads[a].field < heads[b].field
		}
		return heads[a].i < heads[b].i
	})
	for _, h := range heads {
		d.describedTreaty(h)
	}
}

func (d *doc) catalogKey(cat int) int {
	tr := &d.t.g.treaties[cat]
	if k, ok := d.tkeyIdx[tr.id]; ok {
		return k
	}
	d.tkeys = append(d.tkeys, treatyKey{id: tr.id, name: tr.name, cat: cat, parties: tr.parties})
	d.tkeyIdx[tr.id] = len(d.tkeys) - 1
	return len(d.tkeys) - 1
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
		if c, ok := d.countryEnd[posKey{h.field, int32(k + 1)}]; ok {
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
		if tk.id >= 0 && (t.w.stop[tk.id] || d.isAction(h.field, k)) || tk.flags&fDigit != 0 {
			break
		}
		w := strings.ToLower(d.text[h.field][tk.start:tk.end])
		if strings.HasSuffix(w, "ed") || strings.HasSuffix(w, "ing") && w != "binding" || tk.flags&fSentStart != 0 && tk.flags&fCapFirst != 0 && !d.capitalizedName(h.field, k) {
			break
		}
		if _, isLeader := d.leaderAt[posKey{h.field, int32(k)}]; isLeader {
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
	if len(nameToks) == 0 && len(parties) == 0 && len(fwd) == 0 {
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
			j++
		}
	}
	// Signers: countries and leaders of the clause before a treaty action
	// earlier in the sentence ("Russia and Iran signed a ... treaty"). The
	// clause starts after the last treaty word before the action, so "the
	// treaty that A and B signed" does not count the sentence's subject.
	signers := map[string]bool{}
	for k := i - 1; k >= 0 && toks[k].sent == sent; k-- {
		if d.isAction(h.field, k) && !d.negated(h.field, k) {
			s := k
			for s > 0 && toks[s-1].sent == sent && !d.headEndsAt(h.field, s) && !d.clauseStart(h.field, s) {
				s--
			}
			d.collectParties(h.field, s, sent, k-s, signers)
			break
		}
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
	// Same parties as a catalogued bilateral treaty in force by then: that treaty.
	year := d.date.Year()
	best := -1
	for ci := range t.g.treaties {
		tr := &t.g.treaties[ci]
		if tr.year <= year && equalStrings(tr.parties, codes) && (best < 0 || tr.year > t.g.treaties[best].year) {
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
	key, ok := d.tkeyIdx[id]
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
		d.tkeyIdx[id] = key
	} else if len(name) > len(d.tkeys[key].name) {
		d.tkeys[key].name = name
	}
	d.addTreaty(h.field, int32(descStart), int32(j), key, "described")
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
	tr := &d.t.g.treaties[cat]
	for _, a := range append([]alias{{text: tr.name}}, tr.aliases...) {
		have := map[string]bool{}
		for _, w := range strings.FieldsFunc(strings.ToLower(a.text), func(r rune) bool { return r == ' ' || r == '-' }) {
			have[w] = true
		}
		all := true
		for _, w := range words {
			if !have[w] {
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
	as := append([]string(nil), a...)
	sort.Strings(as)
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
	_, ok := d.countryAt[posKey{f, int32(k)}]
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
		if c, ok := d.countryAt[posKey{f, int32(k)}]; ok {
			parties[d.t.g.countries[c].code] = true
			continue
		}
		if p, ok := d.leaderAt[posKey{f, int32(k)}]; ok {
			parties[d.countryOn(p)] = true
		}
	}
}

// isAction reports whether token k of field f starts a treaty action word.
func (d *doc) isAction(f int8, k int) bool {
	return d.actionAt[posKey{f, int32(k)}]
}

// treatyAction is the action of the mention nearest to an action word in
// its sentence, taking the first mention in reading order that has one.
func (d *doc) treatyAction(key int) string {
	var ms []mention
	for _, m := range d.treaties {
		if m.ent == key {
			ms = append(ms, m)
		}
	}
	sort.Slice(ms, func(a, b int) bool {
		if ms[a].field != ms[b].field {
			return ms[a].field < ms[b].field
		}
		return ms[a].i < ms[b].i
	})
	for _, m := range ms {
		toks := d.toks[m.field]
		sent := toks[m.i].sent
		best, bestDist := "", 1<<30
		for _, h := range d.hits {
			if h.field != m.field || d.entry(h).kind != kAction || toks[h.i].sent != sent || d.negated(h.field, int(h.i)) {
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
	return d.treatyEnd[posKey{f, int32(k)}]
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
	for k := end - 1; k >= 0 && toks[k].sent == sent; k-- {
		if c, ok := d.countryAt[posKey{f, int32(k)}]; ok {
			if code := d.t.g.countries[c].code; !skip[code] {
				return code
			}
			continue
		}
		if p, ok := d.leaderAt[posKey{f, int32(k)}]; ok {
			if code := d.countryOn(p); !skip[code] {
				return code
			}
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
		key := posKey{f, int32(k)}
		if c, ok := d.countryAt[key]; ok {
			parties[d.t.g.countries[c].code] = true
			k = int(d.countryStop[key])
			continue
		}
		if p, ok := d.leaderAt[key]; ok {
			parties[d.countryOn(p)] = true
			for k < len(toks) {
				if q, ok := d.leaderAt[posKey{f, int32(k)}]; !ok || q != p {
					break
				}
				k++
			}
			continue
		}
		if id := toks[k].id; id >= 0 && (id == w.and || id == w.or || id == w.the || w.listWord[id] || d.titleTok[key]) {
			k++
			continue
		}
		break
	}
}
