package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"

	"go.uber.org/zap"

	"github.com/newswire/newswire/index"
)

// templateVersion is recorded in the template; raise it with the mapping.
// 2 added subject_countries.
const templateVersion = 2

// textField is an English-analysed text field with a standard-analysed
// .std subfield (exact-word matching, kept for future query features).
func textField() map[string]any {
	return map[string]any{
		"type":     "text",
		"analyzer": "english",
		"fields": map[string]any{
			"std": map[string]any{"type": "text", "analyzer": "standard"},
		},
	}
}

func keywordField() map[string]any { return map[string]any{"type": "keyword"} }

// storedKeyword is a keyword kept in _source for display only.
func storedKeyword() map[string]any {
	return map[string]any{"type": "keyword", "index": false, "doc_values": false}
}

func dateField() map[string]any { return map[string]any{"type": "date"} }

// mappings is the explicit, strict mapping of every index of the store.
func mappings() map[string]any {
	return map[string]any{
		"dynamic": "strict",
		"properties": map[string]any{
			"id":           keywordField(),
			"title":        textField(),
			"summary":      textField(),
			"body":         textField(),
			"url":          storedKeyword(),
			"source":       keywordField(),
			"language":     keywordField(),
			"countries":    keywordField(),
			"leaders":      keywordField(),
			"leader_names": storedKeyword(),
			"treaties":     keywordField(),
			"treaty_names": storedKeyword(),
			"keywords":     keywordField(),
			"published":    dateField(),
			"updated":      dateField(),
			"ingested":     dateField(),
			"version":      map[string]any{"type": "long"},
			// Search features (searchfields.go).
			"story":          keywordField(),
			"treaty_actions": keywordField(),
			// index.SubjectCountries; added to older indices by Setup.
			"subject_countries": keywordField(),
			"article":           map[string]any{"type": "object", "enabled": false},
		},
	}
}

// templateBody is the composable index template for the store's indices.
func (s *Store) templateBody() map[string]any {
	return map[string]any{
		"index_patterns": []string{s.names.Pattern},
		"priority":       200,
		"version":        templateVersion,
		"_meta":          map[string]any{"managed_by": "newswire"},
		"template": map[string]any{
			"settings": map[string]any{
				"index": map[string]any{
					"number_of_shards":   s.cfg.Shards,
					"number_of_replicas": s.cfg.Replicas,
					"refresh_interval":   "1s",
				},
			},
			"mappings": mappings(),
		},
	}
}

// Setup creates the index template, the first index and the aliases when
// missing. It is idempotent, and safe to run from several processes at
// once. An existing template or index whose mapping lacks fields of this
// build's, and differs in nothing else, is extended with them (an
// additive mapping change, which the engine applies in place; documents
// written before have no value for the new fields until they are written
// again, by a re-enrichment for example). Any other difference is an
// error naming it; Setup never changes an existing field.
func (s *Store) Setup(ctx context.Context) error {
	info, err := s.Engine(ctx)
	if err != nil {
		return fmt.Errorf("setup %s: %w", s.cfg.Index, err)
	}
	s.log.Info("search engine", zap.String("engine", string(info.Engine)), zap.String("version", info.Version))
	if err := s.ensureTemplate(ctx); err != nil {
		return fmt.Errorf("setup %s: %w", s.cfg.Index, err)
	}
	if err := s.ensureIndex(ctx); err != nil {
		return fmt.Errorf("setup %s: %w", s.cfg.Index, err)
	}
	return nil
}

