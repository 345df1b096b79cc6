package elastic

// Index lifecycle: generations behind aliases, rollover and retention.
//
// The store's indices are generations B-000001, B-000002, … of one
// lineage (a re-enrichment starts a new lineage, B-e<version>-000001).
// The write alias B-write names the newest generation (is_write_index);
// the read alias B covers every generation of the live lineage, so search
// spans them all. Rollover (the engine's _rollover API, run by `newswire
// index rollover`, for example from a CronJob) starts the next generation
// when the write generation is older, larger or fuller than the given
// conditions; retention deletes whole generations once their successor is
// older than the retention period, i.e. once no write has reached them for
// that long.
//
// One copy per article: IndexBatch writes an article to the generation
// that already holds it (found by a real-time multi-get over the older
// generations of the lineage) and a new article to the newest generation,
// naming concrete indices, so that a rollover between the lookup and the
// write cannot split an article over two generations, and search, counts
// and facets never see it twice.
//
// During a re-enrichment the write alias already names the new lineage
// while the read alias still covers the old one; IndexBatch then writes
// every article to both, so that search stays fresh and the new lineage
// misses nothing (see Reenrich).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/index"
)

// topologyTTL is how long IndexBatch reuses what it read of the aliases.
// A writer with a stale view writes to a generation that is still
// readable (see the package notes); Reenrich waits for it to pass.
const topologyTTL = time.Second

// topology is where the store's generations are.
type topology struct {
	write  string   // the concrete write index
	read   []string // indices behind the read alias, sorted
	lookup []string // older generations of the write index's lineage, where an article may live
	mirror []string // while a re-enrichment runs: the read lineage, also written to
}

var genSuffix = regexp.MustCompile(`-\d+$`)

// lineage is the index name without its generation number.
func lineage(name string) string { return genSuffix.ReplaceAllString(name, "") }

// newest is the last name in generation order (names of one lineage
// differ only in their zero-padded number).
func newest(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return slices.Max(names)
}

// aliasMembers reads which indices carry the given aliases: index name →
// alias name → is_write_index.
func (s *Store) aliasMembers(ctx context.Context, aliases ...string) (map[string]map[string]bool, error) {
	res, err := s.es.Indices.GetAlias(
		s.es.Indices.GetAlias.WithContext(ctx),
		s.es.Indices.GetAlias.WithName(aliases...),
	)
	if err != nil {
		return nil, fmt.Errorf("get aliases: %w: %w", index.ErrTransient, err)
	}
	if res.StatusCode == http.StatusNotFound {
		// 404 lists what was found, if anything, with an "error" key.
		var raw map[string]json.RawMessage
		if err := json.NewDecoder(res.Body).Decode(&raw); err != nil {
			res.Body.Close()
			return map[string]map[string]bool{}, nil
		}
		res.Body.Close()
		out := map[string]map[string]bool{}
		for k, v := range raw {
			if k == "error" || k == "status" {
				continue
			}
			var m struct {
				Aliases map[string]struct {
					IsWriteIndex *bool `json:"is_write_index"`
				} `json:"aliases"`
			}
			if json.Unmarshal(v, &m) == nil {
				out[k] = map[string]bool{}
				for a, f := range m.Aliases {
					out[k][a] = f.IsWriteIndex != nil && *f.IsWriteIndex
				}
			}
		}
		return out, nil
	}
	var got map[string]struct {
		Aliases map[string]struct {
			IsWriteIndex *bool `json:"is_write_index"`
		} `json:"aliases"`
	}
	if err := decode(res, &got); err != nil {
		return nil, fmt.Errorf("get aliases %v: %w", aliases, err)
	}
	out := make(map[string]map[string]bool, len(got))
	for idx, m := range got {
		out[idx] = map[string]bool{}
		for a, f := range m.Aliases {
			out[idx][a] = f.IsWriteIndex != nil && *f.IsWriteIndex
		}
	}
	return out, nil
}

// readTopology reads the aliases; see topology.
func (s *Store) readTopology(ctx context.Context) (topology, error) {
	members, err := s.aliasMembers(ctx, s.names.ReadAlias, s.names.WriteAlias)
	if err != nil {
		return topology{}, err
	}
	var t topology
	var writers []string
	for idx, aliases := range members {
		if _, ok := aliases[s.names.ReadAlias]; ok {
			t.read = append(t.read, idx)
		}
		if w, ok := aliases[s.names.WriteAlias]; ok {
			writers = append(writers, idx)
			if w {
				t.write = idx
			}
		}
	}
	if t.write == "" && len(writers) == 1 {
		t.write = writers[0]
	}
	if t.write == "" {
		return topology{}, fmt.Errorf("write alias %s names no write index (%v): run setup", s.names.WriteAlias, writers)
	}
	sort.Strings(t.read)
	lin := lineage(t.write)
	sameLineage := false
	for _, r := range t.read {
		if lineage(r) == lin {
			sameLineage = true
			if r != t.write {
				t.lookup = append(t.lookup, r)
			}
		}
	}
	if !sameLineage {
		t.mirror = t.read
	}
	return t, nil
}

