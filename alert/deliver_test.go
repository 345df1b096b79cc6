package alert

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/consumers"
)

// rulesMap is a RuleSource for tests.
type rulesMap map[string]match.Rule

func (m rulesMap) Rule(id string) (match.Rule, bool) { r, ok := m[id]; return r, ok }

// receiver records webhook posts and answers with the next status.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	bodies   [][]byte
	headers  []http.Header
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.bodies = append(rc.bodies, b)
	rc.headers = append(rc.headers, r.Header.Clone())
	status := http.StatusOK
	if len(rc.statuses) > 0 {
		status, rc.statuses = rc.statuses[0], rc.statuses[1:]
	}
	rc.mu.Unlock()
	w.WriteHeader(status)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.bodies)
}

func alertMsg(t testing.TB, ruleID, articleID string) consumers.Record {
	e := testArticle(articleID)
	a := NewAlert(match.Match{RuleID: ruleID, RuleName: "Rule " + ruleID}, e, t0)
	b, err := json.Marshal(&a)
	if err != nil {
		t.Fatal(err)
	}
	return consumers.Record{Topic: "news.alerts", Key: []byte(a.ID), Value: b}
}

func fastCfg(now func() time.Time) DeliveryConfig {
	return DeliveryConfig{AllowPrivate: true, Timeout: 2 * time.Second, Attempts: 3,
		Backoff: consumers.Backoff{Min: time.Millisecond, Max: 2 * time.Millisecond}, Now: now}
}

func TestWebhookDelivery(t *testing.T) {
	rc := &receiver{statuses: []int{500, 503}} // two failures, then success
	srv := httptest.NewServer(rc)
	defer srv.Close()
	slack := &receiver{}
	ssrv := httptest.NewServer(slack)
	defer ssrv.Close()
	rules := rulesMap{"r1": {ID: "r1", Name: "Rule r1", Channels: []match.Channel{
		{Type: match.ChannelWebhook, URL: srv.URL + "/hook", Secret: "s3cret"},
		{Type: match.ChannelSlack, URL: ssrv.URL},
		{Type: match.ChannelKafka},
	}}}
	st, _ := openState(t)
	d, err := NewDeliveryStage(rules, st, nil, fastCfg(time.Now), nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	msg := alertMsg(t, "r1", "a1")
	res, err := d.Process(context.Background(), []consumers.Record{msg})
	if err != nil || res[0].Err != nil {
		t.Fatalf("process: %v %v", err, res[0].Err)
	}
	if rc.count() != 3 {
		t.Fatalf("webhook got %d posts, want 3 (two retries)", rc.count())
	}
	body, h := rc.bodies[2], rc.headers[2]
	if string(body) != string(msg.Value) {
		t.Errorf("webhook body is not the alert record")
	}
	if got, want := h.Get(HeaderSignature), Sign("s3cret", body); got != want || !strings.HasPrefix(got, "sha256=") {
		t.Errorf("signature %q, want %q", got, want)
	}
	if h.Get(HeaderDelivery) != "r1/a1" || h.Get(HeaderEvent) != TypeAlert {
		t.Errorf("headers %v", h)
	}
	var sm map[string]any
	if slack.count() != 1 || json.Unmarshal(slack.bodies[0], &sm) != nil {
		t.Fatalf("slack got %d posts", slack.count())
	}
	if text, _ := sm["text"].(string); !strings.Contains(text, "<https://news.example/a1|Kim and Putin sign strategic partnership treaty>") {
		t.Errorf("slack text = %q", text)
	}
	// Redelivery of the same record sends nothing again.
	if res, err := d.Process(context.Background(), []consumers.Record{msg}); err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	if rc.count() != 3 || slack.count() != 1 {
		t.Errorf("redelivery re-sent: webhook %d slack %d", rc.count(), slack.count())
	}
}

func TestWebhookFailureIsPoison(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []int
		posts    int
	}{
		{"retries exhausted", []int{500, 500, 500}, 3},
		{"permanent 4xx", []int{400}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := &receiver{statuses: tc.statuses}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			rules := rulesMap{"r1": {ID: "r1", Name: "r1", Channels: []match.Channel{{Type: match.ChannelWebhook, URL: srv.URL, Secret: "k"}}}}
			st, _ := openState(t)
			d, _ := NewDeliveryStage(rules, st, nil, fastCfg(time.Now), nil, zap.NewNop())
			msg := alertMsg(t, "r1", "a1")
			res, err := d.Process(context.Background(), []consumers.Record{msg, {Value: []byte(`{"type":"other"}`)}})
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(res[0].Err, consumers.ErrPoison) || !errors.Is(res[1].Err, consumers.ErrPoison) {
				t.Errorf("results %+v", res)
			}
			if rc.count() != tc.posts {
				t.Errorf("%d posts, want %d", rc.count(), tc.posts)
			}
			// Replayed from the dead-letter topic once the receiver works.
			if res, _ := d.Process(context.Background(), []consumers.Record{msg}); res[0].Err != nil || rc.count() != tc.posts+1 {
				t.Errorf("replay: %v, %d posts", res[0].Err, rc.count())
			}
		})
	}
}

