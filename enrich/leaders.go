package enrich

import (
	"sort"
	"strings"
	"time"
)

// establishLeaders marks the leaders named in full: they establish
// themselves for later surnames and confirm their country for ambiguous
// aliases ("Korea" in an article about Kim Jong Un).
func (d *doc) establishLeaders() {
	for _, h := range d.hits {
		if e := d.entry(h); e.kind == kLeaderName {
			d.established[int(e.target)] = true
			d.leaderCountry[d.t.personCountry[e.target]] = true
		}
	}
}

// decideLeaders accepts full names, then surnames, then titles alone,
// and indexes the mentions for the treaty rules.
func (d *doc) decideLeaders() {
	for _, h := range d.hits {
		if e := d.entry(h); e.kind == kLeaderName {
			d.addLeader(h, int(e.target), "full-name")
		}
	}
	for _, h := range d.hits {
		if e := d.entry(h); e.kind == kSurname {
			if p, rule := d.decideSurname(h, d.established); p >= 0 {
				d.addLeader(h, p, rule)
				d.established[p] = true
			}
		}
	}
	// Titles see the names accepted so far: a title followed by a name
	// ("Präsident Wladimir Putin", "总统普京") is that person's, not a
	// mention of its own.
	d.indexLeaders()
	n := len(d.leaders)
	for _, h := range d.hits {
		if e := d.entry(h); e.kind == kTitle {
			d.decideTitleOnly(h)
		}
	}
	d.indexLeadersFrom(n)
}

func (d *doc) addLeader(h hit, p int, rule string) {
	d.leaders = append(d.leaders, mention{field: h.field, i: h.i, j: h.j, ent: p, rule: rule})
}

func (d *doc) indexLeaders() { d.indexLeadersFrom(0) }

// indexLeadersFrom indexes the leader mentions from the nth on.
func (d *doc) indexLeadersFrom(n int) {
	for _, m := range d.leaders[n:] {
		for k := m.i; k < m.j; k++ {
			if ti := d.info(m.field, k); ti != nil {
				ti.leaderAt = int32(m.ent) + 1
			}
		}
	}
}

// decideSurname resolves a surname ("Putin", "Xi", "Kim"): after a title
// ("Mr Putin", "President Xi") among the leaders holding a matching office,
// else to a leader already named in full in the article, else — for a
// distinctive surname with a single bearer — to that leader.
func (d *doc) decideSurname(h hit, established []bool) (int, string) {
	cands := d.t.surnames[d.entry(h).target]
	ti, country := d.titleBefore(h)
	if d.otherPerson(h) {
		return -1, ""
	}
	if ti != nil {
		return d.titledSurname(cands, ti, country, established)
	}
	var est []int
	for _, c := range cands {
		if established[int(c)] {
			est = append(est, int(c))
		}
	}
	if len(est) == 1 {
		return est[0], "surname-established"
	}
	if len(est) > 0 {
		return -1, ""
	}
	if d.t.strongSN[d.entry(h).target] && len(cands) == 1 {
		return int(cands[0]), "distinctive-surname"
	}
	// A shared surname ("Kim", "Lee") is the one bearer in office on the
	// article's date whose country the article names.
	// Of several such bearers, the one who is the country's primary
	// leader then ("Putin and Kim": Kim Jong Un, not the premier).
	var found, primary []int
	for _, c := range cands {
		if d.inOffice(int(c), d.date) && d.countryNamed(d.countryOn(int(c))) {
			found = append(found, int(c))
			if d.primaryOn(int(c), d.date) {
				primary = append(primary, int(c))
			}
		}
	}
	switch {
	case len(found) == 1:
		return found[0], "surname-in-office-country-named"
	case len(primary) == 1:
		return primary[0], "surname-in-office-primary"
	}
	return -1, ""
}

