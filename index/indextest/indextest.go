package indextest

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// Timeout bounds each wait for written documents to become searchable
// (Elasticsearch refreshes about once a second).
const Timeout = 30 * time.Second

// Run loads the corpus into stores made by newStore and checks every
// answer. newStore must return an empty store and arrange its own cleanup
// with t.Cleanup; Run calls it more than once and never calls Close.
func Run(t *testing.T, newStore func(t *testing.T) index.Store) {
	t.Run("Search", func(t *testing.T) {
		s := newStore(t)
		corpus := Corpus()
		load(t, s, corpus)
		runSearch(t, s, len(corpus))
	})
	t.Run("Redelivery", func(t *testing.T) { testRedelivery(t, newStore(t)) })
	t.Run("Versions", func(t *testing.T) { testVersions(t, newStore(t)) })
	t.Run("EmptyID", func(t *testing.T) { testEmptyID(t, newStore(t)) })
	t.Run("Lookup", func(t *testing.T) { testLookup(t, newStore(t)) })
	t.Run("Stories", func(t *testing.T) { testStories(t, newStore(t)) })
	t.Run("Entities", func(t *testing.T) { testEntities(t, newStore(t)) })
	t.Run("Get", func(t *testing.T) { testGet(t, newStore(t)) })
	t.Run("Timeline", func(t *testing.T) { testTimeline(t, newStore(t)) })
	t.Run("Subjects", func(t *testing.T) { testSubjects(t, newStore(t)) })
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), Timeout)
	t.Cleanup(cancel)
	return c
}

// load indexes docs in batches of 7 and waits until the store counts all.
func load(t *testing.T, s index.Store, docs []article.Enriched) {
	t.Helper()
	for i := 0; i < len(docs); i += 7 {
		batch := docs[i:min(i+7, len(docs))]
		rej, err := s.IndexBatch(ctx(t), batch)
		if err != nil {
			t.Fatalf("IndexBatch: %v", err)
		}
		if len(rej) > 0 {
			t.Fatalf("IndexBatch rejected %+v", rej)
		}
	}
	waitCount(t, s, len(docs))
}

