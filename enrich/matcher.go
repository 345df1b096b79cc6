package enrich

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Entry kinds. The first group competes for the longest match at a token
// ("main" entries: a token belongs to at most one of them); the second
// group is recorded wherever it matches ("side" entries).
const (
	kCountry    uint8 = 0
	kAmbig      uint8 = 1
	kBlock      uint8 = 2
	kLeaderName uint8 = 3
	kSurname    uint8 = 4
	kTreaty     uint8 = 5
	kAbbr       uint8 = 6 // a one-character country abbreviation (美, 露) or a name that is also a common word (이란): kept only in context
	kSideStart  uint8 = 10
	kTitle      uint8 = 10
	kKeyword    uint8 = 11
	kCueConfirm uint8 = 12
	kCueVeto    uint8 = 13
	kHead       uint8 = 14
	kAction     uint8 = 15
)

// entry is what a matched phrase means.
type entry struct {
	kind    uint8
	exact   bool
	weak    bool
	ntok    uint8
	capMask uint32 // bit i: token i must start with an upper-case letter
	possMsk uint32 // bit i: token i carries a possessive 's (inner tokens only)
	// The next four fill what would be padding before form.
	post    bool   // a title of a further language: its country may follow it ("президент России", "le président français")
	ctx     uint8  // kAbbr: the abbrContext set that decides it (index+1)
	pair    bool   // kAbbr: only in a pair or list of abbreviations (中美, 日米), never alone
	home    uint8  // kTitle: country index+1 the title implies when none is named ("Bundeskanzler")
	form    string // letters of the alias, for exact-case entries
	target  int32
	seat    bool  // a capital or seat of government (not counted inside treaty names)
	dem     bool  // a demonym
	generic bool  // a lower-case descriptive alias of a catalogued treaty ("minerals deal")
	lang    uint8 // langID of the only language whose articles it matches in; 0 = all
}

// matcher is a token trie: edges map (node, token id) to a child node.
// While the tagger is built, phrases go into the edges map; freeze then
// moves the edges into lookup tables that the per-token scan reads
// without hashing a map: a slice indexed by word id for the root's
// children, and an open-addressing table for the other nodes' edges.
type matcher struct {
	vocab   map[string]int32
	edges   map[uint64]int32 // until freeze
	nodes   [][]int32        // entries ending at each node
	entries []entry
	maxLen  int

	root      []int32  // word id → child of the root plus one; 0 is none
	edgeMask  uint64   // len(edgeKeys)-1
	edgeKeys  []uint64 // (node, word id) keys of the non-root edges; 0 is empty (node 0 is the root)
	edgeChild []int32
	frozen    bool
}

func newMatcher() *matcher {
	return &matcher{vocab: map[string]int32{}, edges: map[uint64]int32{}, nodes: [][]int32{nil}}
}

// freeze builds the lookup tables from the edges and drops the map. The
// vocabulary may still grow afterwards (words the rules look at), but no
// phrase may be added.
func (m *matcher) freeze() {
	m.root = make([]int32, len(m.vocab))
	n := 64
	for n < 2*len(m.edges) {
		n <<= 1
	}
	m.edgeMask = uint64(n - 1)
	m.edgeKeys = make([]uint64, n)
	m.edgeChild = make([]int32, n)
	for key, child := range m.edges {
		if key>>32 == 0 {
			m.root[uint32(key)] = child + 1
			continue
		}
		i := mixEdge(key) & m.edgeMask
		for m.edgeKeys[i] != 0 {
			i = (i + 1) & m.edgeMask
		}
		m.edgeKeys[i], m.edgeChild[i] = key, child
	}
	m.edges = nil
	m.frozen = true
}

// mixEdge spreads an edge key over the table's low bits.
func mixEdge(k uint64) uint64 {
	k ^= k >> 29
	k *= 0xbf58476d1ce4e5b9
	k ^= k >> 32
	return k
}

// child returns the child of node along word id, if any.
func (m *matcher) child(node, id int32) (int32, bool) {
	if !m.frozen {
		c, ok := m.edges[uint64(node)<<32|uint64(uint32(id))]
		return c, ok
	}
	if id < 0 {
		return 0, false
	}
	if node == 0 {
		if int(id) < len(m.root) && m.root[id] != 0 {
			return m.root[id] - 1, true
		}
		return 0, false
	}
	key := uint64(node)<<32 | uint64(uint32(id))
	for i := mixEdge(key) & m.edgeMask; ; i = (i + 1) & m.edgeMask {
		switch m.edgeKeys[i] {
		case key:
			return m.edgeChild[i], true
		case 0:
			return 0, false
		}
	}
}

// tokensOf splits a phrase exactly as article text is split.
func tokensOf(phrase string) ([]string, []token) {
	var norms []string
	tz := tokenizer{norms: &norms} // no vocabulary: ids are not needed here
	return norms, tz.run(phrase)
}

// word interns a vocabulary word and returns its id.
func (m *matcher) word(w string) int32 {
	if id, ok := m.vocab[w]; ok {
		return id
	}
	id := int32(len(m.vocab))
	m.vocab[w] = id
	return id
}