// titleBefore returns the title right before surname hit h, if any, and
// the country right before that title ("Ethiopia's Prime Minister Abiy",
// not a country ending the previous sentence), or -1.
func (d *doc) titleBefore(h hit) (*title, int) {
	t := d.t
	toks := d.toks[h.field]
	var ti *title
	country := -1
	if ti0, ok := d.titleEndAt(h.field, h.i); ok && toks[h.i].flags&fBreak == 0 {
		for _, o := range d.hits {
			if o.field == h.field && o.j == h.i && o.i == ti0 && d.entry(o).kind == kTitle {
				ti = &t.g.titles[d.entry(o).target]
				if c, ok := d.countryEndAt(o.field, o.i); ok && toks[o.i].flags&(fBreak|fSentStart) == 0 {
					country = c
				}
			}
		}
	}
	return ti, country
}

// otherPerson reports whether the words around a surname make it someone
// else's name: a capitalised unknown word right after or before it ("Kim
// Yo Jong", "Lee Hsien Loong"), a hyphenated capitalised given name after
// it even when its first half is a known word ("Kim Moon-soo"), or
// "administration" after it ("the Trump administration" is a government).
func (d *doc) otherPerson(h hit) bool {
	toks := d.toks[h.field]
	j := int(h.j)
	if j < len(toks) && toks[j].flags&(fBreak|fSentStart) == 0 && toks[j].flags&fCapFirst != 0 && toks[j].id < 0 && toks[j-1].flags&fPoss == 0 {
		return true
	}
	if i := int(h.i); i > 0 && toks[i].flags&(fBreak) == 0 && toks[i-1].flags&fCapFirst != 0 && toks[i-1].id < 0 && toks[i-1].flags&fSentStart == 0 {
		return true
	}
	if j+1 < len(toks) && toks[j].flags&(fBreak|fSentStart) == 0 && toks[j].flags&fCapFirst != 0 && toks[j-1].flags&fPoss == 0 &&
		toks[j+1].flags&fHyphenPrev != 0 && toks[j+1].flags&fCapFirst == 0 {
		return true
	}
	return j < len(toks) && toks[j].flags&fBreak == 0 && toks[j-1].flags&fPoss == 0 && toks[j].id == d.t.w.administration
}

// titledSurname resolves a surname after title ti among the bearers who
// held a matching office (of country, when >= 0): one established in the
// article, else the one in office on its date, else the only one.
func (d *doc) titledSurname(cands []int32, ti *title, country int, established []bool) (int, string) {
	t := d.t
	var keep []int
	for _, c := range cands {
		p := &t.persons[c]
		if country >= 0 && t.codeIdx[p.country] != country {
			continue
		}
		if ti.kind != "honorific" && !d.holdsTitle(int(c), ti, time.Time{}) {
			continue
		}
		keep = append(keep, int(c))
	}
	for _, c := range keep {
		if established[c] {
			return c, "title+surname-established"
		}
	}
	var active []int
	for _, c := range keep {
		if ti.kind == "honorific" && d.inOffice(c, d.date) || ti.kind != "honorific" && d.holdsTitle(c, ti, d.date) {
			active = append(active, c)
		}
	}
	if len(active) == 1 {
		return active[0], "title+surname-in-office"
	}
	if len(keep) == 1 {
		return keep[0], "title+surname-unique"
	}
	return -1, ""
}

// inOffice reports whether person p held any office on date.
func (d *doc) inOffice(p int, date time.Time) bool {
	for _, ti := range d.t.persons[p].terms {
		if termActive(&d.t.g.terms[ti], date) {
			return true
		}
	}
	return false
}

func termActive(tm *term, date time.Time) bool {
	return !date.Before(tm.start) && (tm.end.IsZero() || date.Before(tm.end))
}

// holdsTitle reports whether p held an office matching ti (on date, or at
// any time when date is zero).
func (d *doc) holdsTitle(p int, ti *title, date time.Time) bool {
	for _, tidx := range d.t.persons[p].terms {
		tm := &d.t.g.terms[tidx]
		if !date.IsZero() && !termActive(tm, date) {
			continue
		}
		if titleMatches(ti, tm) {
			return true
		}
	}
	return false
}

func titleMatches(ti *title, tm *term) bool {
	switch ti.kind {
	case "office":
		for _, v := range ti.value {
			if v == tm.office {
				return true
			}
		}
	case "role":
		for _, v := range ti.value {
			if v == tm.role {
				return true
			}
		}
	case "primary":
		return tm.primary
	}
	return false
}

