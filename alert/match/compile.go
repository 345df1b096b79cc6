package match

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/newswire/newswire/index"
)

// Kinds of entity filters, as they appear in explanations.
const (
	KindCountry = "country"
	// KindSubjectCountry is a country the article is about (a subject
	// country filter); the Resolver is asked for it as KindCountry.
	KindSubjectCountry = "subject_country"
	KindLeader         = "leader"
	KindTreaty         = "treaty"
	KindKeyword        = "keyword"
	KindSource         = "source"
)

// Kinds of text conditions, as they appear in explanations.
const (
	KindWord   = "word"
	KindPhrase = "phrase"
	KindNear   = "near"
)

// entity key prefixes in Matcher.ents.
const (
	entCountry byte = 'c'
	entSubject byte = 'j' // a country tag that is a subject
	entLeader  byte = 'l'
	entTreaty  byte = 't'
	entKeyword byte = 'k'
	entSource  byte = 's'
)

type op uint8

const (
	opAnd op = iota
	opOr
	opNot
	opTerm   // feat
	opPhrase // seq
	opNear   // seq[0], seq[1], within
	opEntity // feat
)

// node is one condition of a compiled query.
type node struct {
	op     op
	kids   []*node
	feat   int32   // opTerm, opEntity
	seq    []int32 // opPhrase: word features in order; opNear: the two words
	within int
	kind   string // explanation kind
	label  string // explanation text: the word, phrase or value as written
}

type compiled struct {
	id, name string
	root     *node
}

// Options tune Compile.
type Options struct {
	// DocFreq estimates the share of articles (0..1) that hold a feature:
	// kind is KindWord (value = stemmed word) or an entity kind (value as
	// in the rule). It picks each rule's rarest required feature. Return
	// ok=false to fall back to the built-in estimate.
	DocFreq func(kind, value string) (freq float64, ok bool)
}

// Matcher matches articles against a fixed set of rules. Build it with
// Compile; it is immutable and safe for concurrent use.
//
// Every rule is indexed under the feature (stemmed word or tagged entity)
// of its cheapest necessary condition: one feature for a conjunction (its
// rarest required word or entity), all alternatives for an "any". A rule
// can match an article only if one of its index features occurs in it, so
// Match verifies only the rules found under the article's features.
type Matcher struct {
	rules    []compiled
	words    map[string]int32 // stemmed word → feature id
	ents     map[string]int32 // kind byte + value → feature id
	postings [][]int32        // feature id → indexes of rules keyed on it
	always   []int32          // rules with no index feature (none after Validate)
	nfeat    int
	subjects bool      // some rule asks for a subject country
	scratch  sync.Pool // *doc
}

type compiler struct {
	m    *Matcher
	opt  Options
	freq []float64 // feature id → estimated document frequency
}

// Compile validates and compiles rules into a Matcher. Rules are matched
// and reported in the given order. Ids must be unique.
func Compile(rules []Rule) (*Matcher, error) { return CompileWith(rules, Options{}) }

// CompileWith is Compile with options.
func CompileWith(rules []Rule, opt Options) (*Matcher, error) {
	c := &compiler{m: &Matcher{words: map[string]int32{}, ents: map[string]int32{}}, opt: opt}
	seen := make(map[string]bool, len(rules))
	for i := range rules {
		r := rules[i]
		Normalize(&r)
		if err := Validate(&r, ValidateOptions{AllowPrivate: true}); err != nil {
			return nil, fmt.Errorf("compile rule %q: %w", r.ID, err)
		}
		if seen[r.ID] {
			return nil, fmt.Errorf("compile rule %q: id repeats: %w", r.ID, ErrInvalidRule)
		}
		seen[r.ID] = true
		root := c.query(&r.Query)
		c.m.rules = append(c.m.rules, compiled{id: r.ID, name: r.Name, root: root})
	}
	c.m.nfeat = len(c.freq)
	c.m.postings = make([][]int32, c.m.nfeat)
	for i, r := range c.m.rules {
		keys, _, ok := c.keys(r.root)
		if !ok {
			c.m.always = append(c.m.always, int32(i))
			continue
		}
		for _, f := range keys {
			c.m.postings[f] = append(c.m.postings[f], int32(i))
		}
	}
	return c.m, nil
}