func TestPrivateTargetRefused(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc) // listens on 127.0.0.1
	defer srv.Close()
	rules := rulesMap{"r1": {ID: "r1", Name: "r1", Channels: []match.Channel{{Type: match.ChannelWebhook, URL: srv.URL, Secret: "k"}}}}
	st, _ := openState(t)
	cfg := fastCfg(time.Now)
	cfg.AllowPrivate = false
	d, _ := NewDeliveryStage(rules, st, nil, cfg, nil, zap.NewNop())
	res, err := d.Process(context.Background(), []consumers.Record{alertMsg(t, "r1", "a1")})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res[0].Err, ErrPrivateTarget) || !errors.Is(res[0].Err, consumers.ErrPoison) {
		t.Errorf("err = %v, want a refused private target", res[0].Err)
	}
	if rc.count() != 0 {
		t.Errorf("loopback receiver got %d posts", rc.count())
	}
	// A name that resolves to loopback is refused at dial time too.
	rules["r1"].Channels[0].URL = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	res, _ = d.Process(context.Background(), []consumers.Record{alertMsg(t, "r1", "a2")})
	if !errors.Is(res[0].Err, ErrPrivateTarget) {
		t.Errorf("localhost: err = %v", res[0].Err)
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestThrottleAndDigest(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	rules := rulesMap{"r1": {ID: "r1", Name: "Summits", Throttle: "10m", Channels: []match.Channel{
		{Type: match.ChannelWebhook, URL: srv.URL, Secret: "k"}, {Type: match.ChannelStream}}}}
	st, _ := openState(t)
	clk := &fakeClock{t: t0}
	d, _ := NewDeliveryStage(rules, st, nil, fastCfg(clk.Now), nil, zap.NewNop())
	defer d.Close()
	ctx := context.Background()
	process := func(ids ...string) {
		t.Helper()
		var batch []consumers.Record
		for _, id := range ids {
			batch = append(batch, alertMsg(t, "r1", id))
		}
		res, err := d.Process(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
	}
	process("a1", "a2", "a3")
	if rc.count() != 1 {
		t.Fatalf("%d posts in the first period, want 1", rc.count())
	}
	clk.Add(5 * time.Minute)
	process("a4", "a3") // a3 again: already held
	if err := d.FlushDigests(ctx); err != nil {
		t.Fatal(err)
	}
	if rc.count() != 1 {
		t.Fatalf("digest sent before the period ended")
	}
	clk.Add(6 * time.Minute)
	if err := d.FlushDigests(ctx); err != nil {
		t.Fatal(err)
	}
	if rc.count() != 2 {
		t.Fatalf("%d posts, want the digest", rc.count())
	}
	var dg Digest
	if err := json.Unmarshal(rc.bodies[1], &dg); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range dg.Alerts {
		ids = append(ids, e.ArticleID)
	}
	if dg.Type != TypeDigest || dg.Count != 3 || strings.Join(ids, ",") != "a2,a3,a4" || rc.headers[1].Get(HeaderEvent) != TypeDigest {
		t.Errorf("digest = %+v", dg)
	}
	// The digest opened a new period: the next alert is held again.
	process("a5")
	if rc.count() != 2 {
		t.Errorf("alert inside the new period was pushed")
	}
	if err := d.FlushDigests(ctx); err != nil || rc.count() != 2 {
		t.Errorf("second digest too early: %v", err)
	}
}

func TestSlackEscaping(t *testing.T) {
	a := Alert{Title: "A <b> & c", URL: "https://x.example/a|b>c", RuleName: "R", Snippet: "x > y"}
	var m struct{ Text string }
	if err := json.Unmarshal(slackAlert(a), &m); err != nil {
		t.Fatal(err)
	}
	want := "*<https://x.example/a%7Cb%3Ec|A &lt;b&gt; &amp; c>*"
	if !strings.HasPrefix(m.Text, want) || !strings.Contains(m.Text, "> x &gt; y") {
		t.Errorf("text = %q", m.Text)
	}
}

// TestMatchedTagsInMessages: Slack and email say what matched in words, a
// subject country as "about", and both list the same things.
func TestMatchedTagsInMessages(t *testing.T) {
	a := Alert{Title: "Talks", RuleName: "R",
		Entities: []match.EntityHit{{Kind: match.KindSubjectCountry, ID: "KP", Name: "North Korea"}, {Kind: match.KindCountry, ID: "RU", Name: "Russia"}, {Kind: match.KindKeyword, ID: "treaty"}},
		Terms:    []match.TermHit{{Kind: match.KindWord, Text: "summit"}}}
	want := "about: North Korea, country: Russia, keyword: treaty, “summit”"
	var m struct{ Text string }
	if err := json.Unmarshal(slackAlert(a), &m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "Matched: "+want) {
		t.Errorf("slack text = %q", m.Text)
	}
	if mail := alertMail(a); !strings.Contains(mail.text, "Matched: "+want+"\n") {
		t.Errorf("mail text = %q", mail.text)
	}
}