// decideTitleOnly resolves "the Russian president", "Russia's foreign
// minister", "the president of South Korea" to whoever held that office on
// the article's date. A title followed by a name, or preceded by "former"
// and the like, is left alone.
func (d *doc) decideTitleOnly(h hit) {
	t := d.t
	ti := &t.g.titles[d.entry(h).target]
	if ti.kind == "honorific" {
		return
	}
	toks := d.toks[h.field]
	e := d.entry(h)
	i, j := int(h.i), int(h.j)
	if d.nameAfterTitle(e, toks, j) {
		return // followed by a name
	}
	if _, ok := d.leaderAtK(h.field, int32(j)); ok {
		return
	}
	start := i
	country := -1
	if c, ok := d.countryEndAt(h.field, int32(i)); ok && toks[i].flags&fBreak == 0 {
		country = c
		start = int(d.cStartAt(h.field, int32(i)))
	} else if j+1 < len(toks) && toks[j].id == t.w.of && toks[j].flags&fBreak == 0 && toks[j+1].flags&fBreak == 0 {
		if c, ok := d.countryAtK(h.field, int32(j+1)); ok {
			country = c
			for _, m := range d.countries {
				if m.field == h.field && m.i == int32(j+1) {
					j = int(m.j)
				}
			}
		}
	}
	if country < 0 && e.post {
		country, start, j = d.foreignTitleCountry(h, start, j)
		if _, ok := d.leaderAtK(h.field, int32(j)); ok {
			return // "Президент России Владимир Путин": the name's
		}
	}
	if e.lang == langDE && start > 0 && toks[start-1].id == t.w.die && !strings.HasSuffix(d.text[h.field][toks[i].start:toks[h.j-1].end], "in") {
		return // "die EU-Außenminister": a masculine title after "die" is a plural
	}
	if country < 0 {
		d.decideBareTitle(h)
		return
	}
	// "former Russian president", "Russia's former president",
	// "الرئيس الأمريكي السابق"
	if start > 0 && t.w.past[toks[start-1].id] || i > 0 && t.w.past[toks[i-1].id] || e.post && j < len(toks) && t.w.pastAfter[toks[j].id] {
		return
	}
	found := -1
	for _, pt := range t.titleCountry[titleCountryKey(int(d.entry(h).target), country)] {
		if p := int(pt.person); termActive(&t.g.terms[pt.term], d.date) {
			if found >= 0 && found != p {
				return // two holders: do not guess
			}
			found = p
		}
	}
	if found >= 0 {
		d.leaders = append(d.leaders, mention{field: h.field, i: int32(start), j: int32(j), ent: found, rule: "title-of-country-on-date"})
	}
}

// nameAfterTitle reports whether a person's name follows the title ending
// at token j: in English a capitalised word ("President Lula"); in the
// further languages, where German capitalises every noun ("US-Präsident
// Zuversicht"), two capitalised words the gazetteer does not know.
func (d *doc) nameAfterTitle(e *entry, toks []token, j int) bool {
	capAt := func(k int) bool {
		return k < len(toks) && toks[k].flags&(fBreak|fSentStart) == 0 && toks[k].flags&fCapFirst != 0
	}
	if !e.post {
		return capAt(j) && toks[j-1].flags&fPoss == 0
	}
	return capAt(j) && toks[j].id < 0 && capAt(j+1) && toks[j+1].id < 0
}