// topology returns the cached topology, read again after topologyTTL.
func (s *Store) topology(ctx context.Context) (topology, error) {
	s.topoMu.Lock()
	defer s.topoMu.Unlock()
	if !s.topoAt.IsZero() && time.Since(s.topoAt) < topologyTTL {
		return s.topo, nil
	}
	t, err := s.readTopology(ctx)
	if err != nil {
		return topology{}, err
	}
	s.topo, s.topoAt = t, time.Now()
	return t, nil
}

// forgetTopology makes the next IndexBatch read the aliases again.
func (s *Store) forgetTopology() {
	s.topoMu.Lock()
	s.topoAt = time.Time{}
	s.topoMu.Unlock()
}

// locate finds which of indices holds each id, with one real-time
// multi-get. When several do (which IndexBatch avoids), the newest wins.
func (s *Store) locate(ctx context.Context, ids []string, indices []string) (map[string]string, error) {
	if len(indices) == 0 || len(ids) == 0 {
		return nil, nil
	}
	type ref struct {
		Index  string `json:"_index"`
		ID     string `json:"_id"`
		Source bool   `json:"_source"`
	}
	docs := make([]ref, 0, len(ids)*len(indices))
	for _, id := range ids {
		for _, idx := range indices {
			docs = append(docs, ref{Index: idx, ID: id})
		}
	}
	body, err := json.Marshal(map[string]any{"docs": docs})
	if err != nil {
		return nil, fmt.Errorf("encode multi-get: %w", err)
	}
	res, err := s.es.Mget(bytes.NewReader(body), s.es.Mget.WithContext(ctx), s.es.Mget.WithRealtime(true))
	if err != nil {
		return nil, fmt.Errorf("locate articles: %w: %w", index.ErrTransient, err)
	}
	var got struct {
		Docs []struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
			Found bool   `json:"found"`
		} `json:"docs"`
	}
	if err := decode(res, &got); err != nil {
		return nil, fmt.Errorf("locate articles: %w", err)
	}
	out := map[string]string{}
	for _, d := range got.Docs {
		if d.Found && d.Index > out[d.ID] {
			out[d.ID] = d.Index
		}
	}
	return out, nil
}

// RolloverConditions start a new generation when any one is met. Zero
// fields are not conditions; with none set, Rollover always rolls over.
type RolloverConditions struct {
	MaxAge  time.Duration // since the write generation was created
	MaxDocs int64
	MaxSize string // primary storage, e.g. "50gb"
}

// Validate reports every problem of the conditions at once.
func (c RolloverConditions) Validate() error {
	var errs []string
	if c.MaxAge < 0 {
		errs = append(errs, fmt.Sprintf("max age %s is negative", c.MaxAge))
	}
	if c.MaxAge > 0 && c.MaxAge < time.Second {
		errs = append(errs, fmt.Sprintf("max age %s is under a second", c.MaxAge))
	}
	if c.MaxDocs < 0 {
		errs = append(errs, fmt.Sprintf("max docs %d is negative", c.MaxDocs))
	}
	if c.MaxSize != "" && !regexp.MustCompile(`^\d+(b|kb|mb|gb|tb|pb)$`).MatchString(c.MaxSize) {
		errs = append(errs, fmt.Sprintf("max size %q: want a number and a unit (b, kb, mb, gb, tb, pb)", c.MaxSize))
	}
	if len(errs) > 0 {
		return fmt.Errorf("rollover conditions: %s", strings.Join(errs, "; "))
	}
	return nil
}

// RolloverResult says what Rollover did.
type RolloverResult struct {
	RolledOver bool
	OldIndex   string
	NewIndex   string
	Conditions map[string]bool // condition → met
}

// Rollover starts a new write generation when a condition is met (always
// when none is set). The new generation joins the read alias in the same
// call, so search never misses it.
func (s *Store) Rollover(ctx context.Context, c RolloverConditions) (RolloverResult, error) {
	if err := c.Validate(); err != nil {
		return RolloverResult{}, err
	}
	info, err := s.Engine(ctx)
	if err != nil {
		return RolloverResult{}, fmt.Errorf("rollover: %w", err)
	}
	if err := s.refuseDuringReenrich(ctx); err != nil {
		return RolloverResult{}, err
	}
	conds := map[string]any{}
	if c.MaxAge > 0 {
		conds["max_age"] = fmt.Sprintf("%ds", int64(c.MaxAge/time.Second))
	}
	if c.MaxDocs > 0 {
		conds["max_docs"] = c.MaxDocs
	}
	if c.MaxSize != "" {
		// Elasticsearch 7.13+ and 8 measure the largest primary shard
		// (max_size is deprecated there); OpenSearch and older
		// Elasticsearch the whole primary storage. With one shard (the
		// default) both are the same.
		if info.Engine == EngineElasticsearch && info.atLeast(7, 13) {
			conds["max_primary_shard_size"] = c.MaxSize
		} else {
			conds["max_size"] = c.MaxSize
		}
	}
	body, err := json.Marshal(map[string]any{
		"conditions": conds,
		"aliases":    map[string]any{s.names.ReadAlias: map[string]any{}},
	})
	if err != nil {
		return RolloverResult{}, fmt.Errorf("encode rollover: %w", err)
	}
	res, err := s.es.Indices.Rollover(s.names.WriteAlias,
		s.es.Indices.Rollover.WithContext(ctx),
		s.es.Indices.Rollover.WithBody(bytes.NewReader(body)),
		s.es.Indices.Rollover.WithWaitForActiveShards("1"),
	)
	if err != nil {
		return RolloverResult{}, fmt.Errorf("rollover %s: %w: %w", s.names.WriteAlias, index.ErrTransient, err)
	}
	var got struct {
		RolledOver bool            `json:"rolled_over"`
		OldIndex   string          `json:"old_index"`
		NewIndex   string          `json:"new_index"`
		Conditions map[string]bool `json:"conditions"`
	}
	if err := decode(res, &got); err != nil {
		return RolloverResult{}, fmt.Errorf("rollover %s: %w", s.names.WriteAlias, err)
	}
	s.forgetTopology()
	r := RolloverResult{RolledOver: got.RolledOver, OldIndex: got.OldIndex, NewIndex: got.NewIndex, Conditions: got.Conditions}
	if r.RolledOver {
		s.log.Info("rolled over", zap.String("old_index", r.OldIndex), zap.String("new_index", r.NewIndex))
	}
	return r, nil
}

