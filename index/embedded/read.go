package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// Get returns the stored enriched article with id.
func (s *Store) Get(ctx context.Context, id string) (article.Enriched, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx, err := s.open()
	if err != nil {
		return article.Enriched{}, fmt.Errorf("get article %s: %w", id, err)
	}
	req := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery([]string{id}), 1, 0, false)
	req.Fields = []string{fieldArticle}
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return article.Enriched{}, fmt.Errorf("get article %s: %w", id, err)
	}
	if len(res.Hits) == 0 {
		return article.Enriched{}, fmt.Errorf("get article %s: %w", id, index.ErrNotFound)
	}
	raw, _ := res.Hits[0].Fields[fieldArticle].(string)
	var e article.Enriched
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		return article.Enriched{}, fmt.Errorf("get article %s: decode stored article: %w", id, err)
	}
	return e, nil
}

// Timeline lists the actions reported on a treaty.
func (s *Store) Timeline(ctx context.Context, treatyID string) ([]index.TimelineEntry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx, err := s.open()
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", treatyID, err)
	}
	term := func(field, v string) query.Query {
		q := bleve.NewTermQuery(v)
		q.SetField(field)
		return q
	}
	req := bleve.NewSearchRequestOptions(term(fieldTreaties, treatyID), 0, 0, false)
	req.AddFacet("actions", bleve.NewFacetRequest(fieldActions, 1000))
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", treatyID, err)
	}
	out := []index.TimelineEntry{}
	fr := res.Facets["actions"]
	if fr == nil || fr.Terms == nil {
		return out, nil
	}
	prefix := treatyID + ":"
	for _, t := range fr.Terms.Terms() {
		action, ok := strings.CutPrefix(t.Term, prefix)
		if !ok || action == "" || action == "mentioned" || len(out) == index.TimelineActions {
			continue
		}
		e := index.TimelineEntry{Action: action, Articles: t.Count}
		aq := term(fieldActions, t.Term)
		// Sources: the distinct values of the source facet.
		sreq := bleve.NewSearchRequestOptions(aq, 0, 0, false)
		sreq.AddFacet("sources", bleve.NewFacetRequest(fieldSource, 100000))
		sres, err := idx.SearchInContext(ctx, sreq)
		if err != nil {
			return nil, fmt.Errorf("timeline of %s: %w", treatyID, err)
		}
		if f := sres.Facets["sources"]; f != nil && f.Terms != nil {
			e.Sources = len(f.Terms.Terms())
		}
		// The first report: dated articles first, oldest first.
		dated := bleve.NewNumericRangeQuery(ptr(float64(missingPublished)+1), nil)
		dated.SetField(fieldPubSort)
		for _, q := range []query.Query{bleve.NewConjunctionQuery(aq, dated), aq} {
			freq := bleve.NewSearchRequestOptions(q, 1, 0, false)
			freq.Fields = []string{fieldDisplay}
			freq.SortByCustom(search.SortOrder{
				&search.SortField{Field: fieldPubSort, Type: search.SortFieldAsNumber},
				&search.SortDocID{},
			})
			fres, err := idx.SearchInContext(ctx, freq)
			if err != nil {
				return nil, fmt.Errorf("timeline of %s: %w", treatyID, err)
			}
			if len(fres.Hits) > 0 {
				h := toHit(fres.Hits[0], nil)
				e.First = index.ArticleRef{ID: h.ID, Title: h.Title, URL: h.URL, Source: h.Source, Published: h.Published}
				break
			}
		}
		out = append(out, e)
	}
	index.SortTimeline(out)
	return out, nil
}

func ptr[T any](v T) *T { return &v }
