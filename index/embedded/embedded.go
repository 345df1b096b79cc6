// Package embedded is the search store of the all-in-one mode: a Bleve
// index on local disk that implements index.Store with the same answers as
// the Elasticsearch store (the conformance suite in index/indextest holds
// both to it).
//
// Contract:
//   - Open creates the index under a directory or reopens the one there;
//     data survives a restart. An index built with another field layout is
//     refused rather than silently misread.
//   - IndexBatch applies one Bleve batch per call, under a per-Store lock:
//     a document replaces the stored one only when its version
//     (index.DocVersion: the article's VersionTime in milliseconds) is
//     the same or newer, so redelivery and replays are harmless. The
//     version is a stored field of its document (see versions.go), so it
//     is written and deleted with the document; entity names are kept in
//     the index's internal key space, written in the same batch. An index
//     from an earlier build that kept versions as internal values is
//     migrated once at Open.
//   - Search follows index.ParseText: every term must match in title,
//     summary or body (English stemming), phrases must match as adjacent
//     words, exclusions remove hits; filters and the published range are a
//     conjunction; in a relevance search an article that has a country
//     the query asks for as a subject scores index.SubjectBoost more; From and To are inclusive instants, and published times
//     are kept to the millisecond as in Elasticsearch. Facets count all
//     matches; snippets are built from the stored summary and body,
//     escaped like Elasticsearch's html encoder.
//   - IndexBatch returns once the batch is persisted (Bleve's default), so
//     a caller may commit its offsets right after.
package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bleveindex "github.com/blevesearch/bleve_index_api"
	"go.uber.org/zap"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// Keys in the index's internal key space.
const (
	internalMapping = "newswire:mapping"
	prefixVersion   = "v\x00"           // + article id → 8-byte big-endian version; earlier builds only, moved at Open
	prefixLeader    = "l\x00leader\x00" // + leader id → name
	prefixTreaty    = "l\x00treaty\x00" // + treaty id → name
)

// missingPublished is the sort key of an article without a published
// time: lower than any real time, so such articles come last in newest
// order (as Elasticsearch's missing: _last does).
const missingPublished = -(1 << 53)

// dayFacetSize bounds the date histogram; far more days than any index
// of this mode holds.
const dayFacetSize = 100000

// snippetLen is the approximate length of a snippet in characters.
const snippetLen = 200

// Store is an on-disk Bleve index. It is safe for concurrent use.
type Store struct {
	log      *zap.Logger
	path     string
	analyzer analysis.Analyzer

	writeMu sync.Mutex // one IndexBatch at a time: version reads and writes stay consistent

	mu     sync.RWMutex // guards idx against Close
	idx    bleve.Index
	closed bool
}

var _ index.Store = (*Store)(nil)

