package elastic

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/enrich"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/indextest"
)

// loadArchive stores n synthetic articles with empty tags and waits until
// they are searchable.
func loadArchive(b *testing.B, s *Store, n int) {
	b.Helper()
	ctx := context.Background()
	docs := indextest.Synthetic("a", n)
	for i := range docs {
		docs[i].Tags = article.Tags{}
	}
	for i := 0; i < n; i += 1000 {
		if rej, err := s.IndexBatch(ctx, docs[i:min(i+1000, n)]); err != nil || len(rej) > 0 {
			b.Fatalf("load: %v %v", rej, err)
		}
	}
	for c, _ := s.Count(ctx); c < n; c, _ = s.Count(ctx) {
		time.Sleep(100 * time.Millisecond)
	}
}

// BenchmarkReenrich re-tags an archive of 5 000 articles into a new
// lineage with no rate cap. One op is one whole run (use -benchtime 1x
// and -count for several runs); docs/s is the throughput.
func BenchmarkReenrich(b *testing.B) { benchEngines(b, benchReenrich) }

func benchReenrich(b *testing.B, url string) {
	const n = 5000
	tagger, err := enrich.New(enrich.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := newESStore(b, url)
		loadArchive(b, s, n)
		b.StartTimer()
		start := time.Now()
		res, err := s.Reenrich(context.Background(), ReenrichConfig{Version: tagger.Version(), Tag: tagger.Tag, Settle: 1100 * time.Millisecond})
		if err != nil || res.Copied != n {
			b.Fatalf("Reenrich: %+v %v", res, err)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "docs/s")
}

// freshness writes one article every 20ms until stop closes and returns
// the write-to-searchable delays: each article has a unique word, and is
// searchable once a search through the read alias finds it.
func freshness(s *Store, tag string, stop <-chan struct{}) ([]time.Duration, error) {
	ctx := context.Background()
	var out []time.Duration
	for i := 0; ; i++ {
		select {
		case <-stop:
			return out, nil
		case <-time.After(20 * time.Millisecond):
		}
		word := fmt.Sprintf("fresh%s%d", tag, i)
		a := indextest.Synthetic("f"+tag, i+1)[i]
		a.Title = word + " " + a.Title
		a.Updated = time.Now()
		start := time.Now()
		if rej, err := s.IndexBatch(ctx, []article.Enriched{a}); err != nil || len(rej) > 0 {
			return out, fmt.Errorf("live write: %v %v", rej, err)
		}
		for {
			res, err := s.Search(ctx, index.Query{Text: word, Size: 1})
			if err != nil {
				return out, err
			}
			if res.Total == 1 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		out = append(out, time.Since(start))
	}
}

func p99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, len(d)*99/100)]
}

// BenchmarkFreshnessDuringReenrich measures how long a live article takes
// from the write to being searchable (p99), idle and while a rate-capped
// re-enrichment (2 000 articles/s) of a 10 000-article archive runs. One
// op is one idle window plus one re-enrichment.
func BenchmarkFreshnessDuringReenrich(b *testing.B) { benchEngines(b, benchFreshness) }

func benchFreshness(b *testing.B, url string) {
	const n = 10000
	tagger, err := enrich.New(enrich.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var idle, busy []time.Duration
	for i := 0; i < b.N; i++ {
		s := newESStore(b, url)
		loadArchive(b, s, n)
		stop := make(chan struct{})
		go func() { time.Sleep(8 * time.Second); close(stop) }()
		d, err := freshness(s, fmt.Sprintf("i%d", i), stop)
		if err != nil {
			b.Fatal(err)
		}
		idle = append(idle, d...)

		stop = make(chan struct{})
		var wg sync.WaitGroup
		var fErr error
		wg.Go(func() {
			d, fErr = freshness(s, fmt.Sprintf("r%d", i), stop)
			busy = append(busy, d...)
		})
		res, err := s.Reenrich(context.Background(), ReenrichConfig{Version: tagger.Version(), Tag: tagger.Tag, Rate: 2000, Settle: 1100 * time.Millisecond})
		close(stop)
		wg.Wait()
		if err != nil || fErr != nil {
			b.Fatalf("Reenrich: %+v %v; live: %v", res, err, fErr)
		}
	}
	b.ReportMetric(float64(p99(idle).Milliseconds()), "idle_p99_ms")
	b.ReportMetric(float64(p99(busy).Milliseconds()), "reenrich_p99_ms")
}

// BenchmarkRolloverPause writes 200-article batches back to back and rolls
// over once per op: rollover_ms is the rollover call, pause_ms the longest
// batch write while it ran minus the median batch write.
func BenchmarkRolloverPause(b *testing.B) { benchEngines(b, benchRolloverPause) }

func benchRolloverPause(b *testing.B, url string) {
	s := newESStore(b, url)
	ctx := context.Background()
	docs := indextest.Synthetic("p", 200*400)
	var rolls, pauses []time.Duration
	next := 0
	for i := 0; i < b.N; i++ {
		var mu sync.Mutex
		var lat []time.Duration
		var during time.Duration
		rolling := false
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				batch := docs[next%len(docs) : next%len(docs)+200]
				next += 200
				start := time.Now()
				if rej, err := s.IndexBatch(ctx, batch); err != nil || len(rej) > 0 {
					b.Errorf("write: %v %v", rej, err)
					return
				}
				d := time.Since(start)
				mu.Lock()
				lat = append(lat, d)
				if rolling {
					during = max(during, d)
				}
				mu.Unlock()
			}
		})
		time.Sleep(2 * time.Second)
		mu.Lock()
		rolling = true
		mu.Unlock()
		start := time.Now()
		if _, err := s.Rollover(ctx, RolloverConditions{}); err != nil {
			b.Fatal(err)
		}
		rolls = append(rolls, time.Since(start))
		time.Sleep(1500 * time.Millisecond) // the writer's view of the aliases expires
		mu.Lock()
		rolling = false
		mu.Unlock()
		close(stop)
		wg.Wait()
		slices.Sort(lat)
		pauses = append(pauses, max(0, during-lat[len(lat)/2]))
	}
	slices.Sort(rolls)
	slices.Sort(pauses)
	b.ReportMetric(float64(rolls[len(rolls)/2].Milliseconds()), "rollover_ms")
	b.ReportMetric(float64(pauses[len(pauses)/2].Milliseconds()), "pause_ms")
}
