package enrich

import (
	"slices"
	"testing"
	"time"
)

func ids(es []Entity) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func TestLookup(t *testing.T) {
	tg := newTagger(t)
	cases := []struct {
		name, q, kind string
		limit         int
		want          []string // exactly these ids, in this order
		first         string   // or: only the first id
	}{
		{name: "exact label", q: "Russia", kind: KindCountry, limit: 5, first: "RU"},
		{name: "case and accents", q: "cote d ivoire", limit: 3, first: "CI"},
		{name: "exact alias", q: "DPRK", limit: 1, want: []string{"KP"}},
		{name: "seat", q: "pyongyang", kind: KindCountry, limit: 5, want: []string{"KP"}},
		{name: "exact id", q: "Q7747", limit: 5, want: []string{"Q7747"}},
		{name: "surname by substring", q: "putin", kind: KindLeader, limit: 5, want: []string{"Q7747"}},
		{name: "prefix before substring", q: "nig", kind: KindCountry, limit: 3, want: []string{"NE", "NG"}},
		{name: "exact before prefix", q: "niger", kind: KindCountry, limit: 2, want: []string{"NE", "NG"}},
		{name: "kind filter", q: "paris", kind: KindTreaty, limit: 1, want: []string{"Q21707860"}},
		{name: "without filter country first", q: "paris", limit: 1, want: []string{"FR"}},
		{name: "keyword", q: "treaties", kind: KindKeyword, limit: 3, want: []string{"treaty"}},
		{name: "limit", q: "a", limit: 4},
		{name: "empty", q: "  ", limit: 5, want: []string{}},
		{name: "zero limit", q: "russia", limit: 0, want: []string{}},
		{name: "nothing", q: "zzzzqqq", limit: 5, want: []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := tg.Lookup(c.q, c.kind, c.limit)
			if len(got) > c.limit {
				t.Fatalf("Lookup(%q) returned %d, limit %d", c.q, len(got), c.limit)
			}
			for _, e := range got {
				if c.kind != "" && e.Kind != c.kind {
					t.Errorf("Lookup(%q, %q) returned kind %q", c.q, c.kind, e.Kind)
				}
			}
			switch {
			case c.want != nil:
				if !slices.Equal(ids(got), c.want) {
					t.Errorf("Lookup(%q, %q, %d) = %v, want %v", c.q, c.kind, c.limit, ids(got), c.want)
				}
			case c.first != "":
				if len(got) == 0 || got[0].ID != c.first {
					t.Errorf("Lookup(%q) = %v, want %s first", c.q, ids(got), c.first)
				}
			default:
				if len(got) != c.limit {
					t.Errorf("Lookup(%q) = %d results, want %d", c.q, len(got), c.limit)
				}
			}
		})
	}
}

func TestResolve(t *testing.T) {
	tg := newTagger(t)
	cases := []struct {
		kind, q string
		want    string // "" = not found
	}{
		{KindCountry, "KP", "KP"},
		{KindCountry, "kp", "KP"},
		{KindCountry, "North Korea", "KP"},
		{KindCountry, "Pyongyang", "KP"},
		{KindCountry, "Côte d’Ivoire", "CI"},
		{KindCountry, "Vladimir Putin", ""},
		{KindLeader, "Vladimir Putin", "Q7747"},
		{KindLeader, "Q7747", "Q7747"},
		{KindLeader, "Kim Jong-un", "Q56226"},
		{KindTreaty, "Paris climate accord", "Q21707860"},
		{KindTreaty, "t-new-start", "t-new-start"},
		{KindTreaty, "NPT", "t-npt"},
		{KindKeyword, "sanctioned", "sanctions"},
		{KindKeyword, "tariff", "tariff"}, // an extra keyword of newTagger
		{KindCountry, "", ""},
		{"planet", "Mars", ""},
	}
	for _, c := range cases {
		t.Run(c.kind+"/"+c.q, func(t *testing.T) {
			e, ok := tg.Resolve(c.kind, c.q)
			if ok != (c.want != "") || e.ID != c.want {
				t.Errorf("Resolve(%q, %q) = %q, %v; want %q", c.kind, c.q, e.ID, ok, c.want)
			}
			if ok && e.Kind != c.kind {
				t.Errorf("Resolve(%q, %q) kind = %q", c.kind, c.q, e.Kind)
			}
		})
	}
	// Every entity resolves from its own id and label.
	for _, e := range tg.ents.ents {
		for _, n := range []string{e.ID, e.Label} {
			if got, ok := tg.Resolve(e.Kind, n); !ok {
				t.Errorf("Resolve(%q, %q) not found", e.Kind, n)
			} else if got.Kind != e.Kind {
				t.Errorf("Resolve(%q, %q) kind %q", e.Kind, n, got.Kind)
			}
		}
	}
}

func TestClosest(t *testing.T) {
	tg := newTagger(t)
	cases := []struct {
		kind, q string
		n       int
		first   string
	}{
		{KindCountry, "Nigria", 3, "NG"},
		{KindCountry, "Phillipines", 1, "PH"},
		{KindCountry, "Kazakstan", 2, "KZ"},
		{KindLeader, "Puttin", 3, "Q7747"},
		{KindLeader, "Zelensky", 3, ""}, // checked below: some leader, never a country
		{KindTreaty, "Pariss Agreement", 2, "Q21707860"},
		{KindKeyword, "sanktions", 1, "sanctions"},
	}
	for _, c := range cases {
		t.Run(c.kind+"/"+c.q, func(t *testing.T) {
			got := tg.Closest(c.kind, c.q, c.n)
			if len(got) != c.n {
				t.Fatalf("Closest(%q) = %d results, want %d", c.q, len(got), c.n)
			}
			for _, e := range got {
				if e.Kind != c.kind {
					t.Errorf("Closest(%q, %q) returned kind %q", c.kind, c.q, e.Kind)
				}
			}
			if c.first != "" && got[0].ID != c.first {
				t.Errorf("Closest(%q, %q) = %v, want %s first", c.kind, c.q, ids(got), c.first)
			}
		})
	}
	if got := tg.Closest(KindCountry, "", 3); got != nil {
		t.Errorf("Closest of empty name = %v, want nil", ids(got))
	}
}

