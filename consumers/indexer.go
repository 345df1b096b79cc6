package consumers

import (
	"context"
	"fmt"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// BatchIndexer writes enriched articles to a search store. Both index
// stores implement it. See index.Store for the meaning of rejections and
// errors: rejections are poison, an error retries the whole batch.
type BatchIndexer interface {
	IndexBatch(ctx context.Context, docs []article.Enriched) ([]index.Rejection, error)
}

// Indexer is the stage news.enriched → search store. It produces no
// records; its durable write is the store's acknowledgement.
type Indexer struct {
	store  BatchIndexer
	limits article.Limits
}

// NewIndexer builds the indexer stage.
func NewIndexer(store BatchIndexer, limits article.Limits) *Indexer {
	return &Indexer{store: store, limits: limits}
}

// Process implements Stage.
func (x *Indexer) Process(ctx context.Context, batch []Record) ([]Result, error) {
	res := make([]Result, len(batch))
	docs := make([]article.Enriched, 0, len(batch))
	pos := make([]int, 0, len(batch)) // docs[i] came from batch[pos[i]]
	// Within one batch keep only the last record of each id: the store
	// would keep the newest version anyway, and one bulk request must not
	// carry the same id twice.
	last := make(map[string]int, len(batch))
	decoded := make([]article.Enriched, len(batch))
	for i, m := range batch {
		e, err := article.DecodeEnriched(m.Value, x.limits)
		if err != nil {
			res[i].Err = fmt.Errorf("%w: decode enriched article: %w", ErrPoison, err)
			continue
		}
		decoded[i] = e
		res[i].Ingested = e.Ingested
		res[i].Handled = true
		if j, ok := last[e.ID]; ok && decoded[j].VersionTime().After(e.VersionTime()) {
			continue
		}
		last[e.ID] = i
	}
	for i := range batch {
		if res[i].Err == nil && last[decoded[i].ID] == i {
			docs = append(docs, decoded[i])
			pos = append(pos, i)
		}
	}
	if len(docs) == 0 {
		return res, nil
	}
	rejected, err := x.store.IndexBatch(ctx, docs)
	if err != nil {
		return nil, fmt.Errorf("index batch of %d: %w", len(docs), err)
	}
	for _, r := range rejected {
		if r.Index < 0 || r.Index >= len(pos) {
			return nil, fmt.Errorf("store rejected item %d of a batch of %d", r.Index, len(pos))
		}
		res[pos[r.Index]].Err = fmt.Errorf("%w: store rejected document %s: %s", ErrPoison, r.ID, r.Reason)
	}
	return res, nil
}
