package enrich

import (
	"bufio"
	"embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

//go:embed data/*.txt
var dataFS embed.FS

// dataFiles lists the embedded gazetteers in the order they are hashed
// into the tagger version.
var dataFiles = []string{
	"data/countries.txt", "data/ambiguous.txt", "data/cues.txt", "data/leaders.txt",
	"data/titles.txt", "data/treaties.txt", "data/keywords.txt",
	"data/treaties-more.txt", "data/leaders-1990.txt", "data/names.txt",
}

var qidRe = regexp.MustCompile(`^Q[0-9]+$`)

// alias is one written form of an entity with its matching flags.
type alias struct {
	text  string
	exact bool // letter case must match exactly
	weak  bool // needs confirmation from the article
	seat  bool // a capital or seat of government
	dem   bool // a demonym (also the name of a language: "in French")
}

// country is one row of countries.txt.
type country struct {
	code, alpha3, numeric, qid string
	names                      map[string]string  // language → display name
	aliases                    map[string][]alias // language → aliases (names, abbreviations, demonyms, seats)
}

// ambiguity is one row of ambiguous.txt.
type ambiguity struct {
	alias      string
	candidates []string // empty: a blocking phrase
	def        string   // default candidate or ""
}

// cue is one row of cues.txt.
type cue struct {
	code    string
	confirm []string
	veto    []string
}

// term is one row of leaders.txt: one person in one office for a period.
type term struct {
	qid, country, office, role string
	primary                    bool
	start, end                 time.Time // end zero = open
	name                       string
	aliases                    []string
	surnames                   []surname
}

type surname struct {
	text   string
	strong bool // distinctive: usable without a title or an earlier full name
}

// title is one row of titles.txt.
type title struct {
	text  string
	exact bool
	kind  string // "office", "role", "primary", "honorific"
	value []string
}

// treaty is one row of treaties.txt.
type treaty struct {
	id, qid, name string
	year          int
	parties       []string
	aliases       []alias
}

// keyword is one row of keywords.txt.
type keyword struct {
	base  string
	forms []string
}

// nameRow is one row of names.txt: the names of one entity in one language.
type nameRow struct {
	lang, kind, id string
	forms          []string
}

type gazetteer struct {
	names      []nameRow
	countries  []country
	ambiguous  []ambiguity
	cues       []cue
	terms      []term
	titles     []title
	treaties   []treaty
	keywords   []keyword
	asOf       time.Time
	rawByFile  map[string][]byte
	headerInfo map[string]map[string]string // file → header key → value
}

// rows reads a " | "-separated data file, returning its data rows and the
// "key: value" header comments.
func rows(name string, raw []byte, minFields int) ([][]string, map[string]string, error) {
	var out [][]string
	hdr := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	ln := 0
	for sc.Scan() {
		ln++
		line := strings.TrimRight(sc.Text(), " \t\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			h := strings.TrimSpace(strings.TrimPrefix(line, "#"))
			if k, v, ok := strings.Cut(h, ":"); ok && !strings.Contains(k, " ") {
				if _, seen := hdr[k]; !seen {
					hdr[k] = strings.TrimSpace(v)
				}
			}
			continue
		}
		f := strings.Split(line, "|")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		if len(f) < minFields {
			return nil, nil, fmt.Errorf("parse %s line %d: %d fields, want at least %d", name, ln, len(f), minFields)
		}
		out = append(out, f)
	}
	return out, hdr, nil
}

func splitList(s string) []string {
	if s == "" || s == "-" {
		return nil
	}
	parts := strings.Split(s, ";")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseAliases(s string) []alias {
	var out []alias
	for _, p := range splitList(s) {
		a := alias{text: p}
		for {
			if strings.HasSuffix(a.text, "~x") {
				a.exact = true
				a.text = strings.TrimSuffix(a.text, "~x")
			} else if strings.HasSuffix(a.text, "~w") {
				a.weak = true
				a.text = strings.TrimSuffix(a.text, "~w")
			} else {
				break
			}
		}
		out = append(out, a)
	}
	return out
}

func parseDate(s string) (time.Time, error) {
	if s == "" || s == "-" {
		return time.Time{}, nil
	}
	return time.Parse("2006-01-02", s)
}

// loadGazetteer parses every embedded data file.
func loadGazetteer() (*gazetteer, error) {
	g, err := loadBase()
	if err != nil {
		return nil, err
	}
	for _, p := range []struct {
		name  string
		min   int
		parse func([][]string) error
	}{
		{"data/treaties-more.txt", 6, g.mergeTreaties},
		{"data/leaders-1990.txt", 10, g.mergeLeaders},
		{"data/names.txt", 4, g.parseNames},
	} {
		if err := g.load(p.name, p.min, p.parse); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// load reads, splits and parses one data file.
func (g *gazetteer) load(name string, min int, parse func([][]string) error) error {
	raw, err := dataFS.ReadFile(name)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	g.rawByFile[name] = raw
	rs, hdr, err := rows(name, raw, min)
	g.headerInfo[name] = hdr
	if err != nil {
		return err
	}
	return parse(rs)
}

// mergeTreaties adds the rows of a further treaty file: a known id gains
// the row's aliases (and its QID when it had none); a new id is a new
// treaty.
func (g *gazetteer) mergeTreaties(rs [][]string) error {
	known := map[string]int{}
	for i, tr := range g.treaties {
		known[tr.id] = i
	}
	var fresh gazetteer
	if err := fresh.parseTreaties(rs); err != nil {
		return err
	}
	for _, tr := range fresh.treaties {
		i, ok := known[tr.id]
		if !ok {
			g.treaties = append(g.treaties, tr)
			continue
		}
		old := &g.treaties[i]
		old.aliases = append(old.aliases, tr.aliases...)
		if (old.qid == "-" || old.qid == "") && tr.qid != "-" {
			old.qid = tr.qid
		}
	}
	return nil
}

// mergeLeaders adds the terms of a further leaders file. A row naming a
// person of the base file (same name, or same QID) gives that person its
// QID when the base had none, and is dropped when it repeats a base term
// (same country and role, overlapping dates); other rows are new terms.
func (g *gazetteer) mergeLeaders(rs [][]string) error {
	var fresh gazetteer
	if err := fresh.parseLeaders(rs); err != nil {
		return err
	}
	base := len(g.terms)
	byName := map[string][]int{}
	byQID := map[string][]int{}
	for i := range g.terms {
		byName[g.terms[i].name] = append(byName[g.terms[i].name], i)
		if q := g.terms[i].qid; q != "-" && q != "" {
			byQID[q] = append(byQID[q], i)
		}
	}
	for _, tm := range fresh.terms {
		same := byQID[tm.qid]
		if len(same) == 0 {
			same = byName[tm.name]
		}
		dup := false
		for _, i := range same {
			b := &g.terms[i]
			if b.qid == "-" || b.qid == "" {
				for _, k := range byName[b.name] {
					g.terms[k].qid = tm.qid
				}
				byQID[tm.qid] = append(byQID[tm.qid], byName[b.name]...)
			}
			if i < base && b.country == tm.country && b.role == tm.role && termsOverlap(b, &tm) {
				dup = true
			}
		}
		if !dup {
			g.terms = append(g.terms, tm)
		}
	}
	g.closeTerms()
	return nil
}

// closeTerms ends a term where the next holder of the same office of the
// same country takes it up, when the term was left open or outlasts that
// start by less than a month (a handover recorded a few days apart).
// Longer overlaps are co-held, acting or disputed offices and stay.
func (g *gazetteer) closeTerms() {
	type key struct{ country, office, role string }
	seq := map[key][]int{}
	for i := range g.terms {
		tm := &g.terms[i]
		k := key{tm.country, tm.office, tm.role}
		seq[k] = append(seq[k], i)
	}
	for _, ts := range seq {
		sort.SliceStable(ts, func(a, b int) bool { return g.terms[ts[a]].start.Before(g.terms[ts[b]].start) })
		for n, i := range ts {
			tm := &g.terms[i]
			for _, j := range ts[n+1:] {
				next := &g.terms[j]
				if next.name == tm.name || !next.start.After(tm.start) {
					continue
				}
				if tm.end.IsZero() || tm.end.After(next.start) && tm.end.Sub(next.start) < 31*24*time.Hour {
					tm.end = next.start
				}
				break
			}
		}
	}
}

// termsOverlap reports whether two terms share a day.
func termsOverlap(a, b *term) bool {
	far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	ae, be := a.end, b.end
	if ae.IsZero() {
		ae = far
	}
	if be.IsZero() {
		be = far
	}
	return a.start.Before(be) && b.start.Before(ae)
}

func (g *gazetteer) parseNames(rs [][]string) error {
	for i, f := range rs {
		if normLang(f[0]) != f[0] {
			return fmt.Errorf("parse names row %d: language %q unknown", i+1, f[0])
		}
		g.names = append(g.names, nameRow{lang: f[0], kind: f[1], id: f[2], forms: splitList(f[3])})
	}
	return nil
}

// loadBase parses the gazetteers that the further files extend.
func loadBase() (*gazetteer, error) {
	g := &gazetteer{rawByFile: map[string][]byte{}, headerInfo: map[string]map[string]string{}}
	for _, p := range []struct {
		name  string
		min   int
		parse func([][]string) error
	}{
		{"data/countries.txt", 8, g.parseCountries},
		{"data/ambiguous.txt", 2, g.parseAmbiguous},
		{"data/cues.txt", 3, g.parseCues},
		{"data/leaders.txt", 10, g.parseLeaders},
		{"data/titles.txt", 3, g.parseTitles},
		{"data/treaties.txt", 6, g.parseTreaties},
		{"data/keywords.txt", 2, g.parseKeywords},
	} {
		if err := g.load(p.name, p.min, p.parse); err != nil {
			return nil, err
		}
	}
	var err error
	if g.asOf, err = parseDate(g.headerInfo["data/leaders.txt"]["as-of"]); err != nil {
		return nil, fmt.Errorf("parse leaders as-of: %w", err)
	}
	return g, nil
}

func (g *gazetteer) parseCountries(rs [][]string) error {
	for _, f := range rs {
		c := country{code: f[0], alpha3: f[1], numeric: f[2], qid: f[3],
			names: map[string]string{}, aliases: map[string][]alias{}}
		name := parseAliases(f[4])
		c.names["en"] = name[0].text
		al := name
		al = append(al, parseAliases(f[5])...)
		for _, a := range parseAliases(f[6]) {
			a.dem = true
			al = append(al, a)
		}
		for _, a := range parseAliases(f[7]) {
			a.seat = true
			al = append(al, a)
		}
		c.aliases["en"] = al
		g.countries = append(g.countries, c)
	}
	return nil
}

func (g *gazetteer) parseAmbiguous(rs [][]string) error {
	for _, f := range rs {
		a := ambiguity{alias: f[0]}
		if f[1] != "-" {
			for _, c := range strings.Split(f[1], ",") {
				c = strings.TrimSpace(c)
				if strings.HasSuffix(c, "*") {
					c = strings.TrimSuffix(c, "*")
					a.def = c
				}
				a.candidates = append(a.candidates, c)
			}
		}
		g.ambiguous = append(g.ambiguous, a)
	}
	return nil
}

func (g *gazetteer) parseCues(rs [][]string) error {
	for _, f := range rs {
		g.cues = append(g.cues, cue{code: f[0], confirm: splitList(f[1]), veto: splitList(f[2])})
	}
	return nil
}

func (g *gazetteer) parseLeaders(rs [][]string) error {
	var err error
	for i, f := range rs {
		t := term{qid: f[0], country: f[1], office: f[2], role: f[3], primary: f[4] == "y", name: f[7], aliases: splitList(f[8])}
		if t.start, err = parseDate(f[5]); err != nil {
			return fmt.Errorf("parse leaders row %d start: %w", i+1, err)
		}
		if t.end, err = parseDate(f[6]); err != nil {
			return fmt.Errorf("parse leaders row %d end: %w", i+1, err)
		}
		for _, s := range splitList(f[9]) {
			sn := surname{text: strings.TrimSuffix(s, "!"), strong: strings.HasSuffix(s, "!")}
			t.surnames = append(t.surnames, sn)
		}
		g.terms = append(g.terms, t)
	}
	return nil
}

func (g *gazetteer) parseTitles(rs [][]string) error {
	for _, f := range rs {
		al := parseAliases(f[0])
		for _, a := range al {
			g.titles = append(g.titles, title{text: a.text, exact: a.exact, kind: f[1], value: strings.Split(f[2], ",")})
		}
	}
	return nil
}

func (g *gazetteer) parseTreaties(rs [][]string) error {
	for _, f := range rs {
		tr := treaty{id: f[0], qid: f[1], name: f[2], aliases: parseAliases(f[5])}
		fmt.Sscanf(f[3], "%d", &tr.year)
		for _, p := range strings.Split(f[4], ",") {
			if p = strings.TrimSpace(p); p != "" {
				tr.parties = append(tr.parties, p)
			}
		}
		g.treaties = append(g.treaties, tr)
	}
	return nil
}

func (g *gazetteer) parseKeywords(rs [][]string) error {
	for _, f := range rs {
		g.keywords = append(g.keywords, keyword{base: f[0], forms: splitList(f[1])})
	}
	return nil
}
