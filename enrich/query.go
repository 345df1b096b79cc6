package enrich

import (
	"slices"
	"strings"
	"time"
)

// QueryTags is how a search query was read.
type QueryTags struct {
	Countries []Entity    `json:"countries,omitempty"`
	Leaders   []Entity    `json:"leaders,omitempty"`
	Treaties  []Entity    `json:"treaties,omitempty"`
	Keywords  []string    `json:"keywords,omitempty"`
	Matched   []QuerySpan `json:"matched,omitempty"` // which words of q named which entity
	Text      string      `json:"text"`              // q with the entity mentions removed (the residual free text)
}

// QuerySpan is one entity mention in a query: bytes [Start, End) of q.
type QuerySpan struct {
	Start, End int
	Kind, ID   string
}

// TagQuery tags a short search query (no sentence context): "DPRK Russia
// treaty", "Pyongyang Moscow pact", "Kim Putin". at is the date leaders
// are resolved at (zero = now).
//
// A query has no sentences to confirm a reading, so it is read liberally:
// letter case is ignored ("dprk", "us"), weak aliases count (a query for
// "georgia" means the country), and an ambiguous alias ("Korea") takes the
// candidate the query confirms, else its default, else stays free text. A
// surname is the one bearer in office at the date, preferring one whose
// country the query names, else the bearer who held office last. A title
// right before a leader ("President Xi") is part of its mention. Keywords
// are reported but stay in Text; entity mentions are removed from it.
func (t *Tagger) TagQuery(q string, at time.Time) QueryTags {
	if at.IsZero() {
		at = t.now()
	}
	s := t.pool.Get().(*scratch)
	defer t.pool.Put(s)
	s.tz.toks = s.toks[0][:0]
	toks := s.tz.run(q)
	s.toks[0] = toks
	var out QueryTags
	found, kws := t.scanQuery(toks)
	out.Keywords = kws
	slices.Sort(out.Keywords)
	out.Keywords = slices.Compact(out.Keywords)

	// Countries first: they resolve ambiguous aliases and shared surnames.
	named := map[string]bool{}
	for _, p := range found {
		if p.e.kind == kCountry {
			named[t.g.countries[p.e.target].code] = true
		}
	}
	for _, p := range found {
		if p.e.kind == kLeaderName {
			named[t.persons[p.e.target].country] = true
		}
	}
	span := func(p queryHit, kind, id string) {
		start := p.start
		if p.title >= 0 {
			start = p.title
		}
		out.Matched = append(out.Matched, QuerySpan{Start: int(toks[start].start), End: int(toks[p.end-1].end), Kind: kind, ID: id})
	}
	addEnt := func(list *[]Entity, e Entity) {
		for _, x := range *list {
			if x.ID == e.ID {
				return
			}
		}
		*list = append(*list, e)
	}
	for _, p := range found {
		switch p.e.kind {
		case kCountry:
			e := t.ents.ents[t.ents.countryEnt[p.e.target]]
			addEnt(&out.Countries, e)
			span(p, KindCountry, e.ID)
		case kAmbig:
			if c := t.ambiguousInQuery(&t.g.ambiguous[p.e.target], named); c >= 0 {
				e := t.ents.ents[t.ents.countryEnt[c]]
				addEnt(&out.Countries, e)
				span(p, KindCountry, e.ID)
			}
		case kLeaderName, kSurname:
			pi := int(p.e.target)
			if p.e.kind == kSurname {
				var ti *title
				if p.title >= 0 {
					ti = t.titleHitAt(toks, p.title, p.start)
				}
				pi = t.surnameInQuery(t.surnames[p.e.target], ti, at, named)
			}
			if pi >= 0 {
				e := t.ents.ents[t.ents.personEnt[pi]]
				addEnt(&out.Leaders, e)
				span(p, KindLeader, e.ID)
			}
		case kTreaty:
			e := t.ents.ents[t.ents.treatyEnt[p.e.target]]
			addEnt(&out.Treaties, e)
			span(p, KindTreaty, e.ID)
		}
	}
	out.Text = residual(q, out.Matched)
	return out
}

// queryHit is one entity phrase of a query: tokens [start, end), its
// entry, and the token start of a title right before it (or -1).
type queryHit struct {
	start, end int
	e          *entry
	title      int
}

// scanQuery finds the leftmost-longest entity phrases of a query and its
// keywords, ignoring letter case.
func (t *Tagger) scanQuery(toks []token) (found []queryHit, keywords []string) {
	titleAt := -1 // token start of a title hit ending at the current token
	titleEnd := -1
	m := t.m
	for i := 0; i < len(toks); i++ {
		if toks[i].id < 0 {
			continue
		}
		node := int32(0)
		best, bestEnd := int32(-1), 0
		for j := i; j < len(toks) && j-i < m.maxLen; j++ {
			child, ok := m.edges[uint64(node)<<32|uint64(uint32(toks[j].id))]
			if toks[j].id < 0 || !ok {
				break
			}
			node = child
			for _, ei := range m.nodes[node] {
				e := &m.entries[ei]
				switch {
				case e.kind == kKeyword && j+1-i == int(e.ntok):
					keywords = append(keywords, t.keywords[e.target])
				case e.kind == kTitle && j+1 > titleEnd:
					titleAt, titleEnd = i, j+1
				case e.kind < kSideStart:
					best, bestEnd = node, j+1
				}
			}
		}
		if best < 0 {
			continue
		}
		e := &m.entries[m.nodes[best][0]]
		// Prefer a leader or treaty reading of the phrase over a country one.
		for _, ei := range m.nodes[best] {
			if k := m.entries[ei].kind; k == kLeaderName || k == kTreaty {
				e = &m.entries[ei]
			}
		}
		p := queryHit{start: i, end: bestEnd, e: e, title: -1}
		if titleEnd == i && (e.kind == kLeaderName || e.kind == kSurname) {
			p.title = titleAt
		}
		found = append(found, p)
		i = bestEnd - 1
	}
	return found, keywords
}

