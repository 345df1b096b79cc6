package enrich

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// decideCountries runs the country rules in order and indexes the
// accepted mentions for the leader and treaty rules.
//
//   - Rule 1: strong aliases are accepted as written, except a demonym
//     naming a language ("said in French") and a seat naming a treaty.
//   - Rule 2: weak aliases (Georgia, Jordan, Chad, capitals that are also
//     common words) need the article to confirm them, and no veto cue.
//   - Rule 3: ambiguous aliases (Korea, Congo, Brussels) take the
//     candidate the article confirms; with none confirmed, the default.
//   - Rule 4: one-character abbreviations (美, 露) and names that are
//     also common words (Korean 이란, 인도) count only in context: a pair
//     or list of abbreviations followed by a word of relations (中美关系,
//     日米首脳), or one abbreviation followed by an office or particle
//     word (美军, 露大統領, 이란의).
func (d *doc) decideCountries() {
	d.collectTreatyWords()
	d.strongAliases()
	d.abbreviations()
	d.weakAliases()
	d.ambiguousAliases()
	d.indexCountries()
}

// collectTreatyWords records the words of catalogued treaty names found
// in the article ("Paris" of "Paris Agreement"): a seat used as their
// modifier elsewhere ("the Paris goals") names the treaty, not the country.
func (d *doc) collectTreatyWords() {
	treatyWords := d.treatyWords
	for _, h := range d.hits {
		if d.entry(h).kind == kTreaty {
			for k := h.i; k < h.j; k++ {
				if id := d.toks[h.field][k].id; !slices.Contains(treatyWords, id) {
					treatyWords = append(treatyWords, id)
				}
			}
		}
	}
	d.treatyWords = treatyWords
}

// strongAliases is rule 1.
func (d *doc) strongAliases() {
	for _, h := range d.hits {
		if e := d.entry(h); e.kind == kCountry && !e.weak {
			if e.dem && d.languageUse(h) || e.seat && d.treatyModifier(h, d.treatyWords) {
				continue
			}
			if e.seat && d.placeOfConclusion(h) {
				continue
			}
			d.addCountry(h, int(e.target), "strong-alias")
			d.strong[int(e.target)] = true
		}
	}
}

// abbreviations is rule 4. Abbreviation hits written next to each other
// form a run; a run of two or more counts when the words after it are
// a pair context of its language, a run of one when they are a single
// context (and the abbreviation is not pair-only). In Korean the run must
// start a word, and a single name needs another country in the article.
func (d *doc) abbreviations() {
	t := d.t
	found := false
	for i := range t.abbrCtx {
		found = found || t.abbrCtx[i].lang == d.langName
	}
	if !found {
		return
	}
	hs := d.hits
	// Chinese and Japanese share characters: only the abbreviations of the
	// article's language count.
	mine := func(h hit) bool {
		e := d.entry(h)
		return e.kind == kAbbr && t.abbrCtx[e.ctx-1].lang == d.langName
	}
	for a := 0; a < len(hs); a++ {
		if !mine(hs[a]) {
			continue
		}
		e := d.entry(hs[a])
		f := hs[a].field
		toks, text := d.toks[f], d.text[f]
		b := a
		for n := a + 1; n < len(hs); n++ {
			if hs[n].field != f || !mine(hs[n]) {
				continue
			}
			if hs[n].i == hs[b].j && toks[hs[n].i].start == toks[hs[b].j-1].end {
				b = n
				continue
			}
			if hs[n].i >= hs[b].j {
				break
			}
		}
		ac := &t.abbrCtx[e.ctx-1]
		run := hs[a : b+1]
		next := a
		a = b
		start := toks[run[0].i].start
		if ac.initial && start > 0 {
			if r, _ := utf8.DecodeLastRuneInString(text[:start]); isWordRune(r) {
				continue
			}
		}
		rest := text[toks[run[len(run)-1].j-1].end:]
		n := 0
		for k := next; k <= b; k++ {
			if mine(hs[k]) {
				n++
			}
		}
		ok := false
		switch {
		case n >= 2:
			ok = startsWithAny(rest, ac.pair) || startsWithAny(rest, ac.single)
		case !e.pair && startsWithAny(rest, ac.single):
			ok = !ac.needOther || d.otherCountry(int(e.target))
		}
		if !ok {
			continue
		}
		for k := next; k <= b; k++ {
			if h := hs[k]; mine(h) {
				d.addCountry(h, int(d.entry(h).target), "abbreviation-in-context")
				d.strong[int(d.entry(h).target)] = true
			}
		}
	}
}