// Len is the number of rules.
func (m *Matcher) Len() int { return len(m.rules) }

func (c *compiler) word(stem string) int32 {
	if id, ok := c.m.words[stem]; ok {
		return id
	}
	id := int32(len(c.freq))
	c.m.words[stem] = id
	f, ok := 0.0, false
	if c.opt.DocFreq != nil {
		f, ok = c.opt.DocFreq(KindWord, stem)
	}
	if !ok {
		f = wordFreq(stem)
	}
	c.freq = append(c.freq, f)
	return id
}

func (c *compiler) entity(kind byte, kindName, value string) int32 {
	key := entityKey(nil, kind, value)
	if id, ok := c.m.ents[string(key)]; ok {
		return id
	}
	id := int32(len(c.freq))
	c.m.ents[string(key)] = id
	f, ok := 0.0, false
	if c.opt.DocFreq != nil {
		f, ok = c.opt.DocFreq(kindName, value)
	}
	if !ok {
		f = entityFreq(kind, value)
	}
	c.freq = append(c.freq, f)
	return id
}

// entityKey appends kind and the canonical form of value to buf: country
// codes (subject or not) upper-case, keywords as their stemmed words,
// others lower-case.
func entityKey(buf []byte, kind byte, value string) []byte {
	buf = append(buf, kind)
	switch kind {
	case entCountry, entSubject:
		return append(buf, strings.ToUpper(strings.TrimSpace(value))...)
	case entKeyword:
		first := true
		var wbuf [64]byte
		scanWords(value, wbuf[:0], func(_, _ int, form []byte) {
			if !first {
				buf = append(buf, ' ')
			}
			first = false
			buf = append(buf, form...)
		})
		return buf
	}
	return appendLower(buf, strings.TrimSpace(value))
}

func appendLower(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return append(buf, strings.ToLower(s)...)
		}
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		buf = append(buf, b)
	}
	return buf
}

// text compiles one string of words: a single word becomes a term, more
// words (from "jong-un", say) a phrase.
func (c *compiler) text(s, label string) *node {
	stems := Tokens(s)
	switch len(stems) {
	case 0:
		return nil
	case 1:
		return &node{op: opTerm, feat: c.word(stems[0]), kind: KindWord, label: label}
	}
	seq := make([]int32, len(stems))
	for i, st := range stems {
		seq[i] = c.word(st)
	}
	return &node{op: opPhrase, seq: seq, kind: KindPhrase, label: label}
}

