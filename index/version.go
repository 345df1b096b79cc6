package index

import "github.com/newswire/newswire/article"

// DocVersion is the version both engines store with a document: the
// article's VersionTime in Unix milliseconds, with times before 1970 (and
// a missing time) counted as 0, since Elasticsearch external versions
// cannot be negative. A document is replaced only by one of the same or a
// higher version.
func DocVersion(a *article.Article) int64 {
	t := a.VersionTime()
	if t.IsZero() {
		return 0
	}
	return max(t.UnixMilli(), 0)
}