// otherCountry reports whether a country other than c has been accepted.
func (d *doc) otherCountry(c int) bool {
	for _, m := range d.countries {
		if m.ent != c {
			return true
		}
	}
	return false
}

// weakAliases is rule 2.
func (d *doc) weakAliases() {
	for _, h := range d.hits {
		e := d.entry(h)
		if e.kind != kCountry || !e.weak {
			continue
		}
		c := int(e.target)
		if d.veto[c] || d.personLike(h) || e.dem && d.languageUse(h) || e.seat && d.treatyModifier(h, d.treatyWords) {
			continue
		}
		switch {
		case e.seat && d.dateline(h):
			d.addCountry(h, c, "weak-seat-in-dateline")
		case d.strong[c]:
			d.addCountry(h, c, "weak-confirmed-by-strong-mention")
		case d.confirm[c]:
			d.addCountry(h, c, "weak-confirmed-by-cue")
		case d.inCountryList(h):
			d.addCountry(h, c, "weak-in-list-of-countries")
		case d.stateContext(h):
			d.addCountry(h, c, "weak-in-state-context")
		case e.seat && d.venueContext(h):
			d.addCountry(h, c, "weak-seat-as-venue")
		}
	}
}

// ambiguousAliases is rule 3.
func (d *doc) ambiguousAliases() {
	t := d.t
	for _, h := range d.hits {
		e := d.entry(h)
		if e.kind != kAmbig {
			continue
		}
		amb := t.g.ambiguous[e.target]
		if d.personLike(h) || d.languageUse(h) {
			continue
		}
		var got []int
		for _, code := range amb.candidates {
			c := t.codeIdx[code]
			if d.strong[c] || d.leaderCountry[c] {
				got = append(got, c)
			}
		}
		switch {
		case len(got) == 1:
			d.addCountry(h, got[0], "ambiguous-resolved-by-article")
		case len(got) == 0 && amb.def != "":
			d.addCountry(h, t.codeIdx[amb.def], "ambiguous-default")
		}
	}
}

func (d *doc) addCountry(h hit, c int, rule string) {
	venue := d.venueUse(h)
	d.countries = append(d.countries, mention{field: h.field, i: h.i, j: h.j, ent: c, rule: rule, venue: venue})
}

// venueUse reports whether a country mention only names a place where
// something happens: a seat after "in" or "at" ("talks in Paris", "a
// summit in Madrid"), "in the Belarusian capital", or the dateline.
func (d *doc) venueUse(h hit) bool {
	e := d.entry(h)
	toks := d.toks[h.field]
	w := &d.t.w
	i := int(h.i)
	if e.seat && d.dateline(h) || h.field == 2 && d.inDateline(2, i) {
		return true
	}
	prev := i - 1
	if prev >= 0 && toks[prev].id == w.the && toks[i].flags&fBreak == 0 {
		prev--
	}
	if prev < 0 || toks[prev+1].flags&fBreak != 0 || !w.venueWord[toks[prev].id] {
		return false
	}
	if e.seat {
		return true
	}
	// "in the Belarusian capital"
	j := int(h.j)
	return e.dem && j < len(toks) && toks[j].id == w.capital && toks[j].flags&fBreak == 0
}

// placeOfConclusion reports whether a seat names where a treaty was done
// ("done at Paris on 12 December 2015"), which is no mention of the
// country.
func (d *doc) placeOfConclusion(h hit) bool {
	toks := d.toks[h.field]
	i := int(h.i)
	return i >= 2 && toks[i-2].id == d.t.w.done && toks[i-1].id >= 0 && d.t.w.venueWord[toks[i-1].id] && toks[i].flags&fBreak == 0
}

// venueContext reports whether a weak seat is used as a meeting place:
// "met in Vienna", "talks in Vienna", "a summit in Vienna".
func (d *doc) venueContext(h hit) bool {
	toks := d.toks[h.field]
	i := int(h.i)
	if i < 2 || toks[i].flags&fBreak != 0 || !d.t.w.venueWord[toks[i-1].id] || toks[i-1].flags&fBreak != 0 {
		return false
	}
	return d.t.w.meetWord[toks[i-2].id]
}

