package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"go.uber.org/zap"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// internalReenrich holds the re-enrichment checkpoint (JSON).
const internalReenrich = "newswire:reenrich"

// ReenrichConfig configures Reenrich: the embedded counterpart of the
// Elasticsearch store's re-enrichment.
type ReenrichConfig struct {
	Version  string                              // enrichment version produced; required
	Tag      func(*article.Article) article.Tags // required
	Rate     float64                             // articles per second at most; 0: no cap
	Batch    int                                 // articles per batch (default 500)
	Progress func(done, total int64, rate float64)
}

type reenrichCheckpoint struct {
	Version string `json:"version"`
	Cursor  string `json:"cursor"`
	Done    int64  `json:"done"`
	Total   int64  `json:"total"`
	Phase   string `json:"phase"` // copying, done
}

// Reenrich re-tags every stored article in place, in id order, from the
// stored fields (title, summary, body, url, source, published) and keeps
// each article's version, so a newer live write is never overwritten and
// an equal one is re-tagged alike. Search answers throughout, from a mix of
// old and new tags until the end (there is no second index to swap to). A
// checkpoint in the index's internal key space makes it resume after an
// interruption; a finished run for the same version does nothing and
// returns false. The language of an article is not stored by this index
// and is dropped; no query uses it.
func (s *Store) Reenrich(ctx context.Context, cfg ReenrichConfig) (bool, error) {
	if cfg.Version == "" || cfg.Tag == nil || cfg.Rate < 0 || cfg.Batch < 0 {
		return false, errors.New("reenrich config: version and tag are required; rate and batch must not be negative")
	}
	if cfg.Batch == 0 {
		cfg.Batch = 500
	}
	cp, err := s.loadCheckpoint()
	if err != nil {
		return false, err
	}
	switch {
	case cp != nil && cp.Version == cfg.Version && cp.Phase == "done":
		return false, nil
	case cp != nil && cp.Version != cfg.Version && cp.Phase != "done":
		return false, fmt.Errorf("a re-enrichment to version %q is unfinished; run it to the end first", cp.Version)
	case cp == nil || cp.Version != cfg.Version:
		n, err := s.Count(ctx)
		if err != nil {
			return false, err
		}
		cp = &reenrichCheckpoint{Version: cfg.Version, Total: int64(n), Phase: "copying"}
	default:
		s.log.Info("resuming re-enrichment", zap.String("cursor", cp.Cursor), zap.Int64("done", cp.Done))
	}
	start, startDone := time.Now(), cp.Done
	for {
		n, err := s.retagBatch(ctx, cfg, cp)
		if err != nil {
			return false, err
		}
		if n == 0 {
			break
		}
		elapsed := time.Since(start)
		rate := float64(cp.Done-startDone) / max(elapsed.Seconds(), 1e-3)
		if cfg.Rate > 0 {
			due := time.Duration(float64(cp.Done-startDone) / cfg.Rate * float64(time.Second))
			t := time.NewTimer(due - elapsed)
			select {
			case <-ctx.Done():
				t.Stop()
				return false, fmt.Errorf("reenrich: %w", ctx.Err())
			case <-t.C:
			}
			rate = min(rate, cfg.Rate)
		}
		if cfg.Progress != nil {
			cfg.Progress(cp.Done, max(cp.Total, cp.Done), rate)
		}
	}
	cp.Phase = "done"
	return true, s.saveCheckpoint(cp)
}

func (s *Store) loadCheckpoint() (*reenrichCheckpoint, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx, err := s.open()
	if err != nil {
		return nil, fmt.Errorf("read reenrich checkpoint: %w", err)
	}
	b, err := idx.GetInternal([]byte(internalReenrich))
	if err != nil || len(b) == 0 {
		return nil, err
	}
	var cp reenrichCheckpoint
	if err := json.Unmarshal(b, &cp); err != nil {
		return nil, fmt.Errorf("decode reenrich checkpoint: %w", err)
	}
	return &cp, nil
}

func (s *Store) saveCheckpoint(cp *reenrichCheckpoint) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx, err := s.open()
	if err != nil {
		return err
	}
	b, _ := json.Marshal(cp)
	return idx.SetInternal([]byte(internalReenrich), b)
}

// retagBatch re-tags the next batch after cp.Cursor and records the
// checkpoint in the same Bleve batch. It returns how many it read.
func (s *Store) retagBatch(ctx context.Context, cfg ReenrichConfig, cp *reenrichCheckpoint) (int, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx, err := s.open()
	if err != nil {
		return 0, fmt.Errorf("reenrich: %w", err)
	}
	req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), cfg.Batch, 0, false)
	req.Fields = []string{fieldDisplay}
	req.SortByCustom(search.SortOrder{&search.SortDocID{}})
	if cp.Cursor != "" {
		req.SetSearchAfter([]string{cp.Cursor})
	}
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("reenrich: read stored articles: %w", err)
	}
	if len(res.Hits) == 0 {
		return 0, nil
	}
	r, err := reader(idx)
	if err != nil {
		return 0, fmt.Errorf("reenrich: %w", err)
	}
	defer r.Close()
	batch := idx.NewBatch()
	for _, h := range res.Hits {
		var d display
		if raw, ok := h.Fields[fieldDisplay].(string); ok {
			if err := json.Unmarshal([]byte(raw), &d); err != nil {
				return 0, fmt.Errorf("reenrich %s: decode stored fields: %w", h.ID, err)
			}
		}
		e := article.Enriched{Article: article.Article{
			ID: h.ID, Title: d.Title, Summary: d.Summary, Body: d.Body, URL: d.URL, Source: d.Source, Published: d.Published,
		}}
		// Keep the stored version (a field of the document): the index
		// holds no updated time, so carry the version in Updated when it
		// is newer than published, and write the document with it.
		stored, ok, err := storedVersion(r, h.ID)
		if err != nil {
			return 0, fmt.Errorf("reenrich %s: read version: %w", h.ID, err)
		}
		if ok && stored > index.DocVersion(&e.Article) {
			e.Updated = time.UnixMilli(stored).UTC()
		}
		e.Tags = cfg.Tag(&e.Article)
		e.Enrichment = article.Enrichment{Version: cfg.Version}
		doc, err := buildDoc(&e)
		if err != nil {
			return 0, fmt.Errorf("reenrich %s: %w", h.ID, err)
		}
		md, err := mappedDoc(idx, e.ID, doc, index.DocVersion(&e.Article))
		if err == nil {
			err = batch.IndexAdvanced(md)
		}
		if err != nil {
			return 0, fmt.Errorf("reenrich %s: %w", h.ID, err)
		}
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
	cp.Cursor = res.Hits[len(res.Hits)-1].ID
	cp.Done += int64(len(res.Hits))
	b, _ := json.Marshal(cp)
	batch.SetInternal([]byte(internalReenrich), b)
	if err := idx.Batch(batch); err != nil {
		return 0, fmt.Errorf("reenrich batch: %w", err)
	}
	return len(res.Hits), nil
}