func (c *compiler) query(q *Query) *node {
	and := &node{op: opAnd}
	add := func(n *node) {
		if n != nil {
			and.kids = append(and.kids, n)
		}
	}
	if q.Text != "" {
		t := index.ParseText(q.Text)
		for _, w := range t.Terms {
			add(c.text(w, w))
		}
		for _, p := range t.Phrases {
			add(c.text(p, p))
		}
		for _, w := range t.Exclude {
			if n := c.text(w, w); n != nil {
				add(&node{op: opNot, kids: []*node{n}})
			}
		}
		for _, p := range t.ExcludePhrases {
			if n := c.text(p, p); n != nil {
				add(&node{op: opNot, kids: []*node{n}})
			}
		}
	}
	for _, l := range []struct {
		kind byte
		name string
		vals []string
	}{{entCountry, KindCountry, q.Countries}, {entSubject, KindSubjectCountry, q.SubjectCountries}, {entLeader, KindLeader, q.Leaders}, {entTreaty, KindTreaty, q.Treaties}, {entKeyword, KindKeyword, q.Keywords}, {entSource, KindSource, q.Sources}} {
		for _, v := range l.vals {
			if l.kind == entSubject {
				c.m.subjects = true
			}
			if l.kind == entKeyword {
				// Register the keyword's words so that explanations can
				// find its spans in the text.
				for _, st := range Tokens(v) {
					c.word(st)
				}
			}
			add(&node{op: opEntity, feat: c.entity(l.kind, l.name, v), kind: l.name, label: v})
		}
	}
	if len(q.Any) > 0 {
		or := &node{op: opOr}
		for i := range q.Any {
			or.kids = append(or.kids, c.query(&q.Any[i]))
		}
		add(or)
	}
	for i := range q.Not {
		add(&node{op: opNot, kids: []*node{c.query(&q.Not[i])}})
	}
	if n := q.Near; n != nil {
		a, b := Tokens(n.A), Tokens(n.B)
		if len(a) == 1 && len(b) == 1 {
			add(&node{op: opNear, seq: []int32{c.word(a[0]), c.word(b[0])}, within: n.Within, kind: KindNear,
				label: fmt.Sprintf("%s within %d words of %s", n.A, n.Within, n.B)})
		}
	}
	if len(and.kids) == 1 {
		return and.kids[0]
	}
	return and
}

// keys returns the features one of which must occur in an article for n
// to hold, and their summed estimated frequency; ok is false when there is
// no such set (a negation).
func (c *compiler) keys(n *node) (keys []int32, cost float64, ok bool) {
	switch n.op {
	case opTerm, opEntity:
		return []int32{n.feat}, c.freq[n.feat], true
	case opPhrase, opNear:
		best := n.seq[0]
		for _, f := range n.seq[1:] {
			if c.freq[f] < c.freq[best] {
				best = f
			}
		}
		return []int32{best}, c.freq[best], true
	case opAnd:
		for _, k := range n.kids {
			if kk, kc, kok := c.keys(k); kok && (!ok || kc < cost) {
				keys, cost, ok = kk, kc, true
			}
		}
		return keys, cost, ok
	case opOr:
		for _, k := range n.kids {
			kk, kc, kok := c.keys(k)
			if !kok {
				return nil, 0, false
			}
			keys = append(keys, kk...)
			cost += kc
		}
		return keys, cost, true
	}
	return nil, 0, false
}

// Built-in frequency estimates, used when Options.DocFreq has none: very
// common English and news words are assumed to be in most articles,
// longer words to be rarer than short ones, entities rarer than words.
func wordFreq(stem string) float64 {
	if commonWords[stem] {
		return 0.5
	}
	switch n := len(stem); {
	case n <= 3:
		return 0.2
	case n <= 5:
		return 0.08
	case n <= 7:
		return 0.04
	default:
		return 0.02
	}
}

func entityFreq(kind byte, value string) float64 {
	switch kind {
	case entCountry:
		if commonCountries[strings.ToUpper(value)] {
			return 0.2
		}
		return 0.03
	case entSubject:
		// A subject is one role of a tagged country: rarer than the
		// country in any role.
		if commonCountries[strings.ToUpper(value)] {
			return 0.1
		}
		return 0.02
	case entLeader:
		return 0.02
	case entTreaty:
		return 0.005
	case entKeyword:
		return 0.03
	case entSource:
		return 0.1
	}
	return 0.1
}

var commonCountries = map[string]bool{"US": true, "CN": true, "RU": true, "UA": true, "GB": true, "EU": true, "IL": true, "FR": true, "DE": true, "IN": true}

var commonWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the and or but of in on at to for from by with as is are was were be been being
		it its this that these those he she they we you i his her their our not no yes has have had do does did will would
		can could should may might must shall said says say also after before over under into about than then there here
		who whom which what when where why how all any some more most other such only one two three new year years last first
		state states government president minister official officials people country countries week month day time told
		news report reported according percent told talks talk world national international`) {
		m[string(Stem([]byte(w)))] = true
	}
	return m
}()
