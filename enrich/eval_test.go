package enrich

import (
	"bufio"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/newswire/newswire/article"
)

type devArticle struct {
	article.Article
	Gold struct {
		Countries []string `json:"countries"`
		Leaders   []string `json:"leaders"`
		Treaties  []struct {
			ID      string   `json:"id"`
			Parties []string `json:"parties"`
		} `json:"treaties"`
	} `json:"gold"`
}

func loadDev(tb testing.TB) []devArticle {
	tb.Helper()
	f, err := os.Open("testdata/devset.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []devArticle
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var d devArticle
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			tb.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

type prf struct{ tp, fp, fn int }

func (p *prf) add(gold, got []string) (missing, extra []string) {
	g := map[string]bool{}
	for _, x := range gold {
		g[x] = true
	}
	seen := map[string]bool{}
	for _, x := range got {
		if seen[x] {
			continue
		}
		seen[x] = true
		if g[x] {
			p.tp++
		} else {
			p.fp++
			extra = append(extra, x)
		}
	}
	for x := range g {
		if !seen[x] {
			p.fn++
			missing = append(missing, x)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return
}

func (p prf) scores() (prec, rec, f1 float64) {
	if p.tp+p.fp > 0 {
		prec = float64(p.tp) / float64(p.tp+p.fp)
	} else {
		prec = 1
	}
	if p.tp+p.fn > 0 {
		rec = float64(p.tp) / float64(p.tp+p.fn)
	} else {
		rec = 1
	}
	if prec+rec > 0 {
		f1 = 2 * prec * rec / (prec + rec)
	}
	return
}

// TestDevSet measures precision, recall and F1 per kind on the labelled
// dev set and asserts the targets.
func TestDevSet(t *testing.T) {
	tg, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	dev := loadDev(t)
	if len(dev) < 60 {
		t.Fatalf("dev set has %d articles, want at least 60", len(dev))
	}
	var pc, pl, pt, pp prf
	for _, d := range dev {
		tags := tg.Tag(&d.Article)
		var gotT, goldT, gotP, goldP []string
		for _, tr := range tags.Treaties {
			gotT = append(gotT, tr.ID)
			for _, p := range tr.Parties {
				gotP = append(gotP, tr.ID+":"+p)
			}
		}
		for _, tr := range d.Gold.Treaties {
			goldT = append(goldT, tr.ID)
			for _, p := range tr.Parties {
				goldP = append(goldP, tr.ID+":"+p)
			}
		}
		var gotL []string
		for _, l := range tags.Leaders {
			gotL = append(gotL, l.ID)
		}
		report := func(kind string, m, e []string) {
			if len(m)+len(e) > 0 {
				t.Logf("%s %s: missing %v, extra %v", d.ID, kind, m, e)
			}
		}
		m, e := pc.add(d.Gold.Countries, tags.CountryCodes())
		report("countries", m, e)
		m, e = pl.add(d.Gold.Leaders, gotL)
		report("leaders", m, e)
		m, e = pt.add(goldT, gotT)
		report("treaties", m, e)
		m, e = pp.add(goldP, gotP)
		report("parties", m, e)
	}
	for _, k := range []struct {
		name   string
		p      prf
		target float64
	}{{"countries", pc, 0.97}, {"leaders", pl, 0.97}, {"treaties", pt, 0.90}, {"treaty parties", pp, 0.90}} {
		p, r, f := k.p.scores()
		t.Logf("%-15s P=%.3f R=%.3f F1=%.3f (tp=%d fp=%d fn=%d)", k.name, p, r, f, k.p.tp, k.p.fp, k.p.fn)
		if f < k.target {
			t.Errorf("%s F1 %.3f below target %.2f", k.name, f, k.target)
		}
	}
	_ = strings.TrimSpace
}
