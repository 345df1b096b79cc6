package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// maxIDBytes is Elasticsearch's limit on the length of _id.
const maxIDBytes = 512

// document is the indexed form of an enriched article; its fields are the
// mapping's.
type document struct {
	ID          string    `json:"id"`
	Title       string    `json:"title,omitempty"`
	Summary     string    `json:"summary,omitempty"`
	Body        string    `json:"body,omitempty"`
	URL         string    `json:"url,omitempty"`
	Source      string    `json:"source,omitempty"`
	Language    string    `json:"language,omitempty"`
	Countries   []string  `json:"countries,omitempty"`
	Leaders     []string  `json:"leaders,omitempty"`
	LeaderNames []string  `json:"leader_names,omitempty"`
	Treaties    []string  `json:"treaties,omitempty"`
	TreatyNames []string  `json:"treaty_names,omitempty"`
	Keywords    []string  `json:"keywords,omitempty"`
	Published   time.Time `json:"published,omitzero"`
	Updated     time.Time `json:"updated,omitzero"`
	Ingested    time.Time `json:"ingested,omitzero"`
	Version     int64     `json:"version"`
	// Search features: story collapsing, treaty timelines, subject
	// filters, the stored article for the detail view (see
	// searchfields.go).
	Story            string            `json:"story"`
	TreatyActions    []string          `json:"treaty_actions,omitempty"`
	SubjectCountries []string          `json:"subject_countries,omitempty"` // index.SubjectCountries
	Article          *article.Enriched `json:"article"`
}

// ms keeps a time to the millisecond in UTC, as the date fields store it.
func ms(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Millisecond)
}

func toDocument(e *article.Enriched) document {
	d := document{
		ID:        e.ID,
		Title:     e.Title,
		Summary:   e.Summary,
		Body:      e.Body,
		URL:       e.URL,
		Source:    e.Source,
		Language:  e.Language,
		Published: ms(e.Published),
		Updated:   ms(e.Updated),
		Ingested:  ms(e.Ingested),
		Version:   index.DocVersion(&e.Article),
	}
	for _, c := range e.Tags.Countries {
		if code := strings.ToUpper(strings.TrimSpace(c.Code)); code != "" && !slices.Contains(d.Countries, code) {
			d.Countries = append(d.Countries, code)
		}
	}
	// Names run parallel to ids so that a facet bucket can find its label.
	for _, l := range e.Tags.Leaders {
		if l.ID != "" && !slices.Contains(d.Leaders, l.ID) {
			d.Leaders = append(d.Leaders, l.ID)
			d.LeaderNames = append(d.LeaderNames, l.Name)
		}
	}
	for _, t := range e.Tags.Treaties {
		if t.ID != "" && !slices.Contains(d.Treaties, t.ID) {
			d.Treaties = append(d.Treaties, t.ID)
			d.TreatyNames = append(d.TreatyNames, t.Name)
		}
	}
	for _, k := range e.Tags.Keywords {
		if k = strings.ToLower(strings.TrimSpace(k)); k != "" && !slices.Contains(d.Keywords, k) {
			d.Keywords = append(d.Keywords, k)
		}
	}
	addSearchFields(&d, e)
	return d
}

// bulkAction is the action line of one bulk item.
type bulkAction struct {
	Index struct {
		Index       string `json:"_index"`
		ID          string `json:"_id"`
		Version     int64  `json:"version"`
		VersionType string `json:"version_type"`
	} `json:"index"`
}

// checkID says why an article id cannot be a document _id, if it cannot.
func checkID(id string) error {
	switch {
	case id == "":
		return errors.New("article id is empty")
	case len(id) > maxIDBytes:
		return fmt.Errorf("article id is %d bytes, over the limit of %d", len(id), maxIDBytes)
	}
	return nil
}

// encodeItem returns the two NDJSON lines of one bulk item, or why the
// article cannot be sent at all.
func encodeItem(e *article.Enriched, target string) ([]byte, error) {
	if err := checkID(e.ID); err != nil {
		return nil, err
	}
	var a bulkAction
	a.Index.Index = target
	a.Index.ID = e.ID
	a.Index.Version = index.DocVersion(&e.Article)
	a.Index.VersionType = "external_gte"
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(a); err != nil {
		return nil, fmt.Errorf("encode bulk action: %w", err)
	}
	if err := enc.Encode(toDocument(e)); err != nil {
		return nil, fmt.Errorf("encode document: %w", err)
	}
	return buf.Bytes(), nil
}

// bulkResponse is the part of a _bulk answer IndexBatch reads.
type bulkResponse struct {
	Errors bool                      `json:"errors"`
	Items  []map[string]bulkItemResp `json:"items"`
}

type bulkItemResp struct {
	ID     string     `json:"_id"`
	Status int        `json:"status"`
	Error  *errorBody `json:"error"`
}

