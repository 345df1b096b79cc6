package embedded

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/indextest"
)

// legacyIndexBatch writes docs the way earlier builds did: the document
// through the mapping, its version as an internal value. Tests use it to
// build an index that Open must migrate, and the growth benchmark to
// measure the old cost next to the new one.
func legacyIndexBatch(t testing.TB, s *Store, docs []article.Enriched) {
	t.Helper()
	batch := s.idx.NewBatch()
	for i := range docs {
		e := &docs[i]
		doc, err := buildDoc(e)
		if err != nil {
			t.Fatalf("buildDoc %s: %v", e.ID, err)
		}
		if _, err := s.idx.GetInternal([]byte(prefixVersion + e.ID)); err != nil {
			t.Fatal(err)
		}
		if err := batch.Index(e.ID, doc); err != nil {
			t.Fatalf("index %s: %v", e.ID, err)
		}
		var vb [8]byte
		binary.BigEndian.PutUint64(vb[:], uint64(index.DocVersion(&e.Article)))
		batch.SetInternal([]byte(prefixVersion+e.ID), vb[:])
		for _, l := range e.Tags.Leaders {
			batch.SetInternal([]byte(prefixLeader+l.ID), []byte(l.Name))
		}
		for _, tr := range e.Tags.Treaties {
			batch.SetInternal([]byte(prefixTreaty+tr.ID), []byte(tr.Name))
		}
	}
	if err := s.idx.Batch(batch); err != nil {
		t.Fatalf("legacy batch: %v", err)
	}
}

// openLegacy opens a store in dir and turns it into an index of the
// earlier layout holding docs.
func openLegacy(t testing.TB, dir string, docs []article.Enriched, batch int) *Store {
	t.Helper()
	s, err := Open(dir, zap.NewNop())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.idx.DeleteInternal([]byte(internalVersions)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(docs); i += batch {
		legacyIndexBatch(t, s, docs[i:min(i+batch, len(docs))])
	}
	return s
}

func TestOpenMigratesInternalVersions(t *testing.T) {
	ctx := context.Background()
	docs := indextest.Corpus()
	ids := make([]string, len(docs))
	want := make(map[string]int64, len(docs))
	for i := range docs {
		ids[i] = docs[i].ID
		want[docs[i].ID] = index.DocVersion(&docs[i].Article)
	}
	for _, tc := range []struct {
		name string
		// crashAfter is how many documents were moved before the
		// previous migration stopped; -1 for none started.
		crashAfter int
	}{
		{"fresh", -1},
		{"interrupted", len(docs) / 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openLegacy(t, dir, docs, 3)
			if tc.crashAfter >= 0 {
				if _, err := migrateChunk(s.idx, ids[:tc.crashAfter]); err != nil {
					t.Fatalf("partial migration: %v", err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s, err := Open(dir, zap.NewNop())
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Error(err)
				}
			})
			for _, id := range ids {
				if b, err := s.idx.GetInternal([]byte(prefixVersion + id)); err != nil || b != nil {
					t.Errorf("internal version of %s after migration = %x, %v; want none", id, b, err)
				}
			}
			if b, _ := s.idx.GetInternal([]byte(internalVersions)); string(b) != versionsInDocs {
				t.Errorf("version layout = %q, want %q", b, versionsInDocs)
			}
			got, err := s.Versions(ctx, ids)
			if err != nil {
				t.Fatal(err)
			}
			for id, v := range want {
				if got[id] != v {
					t.Errorf("version of %s = %d, want %d", id, got[id], v)
				}
			}
			if n, err := s.Count(ctx); err != nil || n != len(docs) {
				t.Errorf("Count = %d, %v; want %d", n, err, len(docs))
			}
			for i := range docs {
				e, err := s.Get(ctx, docs[i].ID)
				if err != nil || e.Title != docs[i].Title {
					t.Errorf("Get %s = %q, %v", docs[i].ID, e.Title, err)
				}
			}
			res, err := s.Search(ctx, index.Query{Leaders: []string{"Q7747"}})
			if err != nil || res.Total == 0 || len(res.Facets.Leaders) == 0 || res.Facets.Leaders[0].Label == "" {
				t.Fatalf("search after migration: %+v, %v", res, err)
			}
			// The moved versions still guard against an older copy.
			old := docs[0]
			old.Title = "stale copy"
			old.Published = old.Published.Add(-time.Millisecond)
			if _, err := s.IndexBatch(ctx, []article.Enriched{old}); err != nil {
				t.Fatal(err)
			}
			if res, err := s.Search(ctx, index.Query{Text: "stale"}); err != nil || res.Total != 0 {
				t.Errorf("stale copy visible after migration: %d hits, %v", res.Total, err)
			}
		})
	}
}

