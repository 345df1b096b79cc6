package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/consumers"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func testArticle(id string) *article.Enriched {
	return &article.Enriched{Article: article.Article{
		Schema: 1, ID: id, Source: "Reuters", URL: "https://news.example/" + id,
		Title:     "Kim and Putin sign strategic partnership treaty",
		Summary:   "North Korea and Russia agreed to mutual defence at a summit in Pyongyang.",
		Body:      "The treaties were signed on Wednesday after talks that lasted the whole day.",
		Published: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
	}, Tags: article.Tags{
		Countries: []article.CountryTag{
			{Code: "KP", Name: "North Korea", Mentions: 1, Spans: []article.Span{{Field: "summary", Start: 0, End: 11}}},
			{Code: "RU", Name: "Russia", Mentions: 1, Spans: []article.Span{{Field: "summary", Start: 16, End: 22}}},
		},
		Keywords: []string{"treaty", "summit"},
	}}
}

func encodeArticle(t testing.TB, e *article.Enriched) consumers.Record {
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return consumers.Record{Topic: "news.enriched", Key: []byte(e.ID), Value: b}
}

func compileRules(t testing.TB, rules ...match.Rule) *match.Matcher {
	t.Helper()
	m, err := match.Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var kpRuTreaty = match.Rule{ID: "kp-ru-treaty", Name: "North Korea, Russia and a treaty",
	Query: match.Query{Text: "treaty", Countries: []string{"KP", "RU"}}}

func TestAlertGolden(t *testing.T) {
	e := testArticle("a1")
	ms := compileRules(t, kpRuTreaty).Match(e)
	if len(ms) != 1 {
		t.Fatalf("%d matches", len(ms))
	}
	got, err := json.MarshalIndent(NewAlert(ms[0], e, t0), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "alert.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("alert JSON differs from %s:\n%s", path, got)
	}
}

func TestSnippet(t *testing.T) {
	long := "Opening words. " + string(bytes.Repeat([]byte("filler words here "), 20)) + "the treaty was signed " + string(bytes.Repeat([]byte("more text after "), 30))
	e := &article.Enriched{Article: article.Article{ID: "x", Title: "T", Body: long}}
	m := compileRules(t, match.Rule{ID: "r", Name: "r", Query: match.Query{Text: "treaty"}}).Match(e)
	s := Snippet(e, m[0])
	if !bytes.Contains([]byte(s), []byte("treaty")) || s[:3] != "…" || len(s) > snippetLen+8 {
		t.Errorf("snippet = %q", s)
	}
}

func openState(t *testing.T) (*State, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := OpenState(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st, path
}

// stateLog stands for the alert-state topic in unit tests: the state
// records a stage produced, replayed into a new Once as its follower
// would.
func stateLog(results ...[]consumers.Result) *Once {
	o := NewOnce(zap.NewNop())
	for _, res := range results {
		for _, r := range res {
			for _, out := range r.Out {
				if out.Topic == "news.alerts.state" {
					var v stateValue
					_ = json.Unmarshal(out.Value, &v)
					o.add(string(out.Key), v.Rules)
				}
			}
		}
	}
	return o
}

var alerterCfg = AlerterConfig{Topic: "news.alerts", StateTopic: "news.alerts.state", Now: func() time.Time { return t0 }}

func TestAlerterOncePerRuleAndArticle(t *testing.T) {
	m := compileRules(t, kpRuTreaty, match.Rule{ID: "summit", Name: "Summit", Query: match.Query{Text: "summit"}})
	once := NewOnce(zap.NewNop())
	stage, err := NewAlerterStage(m, once, alerterCfg, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a1, a2 := testArticle("a1"), testArticle("a2")
	updated := testArticle("a1")
	updated.Title += " (updated)"
	batch := []consumers.Record{encodeArticle(t, a1), encodeArticle(t, a1), {Value: []byte("{bad")}}
	res, err := stage.Process(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	// Two alerts and one state record for a1; its copy in the same batch
	// alerts nothing.
	if len(res) != 3 || len(res[0].Out) != 3 || len(res[1].Out) != 0 || !errors.Is(res[2].Err, consumers.ErrPoison) {
		t.Fatalf("first batch results: %+v", res)
	}
	if k := string(res[0].Out[0].Key); k != "kp-ru-treaty/a1" || res[0].Out[0].Topic != "news.alerts" {
		t.Errorf("key %q topic %q", k, res[0].Out[0].Topic)
	}
	st := res[0].Out[2]
	if st.Topic != "news.alerts.state" || string(st.Key) != "a1" || string(st.Value) != `{"rules":["kp-ru-treaty","summit"]}` {
		t.Errorf("state record %s %s %s", st.Topic, st.Key, st.Value)
	}
	// Not yet committed: nothing is known.
	if once.Alerted("summit", "a1") {
		t.Fatal("pair known before its batch was committed")
	}
	// The runner reports the batch committed: its pairs are known, so a
	// redelivery of the same article (or an update of it) does not alert
	// again.
	stage.Committed(batch, res)
	batch2 := []consumers.Record{encodeArticle(t, a1), encodeArticle(t, updated), encodeArticle(t, a2)}
	res2, err := stage.Process(ctx, batch2)
	if err != nil {
		t.Fatal(err)
	}
	if len(res2[0].Out)+len(res2[1].Out) != 0 || len(res2[2].Out) != 3 {
		t.Fatalf("second batch: %d %d %d records", len(res2[0].Out), len(res2[1].Out), len(res2[2].Out))
	}
	stage.Committed(batch2, res2)

	// A new process (a restart, or another replica after a rebalance)
	// knows the pairs from the state topic alone: no local disk.
	stage2, _ := NewAlerterStage(m, stateLog(res, res2), alerterCfg, nil, zap.NewNop())
	res3, err := stage2.Process(ctx, []consumers.Record{encodeArticle(t, a1), encodeArticle(t, a2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res3[0].Out)+len(res3[1].Out) != 0 {
		t.Errorf("replay on a new process alerted again: %+v", res3)
	}

	// A rule added later alerts on an old article once, and its state
	// record lists the earlier rules too (compaction keeps only the last).
	m2 := compileRules(t, kpRuTreaty, match.Rule{ID: "summit", Name: "Summit", Query: match.Query{Text: "summit"}},
		match.Rule{ID: "pyongyang", Name: "P", Query: match.Query{Text: "Pyongyang"}})
	stage3, _ := NewAlerterStage(m2, stateLog(res, res2), alerterCfg, nil, zap.NewNop())
	res4, err := stage3.Process(ctx, []consumers.Record{encodeArticle(t, a1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res4[0].Out) != 2 || string(res4[0].Out[1].Value) != `{"rules":["kp-ru-treaty","summit","pyongyang"]}` {
		t.Errorf("new rule on an old article: %d records, state %s", len(res4[0].Out), res4[0].Out[len(res4[0].Out)-1].Value)
	}
}

func TestAlerterUnacknowledgedIsNotRecorded(t *testing.T) {
	m := compileRules(t, kpRuTreaty)
	once := NewOnce(zap.NewNop())
	stage, _ := NewAlerterStage(m, once, alerterCfg, nil, zap.NewNop())
	if _, err := stage.Process(context.Background(), []consumers.Record{encodeArticle(t, testArticle("a1"))}); err != nil {
		t.Fatal(err)
	}
	// Not reported committed (abandoned at shutdown, say): nothing is
	// recorded, so the next owner alerts again...
	if once.Alerted("kp-ru-treaty", "a1") {
		t.Error("pair recorded before its alert was acknowledged")
	}
	// ...and a later batch's Process does not record it either.
	if _, err := stage.Process(context.Background(), []consumers.Record{encodeArticle(t, testArticle("a2"))}); err != nil {
		t.Fatal(err)
	}
	if once.Alerted("kp-ru-treaty", "a1") {
		t.Error("an abandoned batch's pair was recorded by the next batch")
	}
}

func TestAlerterBarrierOnNewPartitions(t *testing.T) {
	var calls [][]int
	cfg := alerterCfg
	cfg.Barrier = func(_ context.Context, ps []int) error { calls = append(calls, ps); return nil }
	stage, _ := NewAlerterStage(compileRules(t, kpRuTreaty), NewOnce(zap.NewNop()), cfg, nil, zap.NewNop())
	rec := func(p int, id string) consumers.Record {
		r := encodeArticle(t, testArticle(id))
		r.Partition = p
		return r
	}
	for _, b := range [][]consumers.Record{{rec(0, "a"), rec(1, "b")}, {rec(0, "c")}, {rec(2, "d"), rec(0, "e")}} {
		if _, err := stage.Process(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	if len(calls) != 2 || len(calls[0]) != 2 || len(calls[1]) != 1 || calls[1][0] != 2 {
		t.Errorf("barrier calls %v, want [[0 1] [2]]", calls)
	}
	cfg.Barrier = func(context.Context, []int) error { return errors.New("broker down") }
	stage2, _ := NewAlerterStage(compileRules(t, kpRuTreaty), NewOnce(zap.NewNop()), cfg, nil, zap.NewNop())
	if _, err := stage2.Process(context.Background(), []consumers.Record{rec(0, "a")}); err == nil {
		t.Error("a failed barrier must make the batch transient")
	}
}

func TestAlerterMaxAge(t *testing.T) {
	stage, _ := NewAlerterStage(compileRules(t, kpRuTreaty), NewOnce(zap.NewNop()), AlerterConfig{Topic: "t", StateTopic: "s", MaxAge: time.Hour,
		Now: func() time.Time { return t0.Add(48 * time.Hour) }}, nil, zap.NewNop())
	res, err := stage.Process(context.Background(), []consumers.Record{encodeArticle(t, testArticle("old"))})
	if err != nil || len(res[0].Out) != 0 {
		t.Errorf("old article alerted: %+v %v", res, err)
	}
}
