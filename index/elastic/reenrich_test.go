package elastic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/enrich"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/indextest"
)

func TestReenrichConfigValidate(t *testing.T) {
	err := ReenrichConfig{Rate: -1, BatchSize: -3, Settle: time.Millisecond}.Validate()
	for _, want := range []string{"version", "tag", "rate", "batch size", "settle"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to name %q", err, want)
		}
	}
}

func TestReenrich(t *testing.T) { engines(t, testReenrich) }

// testReenrich re-tags 20 000 archived articles (stored with stale, empty
// tags) while a live stream adds articles and updates archived ones, and
// is interrupted once: every article ends up in the new lineage, once,
// tagged by the new tagger, at its newest version, and search answers
// throughout.
func testReenrich(t *testing.T, url string) {
	if testing.Short() {
		t.Skip("20 000 articles; not in -short")
	}
	s := newESStore(t, url)
	ctx := context.Background()
	tagger, err := enrich.New(enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const archived = 20000
	docs := indextest.Synthetic("z", archived)
	for i := range docs {
		docs[i].Tags = article.Tags{} // the old tagger found nothing
	}
	for i := 0; i < archived; i += 2000 {
		if rej, err := s.IndexBatch(ctx, docs[i:i+2000]); err != nil || len(rej) > 0 {
			t.Fatalf("load archive: %v %v", rej, err)
		}
	}
	waitCount(t, s, archived)

	latest := make(map[string]article.Article, archived+2000)
	for _, d := range docs {
		latest[d.ID] = d.Article
	}
	var mu sync.Mutex // guards latest during the stream
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var streamErr, searchErr atomic.Value
	var liveN atomic.Int32
	wg.Go(func() { // the live stream: new articles and updates, tagged anew
		extra := indextest.Synthetic("live", 3000)
		for b := 0; ; b++ {
			select {
			case <-stop:
				return
			case <-time.After(40 * time.Millisecond):
			}
			var batch []article.Enriched
			for k := 0; k < 10 && b*10+k < len(extra); k++ {
				batch = append(batch, extra[b*10+k])
			}
			for k := 0; k < 5; k++ { // updates spread over the id range
				old := docs[(b*977+k*4001)%archived].Article
				old.Title = fmt.Sprintf("Revised %d: %s", b, old.Title)
				old.Updated = old.Published.Add(time.Duration(b+1) * time.Hour)
				batch = append(batch, article.Enriched{Article: old})
			}
			for i := range batch {
				batch[i].Tags = tagger.Tag(&batch[i].Article)
				batch[i].Enrichment = article.Enrichment{Version: tagger.Version()}
			}
			if rej, err := s.IndexBatch(ctx, batch); err != nil || len(rej) > 0 {
				streamErr.Store(fmt.Sprintf("live batch %d: %v %v", b, rej, err))
				return
			}
			mu.Lock()
			for _, e := range batch {
				if e.ID[0] == 'l' {
					if _, ok := latest[e.ID]; !ok {
						liveN.Add(1)
					}
				}
				if cur, ok := latest[e.ID]; !ok || !e.VersionTime().Before(cur.VersionTime()) {
					latest[e.ID] = e.Article
				}
			}
			mu.Unlock()
		}
	})
	wg.Go(func() { // search answers throughout and never loses the archive
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			res, err := s.Search(ctx, index.Query{Size: 1})
			if err != nil || res.Total < archived {
				searchErr.Store(fmt.Sprintf("search during re-enrichment: total %d, %v", res.Total, err))
				return
			}
		}
	})

	// First run: interrupted after a third of the archive.
	runCtx, cancel := context.WithCancel(ctx)
	cfg := ReenrichConfig{
		Version: tagger.Version(), Tag: tagger.Tag, BatchSize: 1000, Rate: 20000,
		Progress: func(p ReenrichProgress) {
			if p.Done >= archived/3 {
				cancel()
			}
		},
	}
	_, err = s.Reenrich(runCtx, cfg)
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Reenrich = %v, want context.Canceled", err)
	}
	if _, err := s.Rollover(ctx, RolloverConditions{}); err == nil {
		t.Error("Rollover during a re-enrichment succeeded, want it refused")
	}
	// A process starting meanwhile (an indexer restart) runs Setup: it
	// must not put the new lineage behind the read alias early.
	if err := s.Setup(ctx); err != nil {
		t.Fatalf("Setup during a re-enrichment: %v", err)
	}
	if running, err := s.ReenrichRunning(ctx); err != nil || !running {
		t.Fatalf("after Setup, re-enrichment running = %v, %v; want true", running, err)
	}
	// Second run: resumes and finishes.
	var last ReenrichProgress
	cfg.Progress = func(p ReenrichProgress) { last = p }
	start := time.Now()
	res, err := s.Reenrich(ctx, cfg)
	if err != nil {
		t.Fatalf("resumed Reenrich: %v", err)
	}
	t.Logf("resumed run: %+v in %s, last progress %+v", res, time.Since(start), last)
	if !res.Resumed || !res.Finished || res.Copied < archived {
		t.Errorf("result = %+v, want resumed, finished, at least %d copied", res, archived)
	}
	time.Sleep(2 * time.Second) // the stream goes on after the swap
	close(stop)
	wg.Wait()
	for _, v := range []*atomic.Value{&streamErr, &searchErr} {
		if f := v.Load(); f != nil {
			t.Fatal(f)
		}
	}

	want := archived + int(liveN.Load())
	waitCount(t, s, want)
	// The stream's last updates must be searchable before reading back
	// through search (a count does not see updates).
	if err := s.refresh(ctx, s.names.ReadAlias); err != nil {
		t.Fatal(err)
	}
	gens, err := s.Generations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gens {
		if lineage(g.Index) != lineage(res.Target) {
			t.Errorf("generation %s outside the new lineage %s", g.Index, res.Target)
		}
	}
	// Every stored document is exactly what the new tagger makes of the
	// newest version of its article.
	seen := 0
	for cursor := ""; ; {
		got, last, err := s.readAfterRaw(ctx, []string{s.names.ReadAlias}, cursor, 2000)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		for id, raw := range got {
			a, ok := latest[id]
			if !ok {
				t.Fatalf("unknown article %s", id)
			}
			e := article.Enriched{Article: a, Tags: tagger.Tag(&a)}
			// The enrichment stamp (version, time) is the writer's; the
			// rest must be exactly the new tagger's output.
			var stored document
			if err := json.Unmarshal(raw, &stored); err != nil {
				t.Fatal(err)
			}
			if stored.Article == nil || stored.Article.Enrichment.Version != tagger.Version() {
				t.Fatalf("%s stored without the new enrichment version %s: %.300s", id, tagger.Version(), raw)
			}
			e.Enrichment = stored.Article.Enrichment
			wantDoc, _ := json.Marshal(toDocument(&e))
			if string(raw) != string(wantDoc) && !sameJSON(raw, wantDoc) {
				t.Fatalf("%s stored as\n%s\nwant\n%s", id, raw, wantDoc)
			}
			seen++
		}
		cursor = last
	}
	if seen != want {
		t.Errorf("read %d articles from the new lineage, want %d", seen, want)
	}
	// Done at this version: a new run does nothing.
	if r, err := s.Reenrich(ctx, cfg); err != nil || r.Finished {
		t.Errorf("Reenrich again = %+v, %v; want nothing to do", r, err)
	}
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// readAfterRaw is readAfter returning each document's _source.
func (s *Store) readAfterRaw(ctx context.Context, indices []string, cursor string, n int) (map[string]json.RawMessage, string, error) {
	q := map[string]any{"size": n, "sort": []any{map[string]any{"id": "asc"}}}
	if cursor != "" {
		q["search_after"] = []any{cursor}
	}
	b, _ := json.Marshal(q)
	res, err := s.es.Search(s.es.Search.WithContext(ctx), s.es.Search.WithIndex(indices...), s.es.Search.WithBody(strings.NewReader(string(b))))
	if err != nil {
		return nil, "", err
	}
	var got struct {
		Hits struct {
			Hits []struct {
				ID     string          `json:"_id"`
				Source json.RawMessage `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := decode(res, &got); err != nil {
		return nil, "", err
	}
	out := map[string]json.RawMessage{}
	last := cursor
	for _, h := range got.Hits.Hits {
		if _, dup := out[h.ID]; dup {
			return nil, "", fmt.Errorf("article %s stored twice", h.ID)
		}
		out[h.ID] = h.Source
		last = h.ID
	}
	return out, last, nil
}