// waitCount polls Count until it equals want.
func waitCount(t *testing.T, s index.Store, want int) {
	t.Helper()
	var got int
	var err error
	deadline := time.Now().Add(Timeout)
	for time.Now().Before(deadline) {
		got, err = s.Count(ctx(t))
		if err == nil && got == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("Count = %d, %v; want %d within %s", got, err, want, Timeout)
}

// eventually polls a search until check passes, for engines that make
// writes searchable after a refresh.
func eventually(t *testing.T, s index.Store, q index.Query, check func(index.Result) string) index.Result {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		res, err := s.Search(ctx(t), q)
		if err != nil {
			t.Fatalf("Search(%+v): %v", q, err)
		}
		msg := check(res)
		if msg == "" {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("Search(%+v): %s", q, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func search(t *testing.T, s index.Store, q index.Query) index.Result {
	t.Helper()
	res, err := s.Search(ctx(t), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return res
}

func hitIDs(hits []index.Hit) []string {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return ids
}

func sortedIDs(hits []index.Hit) []string {
	ids := hitIDs(hits)
	slices.Sort(ids)
	return ids
}

func ids(s ...string) []string { return s }

var allIDs = func() []string {
	var out []string
	for _, s := range specs {
		out = append(out, s.id)
	}
	slices.Sort(out)
	return out
}()

// newestOrder is the whole corpus in newest-first order: published
// descending, ties by id, the undated article last.
var newestOrder = ids("a19", "a16", "a15", "a14", "a12", "a13", "a11", "a10", "a09", "a08",
	"a07", "a06", "a20", "a05", "a04", "a03", "a02", "a01", "a18", "a17")

func endOfDay(d time.Time) time.Time { return d.Add(24*time.Hour - time.Nanosecond) }

func runSearch(t *testing.T, s index.Store, n int) {
	t.Run("MatchAll", func(t *testing.T) {
		res := search(t, s, index.Query{Size: index.MaxSize})
		if res.Total != n {
			t.Errorf("Total = %d, want %d", res.Total, n)
		}
		if got := sortedIDs(res.Hits); !slices.Equal(got, allIDs) {
			t.Errorf("hits = %v, want %v", got, allIDs)
		}
		if res.NextCursor != "" {
			t.Errorf("NextCursor = %q on the only page", res.NextCursor)
		}
		want := index.Facets{
			Countries: []index.Bucket{{Key: "RU", Count: 11}, {Key: "US", Count: 7}, {Key: "CN", Count: 6}, {Key: "KP", Count: 6}, {Key: "KR", Count: 2}, {Key: "UA", Count: 2}, {Key: "IN", Count: 1}},
			// The corpus tags carry no role: every country counts as a subject.
			SubjectCountries: []index.Bucket{{Key: "RU", Count: 11}, {Key: "US", Count: 7}, {Key: "CN", Count: 6}, {Key: "KP", Count: 6}, {Key: "KR", Count: 2}, {Key: "UA", Count: 2}, {Key: "IN", Count: 1}},
			Leaders: []index.Bucket{
				{Key: "Q56226", Label: "Kim Jong Un", Count: 5}, {Key: "Q7747", Label: "Vladimir Putin", Count: 5},
				{Key: "Q15031", Label: "Xi Jinping", Count: 3}, {Key: "Q3874799", Label: "Volodymyr Zelenskyy", Count: 2},
			},
			Treaties: []index.Bucket{
				{Key: "new-start", Label: "New START", Count: 3}, {Key: "npt", Label: npt.Name, Count: 2},
				{Key: "ru-kp-partnership", Label: partnership.Name, Count: 2}, {Key: "black-sea-grain", Label: grain.Name, Count: 1},
			},
			Keywords: []index.Bucket{{Key: "treaty", Count: 6}, {Key: "summit", Count: 4}, {Key: "sanctions", Count: 2}, {Key: "aid", Count: 1}, {Key: "deal", Count: 1}, {Key: "drills", Count: 1}, {Key: "missile", Count: 1}},
			Sources:  []index.Bucket{{Key: "reuters", Count: 7}, {Key: "apnews", Count: 6}, {Key: "bbc", Count: 6}, {Key: "kcna-watch", Count: 1}},
			Days:     []index.Bucket{{Key: "2026-03-02", Count: 4}, {Key: "2026-03-03", Count: 5}, {Key: "2026-03-04", Count: 4}, {Key: "2026-03-05", Count: 6}},
		}
		checkFacets(t, res.Facets, want)
	})

	t.Run("DefaultSize", func(t *testing.T) {
		res := search(t, s, index.Query{Size: 5})
		if len(res.Hits) != 5 || res.Total != n || res.NextCursor == "" {
			t.Errorf("size 5: %d hits, total %d, cursor %q", len(res.Hits), res.Total, res.NextCursor)
		}
	})

	t.Run("Filters", func(t *testing.T) {
		tests := []struct {
			name string
			q    index.Query
			want []string
		}{
			{"country AND country", index.Query{Countries: []string{"KP", "RU"}}, ids("a01", "a10", "a20")},
			{"country codes any case", index.Query{Countries: []string{"kp", "Ru"}}, ids("a01", "a10", "a20")},
			{"RU AND CN", index.Query{Countries: []string{"RU", "CN"}}, ids("a03", "a12", "a14", "a16")},
			{"unknown country", index.Query{Countries: []string{"FR"}}, nil},
			{"leader", index.Query{Leaders: []string{"Q7747"}}, ids("a01", "a02", "a03", "a10", "a16")},
			{"leader AND leader", index.Query{Leaders: []string{"Q7747", "Q56226"}}, ids("a01", "a10")},
			{"treaty", index.Query{Treaties: []string{"new-start"}}, ids("a02", "a07", "a19")},
			{"keyword and country", index.Query{Keywords: []string{"Treaty"}, Countries: []string{"KP"}}, ids("a01")},
			{"keyword", index.Query{Keywords: []string{"summit"}}, ids("a01", "a03", "a10", "a18")},
			{"source", index.Query{Sources: []string{"kcna-watch"}}, ids("a11")},
			{"source and country", index.Query{Sources: []string{"reuters"}, Countries: []string{"KP"}}, ids("a01", "a04", "a20")},
			{"text and filter", index.Query{Text: "treaty", Countries: []string{"US"}}, ids("a02", "a07", "a14", "a19")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := search(t, s, tt.q)
				checkIDs(t, res, tt.want)
			})
		}
	})

	t.Run("Text", func(t *testing.T) {
		treatyDocs := ids("a01", "a02", "a07", "a14", "a15", "a19")
		tests := []struct {
			name, text string
			want       []string
		}{
			{"word", "treaty", treatyDocs},
			{"stemming", "treaties", treatyDocs},
			{"upper case", "TREATY", treatyDocs},
			{"stop word ignored", "the treaty", treatyDocs},
			{"words are AND", "treaty moscow", ids("a02", "a07")},
			{"phrase", `"north korea"`, ids("a01", "a04", "a10", "a20")},
			{"same words apart", "north korea", ids("a01", "a04", "a09", "a10", "a20")},
			{"phrase minus word", `"north korea" -sanctions`, ids("a01", "a04", "a10")},
			{"minus phrase", `korea -"north korea"`, ids("a09")},
			{"only exclusion", "-treaty", ids("a03", "a04", "a05", "a06", "a08", "a09", "a10", "a11", "a12", "a13", "a16", "a17", "a18", "a20")},
			{"summary", "stocks", ids("a15")},
			{"title only", "stall", ids("a19")},
			{"no match", "zeppelin", nil},
			{"unbalanced quote", `"black sea grain`, ids("a06")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := search(t, s, index.Query{Text: tt.text})
				checkIDs(t, res, tt.want)
			})
		}
	})

	t.Run("DateRange", func(t *testing.T) {
		tests := []struct {
			name     string
			from, to time.Time
			want     []string
		}{
			{"one whole day", day2, endOfDay(day2), ids("a04", "a05", "a06", "a07", "a20")},
			{"both ends inclusive", at(day1, 23, 59, 59), day2, ids("a03", "a04")},
			{"to only", time.Time{}, at(day1, 12, 0, 0), ids("a01", "a02", "a18")},
			{"from only", at(day4, 16, 0, 0), time.Time{}, ids("a16", "a19")},
			{"last millisecond of the last day", day4, endOfDay(day4), ids("a12", "a13", "a14", "a15", "a16", "a19")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := search(t, s, index.Query{From: tt.from, To: tt.to})
				checkIDs(t, res, tt.want)
			})
		}
	})

	t.Run("FacetsFollowQuery", func(t *testing.T) {
		res := search(t, s, index.Query{Text: "treaty", Size: 1})
		if res.Total != 6 {
			t.Fatalf("Total = %d, want 6", res.Total)
		}
		wantDays := []index.Bucket{{Key: "2026-03-02", Count: 2}, {Key: "2026-03-03", Count: 1}, {Key: "2026-03-05", Count: 3}}
		if !reflect.DeepEqual(res.Facets.Days, wantDays) {
			t.Errorf("Days = %+v, want %+v", res.Facets.Days, wantDays)
		}
		wantCountries := []index.Bucket{{Key: "RU", Count: 5}, {Key: "US", Count: 4}, {Key: "CN", Count: 1}, {Key: "KP", Count: 1}, {Key: "KR", Count: 1}}
		if !reflect.DeepEqual(res.Facets.Countries, wantCountries) {
			t.Errorf("Countries = %+v, want %+v", res.Facets.Countries, wantCountries)
		}
		empty := search(t, s, index.Query{Text: "zeppelin"})
		if empty.Total != 0 || len(empty.Hits) != 0 || len(empty.Facets.Countries) != 0 || len(empty.Facets.Days) != 0 {
			t.Errorf("no-match search = %+v", empty)
		}
	})

	t.Run("Newest", func(t *testing.T) {
		res := search(t, s, index.Query{Sort: index.SortNewest, Size: index.MaxSize})
		if got := hitIDs(res.Hits); !slices.Equal(got, newestOrder) {
			t.Errorf("newest order\n got %v\nwant %v", got, newestOrder)
		}
	})

	t.Run("Pagination", func(t *testing.T) {
		for _, q := range []index.Query{
			{Sort: index.SortNewest},
			{Sort: index.SortRelevance},
			{Sort: index.SortRelevance, Text: "treaty"},
			{Sort: index.SortNewest, Countries: []string{"RU"}},
		} {
			full := search(t, s, index.Query{Text: q.Text, Sort: q.Sort, Countries: q.Countries, Size: index.MaxSize})
			var got []string
			q.Size = 3
			for page := 0; ; page++ {
				if page > len(full.Hits) {
					t.Fatalf("%+v: pagination does not end", q)
				}
				res := search(t, s, q)
				if res.Total != full.Total {
					t.Errorf("%+v page %d: Total = %d, want %d", q, page, res.Total, full.Total)
				}
				if len(res.Hits) > 3 {
					t.Fatalf("%+v page %d: %d hits", q, page, len(res.Hits))
				}
				got = append(got, hitIDs(res.Hits)...)
				if res.NextCursor == "" {
					break
				}
				q.Cursor = res.NextCursor
			}
			if want := hitIDs(full.Hits); !slices.Equal(got, want) {
				t.Errorf("%s %q pages of 3\n got %v\nwant %v", q.Sort, q.Text, got, want)
			}
		}
	})

	t.Run("BadCursor", func(t *testing.T) {
		newest := search(t, s, index.Query{Sort: index.SortNewest, Size: 2})
		for name, q := range map[string]index.Query{
			"garbage":           {Cursor: "!!not-a-cursor!!"},
			"base64 of garbage": {Cursor: "bm90IGpzb24"},
			"other sort":        {Cursor: newest.NextCursor, Sort: index.SortRelevance},
		} {
			_, err := s.Search(ctx(t), q)
			if !errors.Is(err, index.ErrBadQuery) {
				t.Errorf("%s: Search error = %v, want one wrapping ErrBadQuery", name, err)
			}
		}
		if _, err := s.Search(ctx(t), index.Query{Sort: "oldest"}); !errors.Is(err, index.ErrBadQuery) {
			t.Errorf("bad sort: error = %v, want one wrapping ErrBadQuery", err)
		}
	})

	t.Run("DatesOutOfRange", func(t *testing.T) {
		// Row 5 of the hardening issue: a bound the store cannot hold is
		// the query's fault, not the store's.
		for name, q := range map[string]index.Query{
			"from year zero": {From: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
			"to year 9999":   {To: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		} {
			_, err := s.Search(ctx(t), q)
			if !errors.Is(err, index.ErrBadQuery) {
				t.Errorf("%s: Search error = %v, want one wrapping ErrBadQuery", name, err)
			}
		}
	})

	t.Run("Hit", func(t *testing.T) {
		res := search(t, s, index.Query{Text: "pyongyang", Countries: []string{"KP"}, Leaders: []string{"Q56226"}, Sort: index.SortNewest})
		checkIDs(t, res, ids("a01", "a10"))
		h := res.Hits[1] // a01, the older
		a := build(specs[0])
		if h.ID != "a01" || h.Title != a.Title || h.URL != a.URL || h.Source != a.Source || !h.Published.Equal(a.Published) {
			t.Errorf("hit = %+v", h)
		}
		if !slices.Equal(h.Countries, []string{"KP", "RU"}) || !slices.Equal(h.Keywords, []string{"treaty", "summit"}) {
			t.Errorf("hit countries %v keywords %v", h.Countries, h.Keywords)
		}
		wantLeaders := []index.EntityRef{{ID: "Q56226", Name: "Kim Jong Un"}, {ID: "Q7747", Name: "Vladimir Putin"}}
		if !reflect.DeepEqual(h.Leaders, wantLeaders) {
			t.Errorf("hit leaders = %+v, want %+v", h.Leaders, wantLeaders)
		}
		wantTreaties := []index.EntityRef{{ID: partnership.ID, Name: partnership.Name}}
		if !reflect.DeepEqual(h.Treaties, wantTreaties) {
			t.Errorf("hit treaties = %+v, want %+v", h.Treaties, wantTreaties)
		}
		if !strings.Contains(h.Snippet, "<mark>Pyongyang</mark>") {
			t.Errorf("snippet %q lacks the marked match", h.Snippet)
		}
		undated := search(t, s, index.Query{Text: "undated"})
		if len(undated.Hits) != 1 || !undated.Hits[0].Published.IsZero() {
			t.Errorf("undated hit = %+v", undated.Hits)
		}
	})

	t.Run("Snippet", func(t *testing.T) {
		stem := search(t, s, index.Query{Text: "treaties", Countries: []string{"KP"}})
		checkIDs(t, stem, ids("a01"))
		if sn := stem.Hits[0].Snippet; !strings.Contains(sn, "<mark>treaty</mark>") {
			t.Errorf("stemmed snippet %q does not mark treaty", sn)
		}
		phrase := search(t, s, index.Query{Text: `"black sea"`})
		checkIDs(t, phrase, ids("a06"))
		if sn := phrase.Hits[0].Snippet; !strings.Contains(sn, "<mark>Black</mark> <mark>Sea</mark>") {
			t.Errorf("phrase snippet %q does not mark the phrase", sn)
		}
		summary := search(t, s, index.Query{Text: "stocks"})
		checkIDs(t, summary, ids("a15"))
		if sn := summary.Hits[0].Snippet; !strings.Contains(sn, "<mark>Stocks</mark> rose") {
			t.Errorf("summary snippet %q", sn)
		}
		titleOnly := search(t, s, index.Query{Text: "stall"})
		checkIDs(t, titleOnly, ids("a19"))
		if sn := titleOnly.Hits[0].Snippet; !strings.HasPrefix(sn, "Negotiators left Geneva") || strings.Contains(sn, "<mark>") {
			t.Errorf("snippet without a text match = %q, want the start of the body", sn)
		}
		for _, q := range []index.Query{{Text: "alert"}, {Sources: []string{"bbc"}, Countries: []string{"US"}, From: day3, To: endOfDay(day3)}} {
			res := search(t, s, q)
			checkIDs(t, res, ids("a08"))
			checkEscaped(t, res.Hits[0].Snippet, q.Text)
		}
	})
}

// checkEscaped asserts that sn is HTML whose only tags are <mark> pairs
// around word, and that the script text of a08 survived escaped.
func checkEscaped(t *testing.T, sn, word string) {
	t.Helper()
	bare := strings.ReplaceAll(strings.ReplaceAll(sn, "<mark>", ""), "</mark>", "")
	if strings.ContainsAny(bare, `<>"`) {
		t.Errorf("snippet %q has unescaped markup", sn)
	}
	for _, want := range []string{"&lt;script&gt;", "&amp;", "&quot;quotes&quot;"} {
		if !strings.Contains(sn, want) {
			t.Errorf("snippet %q lacks %q", sn, want)
		}
	}
	if word != "" && !strings.Contains(sn, "<mark>"+word+"</mark>") {
		t.Errorf("snippet %q does not mark %q", sn, word)
	}
	if word == "" && strings.Contains(sn, "<mark>") {
		t.Errorf("snippet %q marks words without a text query", sn)
	}
}

func checkIDs(t *testing.T, res index.Result, want []string) {
	t.Helper()
	got := sortedIDs(res.Hits)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("hits = %v, want %v", got, want)
	}
	if res.Total != len(want) {
		t.Errorf("Total = %d, want %d", res.Total, len(want))
	}
}

func checkFacets(t *testing.T, got, want index.Facets) {
	t.Helper()
	for _, f := range []struct {
		name      string
		got, want []index.Bucket
	}{
		{"countries", got.Countries, want.Countries},
		{"subject_countries", got.SubjectCountries, want.SubjectCountries},
		{"leaders", got.Leaders, want.Leaders},
		{"treaties", got.Treaties, want.Treaties},
		{"keywords", got.Keywords, want.Keywords},
		{"sources", got.Sources, want.Sources},
		{"days", got.Days, want.Days},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("facet %s\n got %+v\nwant %+v", f.name, f.got, f.want)
		}
	}
}

func testRedelivery(t *testing.T, s index.Store) {
	corpus := Corpus()
	load(t, s, corpus)
	before := search(t, s, index.Query{Size: index.MaxSize, Sort: index.SortNewest})
	for range 2 {
		rej, err := s.IndexBatch(ctx(t), Corpus())
		if err != nil || len(rej) > 0 {
			t.Fatalf("redelivered IndexBatch = %v, %v", rej, err)
		}
	}
	waitCount(t, s, len(corpus))
	// Let a refresh pass before comparing, then compare everything visible.
	time.Sleep(1500 * time.Millisecond)
	after := search(t, s, index.Query{Size: index.MaxSize, Sort: index.SortNewest})
	if after.Total != before.Total || !slices.Equal(hitIDs(after.Hits), hitIDs(before.Hits)) {
		t.Errorf("after redelivery: total %d hits %v; before: total %d hits %v", after.Total, hitIDs(after.Hits), before.Total, hitIDs(before.Hits))
	}
	checkFacets(t, after.Facets, before.Facets)
	if n, err := s.Count(ctx(t)); err != nil || n != len(corpus) {
		t.Errorf("Count = %d, %v; want %d", n, err, len(corpus))
	}
}

func versioned(id, title string, updated time.Time) article.Enriched {
	e := build(spec{id: id, title: title, body: "Body of " + title + ".", published: day1, countries: []string{"RU"}, source: "reuters"})
	e.Updated = updated
	return e
}

func testVersions(t *testing.T, s index.Store) {
	t1, t2, t3 := at(day2, 9, 0, 0), at(day2, 10, 0, 0), at(day2, 11, 0, 0)
	write := func(docs ...article.Enriched) {
		t.Helper()
		rej, err := s.IndexBatch(ctx(t), docs)
		if err != nil || len(rej) > 0 {
			t.Fatalf("IndexBatch = %v, %v", rej, err)
		}
	}
	titleIs := func(id, title string) func(index.Result) string {
		return func(res index.Result) string {
			for _, h := range res.Hits {
				if h.ID == id {
					if h.Title == title {
						return ""
					}
					return "title of " + id + " is " + h.Title + ", want " + title
				}
			}
			return id + " not found"
		}
	}
	q := index.Query{Size: index.MaxSize}

	// v2 then v1 in separate batches: v2 stays.
	write(versioned("v-sep", "second version", t2))
	eventually(t, s, q, titleIs("v-sep", "second version"))
	write(versioned("v-sep", "first version", t1))
	// In one batch, in both orders: the newest wins.
	write(versioned("v-one", "first version", t1), versioned("v-one", "second version", t2))
	write(versioned("v-rev", "second version", t2), versioned("v-rev", "first version", t1))
	waitCount(t, s, 3)
	time.Sleep(1500 * time.Millisecond) // a refresh, so a wrong overwrite would show
	res := search(t, s, q)
	for _, id := range []string{"v-sep", "v-one", "v-rev"} {
		if msg := titleIs(id, "second version")(res); msg != "" {
			t.Error(msg)
		}
	}
	// The same version again replaces (same content, harmless); a newer one wins.
	write(versioned("v-sep", "second version", t2))
	write(versioned("v-sep", "third version", t3))
	eventually(t, s, q, titleIs("v-sep", "third version"))
	waitCount(t, s, 3)
}

func testEmptyID(t *testing.T, s index.Store) {
	docs := Corpus()[:3]
	docs[1].ID = ""
	rej, err := s.IndexBatch(ctx(t), docs)
	if err != nil {
		t.Fatalf("IndexBatch: %v", err)
	}
	if len(rej) != 1 || rej[0].Index != 1 || rej[0].Reason == "" {
		t.Fatalf("rejections = %+v, want one for index 1", rej)
	}
	waitCount(t, s, 2)
}

// testLookup checks index.VersionReader: every engine must offer it, and
// report the version of what is searchable.
func testLookup(t *testing.T, s index.Store) {
	vr, ok := s.(index.VersionReader)
	if !ok {
		t.Fatalf("%T does not implement index.VersionReader", s)
	}
	t1, t2 := at(day2, 9, 0, 0), at(day2, 10, 0, 0)
	docs := []article.Enriched{versioned("l-1", "one", t1), versioned("l-2", "two", t2)}
	load(t, s, docs)
	want := func(w map[string]int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, err := vr.Versions(ctx(t), []string{"l-1", "l-2", "l-missing"})
			if err != nil {
				t.Fatalf("Versions: %v", err)
			}
			if maps.Equal(got, w) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("Versions = %v, want %v", got, w)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	want(map[string]int64{"l-1": index.DocVersion(&docs[0].Article), "l-2": index.DocVersion(&docs[1].Article)})
	newer := versioned("l-1", "one again", at(day2, 12, 0, 0))
	if rej, err := s.IndexBatch(ctx(t), []article.Enriched{newer}); err != nil || len(rej) > 0 {
		t.Fatalf("IndexBatch = %v, %v", rej, err)
	}
	want(map[string]int64{"l-1": index.DocVersion(&newer.Article), "l-2": index.DocVersion(&docs[1].Article)})
	if got, err := vr.Versions(ctx(t), nil); err != nil || len(got) != 0 {
		t.Fatalf("Versions(nil) = %v, %v", got, err)
	}
}