func TestTagQuery(t *testing.T) {
	tg := newTagger(t)
	d2024 := time.Date(2024, 6, 19, 0, 0, 0, 0, time.UTC)
	d2010 := time.Date(2010, 6, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name, q                      string
		at                           time.Time
		countries, leaders, treaties []string
		keywords                     []string
		text                         string
		spans                        []QuerySpan
	}{
		{name: "abbreviation and name", q: "DPRK Russia treaty", at: d2024, countries: []string{"KP", "RU"}, keywords: []string{"treaty"}, text: "treaty",
			spans: []QuerySpan{{0, 4, KindCountry, "KP"}, {5, 11, KindCountry, "RU"}}},
		{name: "capitals", q: "Pyongyang Moscow pact", at: d2024, countries: []string{"KP", "RU"}, text: "pact"},
		{name: "surnames", q: "Kim Putin", at: d2024, leaders: []string{"Q56226", "Q7747"}, text: "",
			spans: []QuerySpan{{0, 3, KindLeader, "Q56226"}, {4, 9, KindLeader, "Q7747"}}},
		{name: "lower case", q: "dprk russia", at: d2024, countries: []string{"KP", "RU"}, text: ""},
		{name: "title joins the leader", q: "president xi trade war", at: d2024, leaders: []string{"Q15031"}, text: "trade war",
			spans: []QuerySpan{{0, 12, KindLeader, "Q15031"}}},
		{name: "leader on a past date", q: "Medvedev Obama", at: d2010, leaders: []string{"Q23530", "Q76"}, text: ""},
		{name: "treaty name", q: "Paris Agreement withdrawal", at: d2024, treaties: []string{"Q21707860"}, text: "withdrawal"},
		{name: "keywords stay in text", q: "sanctions summit", at: d2024, keywords: []string{"sanctions", "summit"}, text: "sanctions summit"},
		{name: "ambiguous takes default", q: "Congo", at: d2024, countries: []string{"CD"}, text: ""},
		{name: "ambiguous resolved by query", q: "Korea Pyongyang", at: d2024, countries: []string{"KP"}, text: ""},
		{name: "ambiguous unresolved", q: "Korea", at: d2024, text: "Korea"},
		{name: "blocked phrase", q: "New Mexico floods", at: d2024, text: "New Mexico floods"},
		{name: "repeat counted once", q: "Georgia Tbilisi", at: d2024, countries: []string{"GE"}, text: ""},
		{name: "free text only", q: "  rising   prices ", at: d2024, text: "rising prices"},
		{name: "empty", q: "", at: d2024, text: ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := tg.TagQuery(c.q, c.at)
			check := func(what string, got, want []string) {
				if !slices.Equal(got, want) && len(got)+len(want) > 0 {
					t.Errorf("TagQuery(%q) %s = %v, want %v", c.q, what, got, want)
				}
			}
			check("countries", ids(got.Countries), c.countries)
			check("leaders", ids(got.Leaders), c.leaders)
			check("treaties", ids(got.Treaties), c.treaties)
			check("keywords", got.Keywords, c.keywords)
			if got.Text != c.text {
				t.Errorf("TagQuery(%q) text = %q, want %q", c.q, got.Text, c.text)
			}
			if c.spans != nil && !slices.Equal(got.Matched, c.spans) {
				t.Errorf("TagQuery(%q) matched = %v, want %v", c.q, got.Matched, c.spans)
			}
			for _, s := range got.Matched {
				if s.Start < 0 || s.End > len(c.q) || s.Start >= s.End {
					t.Errorf("TagQuery(%q) span %v outside the query", c.q, s)
				}
			}
		})
	}
}

// FuzzTagQuery checks the query tagger's invariants: no panic, spans
// inside the query, Text no longer than the query, deterministic.
func FuzzTagQuery(f *testing.F) {
	tg := newTagger(f)
	for _, s := range []string{"DPRK Russia treaty", "President Xi", "Côte d’Ivoire", "Korea Korea", "..", "U.S.-China"} {
		f.Add(s)
	}
	at := time.Date(2024, 6, 19, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, q string) {
		a := tg.TagQuery(q, at)
		for _, s := range a.Matched {
			if s.Start < 0 || s.End > len(q) || s.Start >= s.End {
				t.Fatalf("span %v outside %q", s, q)
			}
		}
		if len(a.Text) > len(q) {
			t.Fatalf("text %q longer than query %q", a.Text, q)
		}
		if b := tg.TagQuery(q, at); !slices.Equal(ids(a.Countries), ids(b.Countries)) || a.Text != b.Text {
			t.Fatalf("not deterministic on %q", q)
		}
		tg.Lookup(q, "", 10)
	})
}

// BenchmarkLookup is the autocomplete path: a two-letter prefix, the worst
// case (most prefix and substring hits).
func BenchmarkLookup(b *testing.B) {
	tg := newTagger(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tg.Lookup("ko", "", 10)
	}
}

func BenchmarkTagQuery(b *testing.B) {
	tg := newTagger(b)
	at := time.Date(2024, 6, 19, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tg.TagQuery("Kim Putin DPRK Russia treaty", at)
	}
}