// Generation is one index behind the read alias.
type Generation struct {
	Index   string
	Created time.Time
	Docs    int64
	Write   bool
}

// Generations lists the indices behind the read alias and the write
// index, oldest first.
func (s *Store) Generations(ctx context.Context) ([]Generation, error) {
	t, err := s.readTopology(ctx)
	if err != nil {
		return nil, err
	}
	names := slices.Clone(t.read)
	if !slices.Contains(names, t.write) {
		names = append(names, t.write)
	}
	sort.Strings(names)
	res, err := s.es.Indices.GetSettings(
		s.es.Indices.GetSettings.WithContext(ctx),
		s.es.Indices.GetSettings.WithIndex(names...),
		s.es.Indices.GetSettings.WithName("index.creation_date"),
	)
	if err != nil {
		return nil, fmt.Errorf("get index settings: %w: %w", index.ErrTransient, err)
	}
	var settings map[string]struct {
		Settings struct {
			Index struct {
				CreationDate json.Number `json:"creation_date"`
			} `json:"index"`
		} `json:"settings"`
	}
	if err := decode(res, &settings); err != nil {
		return nil, fmt.Errorf("get index settings: %w", err)
	}
	res, err = s.es.Cat.Indices(s.es.Cat.Indices.WithContext(ctx), s.es.Cat.Indices.WithIndex(names...),
		s.es.Cat.Indices.WithFormat("json"), s.es.Cat.Indices.WithH("index", "docs.count"))
	if err != nil {
		return nil, fmt.Errorf("cat indices: %w: %w", index.ErrTransient, err)
	}
	var cat []struct {
		Index string      `json:"index"`
		Docs  json.Number `json:"docs.count"`
	}
	if err := decode(res, &cat); err != nil {
		return nil, fmt.Errorf("cat indices: %w", err)
	}
	docs := map[string]int64{}
	for _, c := range cat {
		docs[c.Index], _ = c.Docs.Int64()
	}
	out := make([]Generation, 0, len(names))
	for _, n := range names {
		ms, _ := settings[n].Settings.Index.CreationDate.Int64()
		out = append(out, Generation{Index: n, Created: time.UnixMilli(ms).UTC(), Docs: docs[n], Write: n == t.write})
	}
	return out, nil
}

// DeleteExpired deletes the generations of the read alias that no write
// has reached for longer than retention: those whose successor in their
// lineage was created before now-retention. The write generation is never
// deleted. It returns the deleted index names.
func (s *Store) DeleteExpired(ctx context.Context, retention time.Duration, now time.Time) ([]string, error) {
	if retention <= 0 {
		return nil, fmt.Errorf("retention %s: want a positive duration", retention)
	}
	gens, err := s.Generations(ctx)
	if err != nil {
		return nil, fmt.Errorf("delete expired generations: %w", err)
	}
	cutoff := now.Add(-retention)
	var doomed []string
	for i, g := range gens {
		if g.Write {
			continue
		}
		// The successor: the next generation of the same lineage.
		for _, next := range gens[i+1:] {
			if lineage(next.Index) == lineage(g.Index) {
				if next.Created.Before(cutoff) {
					doomed = append(doomed, g.Index)
				}
				break
			}
		}
	}
	if len(doomed) == 0 {
		return nil, nil
	}
	res, err := s.es.Indices.Delete(doomed, s.es.Indices.Delete.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("delete generations %v: %w: %w", doomed, index.ErrTransient, err)
	}
	if err := decode(res, nil); err != nil {
		return nil, fmt.Errorf("delete generations %v: %w", doomed, err)
	}
	s.forgetTopology()
	s.log.Info("expired generations deleted", zap.Strings("indices", doomed), zap.Duration("retention", retention))
	return doomed, nil
}
