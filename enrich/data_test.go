package enrich

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDataIntegrity checks the embedded gazetteers: headers, codes, QIDs,
// aliases claimed by two entities, term dates.
func TestDataIntegrity(t *testing.T) {
	g, err := loadGazetteer()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range dataFiles {
		h := g.headerInfo[f]
		if h["source"] == "" || h["as-of"] == "" {
			t.Errorf("%s: header must name source and as-of date, got %v", f, h)
		}
	}
	codes := checkCountries(t, g)
	checkTreaties(t, g, codes)
	checkAliasOwners(t, g)
	checkLeaders(t, g, codes)
}

var okQID = func(q string) bool { return q == "-" || qidRe.MatchString(q) }

// checkCountries checks codes, QIDs and names, and returns the codes.
func checkCountries(t *testing.T, g *gazetteer) map[string]bool {
	a2 := regexp.MustCompile(`^[A-Z]{2}$`)
	a3 := regexp.MustCompile(`^([A-Z]{3}|-)$`)
	num := regexp.MustCompile(`^([0-9]{3}|-)$`)
	codes := map[string]bool{}
	seen3 := map[string]bool{}
	seenNum := map[string]bool{}
	for _, c := range g.countries {
		if !a2.MatchString(c.code) || codes[c.code] {
			t.Errorf("country code %q invalid or duplicate", c.code)
		}
		codes[c.code] = true
		if !a3.MatchString(c.alpha3) || (c.alpha3 != "-" && seen3[c.alpha3]) {
			t.Errorf("%s: alpha-3 %q invalid or duplicate", c.code, c.alpha3)
		}
		seen3[c.alpha3] = true
		if !num.MatchString(c.numeric) || (c.numeric != "-" && seenNum[c.numeric]) {
			t.Errorf("%s: numeric %q invalid or duplicate", c.code, c.numeric)
		}
		seenNum[c.numeric] = true
		if !okQID(c.qid) {
			t.Errorf("%s: QID %q is not Q[0-9]+ or the flag -", c.code, c.qid)
		}
		if c.names["en"] == "" {
			t.Errorf("%s: no English name", c.code)
		}
	}
	if n := len(g.countries); n != 198 {
		t.Errorf("countries: %d rows, want 193 members + VA, PS, TW, XK, EU = 198", n)
	}
	return codes
}

// checkAliasOwners checks that no alias is claimed by two entities unless
// it is listed in ambiguous.txt.
func checkAliasOwners(t *testing.T, g *gazetteer) {
	ambiguous := map[string]bool{}
	for _, a := range g.ambiguous {
		ambiguous[normPhrase(a.alias)] = true
	}
	owner := map[string]string{}
	claim := func(alias, who string) {
		k := normPhrase(alias)
		if prev, ok := owner[k]; ok && prev != who && !ambiguous[k] {
			t.Errorf("alias %q claimed by %s and %s and not marked ambiguous", alias, prev, who)
		}
		owner[k] = who
	}
	for _, c := range g.countries {
		for _, al := range c.aliases {
			for _, a := range al {
				claim(a.text, "country "+c.code)
			}
		}
	}
	for _, tr := range g.treaties {
		for _, a := range append([]alias{{text: tr.name}}, tr.aliases...) {
			claim(a.text, "treaty "+tr.id)
		}
	}
}

// checkTreaties checks ids, QIDs and parties of the treaty catalogue.
func checkTreaties(t *testing.T, g *gazetteer, codes map[string]bool) {
	for _, tr := range g.treaties {
		if !strings.HasPrefix(tr.id, "t-") && !qidRe.MatchString(tr.id) {
			t.Errorf("treaty id %q must be t-slug or a QID", tr.id)
		}
		if !okQID(tr.qid) {
			t.Errorf("treaty %s: QID %q malformed", tr.id, tr.qid)
		}
		if len(tr.parties) == 0 {
			t.Errorf("treaty %s: no parties", tr.id)
		}
		for _, p := range tr.parties {
			if p != "multilateral" && !codes[p] {
				t.Errorf("treaty %s: party %q is not a known code", tr.id, p)
			}
		}
	}
	if len(g.treaties) < 100 {
		t.Errorf("treaty catalog has %d entries, want at least 100", len(g.treaties))
	}
	ids := map[string]bool{}
	for _, tr := range g.treaties {
		if ids[tr.id] {
			t.Errorf("treaty id %s duplicated", tr.id)
		}
		ids[tr.id] = true
	}
}

// checkLeaders checks every term of office: QID, country, dates, role,
// one id per name, and no overlapping terms of one person in one office.
func checkLeaders(t *testing.T, g *gazetteer, codes map[string]bool) {
	names := map[string]string{}
	for i, tm := range g.terms {
		if !okQID(tm.qid) {
			t.Errorf("leaders row %d: QID %q malformed", i+1, tm.qid)
		}
		if !codes[tm.country] {
			t.Errorf("leaders row %d: country %q unknown", i+1, tm.country)
		}
		if tm.start.IsZero() {
			t.Errorf("leaders row %d (%s): no start date", i+1, tm.name)
		}
		if !tm.end.IsZero() && !tm.end.After(tm.start) {
			t.Errorf("leaders row %d (%s): end %v not after start %v", i+1, tm.name, tm.end, tm.start)
		}
		if tm.start.After(g.asOf) {
			t.Errorf("leaders row %d (%s): starts after the as-of date", i+1, tm.name)
		}
		switch tm.role {
		case "head_of_state", "head_of_government", "foreign_minister":
		default:
			t.Errorf("leaders row %d: role %q unknown", i+1, tm.role)
		}
		// One name, one person: the same QID (or the same unknown-QID name).
		key := tm.qid
		if key == "-" {
			key = "name:" + tm.name
		}
		if prev, ok := names[tm.name]; ok && prev != key {
			t.Errorf("leader name %q used by two different ids %s and %s", tm.name, prev, key)
		}
		names[tm.name] = key
	}
	// Each leader's terms of the same office never overlap.
	for i := range g.terms {
		for j := i + 1; j < len(g.terms); j++ {
			a, b := g.terms[i], g.terms[j]
			if a.name != b.name || a.office != b.office || a.country != b.country {
				continue
			}
			if overlap(a, b) {
				t.Errorf("leader %s: terms as %s overlap", a.name, a.office)
			}
		}
	}
}

