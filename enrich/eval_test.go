package enrich

import (
	"bufio"
	"encoding/json"
	"os"
	"sort"
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
		// Subjects are the countries the article is about (not venues or
		// passing mentions); labelled in the v2 sets only.
		Subjects []string `json:"subjects"`
		// Keywords are the alert keywords (English base words) the text
		// expresses; labelled in the v3 sets only.
		Keywords []string `json:"keywords"`
	} `json:"gold"`
}

func loadDev(tb testing.TB) []devArticle { return loadSet(tb, "testdata/devset.jsonl") }

// loadSet reads a labelled JSON-lines set (article fields plus "gold").
func loadSet(tb testing.TB, path string) []devArticle {
	tb.Helper()
	f, err := os.Open(path)
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
// dev set (written alongside the rules) and asserts the targets.
func TestDevSet(t *testing.T) {
	evalSet(t, "testdata/devset.jsonl", 60, [4]float64{0.97, 0.97, 0.90, 0.90})
}

// TestHeldOut measures precision, recall and F1 per kind on the held-out
// set: wire-style articles labelled before the tagger was run on them and
// never used to write rules. It asserts the targets.
func TestHeldOut(t *testing.T) {
	evalSet(t, "testdata/heldout.jsonl", 50, heldOutTargets)
}

// TestBlind measures P/R/F1 per kind on the blind set: real-event news
// copy in several house styles (datelines, British spelling, briefs,
// obituaries, sport and business, country-name traps), labelled by the
// conventions in the package doc before the tagger was run on it.
func TestBlind(t *testing.T) {
	evalSet(t, "testdata/blind.jsonl", 60, heldOutTargets)
}

// TestBlind2 measures P/R/F1 per kind on a second blind set: wire copy,
// features and briefs weighted towards treaties (arms control, trade,
// climate, security pacts, peace and normalisation deals, ratifications,
// withdrawals, unnamed bilateral agreements), labelled by the conventions
// in the package doc before the tagger was run on it.
func TestBlind2(t *testing.T) {
	evalSet(t, "testdata/blind2.jsonl", 70, heldOutTargets)
}

// heldOutTargets are the F1 levels asserted on the held-out set for
// countries, leaders, treaties and treaty parties.
var heldOutTargets = [4]float64{0.97, 0.97, 0.90, 0.90}

// evalSet tags every article of a labelled set, logs each difference from
// the gold labels and the P/R/F1 per kind, and fails below the targets.
func evalSet(t *testing.T, path string, minArticles int, targets [4]float64) {
	evalSetWith(t, Options{}, path, minArticles, targets)
}

func evalSetWith(t *testing.T, opts Options, path string, minArticles int, targets [4]float64) {
	tg, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	dev := loadSet(t, path)
	if len(dev) < minArticles {
		t.Fatalf("%s has %d articles, want at least %d", path, len(dev), minArticles)
	}
	var pc, pl, pt, pp prf
	for _, d := range dev {
		tags := tg.Tag(&d.Article)
		var gotT, goldT, gotP, goldP []string
		// These sets predate v2 and label the parties of a multilateral
		// treaty "multilateral"; v2 names the states the text makes act
		// on it (scored on the v2 sets). Scored here by the old label.
		multi := map[string]bool{}
		for _, tr := range d.Gold.Treaties {
			multi[tr.ID] = len(tr.Parties) == 1 && tr.Parties[0] == "multilateral"
		}
		for _, tr := range tags.Treaties {
			gotT = append(gotT, tr.ID)
			if multi[tr.ID] && tg.isMultilateral(tr.ID) {
				gotP = append(gotP, tr.ID+":multilateral")
				continue
			}
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
	for i, k := range []struct {
		name string
		p    prf
	}{{"countries", pc}, {"leaders", pl}, {"treaties", pt}, {"treaty parties", pp}} {
		p, r, f := k.p.scores()
		t.Logf("%-15s P=%.3f R=%.3f F1=%.3f (tp=%d fp=%d fn=%d)", k.name, p, r, f, k.p.tp, k.p.fp, k.p.fn)
		if f < targets[i] {
			t.Errorf("%s F1 %.3f below target %.2f", k.name, f, targets[i])
		}
	}
}