// Open opens the index under dir, creating dir and the index when absent.
func Open(dir string, log *zap.Logger) (*Store, error) {
	if log == nil {
		log = zap.NewNop()
	}
	log = log.With(zap.String("component", "index.embedded"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create index dir: %w", err)
	}
	path := filepath.Join(dir, "articles.bleve")
	var idx bleve.Index
	_, statErr := os.Stat(filepath.Join(path, "index_meta.json"))
	switch {
	case statErr == nil:
		var err error
		idx, err = bleve.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open index %s: %w", path, err)
		}
		v, err := idx.GetInternal([]byte(internalMapping))
		if err != nil {
			return nil, errors.Join(fmt.Errorf("read index layout: %w", err), idx.Close())
		}
		if string(v) != mappingVersion {
			return nil, errors.Join(fmt.Errorf("index %s has layout %q, this build needs %q: move it away and replay the enriched topic to rebuild it", path, v, mappingVersion), idx.Close())
		}
		vl, err := idx.GetInternal([]byte(internalVersions))
		if err != nil {
			return nil, errors.Join(fmt.Errorf("read version layout: %w", err), idx.Close())
		}
		if string(vl) != versionsInDocs {
			if _, err := migrateVersions(idx, log); err != nil {
				return nil, errors.Join(fmt.Errorf("move versions into documents of %s: %w", path, err), idx.Close())
			}
		}
		sl, err := idx.GetInternal([]byte(internalSubjects))
		if err != nil {
			return nil, errors.Join(fmt.Errorf("read subject layout: %w", err), idx.Close())
		}
		if string(sl) != subjectsIndexed {
			if _, err := migrateSubjects(idx, log); err != nil {
				return nil, errors.Join(fmt.Errorf("index subject countries of %s: %w", path, err), idx.Close())
			}
		}
	case errors.Is(statErr, os.ErrNotExist):
		m, err := buildMapping()
		if err != nil {
			return nil, fmt.Errorf("build index mapping: %w", err)
		}
		idx, err = bleve.New(path, m)
		if err != nil {
			return nil, fmt.Errorf("create index %s: %w", path, err)
		}
		b := idx.NewBatch()
		b.SetInternal([]byte(internalMapping), []byte(mappingVersion))
		b.SetInternal([]byte(internalVersions), []byte(versionsInDocs))
		b.SetInternal([]byte(internalSubjects), []byte(subjectsIndexed))
		if err := idx.Batch(b); err != nil {
			return nil, errors.Join(fmt.Errorf("record index layout: %w", err), idx.Close())
		}
	default:
		return nil, fmt.Errorf("open index %s: %w", path, statErr)
	}
	an := idx.Mapping().AnalyzerNamed(textAnalyzer)
	if an == nil {
		return nil, errors.Join(fmt.Errorf("open index %s: analyzer %s missing", path, textAnalyzer), idx.Close())
	}
	log.Debug("index open", zap.String("path", path))
	return &Store{log: log, path: path, idx: idx, analyzer: an}, nil
}

// index returns the open index or an error once closed. The caller holds
// s.mu for reading.
func (s *Store) open() (bleve.Index, error) {
	if s.closed {
		return nil, errors.New("embedded index is closed")
	}
	return s.idx, nil
}

// display is what a hit shows, stored as one JSON value per document.
type display struct {
	Title     string            `json:"title,omitempty"`
	URL       string            `json:"url,omitempty"`
	Source    string            `json:"source,omitempty"`
	Published time.Time         `json:"published,omitzero"`
	Countries []string          `json:"countries,omitempty"`
	Leaders   []index.EntityRef `json:"leaders,omitempty"`
	Treaties  []index.EntityRef `json:"treaties,omitempty"`
	Keywords  []string          `json:"keywords,omitempty"`
	Summary   string            `json:"summary,omitempty"`
	Body      string            `json:"body,omitempty"`
	Story     string            `json:"story,omitempty"`
}

// minTime and maxTime bound the published times Bleve can index (Unix
// nanoseconds in an int64).
var (
	minTime = time.Unix(0, math.MinInt64+1).UTC()
	maxTime = time.Unix(0, math.MaxInt64-1).UTC()
)

