package api

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/newswire/newswire/enrich"
	"github.com/newswire/newswire/index"
)

// QueryReader reads the entities a search query names. enrich.Tagger
// implements it.
type QueryReader interface {
	TagQuery(q string, at time.Time) enrich.QueryTags
}

// Understood tells how the query text was read: the entities it names
// and the words left to match as text. It is part of the search answer.
type Understood struct {
	Countries []UnderstoodEntity `json:"countries"`
	Leaders   []UnderstoodEntity `json:"leaders"`
	Treaties  []UnderstoodEntity `json:"treaties"`
	Text      string             `json:"text"`
}

// UnderstoodEntity is one entity read from the query: id, display name,
// and the words of the query that named it. Passing literal=<kind>:<id>
// (kind country, leader or treaty) turns the reading off for it.
type UnderstoodEntity struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Words string `json:"words"`
}

// searchAnswer is the body of GET /api/v1/search.
type searchAnswer struct {
	index.Result
	Understood *Understood `json:"understood,omitempty"`
}

var mentionKind = map[string]string{
	enrich.KindCountry: index.KindCountries,
	enrich.KindLeader:  index.KindLeaders,
	enrich.KindTreaty:  index.KindTreaties,
}

// understand reads the entities of q.Text with the tagger (as of q.To,
// else now), moves them from the text to q.Entities, and says so. Words
// inside a quoted phrase or after a minus stay text, as do the entities
// listed in the literal parameter.
func understand(qr QueryReader, q *index.Query, v url.Values, now time.Time) *Understood {
	if qr == nil || strings.TrimSpace(q.Text) == "" {
		return nil
	}
	at := now
	if !q.To.IsZero() {
		at = q.To
	}
	text := q.Text
	tags := qr.TagQuery(text, at)
	var literal []string
	for _, l := range v["literal"] {
		literal = append(literal, strings.Split(l, ",")...)
	}
	label := func(kind, id string) string {
		var list []enrich.Entity
		switch kind {
		case enrich.KindCountry:
			list = tags.Countries
		case enrich.KindLeader:
			list = tags.Leaders
		case enrich.KindTreaty:
			list = tags.Treaties
		}
		for _, e := range list {
			if e.ID == id {
				return e.Label
			}
		}
		return id
	}
	u := &Understood{Countries: []UnderstoodEntity{}, Leaders: []UnderstoodEntity{}, Treaties: []UnderstoodEntity{}}
	removed := make([]bool, len(text))
	for _, sp := range tags.Matched {
		kind, ok := mentionKind[sp.Kind]
		if !ok || sp.Start < 0 || sp.End > len(text) || sp.Start >= sp.End {
			continue
		}
		if slices.Contains(literal, sp.Kind+":"+sp.ID) || quotedOrNegated(text, sp.Start) {
			continue
		}
		for i := sp.Start; i < sp.End; i++ {
			removed[i] = true
		}
		if slices.ContainsFunc(q.Entities, func(m index.Mention) bool { return m.Kind == kind && m.ID == sp.ID }) {
			continue
		}
		words := text[sp.Start:sp.End]
		q.Entities = append(q.Entities, index.Mention{Kind: kind, ID: sp.ID, Words: words})
		ue := UnderstoodEntity{ID: sp.ID, Label: label(sp.Kind, sp.ID), Words: words}
		switch kind {
		case index.KindCountries:
			u.Countries = append(u.Countries, ue)
		case index.KindLeaders:
			u.Leaders = append(u.Leaders, ue)
		case index.KindTreaties:
			u.Treaties = append(u.Treaties, ue)
		}
	}
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		if removed[i] {
			b.WriteByte(' ')
		} else {
			b.WriteByte(text[i])
		}
	}
	q.Text = strings.Join(strings.Fields(b.String()), " ")
	u.Text = q.Text
	return u
}

// quotedOrNegated reports whether the word at byte i of the query text
// sits inside a "phrase" or right after a minus.
func quotedOrNegated(text string, i int) bool {
	if strings.Count(text[:i], `"`)%2 == 1 {
		return true
	}
	return i > 0 && text[i-1] == '-'
}

// Catalogue finds a catalogued entity by id or name. enrich.Tagger
// implements it.
type Catalogue interface {
	Resolve(kind, idOrName string) (enrich.Entity, bool)
}

// TreatyAnswer is the body of GET /api/v1/treaties/{id}: the catalogue
// entry of a treaty.
type TreatyAnswer struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Aliases  []string `json:"aliases"`
	Parties  []string `json:"parties"`            // ISO codes, or "multilateral"
	Wikidata string   `json:"wikidata,omitempty"` // QID, where the catalogue has one
}

func treatyAnswer(e enrich.Entity) TreatyAnswer {
	a := TreatyAnswer{ID: e.ID, Name: e.Label, Aliases: e.Aliases, Parties: e.Countries}
	if a.Aliases == nil {
		a.Aliases = []string{}
	}
	if a.Parties == nil {
		a.Parties = []string{}
	}
	if isQID(e.ID) {
		a.Wikidata = e.ID
	}
	return a
}

func isQID(s string) bool {
	if len(s) < 2 || s[0] != 'Q' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
