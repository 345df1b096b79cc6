package story

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"

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
		a.ID = "sample-" + a.URL
		out = append(out, a)
	}
	return out
}

func BenchmarkSign(b *testing.B) {
	arts := sampleArticles(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a := &arts[i%len(arts)]
		Sign(a.Title, a.Summary, a.Body)
	}
}

func BenchmarkAssign(b *testing.B) {
	arts := sampleArticles(b)
	c, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a := arts[i%len(arts)]
		a.ID = string(rune(i)) // a new article each time: the memory fills up
		c.Assign(&article.Enriched{Article: a})
	}
}

// BenchmarkEnrich measures the enricher's per-article work on the sample
// corpus — tagging, with and without story clustering — so that the cost
// of clustering reads as the ratio of the two in one run.
func BenchmarkEnrich(b *testing.B) {
	arts := sampleArticles(b)
	tg, err := enrich.New(enrich.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, withStory := range []bool{false, true} {
		name := "tag"
		if withStory {
			name = "tag+story"
		}
		b.Run(name, func(b *testing.B) {
			c, err := New(Config{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				a := &arts[i%len(arts)]
				e := article.Enriched{Article: *a, Tags: tg.Tag(a)}
				if withStory {
					c.Assign(&e)
				}
			}
		})
	}
}
