package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/consumers"
)

// receiver is a local webhook endpoint that records what it gets.
type receiver struct {
	mu   sync.Mutex
	got  []delivery
	srv  *httptest.Server
	seen chan struct{}
}

type delivery struct {
	body []byte
	sig  string
	at   time.Time
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{seen: make(chan struct{}, 1000)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, delivery{body: b, sig: req.Header.Get("X-Newswire-Signature"), at: time.Now()})
		r.mu.Unlock()
		r.seen <- struct{}{}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

func createRule(t testing.TB, a *App, body string) string {
	resp, err := http.Post("http://"+a.HTTPAddr()+"/api/v1/alerts/rules", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create rule: %d %s", resp.StatusCode, b)
	}
	var r struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(b, &r)
	return r.ID
}

// TestAlertEndToEnd: a rule "treaty AND KP AND RU" with a local webhook;
// posting the Pyongyang article delivers exactly one signed webhook;
// posting it again, or an unrelated article, delivers nothing new.
func TestAlertEndToEnd(t *testing.T) {
	rcv := newReceiver(t)
	a := newTestApp(t, Config{DataDir: t.TempDir(), AlertsAllowPrivate: true})
	defer stopApp(t, a)

	// A bad rule is refused with a pointer at the bad part.
	resp, err := http.Post("http://"+a.HTTPAddr()+"/api/v1/alerts/rules", "application/json",
		strings.NewReader(`{"name":"bad","query":{"near":{"a":"putin","b":"treaty","within":0}}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "query.near.within") {
		t.Fatalf("bad rule: %d %s", resp.StatusCode, b)
	}

	const secret = "s3cret"
	id := createRule(t, a, fmt.Sprintf(`{"name":"KP-RU treaty","query":{"text":"treaty","countries":["KP","RU"]},
		"channels":[{"type":"webhook","url":%q,"secret":%q}]}`, rcv.srv.URL+"/hook", secret))

	if st, _ := post(t, a, "application/json", pyongyang); st != http.StatusAccepted {
		t.Fatalf("POST: %d", st)
	}
	select {
	case <-rcv.seen:
	case <-time.After(20 * time.Second):
		t.Fatal("no webhook within 20s")
	}
	// Post it again and an unrelated article; wait until both have gone
	// through every stage, then check nothing new arrived.
	if st, _ := post(t, a, "application/json", pyongyang); st != http.StatusAccepted {
		t.Fatal("re-POST")
	}
	if st, _ := post(t, a, "application/json", `{"url":"https://e2e.example/chess","title":"Chess final in Madrid ends in a draw","body":"Two grandmasters agreed a draw."}`); st != http.StatusAccepted {
		t.Fatal("POST unrelated")
	}
	waitFor(t, a, treatyQuery(), 20*time.Second, func(s searchAnswer) bool { return s.Total == 1 })
	waitLag(t, a, "newswire-enrich", "news.raw")
	waitLag(t, a, "newswire-alert", "news.enriched")
	waitLag(t, a, "newswire-alert-deliver", "news.alerts")
	time.Sleep(300 * time.Millisecond)

	got := rcv.deliveries()
	if len(got) != 1 {
		t.Fatalf("webhooks: %d, want exactly 1", len(got))
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(got[0].body)
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); got[0].sig != want {
		t.Fatalf("signature %q, want %q", got[0].sig, want)
	}
	var ev map[string]any
	if err := json.Unmarshal(got[0].body, &ev); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got[0].body), id) || !strings.Contains(string(got[0].body), "Pyongyang") {
		t.Fatalf("alert body lacks rule id or title: %s", got[0].body)
	}
}

// BenchmarkProduceToWebhook measures the time from an acknowledged POST to
// the signed webhook arriving, in the all-in-one with default settings.
func BenchmarkProduceToWebhook(b *testing.B) {
	rcv := newReceiver(b)
	a := newBenchApp(b, Config{DataDir: b.TempDir(), AlertsAllowPrivate: true})
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			b.Error(err)
		}
	}()
	createRule(b, a, fmt.Sprintf(`{"name":"summit","query":{"text":"summit"},"channels":[{"type":"webhook","url":%q,"secret":"k"}]}`, rcv.srv.URL))
	lat := make([]time.Duration, 0, b.N)
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := fmt.Sprintf(`{"url":"https://hook.example/%d-%d","title":"Summit number %d opens","body":"Leaders met."}`, time.Now().UnixNano(), i, i)
		start := time.Now()
		resp, err := client.Post("http://"+a.HTTPAddr()+"/api/v1/articles", "application/json", strings.NewReader(body))
		if err != nil || resp.StatusCode != 202 {
			b.Fatalf("post: %v", err)
		}
		resp.Body.Close()
		select {
		case <-rcv.seen:
			lat = append(lat, time.Since(start))
		case <-time.After(30 * time.Second):
			b.Fatal("no webhook")
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
}

// TestAlertThrottleRecordInStateTopic: the alert role keeps a throttled
// rule's window and held alerts in the alert-state topic (no pod-local
// state): after one pushed alert and one held, the rule's throttle record
// there lists the held one.
func TestAlertThrottleRecordInStateTopic(t *testing.T) {
	rcv := newReceiver(t)
	a := newTestApp(t, Config{DataDir: t.TempDir(), AlertsAllowPrivate: true})
	defer stopApp(t, a)
	id := createRule(t, a, fmt.Sprintf(`{"name":"summits","query":{"text":"summit"},"throttle":"10m",
		"channels":[{"type":"webhook","url":%q,"secret":"k"}]}`, rcv.srv.URL))
	for i := range 2 {
		body := fmt.Sprintf(`{"url":"https://e2e.example/summit-%d","title":"Summit number %d opens","body":"Leaders met."}`, i, i)
		if st, _ := post(t, a, "application/json", body); st != http.StatusAccepted {
			t.Fatalf("POST %d: %d", i, st)
		}
	}
	waitLag(t, a, "newswire-enrich", "news.raw")
	waitLag(t, a, "newswire-alert", "news.enriched")
	waitLag(t, a, "newswire-alert-deliver", "news.alerts")
	if n := len(rcv.deliveries()); n != 1 {
		t.Fatalf("webhooks: %d, want 1 (the second alert held for the digest)", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tl, err := consumers.NewTailer(consumers.TailConfig{Brokers: a.Brokers(), Topic: a.cfg.Topics.AlertState, MaxWait: 50 * time.Millisecond}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Pending []struct {
			ID string `json:"id"`
		} `json:"pending"`
		Seq   uint64 `json:"seq"`
		Owner string `json:"owner"`
	}
	errFound := errors.New("found")
	err = tl.Run(ctx, func(r consumers.Record) error {
		if string(r.Key) != id+"/#throttle" {
			return nil
		}
		if err := json.Unmarshal(r.Value, &rec); err != nil {
			return err
		}
		if len(rec.Pending) == 1 {
			return errFound
		}
		return nil
	})
	if !errors.Is(err, errFound) {
		t.Fatalf("no throttle record with the held alert in %s: %v (last %+v)", a.cfg.Topics.AlertState, err, rec)
	}
	if !strings.HasPrefix(rec.Pending[0].ID, id+"/") || rec.Seq == 0 || rec.Owner == "" {
		t.Errorf("throttle record %+v", rec)
	}
}
