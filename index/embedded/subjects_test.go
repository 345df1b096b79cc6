package embedded

import (
	"context"
	"slices"
	"testing"

	"go.uber.org/zap"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/indextest"
)

// writeWithoutSubjects writes docs the way the build before subject
// countries did: mapped document and stored version, no subject field.
func writeWithoutSubjects(t *testing.T, s *Store, docs []article.Enriched) {
	t.Helper()
	batch := s.idx.NewBatch()
	for i := range docs {
		doc, err := buildDoc(&docs[i])
		if err != nil {
			t.Fatal(err)
		}
		delete(doc, fieldSubjects)
		d, err := mappedDoc(s.idx, docs[i].ID, doc, index.DocVersion(&docs[i].Article))
		if err != nil {
			t.Fatal(err)
		}
		if err := batch.IndexAdvanced(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.idx.Batch(batch); err != nil {
		t.Fatal(err)
	}
}

func TestOpenIndexesSubjectsOfOlderIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.idx.DeleteInternal([]byte(internalSubjects)); err != nil {
		t.Fatal(err)
	}
	docs := indextest.Corpus() // tags without roles: every country a subject
	writeWithoutSubjects(t, s, docs)
	q := index.Query{SubjectCountries: []string{"KP"}, Sort: index.SortNewest, Size: index.MaxSize}
	if res, err := s.Search(ctx, q); err != nil || res.Total != 0 {
		t.Fatalf("before reopening, subject search = %d hits, %v; want none (the field is missing)", res.Total, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir, zap.NewNop())
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	if b, _ := s.idx.GetInternal([]byte(internalSubjects)); string(b) != subjectsIndexed {
		t.Errorf("subject layout = %q, want %q", b, subjectsIndexed)
	}
	subj, err := s.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := s.Search(ctx, index.Query{Countries: []string{"KP"}, Sort: index.SortNewest, Size: index.MaxSize})
	if err != nil {
		t.Fatal(err)
	}
	if subj.Total == 0 || !slices.Equal(hitIDs(subj.Hits), hitIDs(plain.Hits)) {
		t.Errorf("subject KP after reopening = %v, want the country KP hits %v", hitIDs(subj.Hits), hitIDs(plain.Hits))
	}
	if !slices.Equal(subj.Facets.SubjectCountries, subj.Facets.Countries) {
		t.Errorf("subject facet %+v, want the country facet %+v", subj.Facets.SubjectCountries, subj.Facets.Countries)
	}
	// Versions survive the rewrite: an older copy is still refused.
	old := docs[0]
	old.Title = "stale copy"
	old.Published = old.Published.Add(-1e9)
	if _, err := s.IndexBatch(ctx, []article.Enriched{old}); err != nil {
		t.Fatal(err)
	}
	if e, err := s.Get(ctx, old.ID); err != nil || e.Title != docs[0].Title {
		t.Errorf("Get %s = %q, %v; want the stored title", old.ID, e.Title, err)
	}
}

func hitIDs(hits []index.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}