func buildDoc(e *article.Enriched) (map[string]any, error) {
	if e.ID == "" {
		return nil, errors.New("article id is empty")
	}
	d := &display{
		Title:     e.Title,
		URL:       e.URL,
		Source:    e.Source,
		Published: e.Published.UTC().Truncate(time.Millisecond),
		Summary:   e.Summary,
		Body:      e.Body,
	}
	doc := map[string]any{
		fieldID:      e.ID,
		fieldTitle:   e.Title,
		fieldSummary: e.Summary,
		fieldBody:    e.Body,
	}
	var countries, leaders, treaties, keywords []string
	for _, c := range e.Tags.Countries {
		if code := strings.ToUpper(strings.TrimSpace(c.Code)); code != "" && !slices.Contains(countries, code) {
			countries = append(countries, code)
		}
	}
	for _, l := range e.Tags.Leaders {
		if l.ID != "" && !slices.Contains(leaders, l.ID) {
			leaders = append(leaders, l.ID)
			d.Leaders = append(d.Leaders, index.EntityRef{ID: l.ID, Name: l.Name})
		}
	}
	for _, t := range e.Tags.Treaties {
		if t.ID != "" && !slices.Contains(treaties, t.ID) {
			treaties = append(treaties, t.ID)
			d.Treaties = append(d.Treaties, index.EntityRef{ID: t.ID, Name: t.Name})
		}
	}
	for _, k := range e.Tags.Keywords {
		if k = strings.ToLower(strings.TrimSpace(k)); k != "" && !slices.Contains(keywords, k) {
			keywords = append(keywords, k)
		}
	}
	d.Countries, d.Keywords = countries, keywords
	if e.Story != nil {
		d.Story = e.Story.ID
	}
	doc[fieldStory] = index.StoryKey(e)
	var actions []string
	for _, t := range e.Tags.Treaties {
		if a := index.TreatyAction(t); a != "" && !slices.Contains(actions, a) {
			actions = append(actions, a)
		}
	}
	setList := func(field string, v []string) {
		if len(v) > 0 {
			doc[field] = v
		}
	}
	setList(fieldCountries, countries)
	setList(fieldSubjects, index.SubjectCountries(e))
	setList(fieldLeaders, leaders)
	setList(fieldTreaties, treaties)
	setList(fieldKeywords, keywords)
	setList(fieldActions, actions)
	if e.Source != "" {
		doc[fieldSource] = e.Source
	}
	if e.Language != "" {
		doc[fieldLanguage] = e.Language
	}
	// Times are kept to the millisecond, as Elasticsearch keeps them.
	if p := e.Published.UTC().Truncate(time.Millisecond); !p.IsZero() {
		if p.Before(minTime) || p.After(maxTime) {
			return nil, fmt.Errorf("published %s is outside the indexable range", p.Format(time.RFC3339))
		}
		doc[fieldPublished] = p
		doc[fieldDay] = p.Format(time.DateOnly)
		doc[fieldPubSort] = float64(p.UnixMilli())
	} else {
		d.Published = time.Time{}
		doc[fieldPubSort] = float64(missingPublished)
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode display fields: %w", err)
	}
	doc[fieldDisplay] = string(b)
	full, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode article: %w", err)
	}
	doc[fieldArticle] = string(full)
	return doc, nil
}

// IndexBatch writes docs in one Bleve batch. An article without an id or
// with an unindexable published time is rejected; an article whose stored
// version is newer is skipped (a success). Errors come from the index
// itself and are not transient: a local disk failure does not heal by
// retrying soon, but the caller may still retry the whole batch.
func (s *Store) IndexBatch(ctx context.Context, docs []article.Enriched) ([]index.Rejection, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("index batch: %w", err)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx, err := s.open()
	if err != nil {
		return nil, fmt.Errorf("index batch: %w", err)
	}
	r, err := reader(idx)
	if err != nil {
		return nil, fmt.Errorf("index batch: %w", err)
	}
	rejections, batch, err := s.prepareBatch(idx, r, docs)
	if cerr := r.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("index batch: %w", cerr)
	}
	if err != nil {
		return nil, err
	}
	if batch.Size() == 0 {
		return rejections, nil
	}
	if err := idx.Batch(batch); err != nil {
		return nil, fmt.Errorf("index batch of %d: %w", len(docs), err)
	}
	return rejections, nil
}

// prepareBatch builds the Bleve batch for docs, reading stored versions
// from r, a reader of the snapshot the batch will be applied on (writes
// are serialised by writeMu, so nothing changes in between).
func (s *Store) prepareBatch(idx bleve.Index, r bleveindex.IndexReader, docs []article.Enriched) ([]index.Rejection, *bleve.Batch, error) {
	var rejections []index.Rejection
	pending := make(map[string]int64, len(docs)) // versions written by this batch
	batch := idx.NewBatch()
	for i := range docs {
		e := &docs[i]
		doc, err := buildDoc(e)
		if err != nil {
			rejections = append(rejections, index.Rejection{Index: i, ID: e.ID, Reason: err.Error()})
			continue
		}
		v := index.DocVersion(&e.Article)
		stored, ok := pending[e.ID]
		if !ok {
			stored, ok, err = storedVersion(r, e.ID)
			if err != nil {
				return nil, nil, fmt.Errorf("index batch: read version of %s: %w", e.ID, err)
			}
		}
		if ok && v < stored {
			continue // a newer version is stored: nothing to do
		}
		d, err := mappedDoc(idx, e.ID, doc, v)
		if err == nil {
			err = batch.IndexAdvanced(d)
		}
		if err != nil {
			rejections = append(rejections, index.Rejection{Index: i, ID: e.ID, Reason: err.Error()})
			continue
		}
		pending[e.ID] = v
		for _, l := range e.Tags.Leaders {
			if l.ID != "" && l.Name != "" {
				batch.SetInternal([]byte(prefixLeader+l.ID), []byte(l.Name))
			}
		}
		for _, t := range e.Tags.Treaties {
			if t.ID != "" && t.Name != "" {
				batch.SetInternal([]byte(prefixTreaty+t.ID), []byte(t.Name))
			}
		}
	}
	return rejections, batch, nil
}

