package embedded

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/newswire/newswire/index"
)

var _ index.VersionReader = (*Store)(nil)

// Versions returns the stored version of each id found (see
// index.VersionReader). The version is written in the same batch as the
// document, so a stored version means a searchable document.
func (s *Store) Versions(ctx context.Context, ids []string) (map[string]int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx, err := s.open()
	if err != nil {
		return nil, fmt.Errorf("read versions: %w", err)
	}
	out := make(map[string]int64, len(ids))
	for i, id := range ids {
		if i%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("read versions: %w", err)
			}
		}
		b, err := idx.GetInternal([]byte(prefixVersion + id))
		if err != nil {
			return nil, fmt.Errorf("read version of %s: %w", id, err)
		}
		if len(b) == 8 {
			out[id] = int64(binary.BigEndian.Uint64(b))
		}
	}
	return out, nil
}
