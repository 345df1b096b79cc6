package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// Re-enrichment re-tags every stored article into a new lineage without
// downtime. The source is the engine's own _source of each document (the
// only copy sure to hold every article: news.raw may have expired), read
// in id order with search_after over the indices of the read alias.
//
//  1. A new lineage B-r<UTC time>-000001 is created and the write alias
//     moves to it in one atomic alias change. From then on IndexBatch
//     writes every live article to the new lineage and also to the old
//     one (see lifecycle.go), so search, which still reads the old
//     lineage, stays fresh, and the new lineage misses nothing.
//  2. After Settle (writers' cached view of the aliases expires and the
//     engine refreshes), each stored article is re-tagged and written to
//     the new lineage with its own external version and version_type
//     external_gte: a live write of a newer version is kept (the
//     backfill's write is a version conflict, counted as done).
//  3. When every article is copied, the new lineage is refreshed, the
//     read alias moves from the old lineage to the new one in one atomic
//     alias change, and after Settle (writers stop mirroring) the old
//     lineage is deleted (unless KeepOld).
//
// The state (target, sources, cursor, counts) is a document of the index
// B.reenrich in the engine, written after every batch, so a run killed at
// any point resumes where it stopped when started again with the same
// version. Rollover is refused while a re-enrichment runs.

// DefaultReenrichBatch is the default number of articles per batch.
const DefaultReenrichBatch = 500

// DefaultSettle is the default wait between the write-alias switch and
// the first read of the old lineage.
const DefaultSettle = 3 * time.Second

// ReenrichConfig configures Reenrich.
type ReenrichConfig struct {
	// Version is the enrichment version the run produces; required. A run
	// for another version than a stored unfinished one is refused.
	Version string
	// Tag re-tags one article; required.
	Tag func(*article.Article) article.Tags
	// Rate caps the articles written per second; 0 means no cap.
	Rate float64
	// BatchSize is the number of articles per read and bulk write
	// (default DefaultReenrichBatch).
	BatchSize int
	// Settle is the wait after the write-alias switch (default
	// DefaultSettle); it must exceed one second.
	Settle time.Duration
	// KeepOld keeps the old lineage's indices after the swap.
	KeepOld bool
	// Progress, when set, is called after each batch.
	Progress func(ReenrichProgress)
}

// Validate reports every problem of the configuration at once.
func (c ReenrichConfig) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Version) == "" {
		errs = append(errs, errors.New("version: required"))
	}
	if c.Tag == nil {
		errs = append(errs, errors.New("tag: a tagging function is required"))
	}
	if c.Rate < 0 {
		errs = append(errs, fmt.Errorf("rate: %g is negative", c.Rate))
	}
	if c.BatchSize < 0 || c.BatchSize > 10000 {
		errs = append(errs, fmt.Errorf("batch size: %d is outside 1..10000", c.BatchSize))
	}
	if c.Settle != 0 && c.Settle <= topologyTTL {
		errs = append(errs, fmt.Errorf("settle: %s must exceed %s", c.Settle, topologyTTL))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("reenrich config: %w", err)
	}
	return nil
}

// ReenrichProgress is the state of a run after a batch.
type ReenrichProgress struct {
	Done, Total int64 // articles copied (this and earlier runs), articles at the start
	Rate        float64
	ETA         time.Duration // 0 when unknown
}

// ReenrichResult says what Reenrich did.
type ReenrichResult struct {
	Target   string   // the first index of the new lineage
	Sources  []string // the old lineage's indices
	Copied   int64    // articles written by the backfill (all runs)
	Resumed  bool     // an earlier run's state was picked up
	Deleted  []string // old indices deleted after the swap
	Finished bool     // false: nothing to do (already at this version)
}

// reenrichState is the checkpoint document.
type reenrichState struct {
	Version string    `json:"version"`
	Target  string    `json:"target"`
	Sources []string  `json:"sources"`
	Cursor  string    `json:"cursor"` // the last id copied
	Done    int64     `json:"done"`
	Total   int64     `json:"total"`
	Phase   string    `json:"phase"` // copying, swapped, done
	Started time.Time `json:"started"`
}