// Count returns the number of documents in the index.
func (s *Store) Count(ctx context.Context) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx, err := s.open()
	if err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	n, err := idx.DocCount()
	if err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return int(n), nil
}

// Ping reports whether the index is open and readable.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.Count(ctx)
	return err
}

// Close flushes and closes the index. Later calls fail; a second Close is
// a no-op.
func (s *Store) Close() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.idx.Close(); err != nil {
		return fmt.Errorf("close index %s: %w", s.path, err)
	}
	return nil
}

// Search answers one query.
func (s *Store) Search(ctx context.Context, q index.Query) (index.Result, error) {
	if err := q.Normalize(); err != nil {
		return index.Result{}, fmt.Errorf("search: %w", err)
	}
	var after []string
	off := 0
	if q.Cursor != "" {
		var err error
		if q.Collapse {
			off, err = index.DecodeCollapsedCursor(q.Cursor, q.Sort)
		} else {
			after, err = decodeCursor(q.Cursor, q.Sort)
		}
		if err != nil {
			return index.Result{}, fmt.Errorf("search: %w", err)
		}
	}
	text := index.ParseText(q.Text)
	bq := s.buildQuery(text, &q)
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx, err := s.open()
	if err != nil {
		return index.Result{}, fmt.Errorf("search: %w", err)
	}
	if q.Collapse {
		return s.searchCollapsed(ctx, idx, bq, text, &q, off)
	}
	req := bleve.NewSearchRequestOptions(bq, q.Size+1, 0, false)
	req.Fields = []string{fieldDisplay}
	req.SortByCustom(sortOrder(q.Sort))
	if after != nil {
		req.SetSearchAfter(after)
	}
	addFacets(req, q.FacetSize)
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return index.Result{}, fmt.Errorf("search: %w", err)
	}
	out := index.Result{Total: int(res.Total), Hits: make([]index.Hit, 0, min(len(res.Hits), q.Size))}
	hl := newHighlighter(s.analyzer, text)
	for i, h := range res.Hits {
		if i == q.Size {
			last := res.Hits[q.Size-1]
			out.NextCursor = index.EncodeCursor(cursor{Sort: q.Sort, After: afterOf(q.Sort, last)})
			break
		}
		out.Hits = append(out.Hits, toHit(h, hl))
	}
	out.Facets = s.facets(idx, res)
	return out, nil
}

func sortOrder(sortName string) search.SortOrder {
	if sortName == index.SortNewest {
		return search.SortOrder{
			&search.SortField{Field: fieldPubSort, Type: search.SortFieldAsNumber, Desc: true},
			&search.SortDocID{},
		}
	}
	return search.SortOrder{&search.SortScore{Desc: true}, &search.SortDocID{}}
}

func addFacets(req *bleve.SearchRequest, size int) {
	for name, field := range map[string]string{
		"countries": fieldCountries, "subject_countries": fieldSubjects, "leaders": fieldLeaders, "treaties": fieldTreaties,
		"keywords": fieldKeywords, "sources": fieldSource,
	} {
		req.AddFacet(name, bleve.NewFacetRequest(field, size))
	}
	req.AddFacet("days", bleve.NewFacetRequest(fieldDay, dayFacetSize))
}

func (s *Store) facets(idx bleve.Index, res *bleve.SearchResult) index.Facets {
	f := index.Facets{
		Countries:        buckets(res.Facets["countries"], nil),
		SubjectCountries: buckets(res.Facets["subject_countries"], nil),
		Leaders:          buckets(res.Facets["leaders"], s.labeler(idx, prefixLeader)),
		Treaties:         buckets(res.Facets["treaties"], s.labeler(idx, prefixTreaty)),
		Keywords:         buckets(res.Facets["keywords"], nil),
		Sources:          buckets(res.Facets["sources"], nil),
		Days:             buckets(res.Facets["days"], nil),
	}
	sort.Slice(f.Days, func(i, j int) bool { return f.Days[i].Key < f.Days[j].Key })
	return f
}

