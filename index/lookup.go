package index

import "context"

// VersionReader looks documents up by id. Both engines implement it; the
// audit uses it to prove that what was published is searchable.
//
// Versions returns the version (DocVersion) stored for each of ids that is
// in the store and searchable; ids not found are absent from the map.
// Errors wrap ErrTransient when a retry may help.
type VersionReader interface {
	Versions(ctx context.Context, ids []string) (map[string]int64, error)
}
