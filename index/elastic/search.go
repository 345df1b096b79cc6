package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/newswire/newswire/index"
)

// searchFields are the text fields a query word may match in, boosted.
var searchFields = []string{"title^3", "summary^2", "body"}

// sourceFields are the stored fields a hit shows.
var sourceFields = []string{"id", "title", "url", "source", "published", "countries", "leaders", "leader_names", "treaties", "treaty_names", "keywords", "story"}

const snippetLen = 200

// textClause matches text in one of the searchFields: all its words in
// one field, adjacent when phrase is set. With zeroAll, text that is only
// stop words matches everything (a no-op inside must); without, nothing
// (a no-op inside must_not).
func textClause(text string, phrase, zeroAll bool) map[string]any {
	mm := map[string]any{"query": text, "fields": searchFields}
	if phrase {
		mm["type"] = "phrase"
	} else {
		mm["operator"] = "and"
	}
	if zeroAll {
		mm["zero_terms_query"] = "all"
	}
	return map[string]any{"multi_match": mm}
}

// variantsClause matches a query word in any of its British and American
// spellings (index.Variants).
func variantsClause(term string, zeroAll bool) map[string]any {
	vs := index.Variants(term)
	if len(vs) == 1 {
		return textClause(term, false, zeroAll)
	}
	should := make([]any, 0, len(vs))
	for _, v := range vs {
		should = append(should, textClause(v, false, zeroAll))
	}
	return map[string]any{"bool": map[string]any{"should": should, "minimum_should_match": 1}}
}

// mentionField is the keyword field of each entity kind.
var mentionField = map[string]string{index.KindCountries: "countries", index.KindLeaders: "leaders", index.KindTreaties: "treaties"}

// mentionClause matches an entity named in the query: tagged with it
// (boosted) or containing the words that named it, as a phrase.
func mentionClause(m index.Mention) map[string]any {
	should := []any{map[string]any{"term": map[string]any{mentionField[m.Kind]: map[string]any{"value": m.ID, "boost": index.EntityBoost}}}}
	if m.Words != "" {
		should = append(should, textClause(m.Words, true, false))
	}
	return map[string]any{"bool": map[string]any{"should": should, "minimum_should_match": 1}}
}

func termsAgg(size int, field string, labels ...string) map[string]any {
	agg := map[string]any{
		"terms": map[string]any{
			"field": field,
			"size":  size,
			"order": []map[string]string{{"_count": "desc"}, {"_key": "asc"}},
		},
	}
	if len(labels) > 0 {
		// One document of the bucket is enough to name its entity.
		agg["aggs"] = map[string]any{
			"label": map[string]any{"top_hits": map[string]any{
				"size":    1,
				"_source": map[string]any{"includes": labels},
			}},
		}
	}
	return agg
}

// ceilMS and floorMS round a bound to the milliseconds the date fields
// hold, keeping From and To inclusive at their exact instant.
func ceilMS(t time.Time) time.Time {
	if tr := t.Truncate(time.Millisecond); !tr.Equal(t) {
		return tr.Add(time.Millisecond)
	}
	return t
}

func floorMS(t time.Time) time.Time { return t.Truncate(time.Millisecond) }

const msLayout = "2006-01-02T15:04:05.000Z07:00"

