package elastic

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/indextest"
)

// mappingsWithout is this build's mapping less some fields: the mapping
// of an earlier build.
func mappingsWithout(fields ...string) map[string]any {
	m := mappings()
	for _, f := range fields {
		delete(m["properties"].(map[string]any), f)
	}
	return m
}

func TestMissingProperties(t *testing.T) {
	if add := missingProperties(mappings(), mappings()); add != nil {
		t.Errorf("nothing missing: %v", add)
	}
	add := missingProperties(mappingsWithout("subject_countries", "story"), mappings())
	if got := sortedKeys(add); !slices.Equal(got, []string{"story", "subject_countries"}) {
		t.Errorf("missing = %v, want story and subject_countries", got)
	}
	changed := mappingsWithout("subject_countries")
	changed["properties"].(map[string]any)["title"] = map[string]any{"type": "keyword"}
	if add := missingProperties(changed, mappings()); add != nil {
		t.Errorf("a changed field is not additive, got %v", add)
	}
	extra := mappingsWithout("subject_countries")
	extra["properties"].(map[string]any)["other"] = map[string]any{"type": "keyword"}
	if add := missingProperties(extra, mappings()); add != nil {
		t.Errorf("an unknown field is not additive, got %v", add)
	}
}

// TestSetupExtendsMapping: a store made by the build before subject
// countries (template and two generations without the field) gets the
// field added by Setup, in place, and answers subject searches for what
// is written after.
func TestSetupExtendsMapping(t *testing.T) { engines(t, testSetupExtendsMapping) }

func testSetupExtendsMapping(t *testing.T, url string) {
	ctx := context.Background()
	s := newESStoreNoSetup(t, url)
	tmpl := s.templateBody()
	tmpl["template"].(map[string]any)["mappings"] = mappingsWithout("subject_countries")
	tmpl["version"] = 1
	res, err := s.es.Indices.PutIndexTemplate(s.names.Template, jsonBody(t, tmpl))
	if err == nil {
		err = decode(res, nil)
	}
	if err != nil {
		t.Fatalf("put earlier template: %v", err)
	}
	res, err = s.es.Indices.Create(s.names.FirstIndex, s.es.Indices.Create.WithBody(jsonBody(t, map[string]any{
		"aliases": map[string]any{s.names.WriteAlias: map[string]any{"is_write_index": true}, s.names.ReadAlias: map[string]any{}},
	})))
	if err == nil {
		err = decode(res, nil)
	}
	if err != nil {
		t.Fatalf("create earlier index: %v", err)
	}
	if _, err := s.Rollover(ctx, RolloverConditions{}); err != nil {
		t.Fatalf("rollover: %v", err)
	}
	gens, err := s.Generations(ctx)
	if err != nil || len(gens) != 2 {
		t.Fatalf("generations = %+v, %v; want 2", gens, err)
	}

	if err := s.Setup(ctx); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	if err := s.Setup(ctx); err != nil {
		t.Fatalf("second Setup: %v", err)
	}
	res, err = s.es.Indices.GetMapping(s.es.Indices.GetMapping.WithIndex(s.names.ReadAlias))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]struct {
		Mappings map[string]any `json:"mappings"`
	}
	if err := decode(res, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("read alias covers %d indices, want 2", len(got))
	}
	for name, m := range got {
		if d := mappingDiff(m.Mappings, mappings()); d != "" {
			t.Errorf("index %s after Setup: %s", name, d)
		}
	}
	// New generations get the field from the replaced template.
	r, err := s.Rollover(ctx, RolloverConditions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err = s.es.Indices.GetMapping(s.es.Indices.GetMapping.WithIndex(r.NewIndex))
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	if err := decode(res, &got); err != nil {
		t.Fatal(err)
	}
	if d := mappingDiff(got[r.NewIndex].Mappings, mappings()); d != "" {
		t.Errorf("new generation %s: %s", r.NewIndex, d)
	}

	docs := indextest.Corpus()
	if rej, err := s.IndexBatch(ctx, docs); err != nil || len(rej) > 0 {
		t.Fatalf("IndexBatch = %v, %v", rej, err)
	}
	if err := s.refresh(ctx, s.names.ReadAlias); err != nil {
		t.Fatal(err)
	}
	subj, err := s.Search(ctx, index.Query{SubjectCountries: []string{"KP"}, Sort: index.SortNewest})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := s.Search(ctx, index.Query{Countries: []string{"KP"}, Sort: index.SortNewest})
	if err != nil {
		t.Fatal(err)
	}
	if subj.Total == 0 || !slices.Equal(ids(subj.Hits), ids(plain.Hits)) {
		t.Errorf("subject KP = %v, want the country KP hits %v (no roles: every country a subject)", ids(subj.Hits), ids(plain.Hits))
	}
}

// TestSetupRefusesChangedFieldWithMissingOne: a missing field does not
// excuse a changed one.
func TestSetupRefusesChangedFieldWithMissingOne(t *testing.T) {
	engines(t, func(t *testing.T, url string) {
		s := newESStoreNoSetup(t, url)
		m := mappingsWithout("subject_countries")
		m["properties"].(map[string]any)["title"] = map[string]any{"type": "keyword"}
		res, err := s.es.Indices.Create(s.names.FirstIndex, s.es.Indices.Create.WithBody(jsonBody(t, map[string]any{
			"mappings": m,
			"aliases":  map[string]any{s.names.WriteAlias: map[string]any{"is_write_index": true}},
		})))
		if err == nil {
			err = decode(res, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		err = s.Setup(context.Background())
		if err == nil || !strings.Contains(err.Error(), "field title") {
			t.Fatalf("Setup = %v, want an error naming field title", err)
		}
	})
}

func ids(hits []index.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

// TestFacetLabelsFromEngine: a store that wrote nothing (a search-only
// process) learns the names of facet entities from the engine and gives
// the same labels as the store that wrote the articles.
func TestFacetLabelsFromEngine(t *testing.T) { engines(t, testFacetLabelsFromEngine) }

func testFacetLabelsFromEngine(t *testing.T, url string) {
	ctx := context.Background()
	writer := newESStore(t, url)
	indextest.Load(t, writer, indextest.Corpus(), 7)
	base := &http.Transport{}
	reader, err := New(Config{Addresses: []string{url}, Index: writer.cfg.Index, Replicas: NoReplicas, Transport: base}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := reader.Close(); err != nil {
			t.Error(err)
		}
		base.CloseIdleConnections()
	})
	want, err := writer.Search(ctx, index.Query{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := reader.Search(ctx, index.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Facets.Leaders) == 0 || !slices.Equal(got.Facets.Leaders, want.Facets.Leaders) || !slices.Equal(got.Facets.Treaties, want.Facets.Treaties) {
		t.Errorf("labels looked up\n got %+v %+v\nwant %+v %+v", got.Facets.Leaders, got.Facets.Treaties, want.Facets.Leaders, want.Facets.Treaties)
	}
	for _, b := range append(got.Facets.Leaders, got.Facets.Treaties...) {
		if b.Label == "" {
			t.Errorf("bucket %s has no label", b.Key)
		}
	}
}
