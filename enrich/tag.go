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
	low  []byte // a lower-cased word (German compounds)
}

// mention is one accepted mention of a country, leader or treaty.
type mention struct {
	field int8
	i, j  int32 // tokens
	ent   int   // country index, person index, or treaty key index
	rule  string
	venue bool // a country named only as the place where something happens
}

// doc is the state of tagging one article. It lives in a pooled scratch;
// reset clears it for the next article and keeps its slices' memory.
type doc struct {
	t        *Tagger
	text     [3]string
	toks     [3][]token
	hits     []hit
	date     time.Time
	year     int    // of date
	dated    bool   // the article gave a date (else date is the data's as-of date)
	lang     uint8  // langID of the article's language
	langName string // the article's language ("" when unknown)
	titleTC  bool   // the title is written in Title Case

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
	spanSet     map[uint64]struct{} // group's set (spanKeyOf) of the spans of entities with many
	dlEnd       int                 // tokens of the body's dateline; -1 until computed
	keyBuf      []byte
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

// Tag returns the tags of one article. It never returns nil slices.
// It does not recover from a panic: a panic is a rule bug that fuzzing
// must see, and the consumer stage dead-letters the article it hit.
func (t *Tagger) Tag(a *article.Article) (tags article.Tags) {
	tags = article.Tags{Countries: []article.CountryTag{}, Leaders: []article.LeaderTag{}, Treaties: []article.TreatyTag{}, Keywords: []string{}}
	if a == nil {
		return tags
	}
	s := t.pool.Get().(*scratch)
	defer t.pool.Put(s)
	d := &s.doc
	d.reset(t)
	d.text = [3]string{a.Title, a.Summary, a.Body}
	d.date = a.Published
	if d.date.IsZero() {
		d.date = a.Ingested
	}
	d.dated = !d.date.IsZero()
	d.langName = Language(a)
	d.lang = langID(d.langName)
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
		s.hits = t.m.scan(int8(f), s.toks[f], d.text[f], d.lang, s.hits)
		if d.lang == langDE {
			s.hits, s.low = t.germanCompounds(int8(f), s.toks[f], d.text[f], s.hits, s.low)
		}
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

// run applies the rules in their order: facts that depend on nothing
// (keywords, cues, titles, action words, leaders named in full), then
// countries, leaders, and treaties, each reading the ones before.
func (d *doc) run() {
	d.sideFacts()
	d.establishLeaders()
	d.decideCountries()
	d.decideLeaders()
	d.decideTreaties()
}

// sideFacts records the hits that need no rule: keywords, country cues,
// titles and treaty action words.
func (d *doc) sideFacts() {
	t := d.t
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
			d.confirm[t.cueCountry[e.target]] = true
		case kCueVeto:
			d.veto[t.cueCountry[e.target]] = true
		}
	}
}

// outRec is one distinct span of an entity while output groups mentions.
type outRec struct {
	span article.Span
	prev int32 // previous record of the same entity, or -1
	mi   int32 // its mention, an index into group's ms
}

// outEnt is one entity while output groups mentions: its last record,
// distinct span count and salience score, in order of first mention.
type outEnt struct {
	ent   int
	inSet bool // its spans are in doc.spanSet
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
	clear(d.spanSet)
	small := len(d.toks[0]) < 1<<23 && len(d.toks[1]) < 1<<23 && len(d.toks[2]) < 1<<23 // spanKeyOf is unique
	for mi, m := range ms {
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
		// A few spans are walked; an entity with many (a long article) has
		// them in a set.
		if e.n >= spanSetAt && small && slot < 1<<16 {
			if !e.inSet {
				if d.spanSet == nil {
					d.spanSet = map[uint64]struct{}{}
				}
				for r := e.last; r >= 0; r = recs[r].prev {
					d.spanSet[spanKeyOf(slot, ms[recs[r].mi])] = struct{}{}
				}
				e.inSet = true
			}
			k := spanKeyOf(slot, m)
			if _, dup := d.spanSet[k]; dup {
				continue
			}
			d.spanSet[k] = struct{}{}
		} else {
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
		}
		recs = append(recs, outRec{span: sp, prev: e.last, mi: int32(mi)})
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

// spanSetAt is the number of spans from which an entity's spans are
// looked up in a set rather than walked.
const spanSetAt = 8

// spanKeyOf packs an entity (its slot in group) and the field and tokens
// of a mention into one integer: mentions of the same tokens have the same
// span, and the same span comes from the same tokens. It is unique for
// slots below 2^16 and tokens below 2^23, which group checks.
func spanKeyOf(slot int, m mention) uint64 {
	return uint64(slot)<<48 | uint64(m.field)<<46 | uint64(uint32(m.i))<<23 | uint64(uint32(m.j))
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
		role := d.countryRole(c)
		tags.Countries = append(tags.Countries, article.CountryTag{Code: t.g.countries[c].code, Name: t.g.countries[c].names["en"],
			Mentions: e.n, Salience: sal, Role: role, Spans: spans[e.off : e.off+e.n : e.off+e.n]})
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
		by := d.resolvedBy(p)
		tags.Leaders = append(tags.Leaders, article.LeaderTag{ID: pp.id, Name: pp.name, Country: d.countryOn(p), Role: t.roleOn(p, d.date),
			ResolvedBy: by, Mentions: e.n, Spans: spans[e.off : e.off+e.n : e.off+e.n]})
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
		qid := ""
		if tk.cat >= 0 && qidRe.MatchString(t.g.treaties[tk.cat].qid) {
			qid = t.g.treaties[tk.cat].qid
		}
		tags.Treaties = append(tags.Treaties, article.TreatyTag{ID: tk.id, QID: qid, Name: tk.name, Parties: parties[from:len(parties):len(parties)], Action: d.treatyAction(k),
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
	w := 0.8 / (1 + 0.5*p)
	if m.venue {
		// A venue says where, not what: it weighs a quarter.
		w /= 4
	}
	return w
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