// searchBody translates a normalized query into the _search DSL. after
// holds the decoded cursor values, or nil; off is the offset of a
// collapsed search.
func searchBody(q index.Query, after []any, off int) map[string]any {
	t := index.ParseText(q.Text)
	var must, mustNot, filter []any
	for _, term := range t.Terms {
		must = append(must, variantsClause(term, true))
	}
	for _, m := range q.Entities {
		must = append(must, mentionClause(m))
	}
	for _, p := range t.Phrases {
		must = append(must, textClause(p, true, true))
	}
	for _, term := range t.Exclude {
		mustNot = append(mustNot, variantsClause(term, false))
	}
	for _, p := range t.ExcludePhrases {
		mustNot = append(mustNot, textClause(p, true, false))
	}
	for _, f := range []struct {
		kind, field   string
		values, notIn []string
	}{
		{index.KindCountries, "countries", q.Countries, q.Exclude.Countries},
		{index.KindSubjectCountries, "subject_countries", q.SubjectCountries, q.Exclude.SubjectCountries},
		{index.KindLeaders, "leaders", q.Leaders, q.Exclude.Leaders},
		{index.KindTreaties, "treaties", q.Treaties, q.Exclude.Treaties},
		{index.KindKeywords, "keywords", q.Keywords, q.Exclude.Keywords},
		{index.KindSources, "source", q.Sources, q.Exclude.Sources},
	} {
		if len(f.values) > 1 && q.AnyOf(f.kind) {
			filter = append(filter, map[string]any{"terms": map[string]any{f.field: f.values}})
		} else {
			for _, v := range f.values {
				filter = append(filter, map[string]any{"term": map[string]any{f.field: v}})
			}
		}
		if len(f.notIn) > 0 {
			mustNot = append(mustNot, map[string]any{"terms": map[string]any{f.field: f.notIn}})
		}
	}
	if q.Story != "" {
		filter = append(filter, map[string]any{"term": map[string]any{"story": q.Story}})
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		r := map[string]any{"format": "strict_date_optional_time"}
		if !q.From.IsZero() {
			r["gte"] = ceilMS(q.From).UTC().Format(msLayout)
		}
		if !q.To.IsZero() {
			r["lte"] = floorMS(q.To).UTC().Format(msLayout)
		}
		filter = append(filter, map[string]any{"range": map[string]any{"published": r}})
	}
	// An article that has an asked-for country as a subject scores
	// higher. With a must or filter clause present, should clauses are
	// optional: they order, never filter.
	var should []any
	for _, c := range q.BoostCountries() {
		should = append(should, map[string]any{"term": map[string]any{"subject_countries": map[string]any{"value": c, "boost": index.SubjectBoost}}})
	}
	var query map[string]any
	if len(must)+len(mustNot)+len(filter) == 0 {
		query = map[string]any{"match_all": map[string]any{}}
	} else {
		b := map[string]any{}
		if len(must) > 0 {
			b["must"] = must
		}
		if len(should) > 0 {
			b["should"] = should
		}
		if len(mustNot) > 0 {
			b["must_not"] = mustNot
		}
		if len(filter) > 0 {
			b["filter"] = filter
		}
		query = map[string]any{"bool": b}
	}
	var sortSpec []any
	if q.Sort == index.SortNewest {
		sortSpec = []any{
			map[string]any{"published": map[string]any{"order": "desc", "missing": "_last"}},
			map[string]any{"id": map[string]any{"order": "asc"}},
		}
	} else {
		sortSpec = []any{
			map[string]any{"_score": map[string]any{"order": "desc"}},
			map[string]any{"id": map[string]any{"order": "asc"}},
		}
	}
	hlField := map[string]any{"fragment_size": snippetLen, "number_of_fragments": 1, "no_match_size": snippetLen}
	body := map[string]any{
		"size":             q.Size + 1, // one more tells whether a next page exists
		"track_total_hits": true,
		"query":            query,
		"sort":             sortSpec,
		"_source":          map[string]any{"includes": sourceFields},
		"aggs": map[string]any{
			"countries":         termsAgg(q.FacetSize, "countries"),
			"subject_countries": termsAgg(q.FacetSize, "subject_countries"),
			"leaders":           termsAgg(q.FacetSize, "leaders"), // labelled by labelFacets
			"treaties":          termsAgg(q.FacetSize, "treaties"),
			"keywords":          termsAgg(q.FacetSize, "keywords"),
			"sources":           termsAgg(q.FacetSize, "source"),
			"days": map[string]any{"date_histogram": map[string]any{
				"field":             "published",
				"calendar_interval": "day",
				"time_zone":         "UTC",
				"format":            "yyyy-MM-dd",
				"min_doc_count":     1,
			}},
		},
		"highlight": map[string]any{
			"encoder":   "html",
			"pre_tags":  []string{"<mark>"},
			"post_tags": []string{"</mark>"},
			"fields":    map[string]any{"summary": hlField, "body": hlField},
		},
	}
	if after != nil {
		body["search_after"] = after
	}
	if q.Collapse {
		// Field collapsing: one hit per story, its best by the sort; the
		// inner hits count and name the story's other matching copies.
		// ES 7.10 refuses search_after with collapse, so it pages by from.
		body["collapse"] = map[string]any{
			"field": "story",
			"inner_hits": map[string]any{
				"name":    "copies",
				"size":    index.StorySample + 1,
				"_source": map[string]any{"includes": []string{"source"}},
				"sort": []any{
					map[string]any{"published": map[string]any{"order": "asc", "missing": "_first"}},
					map[string]any{"id": map[string]any{"order": "asc"}},
				},
			},
		}
		if off > 0 {
			body["from"] = off
		}
	}
	return body
}

