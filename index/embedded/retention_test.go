package embedded

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/indextest"
)

func TestDeleteOlderThan(t *testing.T) {
	s, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	docs := indextest.Synthetic("k", 2500) // published over 30 days
	docs[0].Published = time.Time{}        // no published time: kept
	if rej, err := s.IndexBatch(ctx, docs); err != nil || len(rej) > 0 {
		t.Fatalf("IndexBatch: %v %v", rej, err)
	}
	var times []time.Time
	for _, d := range docs[1:] {
		times = append(times, d.Published)
	}
	slices.SortFunc(times, time.Time.Compare)
	cutoff := times[len(times)*3/4]
	want := 0
	for _, d := range docs {
		if !d.Published.IsZero() && d.Published.Before(cutoff.Truncate(time.Millisecond)) {
			want++
		}
	}
	if want < retentionBatch {
		t.Fatalf("only %d old articles: the test would not cross a batch", want)
	}
	n, err := s.DeleteOlderThan(ctx, cutoff)
	if err != nil || n != want {
		t.Fatalf("DeleteOlderThan = %d, %v; want %d", n, err, want)
	}
	if c, _ := s.Count(ctx); c != len(docs)-want {
		t.Errorf("Count = %d, want %d", c, len(docs)-want)
	}
	res, err := s.Search(ctx, index.Query{Sort: index.SortNewest, Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if !h.Published.IsZero() && h.Published.Before(cutoff.Truncate(time.Millisecond)) {
			t.Errorf("%s published %s survived the cutoff %s", h.ID, h.Published, cutoff)
		}
	}
	// A deleted article can be written again (its version went too).
	if rej, err := s.IndexBatch(ctx, docs[1:2]); err != nil || len(rej) > 0 {
		t.Fatalf("re-index: %v %v", rej, err)
	}
	if c, _ := s.Count(ctx); c != len(docs)-want+1 {
		t.Errorf("after re-index Count = %d, want %d", c, len(docs)-want+1)
	}
	if n, err := s.DeleteOlderThan(ctx, time.Unix(0, 0)); err != nil || n != 0 {
		t.Errorf("DeleteOlderThan(1970) = %d, %v; want 0", n, err)
	}
}