func (d *doc) indexCountries() {
	for _, m := range d.countries {
		if ti := d.info(m.field, m.i); ti != nil {
			ti.countryStop = m.j + 1
			ti.countryAt = int32(m.ent) + 1
		}
		if ti := d.info(m.field, m.j); ti != nil {
			ti.countryEnd = int32(m.ent) + 1
			ti.cStart = m.i + 1
		}
	}
}

// personLike reports whether a weak or ambiguous country word sits inside
// a person's name: a capitalised unknown word right before or after it
// ("Jordan Peterson", "Chad Smith"). Title Case headlines are exempt.
func (d *doc) personLike(h hit) bool {
	if h.field == 0 && d.titleTC {
		// Every word of a Title Case headline is capitalised: the headline
		// word is a person's name only where the text names that person
		// ("Jordan Peterson ..." below "Jordan Peterson Speaks In Toronto").
		for _, o := range d.hits {
			if o.field > 0 && o.entry == h.entry && d.personLikeAt(o) {
				return true
			}
		}
		return false
	}
	return d.personLikeAt(h)
}

func (d *doc) personLikeAt(h hit) bool {
	toks := d.toks[h.field]
	i, j := int(h.i), int(h.j)
	if j < len(toks) {
		n := toks[j]
		if n.flags&(fBreak|fSentStart) == 0 && n.flags&fCapFirst != 0 && n.id < 0 && toks[j-1].flags&fPoss == 0 {
			return true
		}
	}
	if i > 0 {
		p := toks[i-1]
		if toks[i].flags&(fBreak|fSentStart) == 0 && p.flags&fCapFirst != 0 && p.flags&fSentStart == 0 && p.id < 0 && p.flags&fPoss == 0 {
			return true
		}
	}
	return false
}

// inCountryList reports whether the hit is next to another country
// mention, separated only by a comma, "and" or "or" ("Egypt, Jordan and
// Saudi Arabia").
func (d *doc) inCountryList(h hit) bool {
	toks := d.toks[h.field]
	for _, m := range d.countries {
		if m.field != h.field || m.rule == "" {
			continue
		}
		if m.j == h.i && toks[h.i].flags&fBreak != 0 && d.sepIsComma(h.field, m.j-1, h.i) {
			return true
		}
		if m.j == h.i-1 && d.isWord(toks[h.i-1], d.t.w.and, d.t.w.or) {
			return true
		}
		if h.j == m.i && toks[m.i].flags&fBreak != 0 && d.sepIsComma(h.field, h.j-1, m.i) {
			return true
		}
		if h.j == m.i-1 && d.isWord(toks[m.i-1], d.t.w.and, d.t.w.or) {
			return true
		}
	}
	return false
}

func (d *doc) sepIsComma(f int8, a, b int32) bool {
	toks := d.toks[f]
	between := d.text[f][toks[a].end:toks[b].start]
	return strings.TrimSpace(between) == ","
}

func (d *doc) isWord(tk token, ids ...int32) bool {
	for _, id := range ids {
		if tk.id == id {
			return true
		}
	}
	return false
}

// stateContext reports whether a weak country word is used as a state:
// "Jordan's king", "the government of Jordan", "neighbouring Chad".
func (d *doc) stateContext(h hit) bool {
	toks := d.toks[h.field]
	i, j := int(h.i), int(h.j)
	if toks[j-1].flags&fPoss != 0 && j < len(toks) && d.t.w.state[toks[j].id] {
		return true
	}
	if i >= 2 && toks[i-1].id == d.t.w.of && d.t.w.state[toks[i-2].id] && toks[i].flags&fBreak == 0 {
		return true
	}
	if i >= 1 && toks[i].flags&fBreak == 0 {
		if w := toks[i-1].id; w >= 0 && (w == d.t.m.vocab["neighbouring"] || w == d.t.m.vocab["neighboring"]) {
			return true
		}
	}
	return false
}

func (d *doc) countryNamed(code string) bool {
	c, ok := d.t.codeIdx[code]
	if !ok {
		return false
	}
	for _, m := range d.countries {
		if m.ent == c {
			return true
		}
	}
	return false
}

