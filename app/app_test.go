package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/newswire/newswire/index/embedded"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/enrich"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/testsvc"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Bleve starts its analysis workers once per process, at package
		// init; they are shared by every index and never stop.
		goleak.IgnoreTopFunction("github.com/blevesearch/bleve_index_api.AnalysisWorker"),
	)
}

const pyongyang = `{
 "url": "https://e2e.example/world/putin-kim-treaty?utm_source=feed",
 "source": "E2E Wire",
 "title": "Putin and Kim sign defence treaty in Pyongyang",
 "summary": "Russia and North Korea pledge mutual help if either is attacked.",
 "body": "Vladimir Putin and Kim Jong Un signed a Comprehensive Strategic Partnership Treaty in Pyongyang on Wednesday. North Korea and Russia promised each other military assistance.",
 "published": "2024-06-19T12:00:00Z"
}`

type searchAnswer struct {
	Total int          `json:"total"`
	Hits  []index.Hit  `json:"hits"`
	Facet index.Facets `json:"facets"`
}

func newTestApp(t *testing.T, cfg Config) *App {
	t.Helper()
	tagger, err := enrich.New(enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tagger = tagger
	if cfg.EmbeddedBrokerAddr == "" {
		cfg.EmbeddedBrokerAddr = "127.0.0.1:0"
	}
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.FlushInterval = 5 * time.Millisecond
	cfg.ShutdownTimeout = 10 * time.Second
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 64 << 10
	}
	a, err := New(cfg, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	return a
}

func stopApp(t *testing.T, a *App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func post(t *testing.T, a *App, contentType, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post("http://"+a.HTTPAddr()+"/api/v1/articles", contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func search(t *testing.T, a *App, params url.Values) searchAnswer {
	t.Helper()
	resp, err := http.Get("http://" + a.HTTPAddr() + "/api/v1/search?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("search %v: status %d: %s", params, resp.StatusCode, b)
	}
	var ans searchAnswer
	if err := json.Unmarshal(b, &ans); err != nil {
		t.Fatalf("decode search answer: %v: %s", err, b)
	}
	return ans
}

// waitFor polls the search API until cond holds or the deadline passes.
func waitFor(t *testing.T, a *App, params url.Values, within time.Duration, cond func(searchAnswer) bool) searchAnswer {
	t.Helper()
	deadline := time.Now().Add(within)
	var last searchAnswer
	for time.Now().Before(deadline) {
		last = search(t, a, params)
		if cond(last) {
			return last
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("search %v: condition not met within %v; last answer %+v", params, within, last)
	return last
}

func treatyQuery() url.Values {
	return url.Values{"q": {"treaty"}, "country": {"KP", "RU"}}
}

// exercise is the end-to-end scenario shared by the embedded and the
// real-Kafka runs: ingest over HTTP, find it through search with its tags
// and facets, refuse bad input with the right status codes.
func exercise(t *testing.T, a *App) string {
	status, body := post(t, a, "application/json", pyongyang)
	if status != http.StatusAccepted {
		t.Fatalf("POST: status %d, body %v", status, body)
	}
	ids, _ := body["ids"].([]any)
	if len(ids) != 1 || body["accepted"].(float64) != 1 {
		t.Fatalf("POST answer %v: want one accepted id", body)
	}
	id := ids[0].(string)

	start := time.Now()
	ans := waitFor(t, a, treatyQuery(), 20*time.Second, func(s searchAnswer) bool { return s.Total == 1 })
	t.Logf("searchable %v after the POST was acknowledged", time.Since(start))
	hit := ans.Hits[0]
	if hit.ID != id {
		t.Fatalf("hit id %s, want %s", hit.ID, id)
	}
	for _, c := range []string{"KP", "RU"} {
		if !slices.Contains(hit.Countries, c) {
			t.Errorf("hit countries %v lack %s", hit.Countries, c)
		}
	}
	if !strings.Contains(hit.Snippet, "<mark>") {
		t.Errorf("snippet %q has no <mark>", hit.Snippet)
	}
	if n := facetCount(ans.Facet.Countries, "KP"); n != 1 {
		t.Errorf("country facet KP = %d, want 1 (facets %+v)", n, ans.Facet.Countries)
	}
	if n := facetCount(ans.Facet.Sources, "E2E Wire"); n != 1 {
		t.Errorf("source facet = %d, want 1 (%+v)", n, ans.Facet.Sources)
	}
	// A filter the article does not match finds nothing.
	if s := search(t, a, url.Values{"q": {"treaty"}, "country": {"KP", "FR"}}); s.Total != 0 {
		t.Errorf("KP AND FR: total %d, want 0", s.Total)
	}

	// Bad input: precise errors, nothing written.
	if st, b := post(t, a, "application/json", `{"title": "no url"}`); st != http.StatusBadRequest || !strings.Contains(fmt.Sprint(b), "id") {
		t.Errorf("article without url: status %d %v, want 400 naming id", st, b)
	}
	if st, b := post(t, a, "application/json", `[`+pyongyang+`, {"url":"https://e2e.example/2"}]`); st != http.StatusBadRequest {
		t.Errorf("array with one bad item: status %d %v, want 400", st, b)
	} else if items, _ := b["items"].([]any); len(items) != 1 || items[0].(map[string]any)["index"].(float64) != 1 {
		t.Errorf("array with one bad item: items %v, want index 1", b["items"])
	}
	if st, _ := post(t, a, "text/plain", "hello"); st != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: status %d, want 415", st)
	}
	big := `{"url":"https://e2e.example/big","title":"big","body":"` + strings.Repeat("x", 70<<10) + `"}`
	if st, _ := post(t, a, "application/json", big); st != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: status %d, want 413", st)
	}
	if st, b := post(t, a, "application/x-ndjson", `{"url":"https://e2e.example/nd1","title":"Summit in Geneva","body":"Leaders met."}`+"\n"+`{"url":"https://e2e.example/nd2","title":"Chess final","body":"A draw."}`+"\n"); st != http.StatusAccepted || b["accepted"].(float64) != 2 {
		t.Errorf("ndjson: status %d %v, want 202 with 2 accepted", st, b)
	}
	waitFor(t, a, url.Values{"q": {"chess"}}, 20*time.Second, func(s searchAnswer) bool { return s.Total == 1 })

	// Readiness follows the rules, alert-state and alerts topics to their
	// end; on a broker that has just created them, their leaders may take
	// a moment.
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + a.HTTPAddr() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			break // the check below reports the reasons
		}
		time.Sleep(50 * time.Millisecond)
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/": 200} {
		resp, err := http.Get("http://" + a.HTTPAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d: %s", path, resp.StatusCode, want, b)
		}
		if path == "/metrics" && !bytes.Contains(b, []byte("newswire_committed_records_total")) {
			t.Errorf("metrics lack newswire_committed_records_total")
		}
	}
	return id
}

func TestEndToEndEmbedded(t *testing.T) {
	dir := t.TempDir()
	a := newTestApp(t, Config{DataDir: dir})
	id := exercise(t, a)
	stopApp(t, a)

	// A second start on the same data dir keeps the index; re-posting the
	// same article does not duplicate it.
	a = newTestApp(t, Config{DataDir: dir})
	defer stopApp(t, a)
	ans := search(t, a, treatyQuery())
	if ans.Total != 1 || ans.Hits[0].ID != id {
		t.Fatalf("after restart: %+v, want the one article %s", ans, id)
	}
	if st, _ := post(t, a, "application/json", pyongyang); st != http.StatusAccepted {
		t.Fatalf("re-POST: %d", st)
	}
	// Let the stages handle it, then check still exactly one document.
	waitLag(t, a, "newswire-enrich", consumers.DefaultTopics.Raw)
	waitLag(t, a, "newswire-index", consumers.DefaultTopics.Enriched)
	if ans := search(t, a, url.Values{"q": {"treaty"}}); ans.Total != 1 {
		t.Fatalf("after re-POST: total %d, want 1", ans.Total)
	}
}

// TestEndToEndRealKafka runs the same scenario with the all-in-one pointed
// at the real broker of deploy/local (--brokers).
func TestEndToEndRealKafka(t *testing.T) {
	brokers := testsvc.KafkaBrokers(t)
	prefix := testsvc.UniqueName(t, "e2e")
	cfg := Config{
		DataDir: t.TempDir(), Brokers: brokers,
		Topics:      consumers.Topics{Raw: prefix + ".raw", Enriched: prefix + ".enriched", Alerts: prefix + ".alerts", DLQ: prefix + ".dlq", Rules: prefix + ".rules", AlertState: prefix + ".alerts.state"},
		EnrichGroup: prefix + "-enrich", IndexGroup: prefix + "-index",
	}
	a := newTestApp(t, cfg)
	defer stopApp(t, a)
	exercise(t, a)
}

func waitLag(t *testing.T, a *App, group, topic string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		lags, err := consumers.Lag(ctx, a.Brokers(), group, topic)
		cancel()
		if err == nil && consumers.SumLag(lags) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("group %s did not catch up on %s", group, topic)
}

func facetCount(b []index.Bucket, key string) int {
	for _, x := range b {
		if x.Key == key {
			return x.Count
		}
	}
	return 0
}

func newTagger() (consumers.Tagger, error) { return enrich.New(enrich.Options{}) }

// TestStartFailsCleanlyWhenTheStoreWontOpen: an opener error stops the
// start with that error and closes what was started, without closing a
// store that never opened.
func TestStartFailsCleanlyWhenTheStoreWontOpen(t *testing.T) {
	tagger, err := newTagger()
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{
		DataDir: t.TempDir(), EmbeddedBrokerAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Tagger: tagger,
		OpenStore: func(*zap.Logger) (index.Store, error) { return (*embedded.Store)(nil), errors.New("disk on fire") },
	}, zap.NewNop(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("start: %v, want the opener's error", err)
	}
}
