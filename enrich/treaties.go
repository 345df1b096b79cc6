package enrich

import (
	"cmp"
	"maps"
	"slices"
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
	d.actingParties()
}

// actingParties gives a multilateral catalogued treaty the states that
// the text makes act on it (precision first): the countries, leaders and
// parliaments of the clause that holds the action word nearest to a
// mention of it ("the United States rejoined the Paris Agreement", "the
// Government of Palestine deposited its instrument of accession"). A
// treaty no state acts on keeps the party "multilateral".
func (d *doc) actingParties() {
	for k := range d.tkeys {
		tk := &d.tkeys[k]
		if tk.cat < 0 || len(tk.parties) != 1 || tk.parties[0] != "multilateral" {
			continue
		}
		states := map[string]bool{}
		for _, m := range d.treaties {
			if m.ent != k {
				continue
			}
			if a := d.nearestAction(m); a >= 0 {
				d.actorsOf(m, a, states)
			}
		}
		if len(states) == 0 {
			continue
		}
		codes := make([]string, 0, len(states))
		for c := range states {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		tk.parties = codes
	}
}

// nearestAction returns the token of the non-negated action word nearest
// to mention m in its sentence (outside it), or -1.
func (d *doc) nearestAction(m mention) int {
	toks := d.toks[m.field]
	sent := toks[m.i].sent
	best, bestDist := -1, 1<<30
	for _, h := range d.hits {
		if h.field != m.field || d.entry(h).kind != kAction || toks[h.i].sent != sent || d.negated(h.field, int(h.i)) || h.i >= m.i && h.j <= m.j {
			continue
		}
		dist := int(m.i) - int(h.j)
		if h.i >= m.j {
			dist = int(h.i) - int(m.j)
		}
		if dist = max(dist, 0); dist < bestDist {
			best, bestDist = int(h.i), dist
		}
	}
	return best
}

// actorsOf adds the states of the clause before action word a (the
// action's subject) to states, skipping the treaty mention m itself.
func (d *doc) actorsOf(m mention, a int, states map[string]bool) {
	toks := d.toks[m.field]
	sent := toks[a].sent
	s := a
	for s > 0 && toks[s-1].sent == sent && !d.clauseStart(m.field, s) {
		s--
	}
	for k := s; k < a; k++ {
		if int32(k) >= m.i && int32(k) < m.j {
			continue
		}
		d.collectParties(m.field, k, sent, 1, states)
	}
}

func (d *doc) addTreaty(f int8, i, j int32, key int, rule string) {
	d.treaties = append(d.treaties, mention{field: f, i: i, j: j, ent: key, rule: rule})
}

// description is one treaty word outside any catalogue name and what the
// text around it says of it.
type description struct {
	h         hit
	sent      int32
	nameToks  []int           // descriptive words before the head word, nearest first
	parties   map[string]bool // countries inside the description
	fwd       map[string]bool // stated after it: "between A and B", "with B"
	signers   map[string]bool // countries and leaders that sign it
	descStart int             // first token of the description
	end       int             // token after the description
}

// describedTreaty handles one treaty word outside any catalog name.
func (d *doc) describedTreaty(h hit) {
	toks := d.toks[h.field]
	i := int(h.i)
	if k, start := d.shortName(h); k >= 0 {
		d.addTreaty(h.field, int32(start), h.j, k, "described-short-name")
		return
	}
	ds := &description{h: h, sent: toks[i].sent, parties: map[string]bool{}, fwd: map[string]bool{}, signers: map[string]bool{}, end: int(h.j)}
	d.walkBackDescription(ds)
	// Parties stated right after the treaty word: "between A and B",
	// "with B", "among A, B and C".
	w := &d.t.w
	if j := ds.end; j < len(toks) && toks[j].sent == ds.sent && (toks[j].id == w.between || toks[j].id == w.with || toks[j].id == w.among) {
		d.collectList(h.field, j+1, ds.fwd)
	}
	plural := toks[i].id >= 0 && w.pluralHead[toks[i].id]
	// Anaphora: "the treaty" with nothing before or after it.
	// A bare "a treaty" goes on: its signers may state its parties
	// ("Indonesia and Malaysia signed a treaty").
	indefinite := i > 0 && (toks[i-1].id == w.a || toks[i-1].id == w.an)
	if len(ds.nameToks) == 0 && len(ds.parties) == 0 && len(ds.fwd) == 0 && !indefinite && !d.hasSignersAfter(h) {
		d.anaphora(h)
		return
	}
	d.forwardName(ds)
	d.describedSigners(ds)
	// "reach an agreement with A": a bare indefinite treaty word with no
	// description and no signers is a hypothetical, not a treaty.
	if len(ds.nameToks) == 0 && len(ds.parties) == 0 && len(ds.signers) == 0 && indefinite {
		return
	}
	// "agreements with A and B" (plural) are separate agreements with
	// each of them, not one treaty among them.
	if plural && len(ds.fwd) > 0 && len(ds.signers) == 0 && len(ds.parties) == 0 {
		return
	}
	// "its agreement with B": one stated partner and no signers; the other
	// party is the nearest country or leader before the treaty words.
	if len(ds.fwd) == 1 && len(ds.signers) == 0 && len(ds.parties) == 0 {
		if c := d.nearestPartyBefore(h.field, ds.descStart, ds.sent, ds.fwd); c != "" {
			ds.parties[c] = true
		}
	}
	for c := range ds.fwd {
		ds.parties[c] = true
	}
	for c := range ds.signers {
		ds.parties[c] = true
	}
	if len(ds.parties) < 2 {
		return
	}
	codes := make([]string, 0, len(ds.parties))
	for c := range ds.parties {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	key, rule := d.catalogDescribed(ds, codes)
	if key < 0 {
		key, rule = d.uncataloguedKey(ds, codes), "described"
	}
	d.addTreaty(h.field, int32(ds.descStart), int32(ds.end), key, rule)
}

// walkBackDescription reads the description before the head word: up to
// six words of its sentence, stopping at punctuation, function words,
// action verbs, participles, numbers and leaders; countries on the way
// are parties ("the Russia-DPRK treaty").
func (d *doc) walkBackDescription(ds *description) {
	t := d.t
	h := ds.h
	toks := d.toks[h.field]
	i := int(h.i)
	k := i - 1
	for n := 0; k >= 0 && n < 6; n++ {
		if toks[k+1].flags&fBreak != 0 && toks[k+1].flags&fHyphenPrev == 0 {
			break
		}
		if toks[k].sent != ds.sent {
			break
		}
		if c, ok := d.countryEndAt(h.field, int32(k+1)); ok {
			ds.parties[t.g.countries[c].code] = true
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
		ds.nameToks = append(ds.nameToks, k)
		k--
	}
	ds.descStart = i
	if len(ds.nameToks) > 0 {
		ds.descStart = ds.nameToks[len(ds.nameToks)-1]
	}
	if len(ds.parties) > 0 && k+1 < ds.descStart {
		ds.descStart = k + 1
		for ds.descStart < i && toks[ds.descStart].id >= 0 && t.w.stop[toks[ds.descStart].id] {
			ds.descStart++
		}
	}
}

// anaphora makes "the treaty", "this pact" with nothing around it refer
// to the treaty named last before it.
func (d *doc) anaphora(h hit) {
	toks := d.toks[h.field]
	i := int(h.i)
	if i > 0 && (toks[i-1].id == d.t.w.the || toks[i-1].id == d.t.w.this) && len(d.treaties) > 0 {
		last := d.treaties[len(d.treaties)-1]
		if !d.before(h, last) {
			d.addTreaty(h.field, h.i, h.j, last.ent, "anaphora")
		}
	}
}

// forwardName extends the description over a capitalised name after the
// head word: "Treaty of Amity and Cooperation".
func (d *doc) forwardName(ds *description) {
	w := &d.t.w
	h := ds.h
	toks := d.toks[h.field]
	i, j := int(h.i), ds.end
	headCap := toks[i].flags&fCapFirst != 0 && !d.titleTC
	if headCap && j+1 < len(toks) && (toks[j].id == w.of || toks[j].id == w.on) && toks[j+1].flags&fCapFirst != 0 {
		for j < len(toks) && toks[j].flags&fBreak == 0 && (toks[j].flags&fCapFirst != 0 || toks[j].id == w.of || toks[j].id == w.on || toks[j].id == w.and || toks[j].id == w.the) {
			// "... Partnership on Wednesday": a date ends the name.
			if j > int(h.j) && j+1 < len(toks) && toks[j].id == w.on && calendarWords[strings.ToLower(d.text[h.field][toks[j+1].start:toks[j+1].end])] {
				break
			}
			j++
		}
	}
	ds.end = j
}

// describedSigners collects the signers: countries and leaders of the
// clause before a treaty action earlier in the sentence ("Russia and Iran
// signed a ... treaty"). The clause starts after the last treaty word
// before the action, so "the treaty that A and B signed" does not count
// the sentence's subject. Failing that, "the agreement the two countries
// signed", "the treaty that A signed with B": signers between the treaty
// word and a following action.
func (d *doc) describedSigners(ds *description) {
	h := ds.h
	toks := d.toks[h.field]
	for k := int(h.i) - 1; k >= 0 && toks[k].sent == ds.sent; k-- {
		if (d.isAction(h.field, k) || d.boundBy(h.field, k)) && !d.negated(h.field, k) {
			s := k
			for s > 0 && toks[s-1].sent == ds.sent && !d.headEndsAt(h.field, s) && !d.clauseStart(h.field, s) {
				s--
			}
			d.collectParties(h.field, s, ds.sent, k-s, ds.signers)
			break
		}
	}
	if len(ds.signers) == 0 {
		d.signersAfter(h, ds.signers)
	}
	// German verb-final clauses ("Scholz und Selenskyj haben ein Abkommen
	// unterzeichnet"): the action right after the treaty word, its
	// signers in the clause before.
	if j := int(h.j); d.lang == langID("de") && len(ds.signers) == 0 && j < len(toks) && toks[j].sent == ds.sent && d.isAction(h.field, j) && !d.negated(h.field, j) {
		s := int(h.i)
		for s > 0 && toks[s-1].sent == ds.sent && !d.headEndsAt(h.field, s) && !d.clauseStart(h.field, s) {
			s--
		}
		d.collectParties(h.field, s, ds.sent, int(h.i)-s, ds.signers)
	}
}

// catalogDescribed returns the key and rule of the catalogued treaty a
// description with these parties is, or -1.
func (d *doc) catalogDescribed(ds *description, codes []string) (int, string) {
	t := d.t
	h := ds.h
	toks := d.toks[h.field]
	// A catalogued treaty named in the same sentence whose parties cover
	// these: the description is that treaty ("the agreement between Iran
	// and six powers, known as the Joint Comprehensive Plan of Action").
	if k := d.catalogInSentence(h.field, ds.sent, codes); k >= 0 {
		return k, "described-apposed"
	}
	// "the withdrawal agreement" signed by the parties of the Brexit
	// Withdrawal Agreement: the catalogued treaty with these parties whose
	// name holds every word of the description.
	if k := d.catalogByWords(h, ds.nameToks, codes); k >= 0 {
		return k, "described-catalogued-words"
	}
	// "the ceasefire agreement" after "the Gaza ceasefire agreement": the
	// words of a definite description all belong to the name of a
	// catalogued treaty named earlier.
	if k := d.namedEarlier(h, ds.nameToks, ds.descStart); k >= 0 {
		return k, "described-named-words"
	}
	// Same parties as a catalogued treaty already named in this article:
	// that treaty ("the defence pact" after "the Russia-DPRK treaty").
	for k := range d.tkeys {
		if d.tkeys[k].cat >= 0 && equalStrings(d.tkeys[k].parties, codes) {
			return k, "described-named"
		}
	}
	// Same parties as a catalogued bilateral treaty in force by then: that
	// treaty. An indefinite description ("signed a defence agreement")
	// is a new instrument unless that treaty dates from the article's year
	// or the sentence gives its year ("a trade agreement signed in 2018").
	indef := ds.descStart > 0 && (toks[ds.descStart-1].id == t.w.a || toks[ds.descStart-1].id == t.w.an)
	best := -1
	for ci := range t.g.treaties {
		tr := &t.g.treaties[ci]
		if tr.year <= d.year && equalStrings(tr.parties, codes) && (best < 0 || tr.year > t.g.treaties[best].year) && (!indef || d.newOrDated(tr, h.field, ds.sent)) {
			best = ci
		}
	}
	if best >= 0 {
		return d.catalogKey(best), "described-catalogued"
	}
	return -1, ""
}

// uncataloguedKey returns the key of the uncatalogued treaty a
// description with these parties names, adding it when new.
func (d *doc) uncataloguedKey(ds *description, codes []string) int {
	h := ds.h
	toks := d.toks[h.field]
	var words []string
	for n := len(ds.nameToks) - 1; n >= 0; n-- {
		tk := toks[ds.nameToks[n]]
		words = append(words, strings.ToLower(d.text[h.field][tk.start:tk.end]))
	}
	head := strings.ToLower(d.text[h.field][toks[h.i].start:toks[int(h.j)-1].end])
	head = singular(head)
	words = append(words, head)
	head = englishHead(langName(d.lang), d.text[h.field][toks[h.i].start:toks[int(h.j)-1].end], head)
	for k := int(h.j); k < ds.end; k++ {
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
	return key
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

// capitalizedName reports whether token k (at a sentence start) is part of
// a proper name, i.e. a known country or leader word.
func (d *doc) capitalizedName(f int8, k int) bool {
	_, ok := d.countryAtK(f, int32(k))
	return ok
}

func (d *doc) before(h hit, m mention) bool {
	return h.field < m.field || h.field == m.field && h.i < m.i
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

// actionWords maps a written form to the treaty action it signals.
var actionWords = map[string]string{
	"signed": "signed", "sign": "signed", "signs": "signed", "signing": "signed", "inked": "signed", "signatories": "signed",
	"ratified": "ratified", "ratify": "ratified", "ratifies": "ratified", "ratifying": "ratified", "ratification": "ratified",
	"suspended": "suspended", "suspend": "suspended", "suspends": "suspended", "suspending": "suspended", "suspension": "suspended",
	"withdrew": "withdrew", "withdraw": "withdrew", "withdraws": "withdrew", "withdrawing": "withdrew", "withdrawal": "withdrew",
	"withdrawn": "withdrew", "pulled out": "withdrew", "pull out": "withdrew", "pulling out": "withdrew", "pulls out": "withdrew", "quit": "withdrew", "exited": "withdrew",
	"extended": "extended", "extend": "extended", "extends": "extended", "extending": "extended", "extension": "extended", "renewed": "extended", "prolonged": "extended",
	"negotiated": "negotiated", "negotiate": "negotiated", "negotiating": "negotiated", "negotiations": "negotiated", "negotiators": "negotiated", "negotiation": "negotiated",
	"drafting": "negotiated", "drafted": "negotiated",
	"initialled": "signed", "initialed": "signed",
}

// legislatures maps the one-word name of a national parliament to its
// country: "the Bundestag ratified the treaty" makes Germany a party.
var legislatures = map[string]string{
	"bundestag": "DE", "bundesrat": "DE", "duma": "RU", "knesset": "IL", "sejm": "PL", "riksdag": "SE",
	"storting": "NO", "folketing": "DK", "eduskunta": "FI", "rada": "UA", "majlis": "IR", "oireachtas": "IE",
	"dail": "IE", "dáil": "IE", "saeima": "LV", "seimas": "LT", "riigikogu": "EE", "sabor": "HR", "skupstina": "RS",
	"althing": "IS", "seanad": "IE", "stortinget": "NO", "nationalrat": "AT", "tbmm": "TR",
}

// treatyHeads are the words that make a phrase a treaty.
var treatyHeads = []string{"treaty", "treaties", "pact", "pacts", "accord", "accords", "agreement", "agreements", "convention", "protocol"}

// treatyKey is one treaty found in the article: catalogued (cat >= 0) or not.
type treatyKey struct {
	id, name string
	cat      int
	parties  []string
}

// addTreatyEntries puts the catalogued treaty names, the treaty head
// words and the action words in the matcher.
func (t *Tagger) addTreatyEntries() {
	g, m := t.g, t.m
	for i, tr := range g.treaties {
		for _, a := range append([]alias{{text: tr.name}}, tr.aliases...) {
			lower := isLowerPhrase(a.text)
			m.add(a.text, entry{kind: kTreaty, exact: a.exact, weak: a.weak, generic: lower, target: int32(i)}, !lower)
		}
	}
	for _, h := range treatyHeads {
		m.add(h, entry{kind: kHead}, false)
	}
	for lang, heads := range foreignHeads {
		for h := range heads {
			m.add(h, entry{kind: kHead, lang: langID(lang)}, false)
		}
	}
	words := maps.Clone(actionWords)
	maps.Copy(words, instrumentActions)
	actionKeys := make([]string, 0, len(words))
	for w := range words {
		actionKeys = append(actionKeys, w)
	}
	sort.Strings(actionKeys)
	for _, w := range actionKeys {
		t.actions = append(t.actions, words[w])
		m.add(w, entry{kind: kAction, target: int32(len(t.actions) - 1)}, false)
	}
	for _, lang := range languages {
		for _, w := range sortedKeys(foreignActions[lang]) {
			t.actions = append(t.actions, foreignActions[lang][w])
			m.add(w, entry{kind: kAction, target: int32(len(t.actions) - 1), lang: langID(lang)}, false)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// foreignHeads are the treaty words of further languages and the English
// head word an uncatalogued treaty's id takes from them.
var foreignHeads = map[string]map[string]string{
	"ru": {"соглашение": "agreement", "соглашения": "agreement", "соглашении": "agreement", "соглашением": "agreement",
		"договор": "treaty", "договора": "treaty", "договором": "treaty", "пакт": "pact", "пакта": "pact"},
	"fr": {"accord": "agreement", "accords": "agreement", "traité": "treaty", "traités": "treaty", "pacte": "pact"},
	"es": {"acuerdo": "agreement", "acuerdos": "agreement", "tratado": "treaty", "tratados": "treaty", "pacto": "pact"},
	"de": {"Abkommen": "agreement", "Abkommens": "agreement", "Vertrag": "treaty", "Vertrags": "treaty", "Pakt": "pact",
		"Sicherheitsabkommen": "agreement", "Handelsabkommen": "agreement", "Friedensabkommen": "agreement",
		"Freihandelsabkommen": "agreement", "Partnerschaftsabkommen": "agreement", "Beistandspakt": "pact"},
	"ar": {"اتفاق": "agreement", "الاتفاق": "agreement", "اتفاقية": "agreement", "الاتفاقية": "agreement",
		"معاهدة": "treaty", "المعاهدة": "treaty"},
	"zh": {"协议": "agreement", "协定": "agreement", "条约": "treaty"},
	"ja": {"協定": "agreement", "合意": "agreement", "条約": "treaty"},
	"ko": {"협정": "agreement", "합의": "agreement", "조약": "treaty"},
}

// foreignActions are the treaty action words of further languages.
var foreignActions = map[string]map[string]string{
	"ru": {"подписали": "signed", "подписал": "signed", "подписала": "signed", "подписан": "signed", "подписано": "signed",
		"ратифицировал": "ratified", "ратифицировали": "ratified", "ратифицировала": "ratified",
		"вышла из": "withdrew", "вышли из": "withdrew", "приостановила": "suspended", "приостановил": "suspended"},
	"fr": {"signé": "signed", "signent": "signed", "ratifié": "ratified", "ratifie": "ratified", "retiré": "withdrew", "suspendu": "suspended"},
	"es": {"firmaron": "signed", "firmó": "signed", "firmado": "signed", "ratificó": "ratified", "ratificaron": "ratified", "retiró": "withdrew", "suspendió": "suspended"},
	"de": {"unterzeichnet": "signed", "unterzeichneten": "signed", "unterschrieben": "signed", "ratifiziert": "ratified", "gekündigt": "withdrew", "ausgesetzt": "suspended"},
	"ar": {"وقع": "signed", "وقعت": "signed", "وقعا": "signed", "وقّع": "signed", "صادق": "ratified", "صادقت": "ratified", "انسحب": "withdrew", "انسحبت": "withdrew", "اتفقت": "signed", "اتفق": "signed"},
	"zh": {"签署": "signed", "签订": "signed", "批准": "ratified", "退出": "withdrew"},
	"ja": {"署名": "signed", "締結": "signed", "批准": "ratified", "離脱": "withdrew"},
	"ko": {"서명": "signed", "체결": "signed", "비준": "ratified", "탈퇴": "withdrew"},
}

// instrumentActions are the action words of legal instruments, depositary
// notices and communiqués. Consent to be bound in any form (acceptance,
// approval, accession, joining) is "ratified"; a denunciation is
// "withdrew"; entry into force is "entered into force".
var instrumentActions = map[string]string{
	"accept": "ratified", "accepts": "ratified", "accepted": "ratified", "acceptance": "ratified",
	"approve": "ratified", "approves": "ratified", "approved": "ratified", "approval": "ratified",
	"accede": "ratified", "accedes": "ratified", "acceded": "ratified", "acceding": "ratified", "accession": "ratified",
	"join": "ratified", "joins": "ratified", "joined": "ratified", "joining": "ratified",
	"rejoin": "ratified", "rejoins": "ratified", "rejoined": "ratified", "rejoining": "ratified",
	"adhere": "ratified", "adhered": "ratified", "adherence": "ratified",
	"denounce": "withdrew", "denounces": "withdrew", "denounced": "withdrew", "denunciation": "withdrew",
	"revoke": "withdrew", "revoked": "withdrew", "revoking": "withdrew",
	"left": "withdrew", "leave": "withdrew", "leaves": "withdrew", "leaving": "withdrew",
	"enter into force": "entered into force", "entered into force": "entered into force", "enters into force": "entered into force",
	"entry into force": "entered into force", "came into force": "entered into force", "comes into force": "entered into force",
	"took effect": "entered into force", "takes effect": "entered into force",
}

// treatyNameWords splits each treaty name and alias into lower-case words.
func treatyNameWords(trs []treaty) [][][]string {
	var out [][][]string
	for _, tr := range trs {
		var names [][]string
		for _, a := range append([]alias{{text: tr.name}}, tr.aliases...) {
			names = append(names, strings.FieldsFunc(strings.ToLower(a.text), func(r rune) bool { return r == ' ' || r == '-' }))
		}
		out = append(out, names)
	}
	return out
}

// englishHead is the English head word of a treaty word of the article's
// language, else of any language
// ("соглашение" and "Abkommen" are "agreement"), or head itself.
func englishHead(lang, written, head string) string {
	if e, ok := foreignHeads[lang][written]; ok {
		return e
	}
	if slices.Contains(treatyHeads, head) {
		return head // English ("accord" is also French)
	}
	for _, heads := range foreignHeads {
		if e, ok := heads[written]; ok {
			return e
		}
		if e, ok := heads[head]; ok {
			return e
		}
	}
	return head
}