// collapseScan is the number of hits read per step of a collapsed search.
const collapseScan = 512

// searchCollapsed is Elasticsearch's field collapsing done by hand: walk
// the hits in sort order, keep the first of each story until the page
// (after the offset) is full, then count each shown story's other
// matching copies with one small search.
func (s *Store) searchCollapsed(ctx context.Context, idx bleve.Index, bq query.Query, text index.Text, q *index.Query, off int) (index.Result, error) {
	need := off + q.Size + 1
	seen := make(map[string]bool, need)
	var reps []*search.DocumentMatch
	var out index.Result
	var after []string
	for first := true; len(reps) < need; first = false {
		req := bleve.NewSearchRequestOptions(bq, collapseScan, 0, false)
		req.Fields = []string{fieldDisplay, fieldStory}
		req.SortByCustom(sortOrder(q.Sort))
		if after != nil {
			req.SetSearchAfter(after)
		}
		if first {
			addFacets(req, q.FacetSize)
		}
		res, err := idx.SearchInContext(ctx, req)
		if err != nil {
			return index.Result{}, fmt.Errorf("search: %w", err)
		}
		if first {
			out.Total = int(res.Total)
			out.Facets = s.facets(idx, res)
		}
		for _, h := range res.Hits {
			key, _ := h.Fields[fieldStory].(string)
			if key == "" {
				key = "article:" + h.ID
			}
			if !seen[key] {
				seen[key] = true
				reps = append(reps, h)
				if len(reps) == need {
					break
				}
			}
		}
		if len(res.Hits) < collapseScan {
			break
		}
		after = afterOf(q.Sort, res.Hits[len(res.Hits)-1])
	}
	hl := newHighlighter(s.analyzer, text)
	out.Hits = []index.Hit{}
	for i := off; i < len(reps) && i < off+q.Size; i++ {
		hit := toHit(reps[i], hl)
		if hit.Story != nil {
			if err := s.storyCopies(ctx, idx, bq, &hit); err != nil {
				return index.Result{}, fmt.Errorf("search: %w", err)
			}
		}
		out.Hits = append(out.Hits, hit)
	}
	if len(reps) == need && off+q.Size <= index.MaxCollapsedOffset {
		out.NextCursor = index.CollapsedCursor(q.Sort, off+q.Size)
	}
	return out, nil
}

// storyCopies fills in the other copies of hit's story matching bq: how
// many, and the sources of the first index.StorySample by publication.
func (s *Store) storyCopies(ctx context.Context, idx bleve.Index, bq query.Query, hit *index.Hit) error {
	tq := bleve.NewTermQuery(hit.Story.ID)
	tq.SetField(fieldStory)
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(bq, tq), index.StorySample+1, 0, false)
	req.Fields = []string{fieldDisplay}
	req.SortByCustom(search.SortOrder{
		&search.SortField{Field: fieldPubSort, Type: search.SortFieldAsNumber},
		&search.SortDocID{},
	})
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return fmt.Errorf("count copies of story %s: %w", hit.Story.ID, err)
	}
	hit.Story.Copies = max(0, int(res.Total)-1)
	var others []string
	for _, h := range res.Hits {
		if h.ID == hit.ID {
			continue
		}
		if len(others) == index.StorySample {
			break
		}
		var d display
		raw, _ := h.Fields[fieldDisplay].(string)
		if json.Unmarshal([]byte(raw), &d) == nil {
			others = append(others, d.Source)
		}
	}
	hit.Story.Sources = index.StorySourceList(others)
	return nil
}

func (s *Store) labeler(idx bleve.Index, prefix string) func(string) string {
	return func(id string) string {
		b, err := idx.GetInternal([]byte(prefix + id))
		if err != nil {
			s.log.Warn("read entity name", zap.String("id", id), zap.Error(err))
			return ""
		}
		return string(b)
	}
}

