package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/alert"
	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/testsvc"
)

// digestReceiver keeps the delivery ids of pushed alerts and the alert ids
// listed by each digest.
type digestReceiver struct {
	mu      sync.Mutex
	pushed  []string
	digests map[string][]string // digest id → listed alert ids
}

func (h *digestReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	switch r.Header.Get(alert.HeaderEvent) {
	case alert.TypeDigest:
		var d alert.Digest
		if err := json.Unmarshal(body, &d); err == nil {
			var ids []string
			for _, e := range d.Alerts {
				ids = append(ids, e.ID)
			}
			h.digests[d.ID] = ids
		}
	default:
		h.pushed = append(h.pushed, r.Header.Get(alert.HeaderDelivery))
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *digestReceiver) snapshot() (pushed []string, digests map[string][]string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	digests = map[string][]string{}
	for k, v := range h.digests {
		digests[k] = v
	}
	return append([]string(nil), h.pushed...), digests
}

// TestThrottledDigestSurvivesKilledAlerter is the lost-pod case with
// separate processes on real Kafka: an alert process pushes a throttled
// rule's first alert and holds the rest for the digest, then is killed
// with SIGKILL and its data directory deleted. A fresh alert process in
// the same group, with an empty data directory and no new alert of the
// rule arriving, must send the digest listing every held alert, once.
func TestThrottledDigestSurvivesKilledAlerter(t *testing.T) {
	brokers := testsvc.KafkaBrokers(t)
	if testing.Short() {
		t.Skip("starts two processes and waits out a 10 s throttle")
	}
	prefix := testsvc.UniqueName(t, "digestkill")
	topics, topicFlags := prefixTopics(prefix, strings.Join(brokers, ","))
	var out strings.Builder
	if code := run(append([]string{"topics", "ensure", "--partitions", "2"}, topicFlags...), nil, &out, &out); code != 0 {
		t.Fatalf("topics ensure: %d: %s", code, out.String())
	}
	hook := &digestReceiver{digests: map[string][]string{}}
	hookSrv := httptest.NewServer(hook)
	defer hookSrv.Close()
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	const ruleID = "zeppelin-digest"
	if err := os.WriteFile(rules, fmt.Appendf(nil, `rules:
  - id: %s
    name: Zeppelins, throttled
    throttle: 10s
    query: {text: zeppelin}
    channels: [{type: webhook, url: %q, secret: s3cret}]
`, ruleID, hookSrv.URL), 0o600); err != nil {
		t.Fatal(err)
	}
	group := prefix + "-alert"
	startAlerter := func(dataDir string) *proc {
		addr := freeAddr(t)
		p := startProc(t, append([]string{"alert", "--group", group, "--http", addr, "--data-dir", dataDir, "--rules", rules,
			"--alerts-allow-private", "--digest-takeover-after", "2s", "--partitions", "2", "--log-level", "warn"}, topicFlags...)...)
		waitReady(t, p, addr)
		return p
	}
	dirA := t.TempDir()
	a := startAlerter(dirA)

	// Six matching articles: the first alert is pushed, five are held.
	w := consumers.NewWriter(brokers, zap.NewNop())
	defer w.Close()
	var all []string
	var recs []consumers.Record
	for i := range 6 {
		art := article.Article{URL: fmt.Sprintf("https://digestkill.example/%d", i), Title: fmt.Sprintf("Zeppelin sighting %d", i),
			Body: "A zeppelin crossed the border.", Published: time.Date(2026, 11, 1, 0, i, 0, 0, time.UTC)}
		if err := article.Normalize(&art, time.Now()); err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(&article.Enriched{Article: art, Enrichment: article.Enrichment{Version: "test"}})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, consumers.Record{Topic: topics.Enriched, Key: []byte(art.ID), Value: b})
		all = append(all, alert.AlertID(ruleID, art.ID))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Write(ctx, recs...); err != nil {
		t.Fatal(err)
	}

	// Every alert committed by the delivery stage: one pushed, five held
	// in the throttle record.
	deadline := time.Now().Add(60 * time.Second)
	for {
		pushed, _ := hook.snapshot()
		if len(pushed) == 1 && groupLag(t, brokers, group, topics.Enriched) == 0 && groupLag(t, brokers, group+"-deliver", topics.Alerts) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("first alert not pushed or alerts not committed: pushed %v: %s", pushed, a.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The lost pod: killed, its disk gone.
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()
	if err := os.RemoveAll(dirA); err != nil {
		t.Fatal(err)
	}
	if _, digests := hook.snapshot(); len(digests) != 0 {
		t.Fatalf("a digest left before the period ended: %v", digests)
	}
	b := startAlerter(t.TempDir())
	defer func() {
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		_ = b.cmd.Wait()
	}()

	deadline = time.Now().Add(60 * time.Second)
	for {
		if _, digests := hook.snapshot(); len(digests) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no digest from the new process: %s", b.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // a second digest, if any, would come within a flush or two
	pushed, digests := hook.snapshot()
	if len(pushed) != 1 || len(digests) != 1 {
		t.Fatalf("pushed %v and digests %v; want one push and one digest", pushed, digests)
	}
	var got []string
	for _, ids := range digests {
		got = append(got, ids...)
	}
	got = append(got, pushed...)
	sort.Strings(got)
	sort.Strings(all)
	if strings.Join(got, " ") != strings.Join(all, " ") {
		t.Fatalf("pushed and digested alerts %v, want each of %v exactly once", got, all)
	}
}