const stateID = "state"

func (s *Store) stateIndex() string { return s.names.ReadAlias + ".reenrich" }

func (s *Store) loadState(ctx context.Context) (*reenrichState, error) {
	res, err := s.es.Get(s.stateIndex(), stateID, s.es.Get.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("read reenrich state: %w: %w", index.ErrTransient, err)
	}
	if res.StatusCode == http.StatusNotFound {
		_ = decode(res, nil)
		return nil, nil
	}
	var got struct {
		Source reenrichState `json:"_source"`
	}
	if err := decode(res, &got); err != nil {
		return nil, fmt.Errorf("read reenrich state: %w", err)
	}
	return &got.Source, nil
}

func (s *Store) saveState(ctx context.Context, st *reenrichState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode reenrich state: %w", err)
	}
	res, err := s.es.Index(s.stateIndex(), bytes.NewReader(b),
		s.es.Index.WithContext(ctx), s.es.Index.WithDocumentID(stateID))
	if err != nil {
		return fmt.Errorf("save reenrich state: %w: %w", index.ErrTransient, err)
	}
	if err := decode(res, nil); err != nil {
		return fmt.Errorf("save reenrich state: %w", err)
	}
	return nil
}

// ensureStateIndex creates the state index (one shard, no mapping rules:
// it holds one document) when missing.
func (s *Store) ensureStateIndex(ctx context.Context) error {
	body := fmt.Sprintf(`{"settings":{"index":{"number_of_shards":1,"number_of_replicas":%d}},"mappings":{"dynamic":false}}`, s.cfg.Replicas)
	res, err := s.es.Indices.Create(s.stateIndex(), s.es.Indices.Create.WithContext(ctx),
		s.es.Indices.Create.WithBody(strings.NewReader(body)), s.es.Indices.Create.WithWaitForActiveShards("1"))
	if err != nil {
		return fmt.Errorf("create reenrich state index: %w: %w", index.ErrTransient, err)
	}
	if err := decode(res, nil); err != nil {
		var ee *esError
		if errors.As(err, &ee) && ee.Type == "resource_already_exists_exception" {
			return nil
		}
		return fmt.Errorf("create reenrich state index: %w", err)
	}
	return nil
}

// aliasActions applies alias changes in one atomic request.
func (s *Store) aliasActions(ctx context.Context, actions []map[string]any) error {
	b, err := json.Marshal(map[string]any{"actions": actions})
	if err != nil {
		return fmt.Errorf("encode alias actions: %w", err)
	}
	res, err := s.es.Indices.UpdateAliases(bytes.NewReader(b), s.es.Indices.UpdateAliases.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("update aliases: %w: %w", index.ErrTransient, err)
	}
	if err := decode(res, nil); err != nil {
		return fmt.Errorf("update aliases: %w", err)
	}
	s.forgetTopology()
	return nil
}

// ReenrichRunning reports whether a re-enrichment has moved the write
// alias away from the lineage being read.
func (s *Store) ReenrichRunning(ctx context.Context) (bool, error) {
	t, err := s.readTopology(ctx)
	if err != nil {
		return false, err
	}
	return len(t.mirror) > 0, nil
}