// cursor is the decoded form of Result.NextCursor: the sort it belongs
// to and the sort values of the page's last hit.
type cursor struct {
	Sort      string `json:"s"`
	After     []any  `json:"a,omitempty"`
	Off       int    `json:"o,omitempty"`
	Collapsed bool   `json:"c,omitempty"`
}

func decodeCursor(s, sortName string) ([]any, error) {
	var c cursor
	if err := index.DecodeCursor(s, &c); err != nil {
		return nil, err
	}
	if c.Sort != sortName || c.Collapsed || len(c.After) != 2 {
		return nil, fmt.Errorf("cursor does not belong to a %s search: %w", sortName, index.ErrBadQuery)
	}
	if _, ok := c.After[0].(json.Number); !ok {
		return nil, fmt.Errorf("cursor sort value is not a number: %w", index.ErrBadQuery)
	}
	if id, ok := c.After[1].(string); !ok || id == "" {
		return nil, fmt.Errorf("cursor id is not a string: %w", index.ErrBadQuery)
	}
	return c.After, nil
}

type searchResponse struct {
	Hits struct {
		Total struct {
			Value int `json:"value"`
		} `json:"total"`
		Hits []struct {
			ID        string              `json:"_id"`
			Source    document            `json:"_source"`
			Sort      []any               `json:"sort"`
			Highlight map[string][]string `json:"highlight"`
			InnerHits struct {
				Copies struct {
					Hits struct {
						Total struct {
							Value int `json:"value"`
						} `json:"total"`
						Hits []struct {
							ID     string `json:"_id"`
							Source struct {
								Source string `json:"source"`
							} `json:"_source"`
						} `json:"hits"`
					} `json:"hits"`
				} `json:"copies"`
			} `json:"inner_hits"`
		} `json:"hits"`
	} `json:"hits"`
	Aggregations struct {
		Countries termsResult `json:"countries"`
		Subjects  termsResult `json:"subject_countries"`
		Leaders   termsResult `json:"leaders"`
		Treaties  termsResult `json:"treaties"`
		Keywords  termsResult `json:"keywords"`
		Sources   termsResult `json:"sources"`
		Days      struct {
			Buckets []struct {
				KeyAsString string `json:"key_as_string"`
				DocCount    int    `json:"doc_count"`
			} `json:"buckets"`
		} `json:"days"`
	} `json:"aggregations"`
}

type termsResult struct {
	Buckets []struct {
		Key      string `json:"key"`
		DocCount int    `json:"doc_count"`
		Label    struct {
			Hits struct {
				Hits []struct {
					Source document `json:"_source"`
				} `json:"hits"`
			} `json:"hits"`
		} `json:"label"`
	} `json:"buckets"`
}

// buckets converts a terms aggregation; label, when set, names a key from
// the bucket's sample document.
func (r termsResult) buckets(label func(d *document, key string) string) []index.Bucket {
	out := make([]index.Bucket, 0, len(r.Buckets))
	for _, b := range r.Buckets {
		ib := index.Bucket{Key: b.Key, Count: b.DocCount}
		if label != nil && len(b.Label.Hits.Hits) > 0 {
			ib.Label = label(&b.Label.Hits.Hits[0].Source, b.Key)
		}
		out = append(out, ib)
	}
	return out
}

func parallelName(ids, names []string, key string) string {
	for i, id := range ids {
		if id == key && i < len(names) {
			return names[i]
		}
	}
	return ""
}