// languageUse reports whether a demonym names a language rather than the
// country: "said in French", "speaks Russian", "Russian-language media",
// "switched between English and French".
func (d *doc) languageUse(h hit) bool {
	w := &d.t.w
	toks := d.toks[h.field]
	i, j := int(h.i), int(h.j)
	next := int32(-1)
	nextBreak := j >= len(toks) || toks[j].flags&fBreak != 0 || toks[j].sent != toks[i].sent
	if !nextBreak {
		next = toks[j].id
	}
	if next >= 0 && w.langAfter[next] {
		return true
	}
	if i == 0 || toks[i].flags&fBreak != 0 {
		return false
	}
	prev := toks[i-1].id
	if prev < 0 {
		return false
	}
	if w.langBefore[prev] {
		// "in Russian custody" is the country; "in Russian." and "in
		// Russian through an interpreter" are the language.
		return prev != w.in && prev != w.into || nextBreak || next >= 0 && w.langFollow[next]
	}
	if (prev == w.and || prev == w.or) && i >= 2 && toks[i-1].flags&fBreak == 0 {
		if pp := toks[i-2].id; pp >= 0 && w.langName[pp] {
			return true
		}
		if i >= 3 && toks[i-3].id >= 0 && w.langBefore[toks[i-3].id] && toks[i-2].flags&fBreak == 0 {
			return true
		}
	}
	return false
}

// treatyModifier reports whether a seat ("Paris") is used as the modifier
// of a lower-case noun ("the Paris goals") in an article that names a
// catalogued treaty holding that word.
func (d *doc) treatyModifier(h hit, treatyWords []int32) bool {
	if len(treatyWords) == 0 {
		return false
	}
	toks := d.toks[h.field]
	for k := h.i; k < h.j; k++ {
		if !slices.Contains(treatyWords, toks[k].id) {
			return false
		}
	}
	j := int(h.j)
	if j >= len(toks) || toks[j].flags&(fBreak|fCapFirst) != 0 || toks[j].flags&fPoss != 0 {
		return false
	}
	return toks[j].id < 0 || !d.t.w.stop[toks[j].id]
}

// dateline reports whether a seat opens the body as an all-capitals
// dateline ("VIENNA (Newswire) —", "KHARTOUM, Sudan (Newswire) —").
func (d *doc) dateline(h hit) bool {
	if h.field != 2 || h.i != 0 || d.toks[2][0].flags&fAllUpper == 0 {
		return false
	}
	toks := d.toks[2]
	if int(h.j) >= len(toks) {
		return false
	}
	sep := d.text[2][toks[h.j-1].end:toks[h.j].start]
	return strings.Contains(sep, "(") || strings.Contains(sep, ",")
}

// addCountryEntries puts the country names, demonyms and seats, the
// ambiguous aliases and blocking phrases, and the cue words in the matcher.
func (t *Tagger) addCountryEntries() {
	g, m := t.g, t.m
	for i, c := range g.countries {
		t.codeIdx[c.code] = i
	}
	for i, c := range g.countries {
		for _, al := range c.aliases {
			for _, a := range al {
				m.add(a.text, entry{kind: kCountry, exact: a.exact, weak: a.weak, seat: a.seat, dem: a.dem, target: int32(i)}, true)
			}
		}
	}
	for i, a := range g.ambiguous {
		k := kAmbig
		if len(a.candidates) == 0 {
			k = kBlock
		}
		m.add(a.alias, entry{kind: k, target: int32(i)}, k == kAmbig)
	}
	for i, c := range g.cues {
		for _, w := range c.confirm {
			m.add(w, entry{kind: kCueConfirm, target: int32(i)}, true)
		}
		for _, w := range c.veto {
			m.add(w, entry{kind: kCueVeto, target: int32(i)}, true)
		}
	}
}

// Country roles.
const (
	RoleSubject = "subject" // the article is about it
	RoleVenue   = "venue"   // named only as where something happens
	RoleMention = "mention" // named once in passing, late in the body
)

// countryRole is the role of country c in the article: a venue when every
// mention is one, a passing mention when it is named once, in the body
// only, from the fourth paragraph on; else a subject.
func (d *doc) countryRole(c int) string {
	n, venues := 0, 0
	var last mention
	for _, m := range d.countries {
		if m.ent != c {
			continue
		}
		n++
		last = m
		if m.venue {
			venues++
		}
	}
	switch {
	case venues == n:
		return RoleVenue
	case n == 1 && last.field == 2 && d.toks[2][last.i].para >= 3:
		return RoleMention
	}
	return RoleSubject
}