func TestVersionGoesWithDocument(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	docs := indextest.Synthetic("g", 10)
	if rej, err := s.IndexBatch(ctx, docs); err != nil || len(rej) > 0 {
		t.Fatalf("IndexBatch = %v, %v", rej, err)
	}
	got, err := s.Versions(ctx, []string{docs[0].ID, "g-missing"})
	if err != nil || len(got) != 1 || got[docs[0].ID] != index.DocVersion(&docs[0].Article) {
		t.Fatalf("Versions = %v, %v", got, err)
	}
	if b, err := s.idx.GetInternal([]byte(prefixVersion + docs[0].ID)); err != nil || b != nil {
		t.Errorf("version kept as an internal value: %x, %v", b, err)
	}
	// Retention deletes the document and so its version.
	if _, err := s.DeleteOlderThan(ctx, time.Now().Add(100*365*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Versions(ctx, []string{docs[0].ID}); err != nil || len(got) != 0 {
		t.Errorf("Versions after retention = %v, %v; want none", got, err)
	}
}

// rootSize is the size of the index's snapshot file, which Bleve rewrites
// on every save.
func rootSize(t testing.TB, s *Store) int64 {
	t.Helper()
	fi, err := os.Stat(filepath.Join(s.path, "store", "root.bolt"))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestSnapshotFileStaysSmall: the snapshot file does not grow with the
// number of articles (it did while versions were internal values, about
// 4 KiB per article).
func TestSnapshotFileStaysSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes 6 000 articles; skipped with -short")
	}
	s := openTemp(t)
	docs := indextest.Synthetic("r", 6000)
	indextest.Load(t, s, docs[:1000], 100)
	small := rootSize(t, s)
	indextest.Load(t, s, docs, 100) // the first 1000 again, then 5000 more
	large := rootSize(t, s)
	t.Logf("root.bolt: %d bytes at 1000 articles, %d at 6000", small, large)
	if limit := 2*small + 256<<10; large > limit {
		t.Errorf("root.bolt grew from %d to %d bytes between 1000 and 6000 articles; want at most %d", small, large, limit)
	}
}

// BenchmarkIndexBatchAsIndexGrows: the cost of one more batch of 100 new
// articles on an index already holding 2 000, 10 000 or 30 000, with
// versions as document fields (this build) and as internal values (the
// earlier layout, the baseline). root-bytes is the snapshot file after.
func BenchmarkIndexBatchAsIndexGrows(b *testing.B) {
	for _, layout := range []string{"field", "internal"} {
		for _, n := range []int{2000, 10000, 30000} {
			b.Run(fmt.Sprintf("versions=%s/at=%d", layout, n), func(b *testing.B) {
				dir := b.TempDir()
				docs := indextest.Synthetic("p", n)
				var s *Store
				write := func(docs []article.Enriched) {
					if rej, err := s.IndexBatch(context.Background(), docs); err != nil || len(rej) > 0 {
						b.Fatalf("IndexBatch: %v %v", rej, err)
					}
				}
				if layout == "internal" {
					s = openLegacy(b, dir, docs, 500)
					write = func(docs []article.Enriched) { legacyIndexBatch(b, s, docs) }
				} else {
					var err error
					if s, err = Open(dir, zap.NewNop()); err != nil {
						b.Fatal(err)
					}
					indextest.Load(b, s, docs, 500)
				}
				defer func() {
					if err := s.Close(); err != nil {
						b.Error(err)
					}
				}()
				base := indextest.Synthetic("x", benchBatch)
				batch := make([]article.Enriched, benchBatch)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					for j := range base {
						batch[j] = base[j]
						batch[j].ID = fmt.Sprintf("n%d-%d", i, j)
					}
					write(batch)
				}
				b.StopTimer()
				b.ReportMetric(float64(rootSize(b, s)), "root-bytes")
			})
		}
	}
}
