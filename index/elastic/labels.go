package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// Facet labels.
//
// A leader or treaty facet bucket is labelled with the entity's name. The
// names live in the documents (leader_names, treaty_names, parallel to
// the ids), and asking the engine for a sample document of every bucket
// in each search costs about as much as two more facets. So the store
// remembers names: those it writes (IndexBatch) and those it looks up;
// a search asks the engine only for the names of bucket keys it does not
// know (fetchLabels), once per labelTTL, so that a corrected name shows
// within that time.

// Bounds of the name cache.
const (
	labelTTL = 10 * time.Minute
	labelCap = 100000 // entries; the cache starts afresh beyond
)

// Entity kinds of the name cache.
const (
	labelLeader = iota
	labelTreaty
)

type labelKey struct {
	kind int
	id   string
}

type labelEntry struct {
	name string
	at   time.Time
}

// labelCache maps entity ids to names. The zero value is ready to use.
type labelCache struct {
	mu sync.Mutex
	m  map[labelKey]labelEntry
}

func (c *labelCache) get(kind int, id string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[labelKey{kind, id}]
	if !ok || now.Sub(e.at) > labelTTL {
		return "", false
	}
	return e.name, true
}

func (c *labelCache) put(kind int, id, name string, now time.Time) {
	if id == "" || name == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= labelCap {
		c.m = make(map[labelKey]labelEntry)
	}
	c.m[labelKey{kind, id}] = labelEntry{name: name, at: now}
}

// remember records the names of the entities of docs.
func (c *labelCache) remember(docs []article.Enriched, now time.Time) {
	for i := range docs {
		for _, l := range docs[i].Tags.Leaders {
			c.put(labelLeader, l.ID, l.Name, now)
		}
		for _, t := range docs[i].Tags.Treaties {
			c.put(labelTreaty, t.ID, t.Name, now)
		}
	}
}

// labelFacets fills in the labels of the leader and treaty buckets of f
// from the cache, asking the engine for the names it lacks.
func (s *Store) labelFacets(ctx context.Context, f *index.Facets) error {
	now := time.Now()
	lists := []struct {
		kind    int
		field   string
		buckets []index.Bucket
	}{{labelLeader, "leaders", f.Leaders}, {labelTreaty, "treaties", f.Treaties}}
	missing := map[string][]string{}
	for _, l := range lists {
		for i := range l.buckets {
			b := &l.buckets[i]
			if name, ok := s.labels.get(l.kind, b.Key, now); ok {
				b.Label = name
			} else {
				missing[l.field] = append(missing[l.field], b.Key)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := s.fetchLabels(ctx, missing, now); err != nil {
		return err
	}
	for _, l := range lists {
		for i := range l.buckets {
			if b := &l.buckets[i]; b.Label == "" {
				b.Label, _ = s.labels.get(l.kind, b.Key, now)
			}
		}
	}
	return nil
}

// labelsBody asks for one document of each of the ids per field
// ("leaders", "treaties"), with its names.
func labelsBody(missing map[string][]string) map[string]any {
	var should []any
	aggs := map[string]any{}
	for _, f := range []struct{ field, names string }{{"leaders", "leader_names"}, {"treaties", "treaty_names"}} {
		ids := missing[f.field]
		if len(ids) == 0 {
			continue
		}
		should = append(should, map[string]any{"terms": map[string]any{f.field: ids}})
		agg := termsAgg(len(ids), f.field, f.field, f.names)
		agg["terms"].(map[string]any)["include"] = ids
		aggs[f.field] = agg
	}
	return map[string]any{
		"size":             0,
		"track_total_hits": false,
		"query":            map[string]any{"bool": map[string]any{"should": should, "minimum_should_match": 1}},
		"aggs":             aggs,
	}
}

// fetchLabels looks up the names of the missing ids and caches them.
func (s *Store) fetchLabels(ctx context.Context, missing map[string][]string, now time.Time) error {
	body, err := json.Marshal(labelsBody(missing))
	if err != nil {
		return fmt.Errorf("encode label lookup: %w", err)
	}
	res, err := s.es.Search(
		s.es.Search.WithContext(ctx),
		s.es.Search.WithIndex(s.names.ReadAlias),
		s.es.Search.WithBody(bytes.NewReader(body)),
	)
	if err != nil {
		return fmt.Errorf("look up facet labels: %w: %w", index.ErrTransient, err)
	}
	var sr struct {
		Aggregations struct {
			Leaders  termsResult `json:"leaders"`
			Treaties termsResult `json:"treaties"`
		} `json:"aggregations"`
	}
	if err := decode(res, &sr); err != nil {
		return fmt.Errorf("look up facet labels: %w", err)
	}
	for _, b := range sr.Aggregations.Leaders.buckets(func(d *document, k string) string { return parallelName(d.Leaders, d.LeaderNames, k) }) {
		s.labels.put(labelLeader, b.Key, b.Label, now)
	}
	for _, b := range sr.Aggregations.Treaties.buckets(func(d *document, k string) string { return parallelName(d.Treaties, d.TreatyNames, k) }) {
		s.labels.put(labelTreaty, b.Key, b.Label, now)
	}
	return nil
}
