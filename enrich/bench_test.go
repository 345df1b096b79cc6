package enrich

import (
	"math/rand"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
)

// corpus builds a deterministic generated corpus of ~10 KB articles from
// dev-set sentences and filler text.
func corpus(tb testing.TB, n int) []article.Article {
	dev := loadDev(tb)
	var sents []string
	for _, d := range dev {
		for _, s := range strings.Split(d.Body, ". ") {
			sents = append(sents, s+".")
		}
	}
	filler := strings.Fields("the officials said on Monday that markets would open later than planned while analysts expected growth to slow in the third quarter amid rising costs and weaker demand for exports across the region")
	r := rand.New(rand.NewSource(1))
	out := make([]article.Article, n)
	for i := range out {
		var b strings.Builder
		for b.Len() < 10_000 {
			if r.Intn(3) == 0 {
				b.WriteString(sents[r.Intn(len(sents))])
			} else {
				for k := 0; k < 20; k++ {
					b.WriteString(filler[r.Intn(len(filler))])
					b.WriteByte(' ')
				}
				b.WriteString(". ")
			}
			if r.Intn(6) == 0 {
				b.WriteString("\n\n")
			}
		}
		out[i] = article.Article{Title: dev[i%len(dev)].Title, Body: b.String(), Published: time.Date(2024, 6, 19, 0, 0, 0, 0, time.UTC)}
	}
	return out
}

func size(a []article.Article) int64 {
	var n int64
	for i := range a {
		n += int64(len(a[i].Title) + len(a[i].Summary) + len(a[i].Body))
	}
	return n
}

func benchTagger(b *testing.B, arts []article.Article) {
	tg, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size(arts) / int64(len(arts)))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := &arts[i%len(arts)]
		t0 := time.Now()
		tg.Tag(a)
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkTagDev runs the full tagger over the dev set articles.
func BenchmarkTagDev(b *testing.B) {
	dev := loadDev(b)
	arts := make([]article.Article, len(dev))
	for i := range dev {
		arts[i] = dev[i].Article
	}
	benchTagger(b, arts)
}

// BenchmarkTag10KB runs the full tagger over generated 10 KB articles and
// reports the 99th percentile latency.
func BenchmarkTag10KB(b *testing.B) { benchTagger(b, corpus(b, 200)) }

// BenchmarkRegexpBaseline is the naive design: one case-sensitive regexp
// alternation of every country, leader and treaty alias, run over the same
// 10 KB articles. Compare its MB/s with BenchmarkTag10KB.
func BenchmarkRegexpBaseline(b *testing.B) {
	g, err := loadGazetteer()
	if err != nil {
		b.Fatal(err)
	}
	var alts []string
	for _, c := range g.countries {
		for _, a := range c.aliases["en"] {
			alts = append(alts, regexp.QuoteMeta(a.text))
		}
	}
	for _, tm := range g.terms {
		alts = append(alts, regexp.QuoteMeta(tm.name))
	}
	for _, tr := range g.treaties {
		for _, a := range tr.aliases {
			alts = append(alts, regexp.QuoteMeta(a.text))
		}
	}
	sort.Slice(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
	re := regexp.MustCompile(`\b(?:` + strings.Join(alts, "|") + `)\b`)
	arts := corpus(b, 200)
	b.SetBytes(size(arts) / int64(len(arts)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := &arts[i%len(arts)]
		re.FindAllStringIndex(a.Title, -1)
		re.FindAllStringIndex(a.Body, -1)
	}
}

// BenchmarkNew reports the tagger's heap footprint.
func BenchmarkNew(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var keep []*Tagger
	for i := 0; i < b.N; i++ {
		tg, err := New(Options{})
		if err != nil {
			b.Fatal(err)
		}
		keep = append(keep, tg)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/float64(len(keep))/(1<<20), "MB/tagger")
}

// BenchmarkTagLanguages tags ~10 KB articles built from the v2 blind
// set of each language (its items repeated), so that the speed of each
// language can be compared with English built the same way.
func BenchmarkTagLanguages(b *testing.B) {
	for _, lang := range v2Sets {
		b.Run(lang, func(b *testing.B) {
			set := loadSet(b, "testdata/blind-v2-"+lang+".jsonl")
			arts := make([]article.Article, len(set))
			for i := range set {
				var body strings.Builder
				for k := 0; body.Len() < 10_000; k++ {
					body.WriteString(set[(i+k)%len(set)].Body)
					body.WriteString("\n\n")
				}
				arts[i] = article.Article{Title: set[i].Title, Body: body.String(), Published: set[i].Published}
			}
			benchTagger(b, arts)
		})
	}
}
