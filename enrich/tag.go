package enrich

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/newswire/newswire/article"
)

var fieldNames = [3]string{article.FieldTitle, article.FieldSummary, article.FieldBody}

// scratch is per-call working memory, pooled: the tokenizer, the tokens
// and hits of each field, and the rule state of one document.
type scratch struct {
	tz   tokenizer
	toks [3][]token
	hits []hit
	doc  doc
}

// mention is one accepted mention of a country, leader or treaty.
type mention struct {
	field int8
	i, j  int32 // tokens
	ent   int   // country index, person index, or treaty key index
	rule  string
}

// doc is the state of tagging one article. It lives in a pooled scratch;
// reset clears it for the next article and keeps its slices' memory.
type doc struct {
	t       *Tagger
	text    [3]string
	toks    [3][]token
	hits    []hit
	date    time.Time
	year    int  // of date
	titleTC bool // the title is written in Title Case

	countries []mention
	leaders   []mention
	treaties  []mention
	tkeys     []treatyKey
	keywords  []string // keyword hits, possibly repeated; output sorts and de-duplicates

	// at holds per-token facts of each field, indexed by token (one slot
	// more than the field has tokens, for "ends here" facts at its end).
	at [3][]tokInfo

	// Per-country and per-person flags of run, indexed by country or
	// person index.
	confirm, veto, strong, leaderCountry []bool
	established                          []bool

	treatyWords []int32 // word ids of catalogued treaty names found
	heads       []hit
	tms         []mention
	out         []outRec
	ents        []outEnt
	dlEnd       int // tokens of the body's dateline; -1 until computed
}

// tokInfo holds what the rules know about one token position. Index and
// position fields store the value plus one, so that zero means "none".
type tokInfo struct {
	countryAt   int32 // country of an accepted mention starting here
	countryStop int32 // token end of the mention starting here
	countryEnd  int32 // country of an accepted mention ending here
	cStart      int32 // token start of the mention ending here
	leaderAt    int32 // person of a leader mention covering this token
	titleEnd    int32 // token start of a title hit ending here
	bits        uint8
}

// tokInfo bits.
const (
	bAction    uint8 = 1 << iota // a treaty action word starts here
	bTitleTok                    // inside a title ("Prime Minister")
	bTreatyEnd                   // a treaty word or name ends here
	bCovered                     // inside a catalogued treaty name
)

func (d *doc) info(f int8, k int32) *tokInfo {
	if k < 0 || int(k) >= len(d.at[f]) {
		return nil
	}
	return &d.at[f][k]
}

func (d *doc) tokBit(f int8, k int32, b uint8) bool {
	ti := d.info(f, k)
	return ti != nil && ti.bits&b != 0
}

func (d *doc) setBit(f int8, k int32, b uint8) {
	if ti := d.info(f, k); ti != nil {
		ti.bits |= b
	}
}

func (d *doc) countryAtK(f int8, k int32) (int, bool) {
	ti := d.info(f, k)
	if ti == nil || ti.countryAt == 0 {
		return 0, false
	}
	return int(ti.countryAt - 1), true
}

func (d *doc) countryStopAt(f int8, k int32) int32 {
	if ti := d.info(f, k); ti != nil && ti.countryStop != 0 {
		return ti.countryStop - 1
	}
	return 0
}

func (d *doc) countryEndAt(f int8, k int32) (int, bool) {
	ti := d.info(f, k)
	if ti == nil || ti.countryEnd == 0 {
		return 0, false
	}
	return int(ti.countryEnd - 1), true
}

func (d *doc) cStartAt(f int8, k int32) int32 {
	if ti := d.info(f, k); ti != nil && ti.cStart != 0 {
		return ti.cStart - 1
	}
	return 0
}

func (d *doc) leaderAtK(f int8, k int32) (int, bool) {
	ti := d.info(f, k)
	if ti == nil || ti.leaderAt == 0 {
		return 0, false
	}
	return int(ti.leaderAt - 1), true
}

func (d *doc) titleEndAt(f int8, k int32) (int32, bool) {
	ti := d.info(f, k)
	if ti == nil || ti.titleEnd == 0 {
		return 0, false
	}
	return ti.titleEnd - 1, true
}

