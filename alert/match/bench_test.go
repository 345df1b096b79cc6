package match

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/enrich"
	"golang.org/x/sys/unix"
)

// corpus returns the sample articles, tagged by the real tagger.
func corpus(tb testing.TB) []*article.Enriched {
	tb.Helper()
	f, err := os.Open("../../samples/articles.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	tg, err := enrich.New(enrich.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	var out []*article.Enriched
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for sc.Scan() {
		a, err := article.Parse(sc.Bytes(), article.Limits{}, now)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, &article.Enriched{Article: a, Tags: tg.Tag(&a)})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// ruleGen draws random rules from the corpus' own words and entities, so
// that some of them match.
type ruleGen struct {
	rng                                         *rand.Rand
	words                                       []string
	countries, leaders, treaties, keywords, src []string
	// subjects gives one rule in eight a subject country filter (a rule
	// that has none otherwise), drawing no more random numbers, so the
	// rest of the rules are those drawn without it.
	subjects bool
}

func newRuleGen(arts []*article.Enriched, seed uint64) *ruleGen {
	g := &ruleGen{rng: rand.New(rand.NewPCG(seed, 1))}
	set := func(dst *[]string, seen map[string]bool, v string) {
		if v != "" && !seen[v] {
			seen[v] = true
			*dst = append(*dst, v)
		}
	}
	sw, sc, sl, st, sk, ss := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, e := range arts {
		for _, w := range strings.Fields(strings.ToLower(e.Title + " " + e.Summary + " " + e.Body)) {
			w = strings.Trim(w, `.,;:!?"()'’`)
			if len(w) > 2 && !strings.ContainsAny(w, `"'’-–—/.,`) {
				set(&g.words, sw, w)
			}
		}
		for _, c := range e.Tags.Countries {
			set(&g.countries, sc, c.Code)
		}
		for _, l := range e.Tags.Leaders {
			set(&g.leaders, sl, l.ID)
		}
		for _, t := range e.Tags.Treaties {
			set(&g.treaties, st, t.ID)
		}
		for _, k := range e.Tags.Keywords {
			set(&g.keywords, sk, k)
		}
		set(&g.src, ss, e.Source)
	}
	for _, l := range [][]string{g.words, g.countries, g.leaders, g.treaties, g.keywords, g.src} {
		sort.Strings(l)
	}
	return g
}

func (g *ruleGen) pick(l []string) string { return l[g.rng.IntN(len(l))] }

// word is a corpus word half of the time, else a word no article holds:
// most standing queries do not match most articles.
func (g *ruleGen) word() string {
	if g.rng.IntN(2) == 0 {
		return g.pick(g.words)
	}
	return fmt.Sprintf("zz%dword", g.rng.IntN(50000))
}

// query draws a rule's query: one to three words, sometimes a phrase, an
// exclusion, an entity filter, an "any" of two nested queries, a "not",
// a "near"; about one rule in eight is an entity-only filter.
func (g *ruleGen) query(depth int) Query {
	var q Query
	var text []string
	for range 1 + g.rng.IntN(3) {
		text = append(text, g.word())
	}
	if g.rng.IntN(4) == 0 {
		text = append(text, `"`+g.pick(g.words)+" "+g.pick(g.words)+`"`)
	}
	if g.rng.IntN(4) == 0 {
		text = append(text, "-"+g.pick(g.words))
	}
	switch g.rng.IntN(8) {
	case 0:
		q.Countries = []string{g.pick(g.countries), g.pick(g.countries)}
		q.Keywords = []string{g.pick(g.keywords)}
		text = text[:0] // entity-only rule
	case 1:
		q.Leaders = []string{g.pick(g.leaders)}
	case 2:
		q.Treaties = []string{g.pick(g.treaties)}
	case 3:
		q.Keywords = []string{g.pick(g.keywords)}
	case 4:
		q.Countries = []string{g.pick(g.countries)}
	case 5:
		if g.subjects {
			q.SubjectCountries = []string{g.countries[len(strings.Join(text, ""))%len(g.countries)]}
		}
	}
	q.Text = strings.Join(text, " ")
	if depth < 2 && g.rng.IntN(6) == 0 {
		q.Any = []Query{g.query(depth + 1), g.query(depth + 1)}
	}
	if depth < 2 && g.rng.IntN(10) == 0 {
		q.Not = []Query{{Text: g.pick(g.words)}}
	}
	if g.rng.IntN(10) == 0 {
		q.Near = &Near{A: g.pick(g.words), B: g.pick(g.words), Within: 1 + g.rng.IntN(20)}
	}
	return q
}

func (g *ruleGen) rules(n int) []Rule {
	out := make([]Rule, n)
	for i := range out {
		out[i] = Rule{ID: fmt.Sprintf("r%05d", i), Name: fmt.Sprintf("rule %d", i), Query: g.query(0)}
	}
	return out
}

// TestIndexedEqualsLinear checks the index against testing every rule in
// turn, on random rules drawn from the corpus.
func TestIndexedEqualsLinear(t *testing.T) {
	arts := corpus(t)
	for seed := range uint64(3) {
		g := newRuleGen(arts, seed)
		g.subjects = seed == 2
		m, err := Compile(g.rules(3000))
		if err != nil {
			t.Fatal(err)
		}
		total, subjects := 0, 0
		for _, e := range arts {
			got, want := m.Match(e), m.MatchLinear(e)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d article %s: indexed found %d matches, linear %d", seed, e.ID, len(got), len(want))
			}
			total += len(got)
			for _, mt := range got {
				for _, h := range mt.Entities {
					if h.Kind == KindSubjectCountry {
						subjects++
					}
				}
			}
		}
		if total == 0 {
			t.Fatalf("seed %d: no rule matched any article; the test proves nothing", seed)
		}
		if g.subjects && subjects == 0 {
			t.Fatalf("seed %d: no subject country rule matched; the test proves nothing for them", seed)
		}
		t.Logf("seed %d: %d matches, %d subject country hits", seed, total, subjects)
	}
}

// threadCPU is the CPU time used by the calling OS thread: unlike wall
// time it leaves out the time the thread waited for a core, which on a
// shared machine dominates the tail.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

type latencies struct{ wall, cpu []time.Duration }

func (l *latencies) add(wall, cpu time.Duration) {
	l.wall = append(l.wall, wall)
	l.cpu = append(l.cpu, cpu)
}

func (l *latencies) report(b *testing.B, prefix string) (cpu50, cpu99 time.Duration) {
	w50, w99 := percentiles(l.wall)
	c50, c99 := percentiles(l.cpu)
	b.ReportMetric(float64(w50.Nanoseconds())/1e3, prefix+"p50-µs")
	b.ReportMetric(float64(w99.Nanoseconds())/1e3, prefix+"p99-µs")
	b.ReportMetric(float64(c50.Nanoseconds())/1e3, prefix+"cpu-p50-µs")
	b.ReportMetric(float64(c99.Nanoseconds())/1e3, prefix+"cpu-p99-µs")
	return c50, c99
}

// timed runs fn on the locked thread and returns its wall and CPU time.
func timed(fn func()) (wall, cpu time.Duration) {
	c0, t0 := threadCPU(), time.Now()
	fn()
	return time.Since(t0), threadCPU() - c0
}

func benchMatch(b *testing.B, subjects bool, fn func(m *Matcher, e *article.Enriched) []Match) {
	arts := corpus(b)
	g := newRuleGen(arts, 42)
	g.subjects = subjects
	m, err := Compile(g.rules(10000))
	if err != nil {
		b.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var lat latencies
	matches := 0
	for i := 0; b.Loop(); i++ {
		e := arts[i%len(arts)]
		lat.add(timed(func() { matches += len(fn(m, e)) }))
	}
	lat.report(b, "")
	b.ReportMetric(float64(matches)/float64(len(lat.wall)), "matches/article")
}

func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[len(s)*50/100], s[min(len(s)-1, len(s)*99/100)]
}

// BenchmarkMatchIndexed matches one article (of the 45 sample articles)
// against 10 000 random rules with the index. It reports wall and
// thread-CPU latency percentiles per article.
func BenchmarkMatchIndexed(b *testing.B) {
	benchMatch(b, false, (*Matcher).Match)
}

// BenchmarkMatchIndexedSubjects is BenchmarkMatchIndexed with one rule in
// eight also asking for a subject country, so that every country tag of
// an article is checked for its role as well.
func BenchmarkMatchIndexedSubjects(b *testing.B) {
	benchMatch(b, true, (*Matcher).Match)
}

// BenchmarkMatchNaive does the same by testing each rule in turn.
func BenchmarkMatchNaive(b *testing.B) {
	benchMatch(b, false, (*Matcher).MatchLinear)
}

// BenchmarkMatchRatio runs both on the same articles in one run and
// reports how many times faster the index is, in CPU time at p50 and p99.
func BenchmarkMatchRatio(b *testing.B) {
	arts := corpus(b)
	m, err := Compile(newRuleGen(arts, 42).rules(10000))
	if err != nil {
		b.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var li, ln latencies
	for i := 0; b.Loop(); i++ {
		e := arts[i%len(arts)]
		li.add(timed(func() { m.Match(e) }))
		ln.add(timed(func() { m.MatchLinear(e) }))
	}
	i50, i99 := li.report(b, "indexed-")
	n50, n99 := ln.report(b, "naive-")
	b.ReportMetric(float64(n50)/float64(max(i50, 1)), "speedup-p50")
	b.ReportMetric(float64(n99)/float64(max(i99, 1)), "speedup-p99")
}

// BenchmarkCompile compiles 10 000 rules, as a rule change does.
func BenchmarkCompile(b *testing.B) {
	arts := corpus(b)
	rules := newRuleGen(arts, 42).rules(10000)
	for b.Loop() {
		if _, err := Compile(rules); err != nil {
			b.Fatal(err)
		}
	}
}