// Reenrich re-tags every stored article into a new lineage; see the notes
// above. It is resumable: run it again with the same version after any
// interruption.
func (s *Store) Reenrich(ctx context.Context, cfg ReenrichConfig) (ReenrichResult, error) {
	if err := cfg.Validate(); err != nil {
		return ReenrichResult{}, err
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = DefaultReenrichBatch
	}
	if cfg.Settle == 0 {
		cfg.Settle = DefaultSettle
	}
	if err := s.ensureStateIndex(ctx); err != nil {
		return ReenrichResult{}, err
	}
	st, err := s.loadState(ctx)
	if err != nil {
		return ReenrichResult{}, err
	}
	var out ReenrichResult
	switch {
	case st != nil && st.Phase != "done" && st.Version != cfg.Version:
		return out, fmt.Errorf("a re-enrichment to version %q is unfinished (target %s); run it to the end first", st.Version, st.Target)
	case st != nil && st.Phase == "done" && st.Version == cfg.Version:
		s.log.Info("already re-enriched at this version", zap.String("version", cfg.Version), zap.String("target", st.Target))
		return ReenrichResult{Target: st.Target, Sources: st.Sources, Copied: st.Done}, nil
	case st != nil && st.Phase != "done":
		out.Resumed = true
		s.log.Info("resuming re-enrichment", zap.String("target", st.Target), zap.Int64("done", st.Done), zap.String("cursor", st.Cursor))
	default:
		if st, err = s.startReenrich(ctx, cfg); err != nil {
			return out, err
		}
	}
	out.Target, out.Sources = st.Target, st.Sources
	if st.Phase == "copying" {
		// A run killed between saving the state and switching the
		// write alias switches it now; otherwise this changes nothing.
		if err := s.switchWrite(ctx, st.Target); err != nil {
			return out, err
		}
		if err := sleep(ctx, cfg.Settle); err != nil {
			return out, fmt.Errorf("reenrich: %w", err)
		}
		if err := s.backfill(ctx, cfg, st); err != nil {
			out.Copied = st.Done
			return out, err
		}
		// What the backfill wrote last must be searchable before search
		// moves over, or a refresh interval's worth would seem to vanish.
		if err := s.refresh(ctx, lineage(st.Target)+"-*"); err != nil {
			out.Copied = st.Done
			return out, err
		}
		if err := s.swapRead(ctx, st); err != nil {
			out.Copied = st.Done
			return out, err
		}
		st.Phase = "swapped"
		if err := s.saveState(ctx, st); err != nil {
			return out, err
		}
	}
	out.Copied = st.Done
	if !cfg.KeepOld {
		// Writers still mirroring on their cached view of the aliases
		// would recreate a deleted index: let that view expire first.
		if err := sleep(ctx, cfg.Settle); err != nil {
			return out, fmt.Errorf("reenrich: %w", err)
		}
		if err := s.deleteIndices(ctx, st.Sources); err != nil {
			return out, err
		}
		out.Deleted = st.Sources
	}
	st.Phase = "done"
	if err := s.saveState(ctx, st); err != nil {
		return out, err
	}
	out.Finished = true
	s.log.Info("re-enrichment finished", zap.String("target", st.Target), zap.Int64("copied", st.Done))
	return out, nil
}

// startReenrich creates the new lineage and saves the first state.
func (s *Store) startReenrich(ctx context.Context, cfg ReenrichConfig) (*reenrichState, error) {
	t, err := s.readTopology(ctx)
	if err != nil {
		return nil, err
	}
	if len(t.mirror) > 0 {
		return nil, fmt.Errorf("write alias %s already points outside the read lineage (%s); a re-enrichment without state is in the way", s.names.WriteAlias, t.write)
	}
	now := time.Now().UTC()
	target := fmt.Sprintf("%s-r%s-000001", s.names.ReadAlias, now.Format("20060102150405"))
	body, err := json.Marshal(map[string]any{
		"mappings": map[string]any{"_meta": map[string]any{"enrichment_version": cfg.Version}},
	})
	if err != nil {
		return nil, fmt.Errorf("encode index body: %w", err)
	}
	res, err := s.es.Indices.Create(target, s.es.Indices.Create.WithContext(ctx),
		s.es.Indices.Create.WithBody(bytes.NewReader(body)), s.es.Indices.Create.WithWaitForActiveShards("1"))
	if err != nil {
		return nil, fmt.Errorf("create %s: %w: %w", target, index.ErrTransient, err)
	}
	if err := decode(res, nil); err != nil {
		return nil, fmt.Errorf("create %s: %w", target, err)
	}
	total, err := s.countIn(ctx, t.read)
	if err != nil {
		return nil, err
	}
	st := &reenrichState{Version: cfg.Version, Target: target, Sources: t.read, Total: total, Phase: "copying", Started: now}
	if err := s.saveState(ctx, st); err != nil {
		return nil, err
	}
	s.log.Info("re-enrichment started", zap.String("target", target), zap.Strings("sources", t.read), zap.Int64("total", total))
	return st, nil
}