// IndexBatch writes docs with one _bulk request, then retries only the
// items that failed for a transient reason. See the package doc for the
// sorting of item results, and lifecycle.go for which generation each
// article goes to. Rejections are ordered by position.
func (s *Store) IndexBatch(ctx context.Context, docs []article.Enriched) ([]index.Rejection, error) {
	var rejections []index.Rejection
	valid := make([]int, 0, len(docs))
	ids := make([]string, 0, len(docs))
	for i := range docs {
		if err := checkID(docs[i].ID); err != nil {
			rejections = append(rejections, index.Rejection{Index: i, ID: docs[i].ID, Reason: err.Error()})
			continue
		}
		valid = append(valid, i)
		ids = append(ids, docs[i].ID)
	}
	if len(valid) == 0 {
		return rejections, nil
	}
	s.labels.remember(docs, time.Now())
	topo, err := s.topology(ctx)
	if err != nil {
		return nil, fmt.Errorf("index batch of %d: %w", len(docs), err)
	}
	found, err := s.locate(ctx, ids, topo.lookup)
	if err != nil {
		return nil, fmt.Errorf("index batch of %d: %w", len(docs), err)
	}
	var foundMirror map[string]string
	if len(topo.mirror) > 0 {
		if foundMirror, err = s.locate(ctx, ids, topo.mirror); err != nil {
			return nil, fmt.Errorf("index batch of %d: %w", len(docs), err)
		}
	}
	// One unit per bulk action: an article has one, or two while a
	// re-enrichment mirrors writes into the lineage being read.
	var units []unit
	rejected := map[int]bool{}
	add := func(i int, target string) {
		b, err := encodeItem(&docs[i], target)
		if err != nil {
			if !rejected[i] {
				rejected[i] = true
				rejections = append(rejections, index.Rejection{Index: i, ID: docs[i].ID, Reason: err.Error()})
			}
			return
		}
		units = append(units, unit{doc: i, body: b})
	}
	for _, i := range valid {
		id := docs[i].ID
		target := topo.write
		if idx, ok := found[id]; ok {
			target = idx
		}
		add(i, target)
		if len(topo.mirror) > 0 {
			target := newest(topo.mirror)
			if idx, ok := foundMirror[id]; ok {
				target = idx
			}
			add(i, target)
		}
	}
	rej, err := s.sendUnits(ctx, docs, units)
	if err != nil {
		return nil, err
	}
	for _, r := range rej {
		if !rejected[r.Index] {
			rejected[r.Index] = true
			rejections = append(rejections, r)
		}
	}
	sort.Slice(rejections, func(i, j int) bool { return rejections[i].Index < rejections[j].Index })
	return rejections, nil
}

// sendUnits writes units with _bulk, retrying the transiently failed ones
// with backoff; it returns the rejections, one per article at most.
func (s *Store) sendUnits(ctx context.Context, docs []article.Enriched, units []unit) ([]index.Rejection, error) {
	var rejections []index.Rejection
	rejected := map[int]bool{}
	pending := make([]int, len(units))
	for k := range pending {
		pending[k] = k
	}
	var lastFailure string
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 0 {
			if attempt > s.cfg.MaxRetries {
				return nil, fmt.Errorf("index batch: %d of %d actions still failing after %d tries (last: %s): %w",
					len(pending), len(units), attempt, lastFailure, index.ErrTransient)
			}
			if err := sleep(ctx, backoff(attempt)); err != nil {
				return nil, fmt.Errorf("index batch: %w: %w", index.ErrTransient, err)
			}
		}
		failed, rej, last, err := s.bulk(ctx, docs, units, pending)
		if err != nil {
			return nil, fmt.Errorf("index batch of %d: %w", len(docs), err)
		}
		for _, r := range rej {
			if !rejected[r.Index] {
				rejected[r.Index] = true
				rejections = append(rejections, r)
			}
		}
		pending, lastFailure = failed, last
		if len(failed) > 0 {
			s.log.Warn("bulk items failed, retrying", zap.Int("failed", len(failed)), zap.Int("attempt", attempt+1), zap.String("reason", last))
		}
	}
	return rejections, nil
}

// unit is one bulk action: the position of its article and its two lines.
type unit struct {
	doc  int
	body []byte
}

// bulk sends the units at positions pending and sorts their results:
// positions to retry, rejections, and the reason of the last transient
// failure. A request-level failure is returned as an error.
func (s *Store) bulk(ctx context.Context, docs []article.Enriched, units []unit, pending []int) (retry []int, rej []index.Rejection, last string, err error) {
	var body bytes.Buffer
	for _, k := range pending {
		body.Write(units[k].body)
	}
	res, err := s.es.Bulk(bytes.NewReader(body.Bytes()), s.es.Bulk.WithContext(ctx))
	if err != nil {
		return nil, nil, "", fmt.Errorf("bulk request: %w: %w", index.ErrTransient, err)
	}
	var br bulkResponse
	if err := decode(res, &br); err != nil {
		var ee *esError
		if errors.As(err, &ee) {
			return nil, nil, "", fmt.Errorf("bulk request: %w", err)
		}
		// An answer cut short is a transport problem.
		return nil, nil, "", fmt.Errorf("bulk answer: %w: %w", index.ErrTransient, err)
	}
	if len(br.Items) != len(pending) {
		return nil, nil, "", fmt.Errorf("bulk answer has %d items for %d sent: %w", len(br.Items), len(pending), index.ErrTransient)
	}
	for n, k := range pending {
		var it bulkItemResp
		for _, v := range br.Items[n] { // one key: the action name
			it = v
		}
		i := units[k].doc
		switch {
		case it.Status >= 200 && it.Status < 300:
		case it.Status == http.StatusConflict:
			// An equal or newer version is stored: the write's effect is there.
		case transientStatus(it.Status) || it.Status == 0:
			retry = append(retry, k)
			last = fmt.Sprintf("%d %s", it.Status, it.Error.String())
		default:
			reason := it.Error.String()
			if reason == "" {
				reason = fmt.Sprintf("status %d", it.Status)
			}
			rej = append(rej, index.Rejection{Index: i, ID: docs[i].ID, Reason: reason})
		}
	}
	return retry, rej, last, nil
}

// Document returns the source document the store writes for an article,
// for loaders and tools that talk to the index directly.
func Document(e *article.Enriched) any { return toDocument(e) }
