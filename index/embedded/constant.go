package embedded

import (
	"context"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bleveindex "github.com/blevesearch/bleve_index_api"
)

// constantQuery matches what its inner query matches, every document
// with the same score, as a match-all query would give it: the filters of
// a search with no text, used as its required clause so that the search
// walks only the filtered documents rather than all of them (Bleve
// applies a filter clause to the documents its other clauses yield).
type constantQuery struct{ inner query.Query }

func (q constantQuery) Searcher(ctx context.Context, r bleveindex.IndexReader, m mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	inner, err := q.inner.Searcher(ctx, r, m, search.SearcherOptions{Score: "none"})
	if err != nil {
		return nil, err
	}
	return &constantSearcher{Searcher: inner, norm: 1}, nil
}

// constantSearcher scores each match of the wrapped searcher as Bleve's
// match-all searcher does: weight 1, score the query norm.
type constantSearcher struct {
	search.Searcher
	norm float64
}

func (s *constantSearcher) score(d *search.DocumentMatch) *search.DocumentMatch {
	if d != nil {
		d.Score = s.norm
		d.Expl = nil
	}
	return d
}

func (s *constantSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	d, err := s.Searcher.Next(ctx)
	return s.score(d), err
}

func (s *constantSearcher) Advance(ctx *search.SearchContext, id bleveindex.IndexInternalID) (*search.DocumentMatch, error) {
	d, err := s.Searcher.Advance(ctx, id)
	return s.score(d), err
}

func (s *constantSearcher) Weight() float64 { return 1 }

func (s *constantSearcher) SetQueryNorm(n float64) { s.norm = n }
