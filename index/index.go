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
	"slices"
	"strings"
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
// filter kind must all match (AND) unless the kind is listed in Any (OR); the text follows the syntax of
// ParseText. From and To bound the published time, both inclusive; a zero
// value leaves that side open.
type Query struct {
	Text      string
	Countries []string // ISO 3166-1 alpha-2 codes
	// SubjectCountries are countries the article must be about: tagged
	// with role subject (see SubjectCountries), not only as a venue or a
	// passing mention.
	SubjectCountries []string
	Leaders          []string // leader ids
	Treaties         []string // treaty ids
	Keywords         []string // lower-case alert words
	Sources          []string
	Story            string // only the copies of this story (StoryKey)
	From, To         time.Time
	Sort             string // SortRelevance (default) or SortNewest
	Size             int    // DefaultSize when 0, at most MaxSize
	Cursor           string // NextCursor of the previous page
	// Entities are mentions of catalogued entities read from the query
	// (the API reads them with the tagger; Text then holds the rest).
	// Each must match: by tag, which ranks higher, or by its words.
	Entities []Mention
	// Exclude removes articles tagged with any of its values.
	Exclude Filters
	// Any lists the filter kinds (KindCountries, …) whose values need
	// only one to match (OR) rather than all (AND).
	Any []string
	// FacetSize is the number of buckets per facet (Days excepted):
	// FacetSize when 0, at most MaxFacetSize.
	FacetSize int
	// Collapse returns one hit per story: its best copy by the sort
	// order, with the number and sources of its other matching copies.
	// Total and Facets still count every matching article. A collapsed
	// search pages by offset, up to MaxCollapsedOffset.
	Collapse bool
}

// MaxCollapsedOffset bounds how deep a collapsed search may page (the
// engines' result window).
const MaxCollapsedOffset = 10000 - MaxSize - 1

// StoryKey is the value a store keeps for grouping copies: the story id,
// or for an article without one its own id, so that it stands alone.
func StoryKey(e *article.Enriched) string {
	if e.Story != nil && e.Story.ID != "" {
		return e.Story.ID
	}
	return "article:" + e.ID
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
	// Story is set when the article belongs to a story; Copies and
	// Sources only in a collapsed search.
	Story *HitStory `json:"story,omitempty"`
}

// HitStory tells a hit's story and, in a collapsed search, its other
// copies matching the query.
type HitStory struct {
	ID string `json:"id"`
	// Copies is the number of other matching copies.
	Copies int `json:"copies"`
	// Sources names the sources of the other copies: distinct, in order
	// of first publication, at most StorySources, drawn from the first
	// StorySample copies.
	Sources []string `json:"sources,omitempty"`
}

// Bounds of HitStory.Sources.
const (
	StorySources = 5
	StorySample  = 10
)

// EntityRef names a tagged entity.
type EntityRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Facets count the matching articles (all of them, not just the page) per
// value. Buckets are ordered by count descending, then key ascending.
type Facets struct {
	Countries []Bucket `json:"countries"`
	// SubjectCountries counts the countries the articles are about
	// (SubjectCountries); Countries counts every tagged country.
	SubjectCountries []Bucket `json:"subject_countries"`
	Leaders          []Bucket `json:"leaders"`
	Treaties         []Bucket `json:"treaties"`
	Keywords         []Bucket `json:"keywords"`
	Sources          []Bucket `json:"sources"`
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

// FacetSize is the default number of buckets returned per facet (Days
// excepted); MaxFacetSize the most a query may ask for.
const (
	FacetSize    = 20
	MaxFacetSize = 200
)

// Filter kinds, as listed in Query.Any.
const (
	KindCountries = "countries"
	KindLeaders   = "leaders"
	KindTreaties  = "treaties"
	KindKeywords  = "keywords"
	KindSources   = "sources"
	// KindSubjectCountries is Query.SubjectCountries (and the facet of
	// the same name).
	KindSubjectCountries = "subject_countries"
)

// Mention is one entity named in a query: its kind (KindCountries,
// KindLeaders or KindTreaties), its id, and the words that named it.
type Mention struct {
	Kind  string `json:"kind"`
	ID    string `json:"id"`
	Words string `json:"words"`
}

// EntityBoost is how much more a tag match of a mentioned entity weighs
// than a match of its words.
const EntityBoost = 3.0

// Filters are values of each filter kind.
type Filters struct {
	Countries        []string
	SubjectCountries []string
	Leaders          []string
	Treaties         []string
	Keywords         []string
	Sources          []string
}

// Any reports whether kind is OR-combined in q.
func (q *Query) AnyOf(kind string) bool { return slices.Contains(q.Any, kind) }

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

// ErrNotFound is wrapped by Get when no article has the id.
var ErrNotFound = errors.New("not found")

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
//
// Get returns one stored article as it was indexed (tags and spans
// included), or an error wrapping ErrNotFound. Timeline answers
// TreatyTimeline.
type Store interface {
	IndexBatch(ctx context.Context, docs []article.Enriched) ([]Rejection, error)
	Search(ctx context.Context, q Query) (Result, error)
	Get(ctx context.Context, id string) (article.Enriched, error)
	Timeline(ctx context.Context, treatyID string) ([]TimelineEntry, error)
	Count(ctx context.Context) (int, error)
	Ping(ctx context.Context) error
	Close() error
}

// TreatyAction is the value stores keep per treaty tag for timelines:
// "treaty id:action", or "" when the tag has no id or action.
func TreatyAction(t article.TreatyTag) string {
	if t.ID == "" || t.Action == "" {
		return ""
	}
	return t.ID + ":" + t.Action
}

// StorySourceList reduces the sources of a story's other copies, in
// order of publication, to HitStory.Sources: distinct, non-empty, at most
// StorySources.
func StorySourceList(sources []string) []string {
	var out []string
	for _, src := range sources {
		if src != "" && !slices.Contains(out, src) && len(out) < StorySources {
			out = append(out, src)
		}
	}
	return out
}

// TimelineEntry is one action on a treaty as the stored articles report
// it: the first article (by published time, then id; undated articles
// last) that tagged the treaty with this action, and how many articles
// and distinct sources did.
type TimelineEntry struct {
	Action   string     `json:"action"`
	First    ArticleRef `json:"first"`
	Articles int        `json:"articles"`
	Sources  int        `json:"sources"`
}

// ArticleRef is a short reference to a stored article.
type ArticleRef struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	URL       string    `json:"url,omitempty"`
	Source    string    `json:"source,omitempty"`
	Published time.Time `json:"published,omitzero"`
}

// TimelineActions is the most actions a timeline lists. "mentioned" is
// not an action and never listed.
const TimelineActions = 50

// SortTimeline orders entries by their first article's published time
// (undated last), then action.
func SortTimeline(es []TimelineEntry) {
	slices.SortFunc(es, func(a, b TimelineEntry) int {
		at, bt := a.First.Published, b.First.Published
		switch {
		case at.IsZero() != bt.IsZero():
			if at.IsZero() {
				return 1
			}
			return -1
		case !at.Equal(bt):
			return at.Compare(bt)
		}
		return strings.Compare(a.Action, b.Action)
	})
}