func buckets(fr *search.FacetResult, label func(string) string) []index.Bucket {
	out := []index.Bucket{}
	if fr == nil || fr.Terms == nil {
		return out
	}
	for _, t := range fr.Terms.Terms() {
		b := index.Bucket{Key: t.Term, Count: t.Count}
		if label != nil {
			b.Label = label(t.Term)
		}
		out = append(out, b)
	}
	// Bleve orders by count then term already; keep the contract explicit.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	return out
}

func toHit(h *search.DocumentMatch, hl *highlighter) index.Hit {
	hit := index.Hit{ID: h.ID, Countries: []string{}, Leaders: []index.EntityRef{}, Treaties: []index.EntityRef{}, Keywords: []string{}}
	raw, _ := h.Fields[fieldDisplay].(string)
	var d display
	if raw != "" && json.Unmarshal([]byte(raw), &d) == nil {
		hit.Title, hit.URL, hit.Source, hit.Published = d.Title, d.URL, d.Source, d.Published
		if d.Countries != nil {
			hit.Countries = d.Countries
		}
		if d.Leaders != nil {
			hit.Leaders = d.Leaders
		}
		if d.Treaties != nil {
			hit.Treaties = d.Treaties
		}
		if d.Keywords != nil {
			hit.Keywords = d.Keywords
		}
		if hl != nil {
			hit.Snippet = hl.snippet(d.Summary, d.Body)
		}
		if d.Story != "" {
			hit.Story = &index.HitStory{ID: d.Story}
		}
	}
	return hit
}

// buildQuery translates the parsed text and filters into one Bleve query.
func (s *Store) buildQuery(t index.Text, q *index.Query) query.Query {
	bq := bleve.NewBooleanQuery()
	for _, term := range t.Terms {
		if s.analyzes(term) {
			bq.AddMust(s.variantsQuery(term))
		}
	}
	for _, m := range q.Entities {
		tq := bleve.NewTermQuery(m.ID)
		tq.SetField(mentionField[m.Kind])
		tq.SetBoost(index.EntityBoost)
		if m.Words != "" && s.analyzes(m.Words) {
			bq.AddMust(bleve.NewDisjunctionQuery(tq, s.fieldsQuery(m.Words, true)))
		} else {
			bq.AddMust(tq)
		}
	}
	for _, p := range t.Phrases {
		if s.analyzes(p) {
			bq.AddMust(s.fieldsQuery(p, true))
		}
	}
	for _, term := range t.Exclude {
		if s.analyzes(term) {
			bq.AddMustNot(s.variantsQuery(term))
		}
	}
	for _, p := range t.ExcludePhrases {
		if s.analyzes(p) {
			bq.AddMustNot(s.fieldsQuery(p, true))
		}
	}
	var filters []query.Query
	termQ := func(field, v string) query.Query {
		tq := bleve.NewTermQuery(v)
		tq.SetField(field)
		return tq
	}
	addTerms := func(field string, values []string) {
		for _, v := range values {
			filters = append(filters, termQ(field, v))
		}
	}
	for _, f := range []struct {
		kind, field   string
		values, notIn []string
	}{
		{index.KindCountries, fieldCountries, q.Countries, q.Exclude.Countries},
		{index.KindSubjectCountries, fieldSubjects, q.SubjectCountries, q.Exclude.SubjectCountries},
		{index.KindLeaders, fieldLeaders, q.Leaders, q.Exclude.Leaders},
		{index.KindTreaties, fieldTreaties, q.Treaties, q.Exclude.Treaties},
		{index.KindKeywords, fieldKeywords, q.Keywords, q.Exclude.Keywords},
		{index.KindSources, fieldSource, q.Sources, q.Exclude.Sources},
	} {
		if len(f.values) > 1 && q.AnyOf(f.kind) {
			var any []query.Query
			for _, v := range f.values {
				any = append(any, termQ(f.field, v))
			}
			filters = append(filters, bleve.NewDisjunctionQuery(any...))
		} else {
			addTerms(f.field, f.values)
		}
		for _, v := range f.notIn {
			bq.AddMustNot(termQ(f.field, v))
		}
	}
	if q.Story != "" {
		addTerms(fieldStory, []string{q.Story})
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		incl := true
		dq := bleve.NewDateRangeInclusiveQuery(q.From, q.To, &incl, &incl)
		dq.SetField(fieldPublished)
		filters = append(filters, dq)
	}
	switch {
	case len(filters) > 0 && bq.Must == nil:
		// No text: the filters drive the search, scored as match-all
		// would be, so that it walks only the documents they match.
		bq.AddMust(constantQuery{bleve.NewConjunctionQuery(filters...)})
	case len(filters) > 0:
		bq.AddFilter(bleve.NewConjunctionQuery(filters...))
	}
	if boost := q.BoostCountries(); len(boost) > 0 {
		// Optional clauses: they only add to the score. Without a
		// required clause Bleve would make one of them required.
		if bq.Must == nil {
			bq.AddMust(bleve.NewMatchAllQuery())
		}
		for _, c := range boost {
			tq := bleve.NewTermQuery(c)
			tq.SetField(fieldSubjects)
			tq.SetBoost(index.SubjectBoost)
			bq.AddShould(tq)
		}
	}
	if bq.Must == nil && bq.MustNot == nil {
		// Nothing asked (a filter always comes with a required clause).
		return bleve.NewMatchAllQuery()
	}
	return bq
}