// reset prepares d for a new article, keeping its memory.
func (d *doc) reset(t *Tagger) {
	d.t = t
	d.countries = d.countries[:0]
	d.leaders = d.leaders[:0]
	d.treaties = d.treaties[:0]
	clear(d.tkeys) // drop references to the last article's strings
	d.tkeys = d.tkeys[:0]
	d.keywords = d.keywords[:0]
	d.treatyWords = d.treatyWords[:0]
	d.heads = d.heads[:0]
	d.dlEnd = -1
	d.confirm = resetBools(d.confirm, len(t.g.countries))
	d.veto = resetBools(d.veto, len(t.g.countries))
	d.strong = resetBools(d.strong, len(t.g.countries))
	d.leaderCountry = resetBools(d.leaderCountry, len(t.g.countries))
	d.established = resetBools(d.established, len(t.persons))
}

func resetBools(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	b = b[:n]
	clear(b)
	return b
}

func resetInfo(b []tokInfo, n int) []tokInfo {
	if cap(b) < n {
		return make([]tokInfo, n, n+n/4)
	}
	b = b[:n]
	clear(b)
	return b
}

// treatyKey is one treaty found in the article: catalogued (cat >= 0) or not.
type treatyKey struct {
	id, name string
	cat      int
	parties  []string
}

// Tag returns the tags of one article. It never returns nil slices.
func (t *Tagger) Tag(a *article.Article) (tags article.Tags) {
	tags = article.Tags{Countries: []article.CountryTag{}, Leaders: []article.LeaderTag{}, Treaties: []article.TreatyTag{}, Keywords: []string{}}
	if a == nil {
		return tags
	}
	defer func() {
		// The tagger must never take a consumer down; a rule bug yields
		// empty tags for that one article rather than a crash.
		if r := recover(); r != nil {
			tags = article.Tags{Countries: []article.CountryTag{}, Leaders: []article.LeaderTag{}, Treaties: []article.TreatyTag{}, Keywords: []string{}}
		}
	}()
	s := t.pool.Get().(*scratch)
	defer t.pool.Put(s)
	d := &s.doc
	d.reset(t)
	d.text = [3]string{a.Title, a.Summary, a.Body}
	d.date = a.Published
	if d.date.IsZero() {
		d.date = a.Ingested
	}
	if d.date.IsZero() {
		d.date = t.g.asOf
	}
	d.year = d.date.Year()
	s.hits = s.hits[:0]
	for f := 0; f < 3; f++ {
		// The tokenizer writes straight into this field's pooled buffer.
		s.tz.toks = s.toks[f][:0]
		s.toks[f] = s.tz.run(d.text[f])
		d.toks[f] = s.toks[f]
		d.at[f] = resetInfo(d.at[f], len(s.toks[f])+1)
		s.hits = t.m.scan(int8(f), s.toks[f], d.text[f], s.hits)
	}
	d.hits = s.hits
	d.titleTC = titleCase(d.toks[0])
	d.run()
	tags = d.output()
	d.text = [3]string{}
	return tags
}

func titleCase(toks []token) bool {
	if len(toks) < 4 {
		return false
	}
	c := 0
	for _, tk := range toks {
		if tk.flags&fCapFirst != 0 {
			c++
		}
	}
	return c*10 >= len(toks)*7
}

func (d *doc) entry(h hit) *entry { return &d.t.m.entries[h.entry] }

