package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// Get returns the stored enriched article with id from the read alias
// (an ids query: a plain GET does not span the indices of an alias).
func (s *Store) Get(ctx context.Context, id string) (article.Enriched, error) {
	body, err := json.Marshal(map[string]any{
		"size":    1,
		"query":   map[string]any{"ids": map[string]any{"values": []string{id}}},
		"_source": map[string]any{"includes": []string{"article"}},
	})
	if err != nil {
		return article.Enriched{}, fmt.Errorf("get article %s: encode query: %w", id, err)
	}
	var sr struct {
		Hits struct {
			Hits []struct {
				Source struct {
					Article *article.Enriched `json:"article"`
				} `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := s.rawSearch(ctx, body, &sr); err != nil {
		return article.Enriched{}, fmt.Errorf("get article %s: %w", id, err)
	}
	if len(sr.Hits.Hits) == 0 || sr.Hits.Hits[0].Source.Article == nil {
		return article.Enriched{}, fmt.Errorf("get article %s: %w", id, index.ErrNotFound)
	}
	return *sr.Hits.Hits[0].Source.Article, nil
}

func (s *Store) rawSearch(ctx context.Context, body []byte, out any) error {
	res, err := s.es.Search(
		s.es.Search.WithContext(ctx),
		s.es.Search.WithIndex(s.names.ReadAlias),
		s.es.Search.WithBody(bytes.NewReader(body)),
	)
	if err != nil {
		return fmt.Errorf("%w: %w", index.ErrTransient, err)
	}
	return decode(res, out)
}

// regexpQuote escapes every character that is not a letter or digit for
// a Lucene regular expression.
func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// timelineBody asks, among the articles tagged with the treaty, for each
// "treaty:action" value its article count, distinct sources and oldest
// article.
func timelineBody(treatyID string) map[string]any {
	return map[string]any{
		"size":             0,
		"track_total_hits": false,
		"query":            map[string]any{"bool": map[string]any{"filter": []any{map[string]any{"term": map[string]any{"treaties": treatyID}}}}},
		"aggs": map[string]any{"actions": map[string]any{
			"terms": map[string]any{
				"field":   "treaty_actions",
				"include": regexpQuote(treatyID+":") + ".+",
				"size":    index.TimelineActions + 1, // "mentioned" is dropped
			},
			"aggs": map[string]any{
				"sources": map[string]any{"cardinality": map[string]any{"field": "source", "precision_threshold": 40000}},
				"first": map[string]any{"top_hits": map[string]any{
					"size": 1,
					"sort": []any{
						map[string]any{"published": map[string]any{"order": "asc", "missing": "_last"}},
						map[string]any{"id": map[string]any{"order": "asc"}},
					},
					"_source": map[string]any{"includes": []string{"id", "title", "url", "source", "published"}},
				}},
			},
		}},
	}
}

// Timeline lists the actions reported on a treaty.
func (s *Store) Timeline(ctx context.Context, treatyID string) ([]index.TimelineEntry, error) {
	body, err := json.Marshal(timelineBody(treatyID))
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: encode query: %w", treatyID, err)
	}
	var sr struct {
		Aggregations struct {
			Actions struct {
				Buckets []struct {
					Key      string `json:"key"`
					DocCount int    `json:"doc_count"`
					Sources  struct {
						Value int `json:"value"`
					} `json:"sources"`
					First struct {
						Hits struct {
							Hits []struct {
								ID     string   `json:"_id"`
								Source document `json:"_source"`
							} `json:"hits"`
						} `json:"hits"`
					} `json:"first"`
				} `json:"buckets"`
			} `json:"actions"`
		} `json:"aggregations"`
	}
	if err := s.rawSearch(ctx, body, &sr); err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", treatyID, err)
	}
	out := []index.TimelineEntry{}
	for _, b := range sr.Aggregations.Actions.Buckets {
		action := strings.TrimPrefix(b.Key, treatyID+":")
		if action == "mentioned" || len(out) == index.TimelineActions {
			continue
		}
		e := index.TimelineEntry{Action: action, Articles: b.DocCount, Sources: b.Sources.Value}
		if hs := b.First.Hits.Hits; len(hs) > 0 {
			d := &hs[0].Source
			e.First = index.ArticleRef{ID: hs[0].ID, Title: d.Title, URL: d.URL, Source: d.Source, Published: d.Published}
		}
		out = append(out, e)
	}
	index.SortTimeline(out)
	return out, nil
}