// mentionField is the keyword field of each entity kind.
var mentionField = map[string]string{index.KindCountries: fieldCountries, index.KindLeaders: fieldLeaders, index.KindTreaties: fieldTreaties}

// variantsQuery matches a query word in any of its British and American
// spellings (index.Variants).
func (s *Store) variantsQuery(term string) query.Query {
	vs := index.Variants(term)
	if len(vs) == 1 {
		return s.fieldsQuery(term, false)
	}
	qs := make([]query.Query, 0, len(vs))
	for _, v := range vs {
		qs = append(qs, s.fieldsQuery(v, false))
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// analyzes reports whether s leaves any token after analysis: a term made
// only of stop words matches everything, as Elasticsearch's
// zero_terms_query "all" does, so it is left out.
func (s *Store) analyzes(text string) bool {
	return len(s.analyzer.Analyze([]byte(text))) > 0
}

// fieldsQuery matches text in title (boost 3), summary (2) or body (1):
// all words of text in one field, adjacent when phrase is set.
func (s *Store) fieldsQuery(text string, phrase bool) query.Query {
	var qs []query.Query
	for _, f := range []struct {
		name  string
		boost float64
	}{{fieldTitle, 3}, {fieldSummary, 2}, {fieldBody, 1}} {
		if phrase {
			mq := bleve.NewMatchPhraseQuery(text)
			mq.SetField(f.name)
			mq.SetBoost(f.boost)
			qs = append(qs, mq)
		} else {
			mq := bleve.NewMatchQuery(text)
			mq.SetField(f.name)
			mq.SetBoost(f.boost)
			mq.SetOperator(query.MatchQueryOperatorAnd)
			qs = append(qs, mq)
		}
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// cursor is the decoded form of Result.NextCursor: the sort order it
// belongs to and either the sort values of the last hit of the page or,
// for a collapsed search, the number of stories already shown.
type cursor struct {
	Sort      string   `json:"s"`
	After     []string `json:"a,omitempty"`
	Off       int      `json:"o,omitempty"`
	Collapsed bool     `json:"c,omitempty"`
}

func afterOf(sortName string, h *search.DocumentMatch) []string {
	if sortName == index.SortNewest {
		return []string{h.DecodedSort[0], h.ID}
	}
	return []string{strconv.FormatFloat(h.Score, 'g', -1, 64), h.ID}
}

func decodeCursor(s, sortName string) ([]string, error) {
	var c cursor
	if err := index.DecodeCursor(s, &c); err != nil {
		return nil, err
	}
	if c.Sort != sortName || c.Collapsed || len(c.After) != 2 || c.After[1] == "" {
		return nil, fmt.Errorf("cursor does not belong to a %s search: %w", sortName, index.ErrBadQuery)
	}
	f, err := strconv.ParseFloat(c.After[0], 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("cursor sort value %q: %w", c.After[0], index.ErrBadQuery)
	}
	return c.After, nil
}
