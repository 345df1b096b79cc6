package indextest

import (
	"testing"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// testEntities: an entity named in the query matches articles tagged with
// it or containing the words that named it, tag matches first; query
// words match their British and American spellings.
func testEntities(t *testing.T, s index.Store) {
	mk := func(id, title, body string, countries ...string) article.Enriched {
		return build(spec{id: id, title: title, body: body, published: at(day1, 9, 0, 0), countries: countries, source: "reuters"})
	}
	docs := []article.Enriched{
		mk("e1", "Kim and Putin sign defence pact", "The leaders met in Pyongyang.", "KP", "RU"),
		mk("e2", "State media hail the pact", "DPRK media praised the pact with Moscow's partner."),
		mk("e3", "Moscow raises defence spending", "The budget grows again.", "RU"),
		mk("e4", "Parade in Pyongyang", "Troops marched through the capital.", "KP"),
		mk("e5", "Ministers organise a summit", "The organisation of the meeting took weeks."),
	}
	load(t, s, docs)
	kp := index.Mention{Kind: index.KindCountries, ID: "KP", Words: "DPRK"}
	ru := index.Mention{Kind: index.KindCountries, ID: "RU", Words: "Russia"}

	res := search(t, s, index.Query{Text: "pact", Entities: []index.Mention{kp}})
	checkIDs(t, res, ids("e1", "e2"))
	res = search(t, s, index.Query{Entities: []index.Mention{kp, ru}})
	checkIDs(t, res, ids("e1"))
	res = search(t, s, index.Query{Entities: []index.Mention{kp}})
	checkIDs(t, res, ids("e1", "e2", "e4"))
	if h := hitIDs(res.Hits); len(h) == 3 && h[2] != "e2" {
		t.Errorf("relevance order %v: the article matching only the words DPRK must rank below the tagged ones", h)
	}

	res = search(t, s, index.Query{Text: "defense"})
	checkIDs(t, res, ids("e1", "e3"))
	res = search(t, s, index.Query{Text: "pact -defense"})
	checkIDs(t, res, ids("e2"))
	res = search(t, s, index.Query{Text: "organize organization"})
	checkIDs(t, res, ids("e5"))
}
