package embedded

import (
	"context"
	"errors"
	"fmt"

	bleveindex "github.com/blevesearch/bleve_index_api"

	"github.com/newswire/newswire/index"
)

var _ index.VersionReader = (*Store)(nil)

// Versions returns the stored version of each id found (see
// index.VersionReader). The version is a stored field of the document,
// so a stored version means a searchable document.
func (s *Store) Versions(ctx context.Context, ids []string) (map[string]int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx, err := s.open()
	if err != nil {
		return nil, fmt.Errorf("read versions: %w", err)
	}
	r, err := reader(idx)
	if err != nil {
		return nil, fmt.Errorf("read versions: %w", err)
	}
	out, err := readVersions(ctx, r, ids)
	return out, errors.Join(err, r.Close())
}

func readVersions(ctx context.Context, r bleveindex.IndexReader, ids []string) (map[string]int64, error) {
	out := make(map[string]int64, len(ids))
	for i, id := range ids {
		if i%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("read versions: %w", err)
			}
		}
		v, ok, err := storedVersion(r, id)
		if err != nil {
			return nil, fmt.Errorf("read version of %s: %w", id, err)
		}
		if ok {
			out[id] = v
		}
	}
	return out, nil
}