// switchWrite moves the write alias to target unless it is there.
func (s *Store) switchWrite(ctx context.Context, target string) error {
	t, err := s.readTopology(ctx)
	if err != nil {
		return err
	}
	if lineage(t.write) == lineage(target) {
		return nil
	}
	return s.aliasActions(ctx, []map[string]any{
		{"remove": map[string]any{"index": t.write, "alias": s.names.WriteAlias}},
		{"add": map[string]any{"index": target, "alias": s.names.WriteAlias, "is_write_index": true}},
	})
}

// swapRead moves the read alias from the sources to the target lineage.
func (s *Store) swapRead(ctx context.Context, st *reenrichState) error {
	members, err := s.aliasMembers(ctx, s.names.WriteAlias)
	if err != nil {
		return err
	}
	var actions []map[string]any
	for _, src := range st.Sources {
		actions = append(actions, map[string]any{"remove": map[string]any{"index": src, "alias": s.names.ReadAlias}})
	}
	for idx := range members {
		if lineage(idx) == lineage(st.Target) {
			actions = append(actions, map[string]any{"add": map[string]any{"index": idx, "alias": s.names.ReadAlias}})
		}
	}
	return s.aliasActions(ctx, actions)
}

// refresh makes everything written to the indices matching pattern
// searchable now.
func (s *Store) refresh(ctx context.Context, pattern string) error {
	res, err := s.es.Indices.Refresh(s.es.Indices.Refresh.WithContext(ctx), s.es.Indices.Refresh.WithIndex(pattern))
	if err != nil {
		return fmt.Errorf("refresh %s: %w: %w", pattern, index.ErrTransient, err)
	}
	if err := decode(res, nil); err != nil {
		return fmt.Errorf("refresh %s: %w", pattern, err)
	}
	return nil
}

func (s *Store) deleteIndices(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	res, err := s.es.Indices.Delete(names, s.es.Indices.Delete.WithContext(ctx), s.es.Indices.Delete.WithIgnoreUnavailable(true))
	if err != nil {
		return fmt.Errorf("delete %v: %w: %w", names, index.ErrTransient, err)
	}
	if err := decode(res, nil); err != nil {
		return fmt.Errorf("delete %v: %w", names, err)
	}
	return nil
}

func (s *Store) countIn(ctx context.Context, indices []string) (int64, error) {
	res, err := s.es.Count(s.es.Count.WithContext(ctx), s.es.Count.WithIndex(indices...))
	if err != nil {
		return 0, fmt.Errorf("count: %w: %w", index.ErrTransient, err)
	}
	var body struct {
		Count int64 `json:"count"`
	}
	if err := decode(res, &body); err != nil {
		return 0, fmt.Errorf("count %v: %w", indices, err)
	}
	return body.Count, nil
}

