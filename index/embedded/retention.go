package embedded

import (
	"context"
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2"
	"go.uber.org/zap"
)

// retentionBatch is how many articles DeleteOlderThan removes per batch.
const retentionBatch = 1000

// DeleteOlderThan is the embedded store's retention, the counterpart of
// the Elasticsearch store's generation retention: it deletes every article
// published before cutoff (its version is a field of the document), in batches, and
// returns how many it deleted. Articles without a published time are
// kept. Writes wait while a batch is applied; search answers throughout.
func (s *Store) DeleteOlderThan(ctx context.Context, cutoff time.Time) (int, error) {
	end := float64(cutoff.UTC().Truncate(time.Millisecond).UnixMilli())
	start := float64(missingPublished + 1)
	deleted := 0
	for {
		if err := ctx.Err(); err != nil {
			return deleted, fmt.Errorf("delete old articles: %w", err)
		}
		n, err := s.deleteBatchBefore(ctx, start, end)
		deleted += n
		if err != nil {
			return deleted, err
		}
		if n < retentionBatch {
			break
		}
	}
	if deleted > 0 {
		s.log.Info("old articles deleted", zap.Int("deleted", deleted), zap.Time("published_before", cutoff))
	}
	return deleted, nil
}

// deleteBatchBefore deletes up to retentionBatch articles whose published
// sort key is in [start, end).
func (s *Store) deleteBatchBefore(ctx context.Context, start, end float64) (int, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx, err := s.open()
	if err != nil {
		return 0, fmt.Errorf("delete old articles: %w", err)
	}
	incl, excl := true, false
	q := bleve.NewNumericRangeInclusiveQuery(&start, &end, &incl, &excl)
	q.SetField(fieldPubSort)
	req := bleve.NewSearchRequestOptions(q, retentionBatch, 0, false)
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("delete old articles: find them: %w", err)
	}
	if len(res.Hits) == 0 {
		return 0, nil
	}
	batch := idx.NewBatch()
	for _, h := range res.Hits {
		batch.Delete(h.ID)
	}
	if err := idx.Batch(batch); err != nil {
		return 0, fmt.Errorf("delete old articles: %w", err)
	}
	return len(res.Hits), nil
}