// add inserts a phrase with its meaning. caseSensitive=false drops the
// capitalisation requirement (keywords, cue words written lower-case).
func (m *matcher) add(phrase string, e entry, caseSensitive bool) {
	if m.frozen {
		panic("enrich: phrase added to a frozen matcher")
	}
	norms, toks := tokensOf(phrase)
	if len(norms) == 0 || len(norms) > 32 {
		return
	}
	node := int32(0)
	for i, w := range norms {
		id := m.word(w)
		key := uint64(node)<<32 | uint64(uint32(id))
		child, ok := m.edges[key]
		if !ok {
			child = int32(len(m.nodes))
			m.nodes = append(m.nodes, nil)
			m.edges[key] = child
		}
		node = child
		if caseSensitive && toks[i].flags&fCapFirst != 0 {
			e.capMask |= 1 << i
		}
		if i < len(norms)-1 && toks[i].flags&fPoss != 0 {
			e.possMsk |= 1 << i
		}
	}
	e.ntok = uint8(len(norms))
	if e.exact {
		e.form = letters(phrase)
	}
	for _, ei := range m.nodes[node] {
		if m.entries[ei] == e {
			return
		}
	}
	m.entries = append(m.entries, e)
	m.nodes[node] = append(m.nodes[node], int32(len(m.entries)-1))
	if len(norms) > m.maxLen {
		m.maxLen = len(norms)
	}
}

// letters keeps only the letters and digits of s.
func letters(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lettersEqual reports whether the letters of text equal form, exactly.
func lettersEqual(text, form string) bool {
	j := 0
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		i += n
		if !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			continue
		}
		r2, n2 := utf8.DecodeRuneInString(form[j:])
		if j >= len(form) || r2 != r {
			return false
		}
		j += n2
	}
	return j == len(form)
}

// hit is one matched phrase: tokens [i, j) of a field, and its entry.
type hit struct {
	field int8
	i, j  int32
	entry int32
}

// caseOK checks the capitalisation and possessive constraints of e against
// toks[i:i+ntok] of text.
func (m *matcher) caseOK(e *entry, toks []token, i int, text string) bool {
	n := int(e.ntok)
	for k := 0; k < n; k++ {
		f := toks[i+k].flags
		if e.capMask&(1<<k) != 0 && f&fCapFirst == 0 {
			return false
		}
		if k < n-1 && (e.possMsk&(1<<k) != 0) != (f&fPoss != 0) {
			return false
		}
	}
	if e.exact {
		if !lettersEqual(text[toks[i].start:toks[i+n-1].end], e.form) {
			return false
		}
		// An upper-case abbreviation inside an all-capitals line ("TALKS WITH
		// US") cannot be told from an ordinary word: drop it.
		if len(e.form) <= 3 && shoutingAround(toks, i, i+n) {
			return false
		}
	}
	return true
}

func shoutingAround(toks []token, i, j int) bool {
	caps := 0
	for _, k := range []int{i - 2, i - 1, j, j + 1} {
		if k >= 0 && k < len(toks) && toks[k].flags&fAllUpper != 0 && toks[k].sent == toks[i].sent {
			caps++
		}
	}
	return caps >= 2
}

// scan finds every side hit and the leftmost-longest main hits in toks,
// skipping entries of another language than lang.
func (m *matcher) scan(field int8, toks []token, text string, lang uint8, out []hit) []hit {
	mainUntil := 0
	for i := 0; i < len(toks); i++ {
		if toks[i].id < 0 {
			continue
		}
		node := int32(0)
		bestNode, bestEnd := int32(-1), 0
		for j := i; j < len(toks) && j-i < m.maxLen; j++ {
			if j > i && toks[j].flags&fBreak != 0 {
				break
			}
			id := toks[j].id
			if id < 0 {
				break
			}
			child, ok := m.child(node, id)
			if !ok {
				break
			}
			node = child
			for _, ei := range m.nodes[node] {
				e := &m.entries[ei]
				if e.lang != 0 && e.lang != lang || !m.caseOK(e, toks, i, text) {
					continue
				}
				if e.kind >= kSideStart {
					out = append(out, hit{field: field, i: int32(i), j: int32(j + 1), entry: ei})
				} else if i >= mainUntil {
					bestNode, bestEnd = node, j+1
				}
			}
		}
		if bestNode >= 0 {
			for _, ei := range m.nodes[bestNode] {
				e := &m.entries[ei]
				if e.kind < kSideStart && (e.lang == 0 || e.lang == lang) && m.caseOK(e, toks, i, text) {
					out = append(out, hit{field: field, i: int32(i), j: int32(bestEnd), entry: ei})
				}
			}
			mainUntil = bestEnd
			if m.entries[m.nodes[bestNode][0]].kind == kTreaty {
				out = m.inner(field, toks, text, i, bestEnd, out)
			}
		}
	}
	return out
}

// inner finds the country names and demonyms inside a treaty name
// ("Egypt-Israel peace treaty", "Iran nuclear deal"); capitals and seats
// inside names ("Paris Agreement", "Treaty of Lisbon") do not count.
func (m *matcher) inner(field int8, toks []token, text string, from, to int, out []hit) []hit {
	for i := from; i < to; i++ {
		node := int32(0)
		best, bestEnd := int32(-1), 0
		for j := i; j < to; j++ {
			if j > i && toks[j].flags&fBreak != 0 || toks[j].id < 0 {
				break
			}
			child, ok := m.child(node, toks[j].id)
			if !ok {
				break
			}
			node = child
			for _, ei := range m.nodes[node] {
				e := &m.entries[ei]
				if (e.kind == kCountry && !e.seat || e.kind == kAmbig) && !(i == from && j == to-1) && m.caseOK(e, toks, i, text) {
					best, bestEnd = ei, j+1
				}
			}
		}
		if best >= 0 {
			out = append(out, hit{field: field, i: int32(i), j: int32(bestEnd), entry: best})
			i = bestEnd - 1
		}
	}
	return out
}