// backfill copies the sources into the target from st.Cursor on, saving
// the state after each batch.
func (s *Store) backfill(ctx context.Context, cfg ReenrichConfig, st *reenrichState) error {
	start, startDone := time.Now(), st.Done
	for {
		docs, last, err := s.readAfter(ctx, st.Sources, st.Cursor, cfg.BatchSize)
		if err != nil {
			return err
		}
		if len(docs) == 0 {
			return nil
		}
		for i := range docs {
			docs[i].Tags = cfg.Tag(&docs[i].Article)
			docs[i].Enrichment = article.Enrichment{Version: cfg.Version, At: time.Now().UTC()}
		}
		units := make([]unit, 0, len(docs))
		for i := range docs {
			b, err := encodeItem(&docs[i], st.Target)
			if err != nil {
				return fmt.Errorf("reenrich %s: %w", docs[i].ID, err)
			}
			units = append(units, unit{doc: i, body: b})
		}
		rej, err := s.sendUnits(ctx, docs, units)
		if err != nil {
			return fmt.Errorf("reenrich batch after %q: %w", st.Cursor, err)
		}
		for _, r := range rej {
			// It was stored once with this mapping; a refusal now is a bug
			// worth stopping for, not an article to lose.
			return fmt.Errorf("reenrich: %s refused by %s: %s", r.ID, st.Target, r.Reason)
		}
		st.Cursor = last
		st.Done += int64(len(docs))
		if err := s.saveState(ctx, st); err != nil {
			return err
		}
		elapsed := time.Since(start)
		rate := float64(st.Done-startDone) / max(elapsed.Seconds(), 1e-3)
		if cfg.Rate > 0 {
			// Hold the average at the cap.
			due := time.Duration(float64(st.Done-startDone) / cfg.Rate * float64(time.Second))
			if err := sleep(ctx, due-elapsed); err != nil {
				return fmt.Errorf("reenrich: %w", err)
			}
			rate = min(rate, cfg.Rate)
		}
		if cfg.Progress != nil {
			p := ReenrichProgress{Done: st.Done, Total: max(st.Total, st.Done), Rate: rate}
			if rate > 0 && st.Total > st.Done {
				p.ETA = time.Duration(float64(st.Total-st.Done) / rate * float64(time.Second))
			}
			cfg.Progress(p)
		}
	}
}

// readAfter reads up to n documents of indices with ids after cursor, in
// id order, as articles, and returns the last id.
func (s *Store) readAfter(ctx context.Context, indices []string, cursor string, n int) ([]article.Enriched, string, error) {
	q := map[string]any{
		"size":             n,
		"sort":             []any{map[string]any{"id": "asc"}},
		"query":            map[string]any{"match_all": map[string]any{}},
		"track_total_hits": false,
	}
	if cursor != "" {
		q["search_after"] = []any{cursor}
	}
	b, err := json.Marshal(q)
	if err != nil {
		return nil, "", fmt.Errorf("encode search: %w", err)
	}
	res, err := s.es.Search(s.es.Search.WithContext(ctx), s.es.Search.WithIndex(indices...), s.es.Search.WithBody(bytes.NewReader(b)))
	if err != nil {
		return nil, "", fmt.Errorf("read stored articles: %w: %w", index.ErrTransient, err)
	}
	var got struct {
		Hits struct {
			Hits []struct {
				Source document `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := decode(res, &got); err != nil {
		return nil, "", fmt.Errorf("read stored articles: %w", err)
	}
	out := make([]article.Enriched, 0, len(got.Hits.Hits))
	last := cursor
	for _, h := range got.Hits.Hits {
		d := h.Source
		if d.Article != nil && d.Article.ID == d.ID {
			// The stored article whole (every field, its story): only the
			// tags are redone.
			out = append(out, article.Enriched{Article: d.Article.Article, Story: d.Article.Story})
			last = d.ID
			continue
		}
		out = append(out, article.Enriched{Article: article.Article{
			ID: d.ID, Title: d.Title, Summary: d.Summary, Body: d.Body, URL: d.URL,
			Source: d.Source, Language: d.Language, Published: d.Published, Updated: d.Updated, Ingested: d.Ingested,
		}})
		last = d.ID
	}
	return out, last, nil
}

// refuseDuringReenrich is Rollover's guard.
func (s *Store) refuseDuringReenrich(ctx context.Context) error {
	t, err := s.readTopology(ctx)
	if err != nil {
		return err
	}
	if len(t.mirror) > 0 {
		return fmt.Errorf("rollover refused: a re-enrichment into %s is running; roll over after it ends", t.write)
	}
	return nil
}