// foreignTitleCountry finds the country of a title of a further language
// (tokens [i, j) of hit h) where English has none: after it, directly or
// after "de", "du", "der" ("президент России", "le président français",
// "el presidente de Francia", "رئيس الوزراء الإسرائيلي"); before it with
// the possessive の or 의 between ("フランスの大統領", "이란의
// 최고지도자"); else the country the title implies ("Bundeskanzler").
// It returns the country (-1: none) and the span of the mention.
func (d *doc) foreignTitleCountry(h hit, i, j int) (int, int, int) {
	toks := d.toks[h.field]
	k := j
	for n := 0; n < 2 && k < len(toks) && toks[k].flags&fBreak == 0 && d.t.w.connect[toks[k].id]; n++ {
		k++
	}
	if k < len(toks) && (k == j || toks[k].flags&fBreak == 0) {
		if c, ok := d.countryAtK(h.field, int32(k)); ok && toks[k].flags&fBreak == 0 {
			return c, i, int(d.countryStopAt(h.field, int32(k)))
		}
	}
	if i >= 2 {
		p := toks[i-1]
		if w := d.text[h.field][p.start:p.end]; (w == "の" || w == "의") && p.flags&fBreak == 0 {
			if c, ok := d.countryEndAt(h.field, int32(i-1)); ok {
				return c, int(d.cStartAt(h.field, int32(i-1))), j
			}
		}
	}
	if e := d.entry(h); e.home > 0 {
		return int(e.home - 1), i, j
	}
	return -1, i, j
}

// bareTitles are the offices that "the <title>" names without a country:
// a monarch, the pope, the taoiseach.
var bareTitles = map[string]bool{"king": true, "queen": true, "pope": true, "taoiseach": true, "emir": true, "emperor": true, "supreme leader": true}

// decideBareTitle resolves "the King" or "the Pope" with no country
// attached (rule "bare-title-on-date"): the one holder of that office on
// the article's date, or the one among the countries the article names.
// A past-time word before it ("the late King") or "of" after it ("the
// King of Pop") leaves it alone.
func (d *doc) decideBareTitle(h hit) {
	t := d.t
	ti := &t.g.titles[d.entry(h).target]
	if ti.kind != "office" || len(ti.value) != 1 || !bareTitles[ti.value[0]] {
		return
	}
	toks := d.toks[h.field]
	i, j := int(h.i), int(h.j)
	if i == 0 || toks[i-1].id != t.w.the || toks[i].flags&fBreak != 0 {
		return
	}
	if i > 1 && t.w.past[toks[i-2].id] || j < len(toks) && toks[j].id == t.w.of {
		return
	}
	all, named := -1, -1
	nAll, nNamed := 0, 0
	tt := &t.titleTerms[d.entry(h).target]
	for _, pt := range tt.terms {
		p, tm := int(pt.person), &t.g.terms[pt.term]
		if !termActive(tm, d.date) {
			continue
		}
		if all != p {
			all = p
			nAll++
		}
		if d.countryNamed(tm.country) && named != p {
			named = p
			nNamed++
		}
	}
	p := -1
	switch {
	case nAll == 1 && tt.countries == 1:
		p = all
	case nNamed == 1:
		p = named
	}
	if p >= 0 {
		d.leaders = append(d.leaders, mention{field: h.field, i: int32(i - 1), j: int32(j), ent: p, rule: "bare-title-on-date"})
	}
}

// roleOn returns the office p held on date (or their latest before it).
func (t *Tagger) roleOn(p int, date time.Time) string {
	best := ""
	for _, tidx := range t.persons[p].terms {
		tm := &t.g.terms[tidx]
		if termActive(tm, date) {
			return tm.office
		}
		if !tm.start.After(date) || best == "" {
			best = tm.office
		}
	}
	return best
}

// countryOn is the country of the leader's office on the article date.
func (d *doc) countryOn(p int) string {
	pp := &d.t.persons[p]
	for _, tidx := range pp.terms {
		if tm := &d.t.g.terms[tidx]; termActive(tm, d.date) {
			return tm.country
		}
	}
	return pp.country
}

// person is one leader across all their terms of office.
type person struct {
	id, name, country string
	terms             []int // indexes into gazetteer.terms, oldest first
}

