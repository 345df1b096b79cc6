package indextest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// storyCorpus: story s-pact has four copies (two from reuters), story
// s-grain two, and one pact article stands alone.
func storyCorpus() []article.Enriched {
	mk := func(id, story, source, title string, published time.Time) article.Enriched {
		e := build(spec{id: id, title: title, body: title + ". The report was carried by several outlets.",
			published: published, countries: []string{"KP", "RU"}, source: source})
		if story != "" {
			e.Story = &article.StoryRef{ID: story}
		}
		return e
	}
	return []article.Enriched{
		mk("p1", "s-pact", "reuters", "Kim and Putin sign defence pact", at(day1, 9, 0, 0)),
		mk("p2", "s-pact", "apnews", "Kim and Putin sign defence pact in Pyongyang", at(day1, 10, 0, 0)),
		mk("p3", "s-pact", "reuters", "UPDATE: Kim and Putin sign pact", at(day1, 11, 0, 0)),
		mk("p4", "s-pact", "bbc", "Putin and Kim seal defence pact", at(day2, 8, 0, 0)),
		mk("g1", "s-grain", "bbc", "Grain pact shipments resume", at(day3, 9, 0, 0)),
		mk("g2", "s-grain", "apnews", "Grain pact shipments resume from Odesa", at(day3, 12, 0, 0)),
		mk("solo", "", "reuters", "Analysis: what the pact means", at(day4, 9, 0, 0)),
	}
}

// testStories checks collapsing: one hit per story with its other
// matching copies counted and named, offsets for paging, and the story
// filter.
func testStories(t *testing.T, s index.Store) {
	docs := storyCorpus()
	load(t, s, docs)

	t.Run("not collapsed", func(t *testing.T) {
		res := search(t, s, index.Query{Text: "pact", Sort: index.SortNewest})
		checkIDs(t, res, ids("solo", "g2", "g1", "p4", "p3", "p2", "p1"))
		for _, h := range res.Hits {
			switch {
			case h.ID == "solo" && h.Story != nil:
				t.Errorf("solo has story %+v", h.Story)
			case h.ID != "solo" && (h.Story == nil || h.Story.Copies != 0):
				t.Errorf("%s story %+v, want id only", h.ID, h.Story)
			}
		}
	})

	t.Run("collapsed newest", func(t *testing.T) {
		res := search(t, s, index.Query{Text: "pact", Sort: index.SortNewest, Collapse: true})
		if got := hitIDs(res.Hits); !reflect.DeepEqual(got, ids("solo", "g2", "p4")) {
			t.Errorf("hits %v, want [solo g2 p4]", got)
		}
		if res.Total != 7 {
			t.Errorf("Total = %d, want 7 (every matching article)", res.Total)
		}
		if got := res.Facets.Sources; len(got) == 0 || got[0] != (index.Bucket{Key: "reuters", Count: 3}) {
			t.Errorf("source facet %+v, want reuters=3 first (all copies counted)", got)
		}
		want := map[string]*index.HitStory{
			"solo": nil,
			"g2":   {ID: "s-grain", Copies: 1, Sources: []string{"bbc"}},
			"p4":   {ID: "s-pact", Copies: 3, Sources: []string{"reuters", "apnews"}},
		}
		for _, h := range res.Hits {
			if !reflect.DeepEqual(h.Story, want[h.ID]) {
				t.Errorf("%s story %+v, want %+v", h.ID, h.Story, want[h.ID])
			}
		}
	})

	t.Run("collapsed counts only matching copies", func(t *testing.T) {
		res := search(t, s, index.Query{Text: "defence", Sort: index.SortNewest, Collapse: true})
		if got := hitIDs(res.Hits); !reflect.DeepEqual(got, ids("p4")) {
			t.Fatalf("hits %v, want [p4]", got)
		}
		if h := res.Hits[0]; h.Story == nil || h.Story.Copies != 2 || !reflect.DeepEqual(h.Story.Sources, []string{"reuters", "apnews"}) {
			t.Errorf("story %+v, want 2 other copies from reuters, apnews (p1, p2; p3 lacks the word)", h.Story)
		}
	})

	t.Run("collapsed paging", func(t *testing.T) {
		var got []string
		q := index.Query{Text: "pact", Sort: index.SortNewest, Collapse: true, Size: 2}
		for page := 0; page < 5; page++ {
			res := search(t, s, q)
			got = append(got, hitIDs(res.Hits)...)
			if res.NextCursor == "" {
				break
			}
			q.Cursor = res.NextCursor
		}
		if want := ids("solo", "g2", "p4"); !reflect.DeepEqual(got, want) {
			t.Errorf("pages gave %v, want %v", got, want)
		}
		first := search(t, s, index.Query{Text: "pact", Sort: index.SortNewest, Collapse: true, Size: 1})
		_, err := s.Search(ctx(t), index.Query{Text: "pact", Sort: index.SortNewest, Cursor: first.NextCursor})
		if !errors.Is(err, index.ErrBadQuery) {
			t.Errorf("collapsed cursor on a plain search: %v, want ErrBadQuery", err)
		}
	})

	t.Run("collapsed relevance", func(t *testing.T) {
		res := search(t, s, index.Query{Text: "pact", Collapse: true})
		if got := sortedIDs(res.Hits); len(got) != 3 {
			t.Errorf("relevance collapse gave %v, want one hit for each of 3 stories", got)
		}
	})

	t.Run("story filter", func(t *testing.T) {
		res := search(t, s, index.Query{Story: "s-pact", Sort: index.SortNewest})
		checkIDs(t, res, ids("p4", "p3", "p2", "p1"))
		res = search(t, s, index.Query{Story: index.StoryKey(&docs[6]), Sort: index.SortNewest})
		checkIDs(t, res, ids("solo"))
	})

	t.Run("or, exclude and facet size", func(t *testing.T) {
		res := search(t, s, index.Query{Sources: []string{"apnews", "bbc"}, Any: []string{index.KindSources}})
		checkIDs(t, res, ids("p2", "p4", "g1", "g2"))
		res = search(t, s, index.Query{Sources: []string{"apnews", "bbc"}})
		checkIDs(t, res, nil)
		res = search(t, s, index.Query{Exclude: index.Filters{Sources: []string{"reuters"}}})
		checkIDs(t, res, ids("p2", "p4", "g1", "g2"))
		res = search(t, s, index.Query{Text: "pact", Exclude: index.Filters{Sources: []string{"reuters", "bbc"}}, Countries: []string{"KP"}})
		checkIDs(t, res, ids("p2", "g2"))
		res = search(t, s, index.Query{FacetSize: 1})
		if len(res.Facets.Sources) != 1 || res.Facets.Sources[0] != (index.Bucket{Key: "reuters", Count: 3}) {
			t.Errorf("FacetSize 1 gave sources %+v, want [reuters=3]", res.Facets.Sources)
		}
	})
}
