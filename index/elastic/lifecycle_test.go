package elastic

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/indextest"
)

func TestLineage(t *testing.T) {
	for in, want := range map[string]string{
		"newswire-articles-000001":    "newswire-articles",
		"newswire-articles-e2-000013": "newswire-articles-e2",
		"x":                           "x",
	} {
		if got := lineage(in); got != want {
			t.Errorf("lineage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRolloverConditionsValidate(t *testing.T) {
	bad := RolloverConditions{MaxAge: -time.Hour, MaxDocs: -1, MaxSize: "ten"}
	err := bad.Validate()
	for _, want := range []string{"max age", "max docs", "max size"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate(%+v) = %v, want it to name %q", bad, err, want)
		}
	}
	if err := (RolloverConditions{MaxAge: 24 * time.Hour, MaxDocs: 1e7, MaxSize: "50gb"}).Validate(); err != nil {
		t.Errorf("Validate of good conditions: %v", err)
	}
}

func TestRolloverUnderLiveStream(t *testing.T) { engines(t, testRolloverUnderLiveStream) }

// testRolloverUnderLiveStream writes new articles and newer versions of
// earlier ones without pause while the write generation rolls over three
// times: every article ends up exactly once, at its newest version, and
// search spans all generations.
func testRolloverUnderLiveStream(t *testing.T, url string) {
	s := newESStore(t, url)
	ctx := context.Background()
	const batches, per = 40, 50
	all := indextest.Synthetic("r", batches*per)

	var (
		wg      sync.WaitGroup
		written atomic.Int32 // batches written
		failed  atomic.Value
		mu      sync.Mutex
		latest  = map[string]article.Enriched{}
	)
	wg.Go(func() {
		for b := 0; b < batches; b++ {
			batch := append([]article.Enriched(nil), all[b*per:(b+1)*per]...)
			// Every other batch also updates articles of an earlier
			// batch, which may sit in an older generation by now.
			if b >= 2 && b%2 == 0 {
				for _, old := range all[(b-2)*per : (b-2)*per+10] {
					upd := old
					upd.Title = fmt.Sprintf("Updated in batch %d", b)
					upd.Updated = old.Published.Add(time.Duration(b) * time.Minute)
					batch = append(batch, upd)
				}
			}
			rej, err := s.IndexBatch(ctx, batch)
			if err != nil || len(rej) > 0 {
				failed.Store(fmt.Sprintf("batch %d: %v %v", b, rej, err))
				return
			}
			mu.Lock()
			for _, e := range batch {
				latest[e.ID] = e
			}
			mu.Unlock()
			written.Add(1)
			time.Sleep(20 * time.Millisecond)
		}
	})
	var pauses []time.Duration
	for r := 0; r < 3; r++ {
		for written.Load() < int32((r+1)*batches/4) && failed.Load() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		start := time.Now()
		res, err := s.Rollover(ctx, RolloverConditions{})
		pauses = append(pauses, time.Since(start))
		if err != nil || !res.RolledOver {
			t.Fatalf("Rollover: %+v, %v", res, err)
		}
	}
	wg.Wait()
	if f := failed.Load(); f != nil {
		t.Fatal(f)
	}
	t.Logf("rollover calls took %v", pauses)

	waitCount(t, s, batches*per)
	gens, err := s.Generations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(gens) != 4 {
		t.Fatalf("generations = %+v, want 4", gens)
	}
	var sum int64
	for _, g := range gens {
		if g.Docs == 0 {
			t.Errorf("generation %s is empty: the stream did not span it", g.Index)
		}
		sum += g.Docs
	}
	if sum != batches*per {
		t.Errorf("generations hold %d documents, want %d (one copy per article)", sum, batches*per)
	}
	res, err := s.Search(ctx, index.Query{Size: 1})
	if err != nil || res.Total != batches*per {
		t.Fatalf("search over the read alias: total %d, %v; want %d", res.Total, err, batches*per)
	}
	// Updated articles show their newest version only.
	res, err = s.Search(ctx, index.Query{Text: "\"updated in batch\"", Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	updated := 0
	for _, e := range latest {
		if strings.Contains(e.Title, "Updated in batch") {
			updated++
		}
	}
	if res.Total != updated {
		t.Errorf("search finds %d updated articles, want %d", res.Total, updated)
	}
	for _, h := range res.Hits {
		if h.Title != latest[h.ID].Title {
			t.Errorf("%s: title %q, want the newest %q", h.ID, h.Title, latest[h.ID].Title)
		}
	}

	// Conditions not met: nothing happens.
	if r, err := s.Rollover(ctx, RolloverConditions{MaxDocs: 1 << 40, MaxAge: 24 * time.Hour}); err != nil || r.RolledOver {
		t.Errorf("Rollover with unmet conditions = %+v, %v; want no rollover", r, err)
	}

	// Retention: with every successor older than the cutoff, all but the
	// write generation go, and search still answers from it.
	deleted, err := s.DeleteExpired(ctx, time.Minute, time.Now().Add(time.Hour))
	if err != nil || len(deleted) != 3 {
		t.Fatalf("DeleteExpired = %v, %v; want the three older generations", deleted, err)
	}
	if d, err := s.DeleteExpired(ctx, time.Minute, time.Now()); err != nil || len(d) != 0 {
		t.Errorf("DeleteExpired within retention = %v, %v; want nothing", d, err)
	}
	waitCount(t, s, int(gens[3].Docs))
}