// addLeaderEntries groups the terms of office into persons (one per QID,
// else per name) and puts their names, surnames and the titles in the
// matcher.
func (t *Tagger) addLeaderEntries() {
	g, m := t.g, t.m
	// Leaders: group terms into persons.
	byKey := map[string]int{}
	for ti, tm := range g.terms {
		key := tm.qid
		if key == "-" || key == "" {
			key = "name:" + tm.name
		}
		pi, ok := byKey[key]
		if !ok {
			pi = len(t.persons)
			byKey[key] = pi
			id := tm.qid
			if id == "-" || id == "" {
				id = "l-" + slug(tm.name)
			}
			t.persons = append(t.persons, person{id: id, name: tm.name})
		}
		p := &t.persons[pi]
		p.terms = append(p.terms, ti)
		p.country = tm.country
		for _, n := range append([]string{tm.name}, tm.aliases...) {
			m.add(n, entry{kind: kLeaderName, target: int32(pi)}, true)
		}
		for _, sn := range tm.surnames {
			t.addSurname(sn.text, pi, sn.strong, 0)
		}
	}
	t.byCountry = map[string][]int{}
	for i := range t.persons {
		p := &t.persons[i]
		seen := map[string]bool{}
		for _, ti := range p.terms {
			if c := g.terms[ti].country; !seen[c] {
				seen[c] = true
				t.byCountry[c] = append(t.byCountry[c], i)
			}
		}
		sort.SliceStable(p.terms, func(a, b int) bool { return g.terms[p.terms[a]].start.Before(g.terms[p.terms[b]].start) })
		p.country = g.terms[p.terms[len(p.terms)-1]].country
	}
	for i, ti := range g.titles {
		m.add(ti.text, entry{kind: kTitle, exact: ti.exact, target: int32(i)}, true)
	}
}

// Ways a leader was resolved.
const (
	ResolvedByDate = "date" // in office on the article's date
	ResolvedByName = "name" // no date, or not in office then: the bearer of the name
)

// resolvedBy says how person p was chosen: by the article's date when it
// has one and p was in office on it, else by the name alone.
func (d *doc) resolvedBy(p int) string {
	if d.dated && d.inOffice(p, d.date) {
		return ResolvedByDate
	}
	return ResolvedByName
}

// addSurname makes text a surname of person pi (distinctive when strong),
// matched in articles of language lang (0: all).
func (t *Tagger) addSurname(text string, pi int, strong bool, lang uint8) {
	key := text + "\x00" + string(rune('0'+lang))
	si, ok := t.snIdx[key]
	if !ok {
		si = len(t.surnames)
		t.snIdx[key] = si
		t.surnames = append(t.surnames, nil)
		t.strongSN = append(t.strongSN, false)
		t.m.add(text, entry{kind: kSurname, target: int32(si), lang: lang}, true)
	}
	if !containsInt32(t.surnames[si], int32(pi)) {
		t.surnames[si] = append(t.surnames[si], int32(pi))
	}
	t.strongSN[si] = t.strongSN[si] || strong
}

// primaryOn reports whether p held their country's primary office on date.
func (d *doc) primaryOn(p int, date time.Time) bool { return d.t.primaryAt(p, date) }

// personTerm is one term of office of one person.
type personTerm struct{ person, term int32 }

// titleTerms are the terms of office a title names, in person order,
// and how many countries have that office: precomputed so that "the
// King" does not scan every term of every leader.
type titleTerms struct {
	terms     []personTerm
	countries int
}

// titleCountryKey is the key of t.titleCountry.
func titleCountryKey(title, country int) uint64 { return uint64(title)<<32 | uint64(uint32(country)) }

// indexTitles fills t.titleTerms, one per title, and t.titleCountry.
func (t *Tagger) indexTitles() {
	t.titleCountry = map[uint64][]personTerm{}
	defer func() {
		for i := range t.titleTerms {
			for _, pt := range t.titleTerms[i].terms {
				k := titleCountryKey(i, t.codeIdx[t.g.terms[pt.term].country])
				t.titleCountry[k] = append(t.titleCountry[k], pt)
			}
		}
	}()
	t.titleTerms = make([]titleTerms, len(t.g.titles))
	for i := range t.g.titles {
		ti := &t.g.titles[i]
		tt := &t.titleTerms[i]
		seen := map[string]bool{}
		for p := range t.persons {
			for _, k := range t.persons[p].terms {
				if tm := &t.g.terms[k]; titleMatches(ti, tm) {
					tt.terms = append(tt.terms, personTerm{int32(p), int32(k)})
					if !seen[tm.country] {
						seen[tm.country] = true
						tt.countries++
					}
				}
			}
		}
	}
}
