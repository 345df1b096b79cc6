package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/alert"
	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/enrich"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/embedded"
	"github.com/newswire/newswire/index/indextest"
	"github.com/newswire/newswire/testsvc"
)

// sampleDocs is the sample corpus tagged by the real tagger, as the
// enricher writes it.
func sampleDocs(t testing.TB) []article.Enriched {
	t.Helper()
	tg, err := enrich.New(enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	docs := indextest.Samples(t, "../samples/articles.jsonl", tg.Tag, tg.Version())
	return docs
}

// loadStore indexes docs and waits until the store counts them all (a
// real engine makes them searchable at its next refresh).
func loadStore(t *testing.T, st index.Store, docs []article.Enriched) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if rej, err := st.IndexBatch(ctx, docs); err != nil || len(rej) > 0 {
		t.Fatalf("index samples: %v %+v", err, rej)
	}
	for {
		n, err := st.Count(ctx)
		if err == nil && n == len(docs) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("store counts %d of %d samples (%v)", n, len(docs), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// backtestRules cover every part of the rule language the candidate
// query translates or leaves to the matcher.
var backtestRules = []match.Query{
	{Text: "treaty"},
	{Text: "treaties"},
	{Text: "treaty", Countries: []string{"KP", "RU"}},
	{Countries: []string{"RU"}},
	{SubjectCountries: []string{"CN"}},
	{SubjectCountries: []string{"US", "RU"}},
	{Text: "treaty", Countries: []string{"US"}, SubjectCountries: []string{"RU"}},
	{Text: "treaty", Any: []match.Query{{SubjectCountries: []string{"KP"}}, {SubjectCountries: []string{"UA"}}}},
	// Countries named only as a venue or in passing.
	{Countries: []string{"CN"}, Not: []match.Query{{SubjectCountries: []string{"CN"}}}},
	{Countries: []string{"US"}, Not: []match.Query{{SubjectCountries: []string{"US"}}}},
	{Leaders: []string{"Q7747"}},
	{Treaties: []string{"t-new-start"}},
	{Keywords: []string{"summit"}},
	{Keywords: []string{"sanctions"}, Text: "sanctioned"},
	{Text: `"new start"`},
	{Text: "treaty -withdraw"},
	{Text: "minister", Sources: []string{"meridian daily"}},
	{Text: "defence"},
	{Text: "agreed"},
	{Near: &match.Near{A: "missile", B: "treaty", Within: 8}},
	{Any: []match.Query{{Text: "summit"}, {Countries: []string{"KP"}}}},
	{Countries: []string{"US"}, Not: []match.Query{{Text: "russia"}}},
	{Text: "zzzqqq"},
}

// testBacktestAgrees runs every rule through alert.Backtest on st and
// through the live matcher on every sample, over all time and over a
// window, and wants the same articles.
func testBacktestAgrees(t *testing.T, st index.Store, docs []article.Enriched) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	windowFrom := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	total := 0
	for i, q := range backtestRules {
		rule := match.Rule{ID: "bt", Name: "bt", Query: q}
		m, err := match.Compile([]match.Rule{rule})
		if err != nil {
			t.Fatalf("rule %d: %v", i, err)
		}
		for _, from := range []time.Time{{}, windowFrom} {
			var want []string
			for j := range docs {
				if !from.IsZero() && docs[j].Published.Before(from) {
					continue
				}
				if len(m.Match(&docs[j])) > 0 {
					want = append(want, docs[j].ID)
				}
			}
			got, err := alert.Backtest(ctx, st, rule, from)
			if err != nil {
				t.Fatalf("rule %d %+v: %v", i, q, err)
			}
			var ids []string
			for _, x := range got.Matches {
				ids = append(ids, x.ArticleID)
				if len(x.Terms)+len(x.Entities) == 0 {
					t.Errorf("rule %d: match %s carries no explanation", i, x.ArticleID)
				}
			}
			slices.Sort(ids)
			slices.Sort(want)
			if !slices.Equal(ids, want) || got.Matched != len(want) {
				t.Errorf("rule %d %+v from %v: backtest matched %v (%d), live matcher %v", i, q, from.Format(time.DateOnly), ids, got.Matched, want)
			}
			if got.Truncated || got.Checked != got.Candidates || got.Checked > len(docs) {
				t.Errorf("rule %d: checked %d of %d candidates (truncated %v)", i, got.Checked, got.Candidates, got.Truncated)
			}
			if from.IsZero() {
				t.Logf("rule %d: %d candidates of %d samples, %d matched", i, got.Candidates, len(docs), got.Matched)
			}
			total += len(want)
		}
	}
	if total < 20 {
		t.Fatalf("the rules matched only %d samples in all: the test proves little", total)
	}
}

// TestBacktestAgreesEmbedded: on the embedded store, a backtest finds
// exactly the samples the live matcher matches.
func TestBacktestAgreesEmbedded(t *testing.T) {
	docs := sampleDocs(t)
	st, err := embedded.Open(t.TempDir(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}()
	loadStore(t, st, docs)
	testBacktestAgrees(t, st, docs)
}

// TestBacktestAgreesRealEngines: the same on every real search engine.
func TestBacktestAgreesRealEngines(t *testing.T) {
	docs := sampleDocs(t)
	for _, e := range testsvc.SearchEngines(t) {
		t.Run(e.Name, func(t *testing.T) {
			base := testsvc.UniqueName(t, "backtest")
			t.Cleanup(func() { dropIndex(t, e.URL, base) })
			st, err := esOpener(t, e.URL, base)(zap.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := st.Close(); err != nil {
					t.Error(err)
				}
			}()
			loadStore(t, st, docs)
			testBacktestAgrees(t, st, docs)
		})
	}
}

// TestBacktestRequests: bad backtest requests are refused with the path
// of each problem; a good one on an empty store finds nothing.
func TestBacktestRequests(t *testing.T) {
	st, err := embedded.Open(t.TempDir(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tg, err := enrich.New(enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store, err := alert.OpenRuleStore(alert.StoreConfig{}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := alert.NewService(alert.ServiceConfig{Store: store, Articles: st, Entities: tg}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, r := range svc.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, tc := range []struct {
		name, body string
		code       int
		has        string
	}{
		{"no rule", `{"days":3}`, 400, `"path":"rule","message":"required"`},
		{"days out of range", `{"rule":{"query":{"text":"x"}},"days":365}`, 400, `"path":"days"`},
		{"unknown field", `{"rule":{"query":{"text":"x"}},"weeks":1}`, 400, "malformed request"},
		{"bad rule, paths under rule", `{"rule":{"query":{"leaders":["Putn"]}}}`, 400, `"path":"rule.query.leaders[0]","message":"unknown leader \"Putn\"; did you mean Vladimir Putin (Q7747)?"`},
		{"empty store", `{"rule":{"query":{"countries":["North Korea"]}},"days":2}`, 200, `"days":2,"query":{"countries":["KP"]},"candidates":0,"checked":0,"truncated":false,"matched":0,"matches":[]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(srv.URL+"/api/v1/alerts/rules/test", "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.code || !strings.Contains(string(b), tc.has) {
				t.Errorf("%d %s, want %d with %s", resp.StatusCode, b, tc.code, tc.has)
			}
		})
	}
}

// BenchmarkBacktest: one backtest of a text rule over the sample corpus
// on the embedded store, against its baseline, the first page of the
// same candidate search alone.
func BenchmarkBacktest(b *testing.B) {
	docs := sampleDocs(b)
	st, err := embedded.Open(b.TempDir(), zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if rej, err := st.IndexBatch(context.Background(), docs); err != nil || len(rej) > 0 {
		b.Fatal(err, rej)
	}
	rule := match.Rule{ID: "bt", Name: "bt", Query: match.Query{Text: "treaty", Countries: []string{"RU"}}}
	ctx := context.Background()
	b.Run("search-only", func(b *testing.B) {
		q := alert.CandidateQuery(rule.Query, time.Time{})
		for b.Loop() {
			if _, err := st.Search(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("backtest", func(b *testing.B) {
		for b.Loop() {
			got, err := alert.Backtest(ctx, st, rule, time.Time{})
			if err != nil || got.Matched == 0 {
				b.Fatal(err, got.Matched)
			}
		}
	})
}
