package story

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newswire/newswire/article"
)

// item is one labelled article of the evaluation set: items with the same
// label are copies of one story.
type item struct {
	ID    string
	Label string
	Title string
	Body  string
}

// sameStory labels the sample corpus's own syndicated copy: key and
// value (titles) are one story.
var sameStory = map[string]string{
	"Pyongyang approves treaty with Moscow, state media say": "North Korea ratifies partnership treaty with Russia",
}

// readBases reads the original reports: the sample corpus (long bodies)
// and the tagger's labelled sets (short reports, many on the same events
// as the samples: different articles that must stay apart).
func readBases(t testing.TB) []item {
	t.Helper()
	var out []item
	files := []string{"../samples/articles.jsonl"}
	more, _ := filepath.Glob("../enrich/testdata/*.jsonl")
	files = append(files, more...)
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatalf("open %s: %v", f, err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		n := 0
		for sc.Scan() {
			var a struct{ Title, Summary, Body string }
			if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
				t.Fatalf("%s:%d: %v", f, n+1, err)
			}
			n++
			body := a.Body
			if body == "" {
				body = a.Summary
			}
			id := fmt.Sprintf("%s#%d", filepath.Base(f), n)
			out = append(out, item{ID: id, Label: id, Title: a.Title, Body: body})
		}
		if err := firstErr(sc.Err(), fh.Close()); err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
	}
	labels := map[string]string{}
	for _, it := range out {
		labels[it.Title] = it.Label
	}
	for i, it := range out {
		if orig, ok := sameStory[it.Title]; ok {
			if labels[orig] == "" {
				t.Fatalf("sample corpus lacks %q", orig)
			}
			out[i].Label = labels[orig]
		}
	}
	return out
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// New ledes a rewriting desk puts on a syndicated report: a sentence of
// its own around the report's headline.
var ledes = []string{
	"%s, officials confirmed, and analysts spent the day weighing what it means.",
	"What we know so far: %s, according to people involved.",
	"Reaction poured in from capitals and markets after news that %s.",
}

// Light word edits of a copy desk: spelling variants and house style.
var swaps = [][2]string{
	{"said", "says"}, {"defence", "defense"}, {"per cent", "percent"},
	{"organisation", "organization"}, {"Tuesday", "on Tuesday"}, {"the United States", "the US"},
}

func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// copies makes the syndicated copies of one report, each with light
// edits: a new headline, a new lede, a trimmed ending, word swaps.
func copies(b item, r *rand.Rand) []item {
	ps := paragraphs(b.Body)
	if len(ps) < 3 {
		return nil // a short report has no lede and ending to edit
	}
	headline := func(it *item) { it.Title = "UPDATE 1-" + b.Title + " - sources" }
	lede := func(it *item) {
		p := paragraphs(it.Body)
		p[0] = fmt.Sprintf(ledes[r.IntN(len(ledes))], strings.ToLower(b.Title))
		it.Body = strings.Join(p, "\n\n")
	}
	trim := func(it *item) {
		p := paragraphs(it.Body)
		last := p[len(p)-1]
		if i := strings.LastIndex(strings.TrimSuffix(last, "."), ". "); i > 0 && r.IntN(2) == 0 {
			p[len(p)-1] = last[:i+1] // drop the last sentence
		} else {
			p = p[:len(p)-1] // drop the last paragraph
		}
		it.Body = strings.Join(p, "\n\n")
	}
	words := func(it *item) {
		for _, s := range swaps {
			if r.IntN(2) == 0 {
				it.Body = strings.ReplaceAll(it.Body, s[0], s[1])
			}
		}
	}
	edits := [][]func(*item){
		{headline},
		{lede, words},
		{trim, headline},
		{lede, trim, words},
	}
	if countWords(b.Body, 150) < 150 {
		// A short report takes one edit at a time: a new lede and a cut
		// ending would leave a third of it.
		edits = [][]func(*item){{headline}, {lede}, {trim}, {words, headline}}
	}
	var out []item
	for i, es := range edits {
		c := b
		c.ID = fmt.Sprintf("%s/copy%d", b.ID, i+1)
		for _, e := range es {
			e(&c)
		}
		out = append(out, c)
	}
	return out
}

// evalSet is the labelled set: every base report plus its copies,
// shuffled with a fixed seed.
func evalSet(t testing.TB) []item {
	r := rand.New(rand.NewPCG(14, 2024))
	var set []item
	for _, b := range readBases(t) {
		set = append(set, b)
		set = append(set, copies(b, r)...)
	}
	r.Shuffle(len(set), func(i, j int) { set[i], set[j] = set[j], set[i] })
	return set
}

type scores struct {
	tp, fp, fn int
}

func (s scores) precision() float64 { return float64(s.tp) / float64(max(1, s.tp+s.fp)) }
func (s scores) recall() float64    { return float64(s.tp) / float64(max(1, s.tp+s.fn)) }

// pairwise compares predicted story ids with labels over all pairs.
func pairwise(set []item, got []string) scores {
	var s scores
	for i := range set {
		for j := i + 1; j < len(set); j++ {
			same, pred := set[i].Label == set[j].Label, got[i] != "" && got[i] == got[j]
			switch {
			case same && pred:
				s.tp++
			case pred:
				s.fp++
			case same:
				s.fn++
			}
		}
	}
	return s
}

// assignAll runs the set through replicas clusterers, each article to the
// replica its id hashes to (as news.raw partitions by article id);
// replicas 0 means no memory at all: the content id alone.
func assignAll(t testing.TB, set []item, replicas int) []string {
	cs := make([]*Clusterer, replicas)
	for i := range cs {
		c, err := New(Config{})
		if err != nil {
			t.Fatal(err)
		}
		cs[i] = c
	}
	got := make([]string, len(set))
	for i, it := range set {
		e := article.Enriched{Article: article.Article{ID: it.ID, Title: it.Title, Body: it.Body}}
		if replicas == 0 {
			if sig, ok := Sign(e.Title, e.Summary, e.Body); ok {
				got[i] = sig.ContentID()
			}
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(it.ID))
		cs[int(h.Sum32())%replicas].Assign(&e)
		if e.Story != nil {
			got[i] = e.Story.ID
		}
	}
	return got
}

// TestEvaluation measures pairwise precision and recall on the labelled
// set: one enricher, then several replicas, then the content id alone.
func TestEvaluation(t *testing.T) {
	set := evalSet(t)
	copiesN := 0
	for _, it := range set {
		if strings.Contains(it.ID, "/copy") {
			copiesN++
		}
	}
	t.Logf("evaluation set: %d articles, %d of them edited copies", len(set), copiesN)
	for _, tc := range []struct {
		name         string
		replicas     int
		minPrecision float64
		minRecall    float64
	}{
		{"one enricher", 1, 0.97, 0.9},
		{"three replicas", 3, 0.97, 0},
		{"content id only", 0, 0.97, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := pairwise(set, assignAll(t, set, tc.replicas))
			t.Logf("%s: pairs tp=%d fp=%d fn=%d precision=%.3f recall=%.3f", tc.name, s.tp, s.fp, s.fn, s.precision(), s.recall())
			if s.precision() < tc.minPrecision {
				t.Errorf("precision %.3f < %.2f", s.precision(), tc.minPrecision)
			}
			if s.recall() < tc.minRecall {
				t.Errorf("recall %.3f < %.2f", s.recall(), tc.minRecall)
			}
		})
	}
}
