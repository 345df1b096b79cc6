// Package index owns newswire's search-store contract and its two
// implementations: Elasticsearch (production, package index/elastic) and an
// embedded on-disk Bleve index (all-in-one mode, package index/embedded).
//
// Both engines answer the same Query with the same Result; the conformance
// suite in index/indextest proves it. Writes are idempotent: the document id
// is the article id, and a document is replaced only by a version whose
// VersionTime is the same or newer, so redelivery and replays never let an
// older version overwrite a newer one.
//
// This package never imports kafka-go.
package index

import (
	"context"
	"errors"
	"time"

	"github.com/newswire/newswire/article"
)

// Sort orders of a search.
const (
	SortRelevance = "relevance"
	SortNewest    = "newest"
)

// Size limits of a search page.
const (
	DefaultSize = 20
	MaxSize     = 100
)

// Query is one search: free text plus filters. Repeated values of one
// filter kind must all match (AND); the text follows the syntax of
// ParseText. From and To bound the published time, both inclusive; a zero
// value leaves that side open.
type Query struct {
	Text      string
	Countries []string // ISO 3166-1 alpha-2 codes
	Leaders   []string // leader ids
	Treaties  []string // treaty ids
	Keywords  []string // lower-case alert words
	Sources   []string
	From, To  time.Time
	Sort      string // SortRelevance (default) or SortNewest
	Size      int    // DefaultSize when 0, at most MaxSize
	Cursor    string // NextCursor of the previous page
}

// Result is one page of answers.
type Result struct {
	Total      int    `json:"total"`
	Hits       []Hit  `json:"hits"`
	Facets     Facets `json:"facets"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Hit is one matching article as shown in a result list.
type Hit struct {
	ID        string      `json:"id"`
	Title     string      `json:"title"`
	URL       string      `json:"url"`
	Source    string      `json:"source"`
	Published time.Time   `json:"published,omitzero"`
	Countries []string    `json:"countries"`
	Leaders   []EntityRef `json:"leaders"`
	Treaties  []EntityRef `json:"treaties"`
	Keywords  []string    `json:"keywords"`
	// Snippet is HTML: article text escaped, with the matched words
	// wrapped in <mark>…</mark> and nothing else unescaped.
	Snippet string `json:"snippet"`
}

// EntityRef names a tagged entity.
type EntityRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Facets count the matching articles (all of them, not just the page) per
// value. Buckets are ordered by count descending, then key ascending.
type Facets struct {
	Countries []Bucket `json:"countries"`
	Leaders   []Bucket `json:"leaders"`
	Treaties  []Bucket `json:"treaties"`
	Keywords  []Bucket `json:"keywords"`
	Sources   []Bucket `json:"sources"`
	// Days is a date histogram: articles per published day (key
	// YYYY-MM-DD, UTC), in ascending date order, empty days omitted.
	Days []Bucket `json:"days"`
}

// Bucket is one facet value.
type Bucket struct {
	Key   string `json:"key"`
	Label string `json:"label,omitempty"`
	Count int    `json:"count"`
}

// FacetSize is the number of buckets returned per facet (Days excepted).
const FacetSize = 20

// Rejection is a document the store refused for a reason that retrying
// will not fix (a mapping or parse error): the caller sends it to the
// dead-letter topic.
type Rejection struct {
	Index  int    // position in the batch
	ID     string // article id
	Reason string
}

// ErrTransient is wrapped by errors that a retry may fix: the store is
// unreachable, overloaded (429) or failing (5xx).
var ErrTransient = errors.New("transient store error")

// ErrBadQuery is wrapped by Search errors caused by the query itself (a bad
// cursor, say): the API answers 400.
var ErrBadQuery = errors.New("bad query")

// Store is the contract both engines implement.
//
// IndexBatch writes every document or reports why not. Rejections list the
// documents refused for good; a non-nil error (wrapping ErrTransient when a
// retry may help) means the batch, or part of it, was not written and the
// whole batch must be retried — a retry is harmless because writes are
// idempotent. A version conflict (an equal or newer version is stored)
// counts as success.
type Store interface {
	IndexBatch(ctx context.Context, docs []article.Enriched) ([]Rejection, error)
	Search(ctx context.Context, q Query) (Result, error)
	Count(ctx context.Context) (int, error)
	Ping(ctx context.Context) error
	Close() error
}