func (s *Store) ensureTemplate(ctx context.Context) error {
	res, err := s.es.Indices.GetIndexTemplate(
		s.es.Indices.GetIndexTemplate.WithContext(ctx),
		s.es.Indices.GetIndexTemplate.WithName(s.names.Template),
	)
	if err != nil {
		return fmt.Errorf("get index template: %w: %w", index.ErrTransient, err)
	}
	if res.StatusCode == http.StatusNotFound {
		_ = decode(res, nil)
		if err := s.putTemplate(ctx, true); err != nil {
			var ee *esError
			if errors.As(err, &ee) && ee.Status == http.StatusBadRequest && strings.Contains(ee.Reason, "already exists") {
				return s.ensureTemplate(ctx) // created concurrently: compare it
			}
			return err
		}
		s.log.Info("index template created", zap.String("template", s.names.Template))
		return nil
	}
	var got struct {
		IndexTemplates []struct {
			Name          string `json:"name"`
			IndexTemplate struct {
				IndexPatterns []string `json:"index_patterns"`
				Template      struct {
					Mappings map[string]any `json:"mappings"`
				} `json:"template"`
			} `json:"index_template"`
		} `json:"index_templates"`
	}
	if err := decode(res, &got); err != nil {
		return fmt.Errorf("get index template %s: %w", s.names.Template, err)
	}
	for _, t := range got.IndexTemplates {
		if t.Name != s.names.Template {
			continue
		}
		if !reflect.DeepEqual(t.IndexTemplate.IndexPatterns, []string{s.names.Pattern}) {
			return fmt.Errorf("index template %s exists with index patterns %v, want [%s]; remove or rename it", s.names.Template, t.IndexTemplate.IndexPatterns, s.names.Pattern)
		}
		diff := mappingDiff(t.IndexTemplate.Template.Mappings, mappings())
		if diff == "" {
			return nil
		}
		add := missingProperties(t.IndexTemplate.Template.Mappings, mappings())
		if add == nil {
			return fmt.Errorf("index template %s exists with a different mapping (%s); migrate to a new alias base instead of overwriting it", s.names.Template, diff)
		}
		// Only fields are missing: replace the template, so that new
		// generations get them.
		if err := s.putTemplate(ctx, false); err != nil {
			return err
		}
		s.log.Info("index template mapping extended", zap.String("template", s.names.Template), zap.Strings("fields", sortedKeys(add)))
		return nil
	}
	return fmt.Errorf("get index template %s: not in the answer", s.names.Template)
}

// putTemplate writes this build's index template; with create, only when
// none exists.
func (s *Store) putTemplate(ctx context.Context, create bool) error {
	body, err := json.Marshal(s.templateBody())
	if err != nil {
		return fmt.Errorf("encode index template: %w", err)
	}
	res, err := s.es.Indices.PutIndexTemplate(s.names.Template, bytes.NewReader(body),
		s.es.Indices.PutIndexTemplate.WithContext(ctx),
		s.es.Indices.PutIndexTemplate.WithCreate(create),
	)
	if err != nil {
		return fmt.Errorf("put index template: %w: %w", index.ErrTransient, err)
	}
	if err := decode(res, nil); err != nil {
		return fmt.Errorf("put index template %s: %w", s.names.Template, err)
	}
	return nil
}