func refs(ids, names []string) []index.EntityRef {
	out := make([]index.EntityRef, 0, len(ids))
	for i, id := range ids {
		r := index.EntityRef{ID: id}
		if i < len(names) {
			r.Name = names[i]
		}
		out = append(out, r)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Search answers one query from the read alias.
func (s *Store) Search(ctx context.Context, q index.Query) (index.Result, error) {
	if err := q.Normalize(); err != nil {
		return index.Result{}, fmt.Errorf("search: %w", err)
	}
	var after []any
	off := 0
	if q.Cursor != "" {
		var err error
		if q.Collapse {
			off, err = index.DecodeCollapsedCursor(q.Cursor, q.Sort)
		} else {
			after, err = decodeCursor(q.Cursor, q.Sort)
		}
		if err != nil {
			return index.Result{}, fmt.Errorf("search: %w", err)
		}
	}
	body, err := json.Marshal(searchBody(q, after, off))
	if err != nil {
		return index.Result{}, fmt.Errorf("search: encode query: %w", err)
	}
	res, err := s.es.Search(
		s.es.Search.WithContext(ctx),
		s.es.Search.WithIndex(s.names.ReadAlias),
		s.es.Search.WithBody(bytes.NewReader(body)),
	)
	if err != nil {
		return index.Result{}, fmt.Errorf("search: %w: %w", index.ErrTransient, err)
	}
	var sr searchResponse
	if err := decode(res, &sr); err != nil {
		var ee *esError
		if errors.As(err, &ee) && ee.Status == http.StatusBadRequest && q.Cursor != "" {
			// The cursor decoded but the engine refused its values.
			return index.Result{}, fmt.Errorf("search: %w: %w", index.ErrBadQuery, err)
		}
		return index.Result{}, fmt.Errorf("search: %w", err)
	}
	out := index.Result{Total: sr.Hits.Total.Value, Hits: make([]index.Hit, 0, min(len(sr.Hits.Hits), q.Size))}
	for i, h := range sr.Hits.Hits {
		if i == q.Size {
			if q.Collapse {
				if off+q.Size <= index.MaxCollapsedOffset {
					out.NextCursor = index.CollapsedCursor(q.Sort, off+q.Size)
				}
			} else {
				out.NextCursor = index.EncodeCursor(cursor{Sort: q.Sort, After: sr.Hits.Hits[q.Size-1].Sort})
			}
			break
		}
		d := &h.Source
		var story *index.HitStory
		if d.Story != "" && !strings.HasPrefix(d.Story, "article:") {
			story = &index.HitStory{ID: d.Story}
			if q.Collapse {
				copies := &h.InnerHits.Copies.Hits
				story.Copies = max(0, copies.Total.Value-1)
				var others []string
				for _, c := range copies.Hits {
					if c.ID != h.ID && len(others) < index.StorySample {
						others = append(others, c.Source.Source)
					}
				}
				story.Sources = index.StorySourceList(others)
			}
		}
		out.Hits = append(out.Hits, index.Hit{
			Story:     story,
			ID:        h.ID,
			Title:     d.Title,
			URL:       d.URL,
			Source:    d.Source,
			Published: d.Published,
			Countries: nonNil(d.Countries),
			Leaders:   refs(d.Leaders, d.LeaderNames),
			Treaties:  refs(d.Treaties, d.TreatyNames),
			Keywords:  nonNil(d.Keywords),
			Snippet:   pickSnippet(h.Highlight),
		})
	}
	ag := &sr.Aggregations
	out.Facets = index.Facets{
		Countries:        ag.Countries.buckets(nil),
		SubjectCountries: ag.Subjects.buckets(nil),
		Leaders:          ag.Leaders.buckets(nil),
		Treaties:         ag.Treaties.buckets(nil),
		Keywords:         ag.Keywords.buckets(nil),
		Sources:          ag.Sources.buckets(nil),
		Days:             make([]index.Bucket, 0, len(ag.Days.Buckets)),
	}
	for _, b := range ag.Days.Buckets {
		out.Facets.Days = append(out.Facets.Days, index.Bucket{Key: b.KeyAsString, Count: b.DocCount})
	}
	if err := s.labelFacets(ctx, &out.Facets); err != nil {
		return index.Result{}, fmt.Errorf("search: %w", err)
	}
	return out, nil
}

// pickSnippet prefers a summary fragment with a match, then a body
// fragment with one, then the start of the summary, then of the body —
// the embedded engine's order.
func pickSnippet(hl map[string][]string) string {
	first := func(f string) string {
		if len(hl[f]) > 0 {
			return hl[f][0]
		}
		return ""
	}
	for _, f := range []string{"summary", "body"} {
		if s := first(f); strings.Contains(s, "<mark>") {
			return s
		}
	}
	if s := first("summary"); s != "" {
		return s
	}
	return first("body")
}
