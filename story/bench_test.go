package story

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/enrich"
)

func sampleArticles(b *testing.B) []article.Article {
	f, err := os.Open("../samples/articles.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var out []article.Article
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var a article.Article
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			b.Fatal(err)
		}
		a.ID = fmt.Sprintf("sample-%d", len(out))
		out = append(out, a)
	}
	return out
}

func BenchmarkSign(b *testing.B) {
	arts := sampleArticles(b)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		a := &arts[i%len(arts)]
		Sign(a.Title, a.Summary, a.Body)
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func BenchmarkAssign(b *testing.B) {
	arts := sampleArticles(b)
	c, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	for i := range DefaultWindow { // a full memory
		e := article.Enriched{Article: arts[i%len(arts)]}
		e.ID = fmt.Sprintf("w%d", i)
		c.Assign(&e)
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	defer func() { b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op") }()
	for i := 0; b.Loop(); i++ {
		a := arts[i%len(arts)]
		a.ID = fmt.Sprintf("a%d", i) // a new article each time
		c.Assign(&article.Enriched{Article: a})
	}
}

// BenchmarkEnrich measures the enricher stage's per-article work on the
// sample corpus — decode, normalise and validate the raw record, tag,
// encode the enriched article (consumers.Enricher's steps, Kafka aside) —
// without and with story clustering, so that the cost of clustering reads
// as the ratio of the two in one run.
func BenchmarkEnrich(b *testing.B) {
	arts := sampleArticles(b)
	raws := make([][]byte, len(arts))
	for i := range arts {
		raw, err := json.Marshal(&arts[i])
		if err != nil {
			b.Fatal(err)
		}
		raws[i] = raw
	}
	tg, err := enrich.New(enrich.Options{})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, withStory := range []bool{false, true} {
		name := "stage"
		if withStory {
			name = "stage+story"
		}
		b.Run(name, func(b *testing.B) {
			c, err := New(Config{})
			if err != nil {
				b.Fatal(err)
			}
			if withStory {
				// Steady state: a full memory, as after the first
				// DefaultWindow articles of a run.
				for i := range DefaultWindow {
					e := article.Enriched{Article: arts[i%len(arts)]}
					e.ID = fmt.Sprintf("w%d", i)
					c.Assign(&e)
				}
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			defer func() { b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op") }()
			for i := 0; b.Loop(); i++ {
				a, err := article.Decode(raws[i%len(raws)], article.Limits{})
				if err != nil {
					b.Fatal(err)
				}
				_ = article.Normalize(&a, now)
				if err := article.Validate(&a, article.Limits{}); err != nil {
					b.Fatal(err)
				}
				a.ID = fmt.Sprintf("a%d", i) // a new article each time: the memory fills up
				e := article.Enriched{Article: a, Tags: tg.Tag(&a), Enrichment: article.Enrichment{Version: tg.Version(), At: now}}
				if withStory {
					c.Assign(&e)
				}
				if _, err := json.Marshal(&e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// cpuTime is the process's user and system CPU time: on a shared machine
// it measures the work, where wall time also counts the waits for a CPU.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