// missingProperties returns the properties of want that got lacks when
// adding them is all it takes for got to agree with want: an additive
// change, which an existing index accepts (PUT _mapping adds fields and
// never changes one). It returns nil when nothing is missing or when got
// differs in more than missing fields.
func missingProperties(got, want map[string]any) map[string]any {
	wp, _ := want["properties"].(map[string]any)
	gp, _ := got["properties"].(map[string]any)
	add := map[string]any{}
	for f, v := range wp {
		if _, ok := gp[f]; !ok {
			add[f] = v
		}
	}
	if len(add) == 0 {
		return nil
	}
	merged := make(map[string]any, len(got))
	for k, v := range got {
		merged[k] = v
	}
	props := make(map[string]any, len(gp)+len(add))
	for f, v := range gp {
		props[f] = v
	}
	for f, v := range add {
		props[f] = v
	}
	merged["properties"] = props
	if mappingDiff(merged, want) != "" {
		return nil
	}
	return add
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// extendMapping adds the properties add to the mapping of indices.
func (s *Store) extendMapping(ctx context.Context, indices []string, add map[string]any) error {
	body, err := json.Marshal(map[string]any{"properties": add})
	if err != nil {
		return fmt.Errorf("encode mapping: %w", err)
	}
	res, err := s.es.Indices.PutMapping(indices, bytes.NewReader(body), s.es.Indices.PutMapping.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("put mapping: %w: %w", index.ErrTransient, err)
	}
	if err := decode(res, nil); err != nil {
		return fmt.Errorf("put mapping of %v: %w", indices, err)
	}
	s.log.Info("index mapping extended", zap.Strings("indices", indices), zap.Strings("fields", sortedKeys(add)))
	return nil
}

func (s *Store) ensureIndex(ctx context.Context) error {
	res, err := s.es.Indices.GetAlias(
		s.es.Indices.GetAlias.WithContext(ctx),
		s.es.Indices.GetAlias.WithName(s.names.WriteAlias),
	)
	if err != nil {
		return fmt.Errorf("get alias: %w: %w", index.ErrTransient, err)
	}
	if res.StatusCode == http.StatusNotFound {
		_ = decode(res, nil)
		body, err := json.Marshal(map[string]any{
			"aliases": map[string]any{
				s.names.WriteAlias: map[string]any{"is_write_index": true},
				s.names.ReadAlias:  map[string]any{},
			},
		})
		if err != nil {
			return fmt.Errorf("encode index body: %w", err)
		}
		res, err := s.es.Indices.Create(s.names.FirstIndex,
			s.es.Indices.Create.WithContext(ctx),
			s.es.Indices.Create.WithBody(bytes.NewReader(body)),
			s.es.Indices.Create.WithWaitForActiveShards("1"),
		)
		if err != nil {
			return fmt.Errorf("create index: %w: %w", index.ErrTransient, err)
		}
		if err := decode(res, nil); err != nil {
			var ee *esError
			if !errors.As(err, &ee) || ee.Type != "resource_already_exists_exception" {
				return fmt.Errorf("create index %s: %w", s.names.FirstIndex, err)
			}
			// Created concurrently: fall through and check it.
		} else {
			s.log.Info("index created", zap.String("index", s.names.FirstIndex))
		}
		return s.checkWriteIndex(ctx)
	}
	if err := decode(res, nil); err != nil {
		return fmt.Errorf("get alias %s: %w", s.names.WriteAlias, err)
	}
	return s.checkWriteIndex(ctx)
}

// checkWriteIndex compares the mapping of the indices behind the write
// and read aliases with this build's, extends those that only lack
// fields, and makes sure the read alias covers the write indices. The
// read alias's indices count too: IndexBatch writes to older generations
// and, during a re-enrichment, to the read lineage.
func (s *Store) checkWriteIndex(ctx context.Context) error {
	idxNames, err := s.checkMappings(ctx, s.names.WriteAlias)
	if err != nil {
		return err
	}
	if len(idxNames) == 0 {
		return fmt.Errorf("write alias %s points to no index", s.names.WriteAlias)
	}
	if _, err := s.checkMappings(ctx, s.names.ReadAlias); err != nil {
		return err
	}
	// While a re-enrichment runs, the write index is not readable yet by
	// design (the read alias moves at its end): leave the aliases alone.
	if running, err := s.ReenrichRunning(ctx); err != nil {
		return err
	} else if running {
		s.log.Info("re-enrichment running; read alias left as it is")
		return nil
	}
	res, err := s.es.Indices.PutAlias(idxNames, s.names.ReadAlias, s.es.Indices.PutAlias.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("put read alias: %w: %w", index.ErrTransient, err)
	}
	if err := decode(res, nil); err != nil {
		return fmt.Errorf("put read alias %s: %w", s.names.ReadAlias, err)
	}
	return nil
}

// checkMappings compares the mapping of every index behind alias with
// this build's, extends those that only lack fields, and returns their
// names, sorted. An alias that does not exist has no indices.
func (s *Store) checkMappings(ctx context.Context, alias string) ([]string, error) {
	res, err := s.es.Indices.GetMapping(
		s.es.Indices.GetMapping.WithContext(ctx),
		s.es.Indices.GetMapping.WithIndex(alias),
	)
	if err != nil {
		return nil, fmt.Errorf("get mapping: %w: %w", index.ErrTransient, err)
	}
	if res.StatusCode == http.StatusNotFound {
		_ = decode(res, nil)
		return nil, nil
	}
	var got map[string]struct {
		Mappings map[string]any `json:"mappings"`
	}
	if err := decode(res, &got); err != nil {
		return nil, fmt.Errorf("get mapping of %s: %w", alias, err)
	}
	names := make([]string, 0, len(got))
	for name := range got {
		names = append(names, name)
	}
	sort.Strings(names)
	// Indices lacking the same fields are extended in one call.
	extend := map[string][]string{}
	adds := map[string]map[string]any{}
	for _, name := range names {
		m := got[name].Mappings
		diff := mappingDiff(m, mappings())
		if diff == "" {
			continue
		}
		add := missingProperties(m, mappings())
		if add == nil {
			return nil, fmt.Errorf("index %s exists with a different mapping (%s); migrate to a new alias base instead of overwriting it", name, diff)
		}
		key := strings.Join(sortedKeys(add), ",")
		extend[key] = append(extend[key], name)
		adds[key] = add
	}
	for _, key := range sortedKeys(extend) {
		if err := s.extendMapping(ctx, extend[key], adds[key]); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// mappingDiff describes how got differs from want: a missing or different
// "dynamic" setting, or a property that is missing or has an attribute of
// another value. Attributes that want leaves out are not compared (the
// engine may add defaults), and properties that want lacks are reported
// (a strict mapping has no room for them). It returns "" when they agree.
func mappingDiff(got, want map[string]any) string {
	norm := func(v any) any {
		b, _ := json.Marshal(v)
		var out any
		_ = json.Unmarshal(b, &out)
		return out
	}
	g, _ := norm(got).(map[string]any)
	w, _ := norm(want).(map[string]any)
	var diffs []string
	if fmt.Sprint(g["dynamic"]) != fmt.Sprint(w["dynamic"]) {
		diffs = append(diffs, fmt.Sprintf("dynamic is %v, want %v", g["dynamic"], w["dynamic"]))
	}
	gp, _ := g["properties"].(map[string]any)
	wp, _ := w["properties"].(map[string]any)
	var fields []string
	for f := range wp {
		fields = append(fields, f)
	}
	for f := range gp {
		if _, ok := wp[f]; !ok {
			diffs = append(diffs, fmt.Sprintf("unexpected field %s", f))
		}
	}
	sort.Strings(fields)
	for _, f := range fields {
		gf, ok := gp[f].(map[string]any)
		if !ok {
			diffs = append(diffs, fmt.Sprintf("field %s missing", f))
			continue
		}
		if d := subsetDiff(f, gf, wp[f].(map[string]any)); d != "" {
			diffs = append(diffs, d)
		}
	}
	sort.Strings(diffs)
	return strings.Join(diffs, "; ")
}

func subsetDiff(path string, got, want map[string]any) string {
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		wv := want[k]
		gv, ok := got[k]
		if wm, isMap := wv.(map[string]any); isMap {
			gm, _ := gv.(map[string]any)
			if d := subsetDiff(path+"."+k, gm, wm); d != "" {
				return d
			}
			continue
		}
		if !ok || fmt.Sprint(gv) != fmt.Sprint(wv) {
			return fmt.Sprintf("field %s: %s is %v, want %v", path, k, gv, wv)
		}
	}
	return ""
}