// ambiguousInQuery returns the country index an ambiguous alias names in
// a query: the one candidate the query names otherwise, else the default,
// else -1.
func (t *Tagger) ambiguousInQuery(a *ambiguity, named map[string]bool) int {
	got := -1
	for _, c := range a.candidates {
		if named[c] {
			if got >= 0 {
				return -1
			}
			got = t.codeIdx[c]
		}
	}
	if got >= 0 {
		return got
	}
	if a.def != "" {
		return t.codeIdx[a.def]
	}
	return -1
}

// titleHitAt returns the title spanning tokens [i, j) of a query, or nil.
func (t *Tagger) titleHitAt(toks []token, i, j int) *title {
	node := int32(0)
	for k := i; k < j; k++ {
		child, ok := t.m.edges[uint64(node)<<32|uint64(uint32(toks[k].id))]
		if !ok {
			return nil
		}
		node = child
	}
	for _, ei := range t.m.nodes[node] {
		if e := &t.m.entries[ei]; e.kind == kTitle {
			return &t.g.titles[e.target]
		}
	}
	return nil
}

// surnameInQuery picks the bearer of a surname a query means: among those
// holding the title (when one is written), the one in office at the date
// (preferring a country the query names), else the one whose last term
// ended latest. It returns -1 when two bearers tie.
func (t *Tagger) surnameInQuery(cands []int32, ti *title, at time.Time, named map[string]bool) int {
	var keep []int
	for _, c := range cands {
		if ti == nil || ti.kind == "honorific" || t.personHolds(int(c), ti) {
			keep = append(keep, int(c))
		}
	}
	if len(keep) == 1 {
		return keep[0]
	}
	var active, activeNamed []int
	for _, c := range keep {
		if t.personActive(c, at) {
			active = append(active, c)
			if named[t.persons[c].country] {
				activeNamed = append(activeNamed, c)
			}
		}
	}
	var activePrimary []int
	for _, c := range active {
		if t.primaryAt(c, at) {
			activePrimary = append(activePrimary, c)
		}
	}
	switch {
	case len(activeNamed) == 1:
		return activeNamed[0]
	case len(active) == 1:
		return active[0]
	case len(activePrimary) == 1:
		return activePrimary[0] // "Kim": Kim Jong Un, not a premier named Kim
	case len(active) > 1:
		return -1
	}
	best, bestEnd, tie := -1, time.Time{}, false
	for _, c := range keep {
		end := t.lastEnd(c)
		switch {
		case best < 0 || end.After(bestEnd):
			best, bestEnd, tie = c, end, false
		case end.Equal(bestEnd):
			tie = true
		}
	}
	if tie {
		return -1
	}
	return best
}

// personActive reports whether person p held any office at date.
func (t *Tagger) personActive(p int, date time.Time) bool {
	for _, ti := range t.persons[p].terms {
		if termActive(&t.g.terms[ti], date) {
			return true
		}
	}
	return false
}

// personHolds reports whether p ever held an office matching ti.
func (t *Tagger) personHolds(p int, ti *title) bool {
	for _, k := range t.persons[p].terms {
		if titleMatches(ti, &t.g.terms[k]) {
			return true
		}
	}
	return false
}

// lastEnd is the end of p's latest term (far future when open).
func (t *Tagger) lastEnd(p int) time.Time {
	var end time.Time
	for _, k := range t.persons[p].terms {
		tm := &t.g.terms[k]
		if tm.end.IsZero() {
			return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		if tm.end.After(end) {
			end = tm.end
		}
	}
	return end
}

// residual is q without the matched spans, its words joined by single spaces.
func residual(q string, spans []QuerySpan) string {
	if len(spans) == 0 {
		return strings.Join(strings.Fields(q), " ")
	}
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b QuerySpan) int { return a.Start - b.Start })
	var b strings.Builder
	at := 0
	for _, s := range sorted {
		if s.Start > at {
			b.WriteString(q[at:s.Start])
		}
		b.WriteByte(' ')
		at = max(at, s.End)
	}
	b.WriteString(q[at:])
	return strings.Join(strings.Fields(b.String()), " ")
}

// primaryAt reports whether p held their country's primary office at date.
func (t *Tagger) primaryAt(p int, date time.Time) bool {
	for _, k := range t.persons[p].terms {
		if tm := &t.g.terms[k]; tm.primary && termActive(tm, date) {
			return true
		}
	}
	return false
}
