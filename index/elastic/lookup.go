package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/newswire/newswire/index"
)

var _ index.VersionReader = (*Store)(nil)

// versionsChunk is how many ids one lookup request carries.
const versionsChunk = 1000

// Versions returns the stored version of each id found (see
// index.VersionReader): an ids query on the read alias, so it sees every
// index behind the alias and only documents already searchable
// (refreshed). An id found in more than one index counts at its highest
// version.
func (s *Store) Versions(ctx context.Context, ids []string) (map[string]int64, error) {
	out := make(map[string]int64, len(ids))
	for start := 0; start < len(ids); start += versionsChunk {
		chunk := ids[start:min(start+versionsChunk, len(ids))]
		body, err := json.Marshal(map[string]any{
			"query":            map[string]any{"ids": map[string]any{"values": chunk}},
			"version":          true,
			"_source":          false,
			"size":             len(chunk) * 4, // an id may sit in several indices after a rollover
			"track_total_hits": false,
		})
		if err != nil {
			return nil, fmt.Errorf("read versions: encode query: %w", err)
		}
		res, err := s.es.Search(
			s.es.Search.WithContext(ctx),
			s.es.Search.WithIndex(s.names.ReadAlias),
			s.es.Search.WithBody(bytes.NewReader(body)),
		)
		if err != nil {
			return nil, fmt.Errorf("read versions: %w: %w", index.ErrTransient, err)
		}
		var sr struct {
			Hits struct {
				Hits []struct {
					ID      string `json:"_id"`
					Version int64  `json:"_version"`
				} `json:"hits"`
			} `json:"hits"`
		}
		if err := decode(res, &sr); err != nil {
			return nil, fmt.Errorf("read versions: %w", err)
		}
		for _, h := range sr.Hits.Hits {
			if v, ok := out[h.ID]; !ok || h.Version > v {
				out[h.ID] = h.Version
			}
		}
	}
	return out, nil
}
