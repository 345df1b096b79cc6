package match

import (
	"slices"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// Match is one rule that matched an article, with what matched.
type Match struct {
	RuleID   string      `json:"rule_id"`
	RuleName string      `json:"rule_name"`
	Terms    []TermHit   `json:"terms"`
	Entities []EntityHit `json:"entities"`
}

// TermHit is a word, phrase or proximity condition that matched, with
// where (at most MaxSpans spans, in field order title, summary, body).
type TermHit struct {
	Kind  string         `json:"kind"` // KindWord, KindPhrase or KindNear
	Text  string         `json:"text"` // as written in the rule
	Spans []article.Span `json:"spans"`
}

// EntityHit is an entity filter that matched: the tag's id and name and
// its spans (none for sources).
type EntityHit struct {
	Kind  string         `json:"kind"` // KindCountry, KindSubjectCountry, KindLeader, KindTreaty, KindKeyword or KindSource
	ID    string         `json:"id"`
	Name  string         `json:"name,omitempty"`
	Spans []article.Span `json:"spans"`
}

// MaxSpans bounds the spans reported per hit.
const MaxSpans = 10

// fields are the text fields matched, in order.
var fields = [...]string{article.FieldTitle, article.FieldSummary, article.FieldBody}

type tok struct {
	feat       int32 // word feature, -1 when no rule uses the word
	field      uint8
	start, end int32
}

// doc is an article prepared for matching. It lives in a pooled scratch.
type doc struct {
	e       *article.Enriched
	gen     uint32
	stamp   []uint32 // feature → gen when present
	cnt     []int32  // feature → occurrences (words)
	off     []int32  // feature → offset of its occurrences in occ
	occ     []int32  // token indexes grouped by feature, ascending
	toks    []tok
	present []int32 // features present, in first-seen order
	rstamp  []uint32
	cands   []int32
	buf     []byte
}

func (m *Matcher) getDoc() *doc {
	d, _ := m.scratch.Get().(*doc)
	if d == nil || len(d.stamp) != m.nfeat {
		d = &doc{stamp: make([]uint32, m.nfeat), cnt: make([]int32, m.nfeat), off: make([]int32, m.nfeat), rstamp: make([]uint32, len(m.rules))}
	}
	d.gen++
	if d.gen == 0 { // wrapped: clear the stamps
		clear(d.stamp)
		clear(d.rstamp)
		d.gen = 1
	}
	return d
}

func (d *doc) mark(f int32) {
	if d.stamp[f] != d.gen {
		d.stamp[f] = d.gen
		d.cnt[f] = 0
		d.present = append(d.present, f)
	}
}

// prepare tokenizes the article's text and collects its features.
func (m *Matcher) prepare(d *doc, e *article.Enriched) {
	d.e = e
	d.toks = d.toks[:0]
	d.present = d.present[:0]
	for fi, name := range fields {
		text := e.Field(name)
		d.buf = scanWords(text, d.buf, func(start, end int, form []byte) {
			f, ok := m.words[string(form)]
			if !ok {
				f = -1
			} else {
				d.mark(f)
				d.cnt[f]++
			}
			d.toks = append(d.toks, tok{feat: f, field: uint8(fi), start: int32(start), end: int32(end)})
		})
	}
	// Group token indexes by feature (counting sort).
	var total int32
	for _, f := range d.present {
		d.off[f] = total
		total += d.cnt[f]
	}
	d.occ = slices.Grow(d.occ[:0], int(total))[:total]
	for _, f := range d.present {
		d.cnt[f] = 0
	}
	for i, t := range d.toks {
		if t.feat >= 0 {
			d.occ[d.off[t.feat]+d.cnt[t.feat]] = int32(i)
			d.cnt[t.feat]++
		}
	}
	ent := func(kind byte, v string) {
		d.buf = entityKey(d.buf[:0], kind, v)
		if f, ok := m.ents[string(d.buf)]; ok {
			d.mark(f)
		}
	}
	for _, c := range e.Tags.Countries {
		ent(entCountry, c.Code)
		if m.subjects && index.IsSubject(c) {
			ent(entSubject, c.Code)
		}
	}
	for _, l := range e.Tags.Leaders {
		ent(entLeader, l.ID)
	}
	for _, t := range e.Tags.Treaties {
		ent(entTreaty, t.ID)
	}
	for _, k := range e.Tags.Keywords {
		ent(entKeyword, k)
	}
	if e.Source != "" {
		ent(entSource, e.Source)
	}
}

func (d *doc) has(f int32) bool { return d.stamp[f] == d.gen }

func (d *doc) occurrences(f int32) []int32 {
	if !d.has(f) {
		return nil
	}
	return d.occ[d.off[f] : d.off[f]+d.cnt[f]]
}

// phraseAt reports whether the phrase seq starts at token i.
func (d *doc) phraseAt(seq []int32, i int32) bool {
	if int(i)+len(seq) > len(d.toks) {
		return false
	}
	field := d.toks[i].field
	for k, f := range seq {
		t := d.toks[int(i)+k]
		if t.feat != f || t.field != field {
			return false
		}
	}
	return true
}

// nearPairs calls fn for pairs of occurrences of a and b at most within
// tokens apart in one field, until fn returns false.
func (d *doc) nearPairs(a, b int32, within int, fn func(i, j int32) bool) {
	oa, ob := d.occurrences(a), d.occurrences(b)
	lo := 0
	for _, i := range oa {
		for lo < len(ob) && ob[lo] < i-int32(within) {
			lo++
		}
		for _, j := range ob[lo:] {
			if j > i+int32(within) {
				break
			}
			if j != i && d.toks[i].field == d.toks[j].field {
				if !fn(i, j) {
					return
				}
			}
		}
	}
}

func (d *doc) eval(n *node) bool {
	switch n.op {
	case opAnd:
		for _, k := range n.kids {
			if !d.eval(k) {
				return false
			}
		}
		return true
	case opOr:
		for _, k := range n.kids {
			if d.eval(k) {
				return true
			}
		}
		return false
	case opNot:
		return !d.eval(n.kids[0])
	case opTerm, opEntity:
		return d.has(n.feat)
	case opPhrase:
		for _, f := range n.seq {
			if !d.has(f) {
				return false
			}
		}
		for _, i := range d.occurrences(n.seq[0]) {
			if d.phraseAt(n.seq, i) {
				return true
			}
		}
		return false
	case opNear:
		if !d.has(n.seq[0]) || !d.has(n.seq[1]) {
			return false
		}
		found := false
		d.nearPairs(n.seq[0], n.seq[1], n.within, func(_, _ int32) bool { found = true; return false })
		return found
	}
	return false
}

// Match returns the rules that match e, in rule order, each with its
// explanation. It verifies only the rules indexed under the article's
// words and entities.
func (m *Matcher) Match(e *article.Enriched) []Match {
	d := m.getDoc()
	defer m.scratch.Put(d)
	m.prepare(d, e)
	d.cands = d.cands[:0]
	for _, f := range d.present {
		for _, r := range m.postings[f] {
			if d.rstamp[r] != d.gen {
				d.rstamp[r] = d.gen
				d.cands = append(d.cands, r)
			}
		}
	}
	for _, r := range m.always {
		if d.rstamp[r] != d.gen {
			d.rstamp[r] = d.gen
			d.cands = append(d.cands, r)
		}
	}
	slices.Sort(d.cands)
	var out []Match
	for _, r := range d.cands {
		if d.eval(m.rules[r].root) {
			out = append(out, m.explain(d, r))
		}
	}
	return out
}

// MatchLinear returns what Match returns by testing every rule in turn.
// It exists to check and measure the index; use Match.
func (m *Matcher) MatchLinear(e *article.Enriched) []Match {
	d := m.getDoc()
	defer m.scratch.Put(d)
	m.prepare(d, e)
	var out []Match
	for r := range m.rules {
		if d.eval(m.rules[r].root) {
			out = append(out, m.explain(d, int32(r)))
		}
	}
	return out
}

// explain lists what made rule r match.
func (m *Matcher) explain(d *doc, r int32) Match {
	mt := Match{RuleID: m.rules[r].id, RuleName: m.rules[r].name, Terms: []TermHit{}, Entities: []EntityHit{}}
	m.collect(d, m.rules[r].root, &mt)
	return mt
}

func (d *doc) span(i int32) article.Span {
	t := d.toks[i]
	return article.Span{Field: fields[t.field], Start: int(t.start), End: int(t.end)}
}

func (m *Matcher) collect(d *doc, n *node, mt *Match) {
	switch n.op {
	case opAnd:
		for _, k := range n.kids {
			m.collect(d, k, mt)
		}
	case opOr:
		for _, k := range n.kids {
			if d.eval(k) {
				m.collect(d, k, mt)
			}
		}
	case opNot:
	case opTerm:
		var spans []article.Span
		for _, i := range d.occurrences(n.feat) {
			if len(spans) == MaxSpans {
				break
			}
			spans = append(spans, d.span(i))
		}
		addTerm(mt, TermHit{Kind: n.kind, Text: n.label, Spans: spans})
	case opPhrase:
		var spans []article.Span
		for _, i := range d.occurrences(n.seq[0]) {
			if len(spans) == MaxSpans {
				break
			}
			if d.phraseAt(n.seq, i) {
				s := d.span(i)
				s.End = int(d.toks[int(i)+len(n.seq)-1].end)
				spans = append(spans, s)
			}
		}
		addTerm(mt, TermHit{Kind: n.kind, Text: n.label, Spans: spans})
	case opNear:
		var spans []article.Span
		d.nearPairs(n.seq[0], n.seq[1], n.within, func(i, j int32) bool {
			lo, hi := min(i, j), max(i, j)
			s := d.span(lo)
			s.End = int(d.toks[hi].end)
			spans = append(spans, s)
			return len(spans) < MaxSpans
		})
		addTerm(mt, TermHit{Kind: n.kind, Text: n.label, Spans: spans})
	case opEntity:
		m.entityHit(d, n, mt)
	}
}

func addTerm(mt *Match, h TermHit) {
	for _, x := range mt.Terms {
		if x.Kind == h.Kind && x.Text == h.Text {
			return
		}
	}
	if h.Spans == nil {
		h.Spans = []article.Span{}
	}
	mt.Terms = append(mt.Terms, h)
}

// entityIs reports whether the tag value v of kind is entity feature f.
// A value no rule asks for is no feature (the map's zero value is
// feature 0, so it must not count).
func (m *Matcher) entityIs(d *doc, kind byte, v string, f int32) bool {
	d.buf = entityKey(d.buf[:0], kind, v)
	g, ok := m.ents[string(d.buf)]
	return ok && g == f
}

func (m *Matcher) entityHit(d *doc, n *node, mt *Match) {
	e := d.e
	h := EntityHit{Kind: n.kind, ID: n.label}
	switch n.kind {
	case KindCountry:
		for _, c := range e.Tags.Countries {
			if m.entityIs(d, entCountry, c.Code, n.feat) {
				h.ID, h.Name, h.Spans = c.Code, c.Name, c.Spans
				break
			}
		}
	case KindSubjectCountry:
		for _, c := range e.Tags.Countries {
			if index.IsSubject(c) && m.entityIs(d, entSubject, c.Code, n.feat) {
				h.ID, h.Name, h.Spans = c.Code, c.Name, c.Spans
				break
			}
		}
	case KindLeader:
		for _, l := range e.Tags.Leaders {
			if m.entityIs(d, entLeader, l.ID, n.feat) {
				h.ID, h.Name, h.Spans = l.ID, l.Name, l.Spans
				break
			}
		}
	case KindTreaty:
		for _, t := range e.Tags.Treaties {
			if m.entityIs(d, entTreaty, t.ID, n.feat) {
				h.ID, h.Name, h.Spans = t.ID, t.Name, t.Spans
				break
			}
		}
	case KindKeyword:
		for _, k := range e.Tags.Keywords {
			if m.entityIs(d, entKeyword, k, n.feat) {
				h.ID = k
				break
			}
		}
		// Keywords carry no spans: find the keyword's words in the text.
		var seq []int32
		for _, st := range Tokens(n.label) {
			if f, ok := m.words[st]; ok {
				seq = append(seq, f)
			}
		}
		if len(seq) > 0 {
			for _, i := range d.occurrences(seq[0]) {
				if len(h.Spans) == MaxSpans {
					break
				}
				if d.phraseAt(seq, i) {
					s := d.span(i)
					s.End = int(d.toks[int(i)+len(seq)-1].end)
					h.Spans = append(h.Spans, s)
				}
			}
		}
	case KindSource:
		h.ID = e.Source
	}
	if len(h.Spans) > MaxSpans {
		h.Spans = h.Spans[:MaxSpans]
	}
	if h.Spans == nil {
		h.Spans = []article.Span{}
	}
	for _, x := range mt.Entities {
		if x.Kind == h.Kind && x.ID == h.ID {
			return
		}
	}
	mt.Entities = append(mt.Entities, h)
}