func (d *doc) run() {
	t := d.t
	// Keywords and cues first: they do not depend on anything.
	confirm, veto := d.confirm, d.veto
	for _, h := range d.hits {
		e := d.entry(h)
		switch e.kind {
		case kAction:
			d.setBit(h.field, h.i, bAction)
		case kTitle:
			if ti := d.info(h.field, h.j); ti != nil {
				ti.titleEnd = h.i + 1
			}
			for k := h.i; k < h.j; k++ {
				d.setBit(h.field, k, bTitleTok)
			}
		case kKeyword:
			d.keywords = append(d.keywords, t.keywords[e.target])
		case kCueConfirm:
			confirm[t.cueCountry[e.target]] = true
		case kCueVeto:
			veto[t.cueCountry[e.target]] = true
		}
	}
	// Leaders named in full establish themselves and confirm their country
	// for ambiguous aliases ("Korea" in an article about Kim Jong Un).
	established := d.established
	leaderCountry := d.leaderCountry
	for _, h := range d.hits {
		if e := d.entry(h); e.kind == kLeaderName {
			established[int(e.target)] = true
			leaderCountry[t.personCountry[e.target]] = true
		}
	}
	// Countries, rule 1: strong aliases are accepted as written.
	// Words of catalogued treaty names found in the article ("Paris" of
	// "Paris Agreement"): a seat used as their modifier elsewhere ("the
	// Paris goals") names the treaty, not the country.
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
	// Rule 1: strong aliases are accepted as written, except a demonym
	// naming a language ("said in French") and a seat naming a treaty.
	strong := d.strong
	for _, h := range d.hits {
		if e := d.entry(h); e.kind == kCountry && !e.weak {
			if e.dem && d.languageUse(h) || e.seat && d.treatyModifier(h, treatyWords) {
				continue
			}
			d.addCountry(h, int(e.target), "strong-alias")
			strong[int(e.target)] = true
		}
	}
	// Rule 2: weak aliases (Georgia, Jordan, Chad, capitals that are also
	// common words) need the article to confirm them, and no veto cue.
	for _, h := range d.hits {
		e := d.entry(h)
		if e.kind != kCountry || !e.weak {
			continue
		}
		c := int(e.target)
		if veto[c] || d.personLike(h) || e.dem && d.languageUse(h) || e.seat && d.treatyModifier(h, treatyWords) {
			continue
		}
		switch {
		case e.seat && d.dateline(h):
			d.addCountry(h, c, "weak-seat-in-dateline")
		case strong[c]:
			d.addCountry(h, c, "weak-confirmed-by-strong-mention")
		case confirm[c]:
			d.addCountry(h, c, "weak-confirmed-by-cue")
		case d.inCountryList(h):
			d.addCountry(h, c, "weak-in-list-of-countries")
		case d.stateContext(h):
			d.addCountry(h, c, "weak-in-state-context")
		}
	}
	// Rule 3: ambiguous aliases (Korea, Congo, Brussels) take the candidate
	// the article confirms; with none confirmed, the default if any.
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
			if strong[c] || leaderCountry[c] {
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
	d.indexCountries()
	// Leaders.
	for _, h := range d.hits {
		if e := d.entry(h); e.kind == kLeaderName {
			d.addLeader(h, int(e.target), "full-name")
		}
	}
	for _, h := range d.hits {
		if e := d.entry(h); e.kind == kSurname {
			if p, rule := d.decideSurname(h, established); p >= 0 {
				d.addLeader(h, p, rule)
				established[p] = true
			}
		}
	}
	for _, h := range d.hits {
		if e := d.entry(h); e.kind == kTitle {
			d.decideTitleOnly(h)
		}
	}
	d.indexLeaders()
	d.decideTreaties()
}

func (d *doc) addCountry(h hit, c int, rule string) {
	d.countries = append(d.countries, mention{field: h.field, i: h.i, j: h.j, ent: c, rule: rule})
}

func (d *doc) addLeader(h hit, p int, rule string) {
	d.leaders = append(d.leaders, mention{field: h.field, i: h.i, j: h.j, ent: p, rule: rule})
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

func (d *doc) indexLeaders() {
	for _, m := range d.leaders {
		for k := m.i; k < m.j; k++ {
			if ti := d.info(m.field, k); ti != nil {
				ti.leaderAt = int32(m.ent) + 1
			}
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

// decideSurname resolves a surname ("Putin", "Xi", "Kim"): after a title
// ("Mr Putin", "President Xi") among the leaders holding a matching office,
// else to a leader already named in full in the article, else — for a
// distinctive surname with a single bearer — to that leader.
func (d *doc) decideSurname(h hit, established []bool) (int, string) {
	t := d.t
	cands := t.surnames[d.entry(h).target]
	toks := d.toks[h.field]
	var ti *title
	country := -1
	if ti0, ok := d.titleEndAt(h.field, h.i); ok && toks[h.i].flags&fBreak == 0 {
		for _, o := range d.hits {
			if o.field == h.field && o.j == h.i && o.i == ti0 && d.entry(o).kind == kTitle {
				ti = &t.g.titles[d.entry(o).target]
				// "Ethiopia's Prime Minister Abiy", not a country ending
				// the previous sentence.
				if c, ok := d.countryEndAt(o.field, o.i); ok && toks[o.i].flags&(fBreak|fSentStart) == 0 {
					country = c
				}
			}
		}
	}
	// A capitalised word right after the surname that is not a known word
	// means another person ("Kim Yo Jong", "Lee Hsien Loong").
	if j := int(h.j); j < len(toks) && toks[j].flags&(fBreak|fSentStart) == 0 && toks[j].flags&fCapFirst != 0 && toks[j].id < 0 && toks[j-1].flags&fPoss == 0 {
		return -1, ""
	}
	if j := int(h.i); j > 0 && toks[j].flags&(fBreak) == 0 && toks[j-1].flags&fCapFirst != 0 && toks[j-1].id < 0 && toks[j-1].flags&fSentStart == 0 {
		return -1, ""
	}
	// A hyphenated capitalised given name after the surname is another
	// person, even when its first half is a known word ("Kim Moon-soo").
	if j := int(h.j); j+1 < len(toks) && toks[j].flags&(fBreak|fSentStart) == 0 && toks[j].flags&fCapFirst != 0 && toks[j-1].flags&fPoss == 0 &&
		toks[j+1].flags&fHyphenPrev != 0 && toks[j+1].flags&fCapFirst == 0 {
		return -1, ""
	}
	// "the Trump administration" names a government, not the person.
	if j := int(h.j); j < len(toks) && toks[j].flags&fBreak == 0 && toks[j-1].flags&fPoss == 0 && toks[j].id == t.w.administration {
		return -1, ""
	}
	if ti != nil {
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
	var est []int
	for _, c := range cands {
		if established[int(c)] {
			est = append(est, int(c))
		}
	}
	if len(est) == 1 {
		return est[0], "surname-established"
	}
	if len(est) == 0 && t.strongSN[d.entry(h).target] && len(cands) == 1 {
		return int(cands[0]), "distinctive-surname"
	}
	// A shared surname ("Kim", "Lee") is the one bearer in office on the
	// article's date whose country the article names.
	if len(est) == 0 {
		found := -1
		for _, c := range cands {
			if d.inOffice(int(c), d.date) && d.countryNamed(d.countryOn(int(c))) {
				if found >= 0 {
					return -1, ""
				}
				found = int(c)
			}
		}
		if found >= 0 {
			return found, "surname-in-office-country-named"
		}
	}
	return -1, ""
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
	i, j := int(h.i), int(h.j)
	if j < len(toks) && toks[j].flags&(fBreak|fSentStart) == 0 && toks[j].flags&fCapFirst != 0 && toks[j-1].flags&fPoss == 0 {
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
	if country < 0 {
		d.decideBareTitle(h)
		return
	}
	// "former Russian president", "Russia's former president"
	if start > 0 && t.w.past[toks[start-1].id] || i > 0 && t.w.past[toks[i-1].id] {
		return
	}
	code := t.g.countries[country].code
	found := -1
	for _, p := range t.byCountry[code] {
		for _, tidx := range t.persons[p].terms {
			tm := &t.g.terms[tidx]
			if tm.country == code && termActive(tm, d.date) && titleMatches(ti, tm) {
				if found >= 0 && found != p {
					return // two holders: do not guess
				}
				found = p
			}
		}
	}
	if found >= 0 {
		d.leaders = append(d.leaders, mention{field: h.field, i: int32(start), j: int32(j), ent: found, rule: "title-of-country-on-date"})
	}
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
	offices := map[string]bool{} // countries that have this office at all
	for p := range t.persons {
		for _, tidx := range t.persons[p].terms {
			tm := &t.g.terms[tidx]
			if !titleMatches(ti, tm) {
				continue
			}
			offices[tm.country] = true
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
	}
	p := -1
	switch {
	case nAll == 1 && len(offices) == 1:
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

// outRec is one distinct span of an entity while output groups mentions.
type outRec struct {
	span article.Span
	prev int32 // previous record of the same entity, or -1
}

// outEnt is one entity while output groups mentions: its last record,
// distinct span count and salience score, in order of first mention.
type outEnt struct {
	ent   int
	last  int32
	n     int
	off   int
	score float64
}

// group collects the distinct spans of ms per entity, in order of first
// mention, and returns the entities and one span slice holding each
// entity's spans at [off, off+n), sorted. withScore sums the salience
// weights of distinct spans in mention order.
func (d *doc) group(ms []mention, withScore bool) ([]outEnt, []article.Span) {
	ents, recs := d.ents[:0], d.out[:0]
	for _, m := range ms {
		slot := -1
		for k := range ents {
			if ents[k].ent == m.ent {
				slot = k
				break
			}
		}
		if slot < 0 {
			ents = append(ents, outEnt{ent: m.ent, last: -1})
			slot = len(ents) - 1
		}
		e := &ents[slot]
		sp := d.span(m)
		dup := false
		for r := e.last; r >= 0; r = recs[r].prev {
			if recs[r].span == sp {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		recs = append(recs, outRec{span: sp, prev: e.last})
		e.last = int32(len(recs) - 1)
		e.n++
		if withScore {
			e.score += d.weight(m)
		}
	}
	d.ents, d.out = ents, recs
	if len(ents) == 0 {
		return ents, nil
	}
	spans := make([]article.Span, len(recs))
	off := 0
	for k := range ents {
		e := &ents[k]
		e.off = off
		off += e.n
		// Walk the chain backwards, filling from the end: mention order.
		at := e.off + e.n
		for r := e.last; r >= 0; r = recs[r].prev {
			at--
			spans[at] = recs[r].span
		}
		sortSpans(spans[e.off : e.off+e.n])
	}
	return ents, spans
}

// output assembles the sorted, de-duplicated tags.
func (d *doc) output() article.Tags {
	t := d.t
	var tags article.Tags
	// Countries.
	ents, spans := d.group(d.countries, true)
	tags.Countries = make([]article.CountryTag, 0, len(ents))
	for _, e := range ents {
		c := e.ent
		sal := math.Round((1-math.Exp(-e.score))*1000) / 1000
		tags.Countries = append(tags.Countries, article.CountryTag{Code: t.g.countries[c].code, Name: t.g.countries[c].names["en"],
			Mentions: e.n, Salience: sal, Spans: spans[e.off : e.off+e.n : e.off+e.n]})
	}
	slices.SortFunc(tags.Countries, func(a, b article.CountryTag) int {
		if a.Salience != b.Salience {
			if a.Salience > b.Salience {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Code, b.Code)
	})
	// Leaders.
	ents, spans = d.group(d.leaders, false)
	tags.Leaders = make([]article.LeaderTag, 0, len(ents))
	for _, e := range ents {
		p := e.ent
		pp := &t.persons[p]
		tags.Leaders = append(tags.Leaders, article.LeaderTag{ID: pp.id, Name: pp.name, Country: d.countryOn(p), Role: t.roleOn(p, d.date),
			Mentions: e.n, Spans: spans[e.off : e.off+e.n : e.off+e.n]})
	}
	slices.SortFunc(tags.Leaders, func(a, b article.LeaderTag) int {
		if a.Mentions != b.Mentions {
			return cmp.Compare(b.Mentions, a.Mentions)
		}
		return strings.Compare(a.ID, b.ID)
	})
	// Treaties.
	ents, spans = d.group(d.treaties, false)
	tags.Treaties = make([]article.TreatyTag, 0, len(ents))
	np := 0
	for _, e := range ents {
		np += len(d.tkeys[e.ent].parties)
	}
	parties := make([]string, 0, np)
	for _, e := range ents {
		k := e.ent
		tk := &d.tkeys[k]
		from := len(parties)
		parties = append(parties, tk.parties...)
		tags.Treaties = append(tags.Treaties, article.TreatyTag{ID: tk.id, Name: tk.name, Parties: parties[from:len(parties):len(parties)], Action: d.treatyAction(k),
			Mentions: e.n, Spans: spans[e.off : e.off+e.n : e.off+e.n]})
	}
	slices.SortFunc(tags.Treaties, func(a, b article.TreatyTag) int {
		if a.Mentions != b.Mentions {
			return cmp.Compare(b.Mentions, a.Mentions)
		}
		return strings.Compare(a.ID, b.ID)
	})
	slices.Sort(d.keywords)
	d.keywords = slices.Compact(d.keywords)
	tags.Keywords = append(make([]string, 0, len(d.keywords)), d.keywords...)
	return tags
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

func (d *doc) span(m mention) article.Span {
	toks := d.toks[m.field]
	return article.Span{Field: fieldNames[m.field], Start: int(toks[m.i].start), End: int(toks[m.j-1].end)}
}

// weight is the salience weight of one mention: the title counts most,
// then the summary and the lead paragraph, then later paragraphs less and less.
func (d *doc) weight(m mention) float64 {
	switch m.field {
	case 0:
		return 1.2
	case 1:
		return 0.8
	}
	p := float64(d.toks[2][m.i].para)
	return 0.8 / (1 + 0.5*p)
}

func fieldOrder(f string) int {
	switch f {
	case article.FieldTitle:
		return 0
	case article.FieldSummary:
		return 1
	}
	return 2
}

func sortSpans(s []article.Span) {
	slices.SortFunc(s, func(a, b article.Span) int {
		if a.Field != b.Field {
			return cmp.Compare(fieldOrder(a.Field), fieldOrder(b.Field))
		}
		if a.Start != b.Start {
			return cmp.Compare(a.Start, b.Start)
		}
		return cmp.Compare(a.End, b.End)
	})
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
