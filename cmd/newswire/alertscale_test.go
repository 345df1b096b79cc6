package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/newswire/newswire/alert"
	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/testsvc"
	"go.uber.org/zap"
)

// prefixTopics names every topic after prefix and returns the flags that
// give a process those names.
func prefixTopics(prefix, brokers string) (consumers.Topics, []string) {
	tp := consumers.Topics{Raw: prefix + ".raw", Enriched: prefix + ".enriched", Alerts: prefix + ".alerts", DLQ: prefix + ".dlq",
		Rules: prefix + ".rules", AlertState: prefix + ".alerts.state"}
	return tp, []string{"--brokers", brokers, "--topic-raw", tp.Raw, "--topic-enriched", tp.Enriched, "--topic-alerts", tp.Alerts,
		"--topic-dlq", tp.DLQ, "--topic-rules", tp.Rules, "--topic-alert-state", tp.AlertState}
}

// hookReceiver counts webhook deliveries by their delivery id.
type hookReceiver struct {
	mu  sync.Mutex
	ids map[string]int
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	h.mu.Lock()
	h.ids[r.Header.Get(alert.HeaderDelivery)]++
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// counts returns how many distinct ids arrived and how many repeats.
func (h *hookReceiver) counts() (distinct, repeats int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range h.ids {
		distinct++
		repeats += n - 1
	}
	return distinct, repeats
}

// TestAlertersScaleOutRealKafka is the alerting issue's acceptance test in
// the shape we ship: two serve processes hosting the rules API and the
// stream, three alert processes in one group, real Kafka. A rule made on
// serve A is listed by serve B and B's stream carries its alerts; while
// articles flow, one alerter is stopped with SIGTERM (phase 1: no repeat
// allowed) and later one is killed with SIGKILL (phase 2: repeats only
// within its uncommitted window). Every (rule, article) pair must reach
// the webhook with its stable delivery id.
func TestAlertersScaleOutRealKafka(t *testing.T) {
	brokers := testsvc.KafkaBrokers(t)
	if testing.Short() {
		t.Skip("starts five processes")
	}
	prefix := testsvc.UniqueName(t, "alertscale")
	bs := strings.Join(brokers, ",")
	topics, topicFlags := prefixTopics(prefix, bs)
	var out strings.Builder
	if code := run(append([]string{"topics", "ensure", "--partitions", "6"}, topicFlags...), nil, &out, &out); code != 0 {
		t.Fatalf("topics ensure: %d: %s", code, out.String())
	}
	hook := &hookReceiver{ids: map[string]int{}}
	hookSrv := httptest.NewServer(hook)
	defer hookSrv.Close()

	startServe := func() (*proc, string) {
		addr := freeAddr(t)
		p := startProc(t, append([]string{"serve", "--http", addr, "--data-dir", t.TempDir(), "--alerts-allow-private", "--log-level", "warn"}, topicFlags...)...)
		waitReady(t, p, addr)
		return p, addr
	}
	group := prefix + "-alert"
	startAlerter := func() *proc {
		addr := freeAddr(t)
		p := startProc(t, append([]string{"alert", "--group", group, "--http", addr, "--data-dir", t.TempDir(), "--alerts-allow-private",
			"--log-level", "warn", "--shutdown-timeout", "10s"}, topicFlags...)...)
		waitReady(t, p, addr)
		return p
	}
	serveA, addrA := startServe()
	serveB, addrB := startServe()
	defer func() {
		for _, p := range []*proc{serveA, serveB} {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			_ = p.cmd.Wait()
		}
	}()

	// Three rules through serve A; each must be listed by serve B.
	var ruleIDs []string
	for i, q := range []string{`{"text":"zeppelin"}`, `{"text":"zeppelin","countries":["RU"]}`, `{"text":"zeppelin","countries":["KP","RU"]}`} {
		body := fmt.Sprintf(`{"name":"zeppelin %d","query":%s,"channels":[{"type":"webhook","url":%q,"secret":"s3cret"},{"type":"stream"}]}`, i, q, hookSrv.URL)
		resp, err := http.Post("http://"+addrA+"/api/v1/alerts/rules", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create rule on A: %d %s", resp.StatusCode, b)
		}
		var r struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(b, &r)
		start := time.Now()
		for {
			resp, err := http.Get("http://" + addrB + "/api/v1/alerts/rules/" + r.ID)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("rule %s made on A not listed by B after %v", r.ID, time.Since(start))
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("rule %s listed by serve B %v after its create returned on A", r.ID, time.Since(start).Round(time.Millisecond))
		ruleIDs = append(ruleIDs, r.ID)
	}

	// B's live stream, read from the start.
	streamCtx, stopStream := context.WithCancel(context.Background())
	defer stopStream()
	var streamMu sync.Mutex
	streamed := map[string]bool{}
	go func() {
		req, _ := http.NewRequestWithContext(streamCtx, http.MethodGet, "http://"+addrB+"/api/v1/alerts/stream", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var a struct {
					ID string `json:"id"`
				}
				if json.Unmarshal([]byte(data), &a) == nil && a.ID != "" {
					streamMu.Lock()
					streamed[a.ID] = true
					streamMu.Unlock()
				}
			}
		}
	}()

	alerters := []*proc{startAlerter(), startAlerter(), startAlerter()}
	defer func() {
		for _, p := range alerters {
			if p.cmd.ProcessState == nil {
				_ = p.cmd.Process.Signal(syscall.SIGTERM)
				_ = p.cmd.Wait()
			}
		}
	}()

	w := consumers.NewWriter(brokers, zap.NewNop())
	defer w.Close()
	const perPhase, matchEvery = 2500, 10
	produce := func(phase int) (pairs []string) {
		var recs []consumers.Record
		for i := range perPhase {
			n := phase*perPhase + i
			a := article.Article{URL: fmt.Sprintf("https://alertscale.example/%d", n), Source: "Scale Wire",
				Title: fmt.Sprintf("Story %d on trade talks", n), Body: "Delegations met for talks on trade and energy.",
				Published: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Second)}
			tags := article.Tags{Countries: []article.CountryTag{{Code: "KP", Name: "North Korea", Mentions: 1}, {Code: "RU", Name: "Russia", Mentions: 1}}}
			if i%matchEvery == 0 {
				a.Body = "A zeppelin crossed the border during the talks."
			}
			if err := article.Normalize(&a, time.Now()); err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(&article.Enriched{Article: a, Tags: tags, Enrichment: article.Enrichment{Version: "test"}})
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, consumers.Record{Topic: topics.Enriched, Key: []byte(a.ID), Value: b})
			if i%matchEvery == 0 {
				for _, r := range ruleIDs {
					pairs = append(pairs, alert.AlertID(r, a.ID))
				}
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		for start := 0; start < len(recs); start += 500 {
			if err := w.Write(ctx, recs[start:min(start+500, len(recs))]...); err != nil {
				t.Fatal(err)
			}
		}
		return pairs
	}
	midStream := func() {
		deadline := time.Now().Add(60 * time.Second)
		for {
			lag := groupLag(t, brokers, group, topics.Enriched)
			if lag >= 0 && lag < perPhase*3/4 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("alerters made no progress: lag %d", lag)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitAll := func(want []string, within time.Duration) {
		deadline := time.Now().Add(within)
		for {
			hook.mu.Lock()
			missing := 0
			for _, id := range want {
				if hook.ids[id] == 0 {
					missing++
				}
			}
			hook.mu.Unlock()
			if missing == 0 && groupLag(t, brokers, group, topics.Enriched) == 0 && groupLag(t, brokers, group+"-deliver", topics.Alerts) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d (rule, article) pairs never reached the webhook", missing, len(want))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	alertKeys := func() (distinct, repeats int) {
		seen := map[string]int{}
		for _, m := range testsvc.ReadTopic(t, brokers, topics.Alerts) {
			seen[string(m.Key)]++
		}
		for _, n := range seen {
			distinct++
			repeats += n - 1
		}
		return distinct, repeats
	}

	// Phase 1: SIGTERM one alerter mid-stream, restart it. No repeats.
	want := produce(0)
	midStream()
	if err := alerters[1].cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := alerters[1].cmd.Wait(); err != nil {
		t.Fatalf("SIGTERM must give a clean exit, got %v: %s", err, alerters[1].out.String())
	}
	alerters[1] = startAlerter()
	waitAll(want, 120*time.Second)
	distinct, repeats := hook.counts()
	topicDistinct, topicRepeats := alertKeys()
	t.Logf("phase 1 (SIGTERM): %d pairs delivered, %d webhook repeats; alerts topic %d keys, %d repeats", distinct, repeats, topicDistinct, topicRepeats)
	if distinct != len(want) || repeats != 0 || topicRepeats != 0 || topicDistinct != len(want) {
		t.Errorf("after a SIGTERM: %d distinct deliveries (want %d), %d webhook repeats and %d alerts-topic repeats (want 0)",
			distinct, len(want), repeats, topicRepeats)
	}

	// Phase 2: kill -9 one alerter mid-stream, restart it.
	want = append(want, produce(1)...)
	midStream()
	if err := alerters[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = alerters[0].cmd.Wait()
	alerters[0] = startAlerter()
	waitAll(want, 180*time.Second)
	distinct, repeats = hook.counts()
	topicDistinct, topicRepeats = alertKeys()
	t.Logf("phase 2 (SIGKILL): %d pairs delivered, %d webhook repeats in all; alerts topic %d keys, %d repeats", distinct, repeats, topicDistinct, topicRepeats)
	if distinct != len(want) {
		t.Errorf("%d distinct deliveries, want %d", distinct, len(want))
	}
	// A repeat comes only from the killed process's uncommitted work: at
	// most one alerter batch (256 articles × 3 rules) and the delivery
	// stage's batches in flight.
	if bound := consumers.DefaultMaxBatch*len(ruleIDs) + alert.DeliveryMaxInFlight*consumers.DefaultMaxBatch; repeats > bound || topicRepeats > bound {
		t.Errorf("repeats %d (webhook), %d (topic) over the uncommitted window of %d", repeats, topicRepeats, bound)
	}

	// B's stream carried the alerts of the rules made on A.
	deadline := time.Now().Add(30 * time.Second)
	for {
		streamMu.Lock()
		n := 0
		for _, id := range want {
			if streamed[id] {
				n++
			}
		}
		streamMu.Unlock()
		if n == len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve B's stream carried %d of %d alerts", n, len(want))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