func overlap(a, b term) bool {
	aEnd, bEnd := a.end, b.end
	if aEnd.IsZero() {
		aEnd = a.start.AddDate(100, 0, 0)
	}
	if bEnd.IsZero() {
		bEnd = b.start.AddDate(100, 0, 0)
	}
	return a.start.Before(bEnd) && b.start.Before(aEnd)
}

func normPhrase(s string) string {
	n, _ := tokensOf(s)
	return strings.Join(n, " ")
}

// jointOffices are the offices held by several people at once: the
// presidency of Bosnia and Herzegovina, the captains regent of San
// Marino, the co-princes of Andorra, Cambodia's two prime ministers
// (1993–1998).
var jointOffices = map[string]bool{"BA": true, "SM": true, "AD": true, "KH": true}

// TestLeaderTermsV2 checks the merged leaders of the v2 data: every v2
// row has a QID, no office of a country has two holders at once (except
// joint offices and acting holders of under two months), dates are
// ordered, and the file states its provenance.
func TestLeaderTermsV2(t *testing.T) {
	g, err := loadGazetteer()
	if err != nil {
		t.Fatal(err)
	}
	if h := g.headerInfo["data/leaders-1990.txt"]; !strings.Contains(h["source"], "our own compilation of public facts") {
		t.Errorf("data/leaders-1990.txt: source must state our own compilation of public facts, got %q", h["source"])
	}
	// Heads of state and government since 1990 and the foreign ministers
	// of the G20, the P5, both Koreas and the EU: at least 3 000 terms. A
	// floor, so that a data change cannot lose terms unnoticed.
	if len(g.terms) < 3000 {
		t.Errorf("%d terms of office, want at least 3000", len(g.terms))
	}
	withQID := 0
	for _, tm := range g.terms {
		if qidRe.MatchString(tm.qid) {
			withQID++
		}
	}
	t.Logf("%d terms, %d with a QID", len(g.terms), withQID)
	acting := func(a *term) bool { return !a.end.IsZero() && a.end.Sub(a.start) < 62*24*time.Hour }
	for i := range g.terms {
		a := &g.terms[i]
		if !a.end.IsZero() && !a.end.After(a.start) {
			t.Errorf("%s (%s): end %v not after start %v", a.name, a.country, a.end, a.start)
		}
		if jointOffices[a.country] || acting(a) {
			continue
		}
		for j := i + 1; j < len(g.terms); j++ {
			b := &g.terms[j]
			if a.country == b.country && a.office == b.office && a.role == b.role && a.name != b.name && !acting(b) && termsOverlap(a, b) {
				t.Errorf("%s %s: %s (%s–%s) and %s (%s–%s) overlap", a.country, a.office, a.name, day(a.start), day(a.end), b.name, day(b.start), day(b.end))
			}
		}
	}
	v2 := strings.Split(string(g.rawByFile["data/leaders-1990.txt"]), "\n")
	for n, line := range v2 {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if q, _, _ := strings.Cut(line, " |"); !qidRe.MatchString(q) {
			t.Errorf("data/leaders-1990.txt line %d: QID %q, want Q[0-9]+", n+1, q)
		}
	}
}

func day(t time.Time) string {
	if t.IsZero() {
		return "open"
	}
	return t.Format("2006-01-02")
}

// TestForeignMinisterCoverage checks that the foreign ministers of the
// G20 members, both Koreas and the EU's High Representative are listed
// for nearly every day since 1990 (since the office began, for the EU):
// a gap means a missing term. Short gaps between a resignation and the
// next appointment are allowed.
func TestForeignMinisterCoverage(t *testing.T) {
	g, err := loadGazetteer()
	if err != nil {
		t.Fatal(err)
	}
	const minShare = 0.94
	from := map[string]time.Time{"EU": time.Date(1999, 10, 18, 0, 0, 0, 0, time.UTC)}
	for _, c := range strings.Fields("AR AU BR CA CN FR DE IN ID IT JP KR MX RU SA ZA TR GB US KP EU") {
		start, ok := from[c]
		if !ok {
			start = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		days := int(g.asOf.Sub(start).Hours() / 24)
		covered := make([]bool, days)
		for _, tm := range g.terms {
			if tm.country != c || tm.role != "foreign_minister" {
				continue
			}
			end := tm.end
			if end.IsZero() || end.After(g.asOf) {
				end = g.asOf
			}
			for d := tm.start; d.Before(end); d = d.AddDate(0, 0, 1) {
				if i := int(d.Sub(start).Hours() / 24); i >= 0 && i < days {
					covered[i] = true
				}
			}
		}
		n := 0
		for _, ok := range covered {
			if ok {
				n++
			}
		}
		if share := float64(n) / float64(days); share < minShare {
			t.Errorf("%s: foreign ministers cover %.1f%% of the days since %s, want at least %.0f%%", c, 100*share, day(start), 100*minShare)
		}
	}
}
