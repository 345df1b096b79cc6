package alert

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/broker"
	"github.com/newswire/newswire/consumers"
)

// sseEvent is one event read from a stream.
type sseEvent struct {
	id, typ, data string
}

// openStream connects to a stream and returns its events as they come.
// query is appended to the URL; last, when set, is sent as Last-Event-ID.
func openStream(t *testing.T, base, query, last string) (<-chan sseEvent, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+query, nil)
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		return nil, resp
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	return streamEvents(resp), resp
}

// streamEvents parses a stream's events as they come.
func streamEvents(resp *http.Response) <-chan sseEvent {
	ch := make(chan sseEvent, 1024)
	go func() {
		defer close(ch)
		rd := bufio.NewReader(resp.Body)
		var ev sseEvent
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if ev.typ != "" {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return ch
}

// next reads n events, failing after a generous timeout.
func next(t *testing.T, ch <-chan sseEvent, n int) []sseEvent {
	t.Helper()
	var out []sseEvent
	timeout := time.After(20 * time.Second)
	for len(out) < n {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended after %d of %d events: %v", len(out), n, out)
			}
			out = append(out, ev)
		case <-timeout:
			t.Fatalf("got %d of %d events: %v", len(out), n, out)
		}
	}
	return out
}

// quiet checks that no event arrives for a little while.
func quiet(t *testing.T, ch <-chan sseEvent) {
	t.Helper()
	select {
	case ev := <-ch:
		t.Fatalf("unexpected event %+v", ev)
	case <-time.After(150 * time.Millisecond):
	}
}

// alertRecord is an alerts-topic record of rule on article at p:o.
func alertRecord(t testing.TB, rule, articleID string, p int, o int64) consumers.Record {
	a := NewAlert(match.Match{RuleID: rule, RuleName: "Rule " + rule}, testArticle(articleID), t0)
	b, err := json.Marshal(&a)
	if err != nil {
		t.Fatal(err)
	}
	return consumers.Record{Topic: "news.alerts", Partition: p, Offset: o, Key: []byte(a.ID), Value: b}
}

func articleOf(t *testing.T, ev sseEvent) string {
	t.Helper()
	var a Alert
	if err := json.Unmarshal([]byte(ev.data), &a); err != nil {
		t.Fatalf("event data %q: %v", ev.data, err)
	}
	return a.RuleID + "/" + a.ArticleID
}

func articles(t *testing.T, evs []sseEvent) string {
	var out []string
	for _, ev := range evs {
		out = append(out, articleOf(t, ev))
	}
	return strings.Join(out, " ")
}

func TestHubResumeAcrossServes(t *testing.T) {
	// Two serves read the same records in different interleavings of
	// the partitions; a client of the first resumes on the second.
	recs := []consumers.Record{
		alertRecord(t, "ra", "p0o0", 0, 0), alertRecord(t, "rb", "p1o0", 1, 0),
		alertRecord(t, "ra", "p0o1", 0, 1), alertRecord(t, "rb", "p1o1", 1, 1),
		alertRecord(t, "ra", "p0o2", 0, 2), alertRecord(t, "rb", "p1o2", 1, 2),
	}
	a := NewHub(HubConfig{}, nil, zap.NewNop())
	b := NewHub(HubConfig{}, nil, zap.NewNop())
	sa, sb := httptest.NewServer(a), httptest.NewServer(b)
	defer sa.Close()
	defer sb.Close()
	defer a.Close()
	defer b.Close()

	a.publishRecord(recs[0]) // before the client: not sent to it
	evA, _ := openStream(t, sa.URL, "", "")
	waitClients(t, a, 1)
	for _, i := range []int{1, 2, 3} {
		a.publishRecord(recs[i])
	}
	got := next(t, evA, 3)
	if s := articles(t, got); s != "rb/p1o0 ra/p0o1 rb/p1o1" {
		t.Fatalf("serve A sent %s", s)
	}
	if got[0].id != "0:0,1:0" || got[2].id != "0:1,1:1" || got[0].typ != TypeAlert {
		t.Errorf("ids %q %q", got[0].id, got[2].id)
	}
	// Serve B read partition 1 ahead of partition 0.
	for _, i := range []int{1, 3, 5, 0, 2, 4} {
		b.publishRecord(recs[i])
	}
	// Resuming after the second event (0:1,1:0) repeats nothing and
	// misses nothing, whatever B's order.
	evB, _ := openStream(t, sb.URL, "", got[1].id)
	if s := articles(t, next(t, evB, 3)); s != "rb/p1o1 rb/p1o2 ra/p0o2" {
		t.Errorf("serve B resumed with %s", s)
	}
	quiet(t, evB)
	// The one-event form "p:o" is read too: other partitions come from
	// the start of the ring.
	ev1, _ := openStream(t, sb.URL, "", "1:1")
	if s := articles(t, next(t, ev1, 4)); s != "rb/p1o2 ra/p0o0 ra/p0o1 ra/p0o2" {
		t.Errorf("resume from 1:1: %s", s)
	}
}

func waitClients(t *testing.T, h *Hub, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.mu.Lock()
		k := len(h.subs)
		h.mu.Unlock()
		if k == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d clients, want %d", k, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestHubRuleFilterAndGap(t *testing.T) {
	h := NewHub(HubConfig{Size: 4}, nil, zap.NewNop())
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()
	for o := range int64(6) {
		rule := "ra"
		if o%2 == 1 {
			rule = "rb"
		}
		h.publishRecord(alertRecord(t, rule, fmt.Sprintf("x%d", o), 0, o))
	}
	// The ring holds offsets 2..5; a client at 0:0 missed 1.
	ev, _ := openStream(t, srv.URL, "?rule=rb&rule=&rule=rc", "0:0")
	first := next(t, ev, 3)
	if first[0].typ != "gap" || first[0].data != `{"partitions":[{"partition":0,"after":0,"held_from":2}]}` {
		t.Errorf("gap event %+v", first[0])
	}
	if s := articles(t, first[1:]); s != "rb/x3 rb/x5" {
		t.Errorf("filtered backlog %s", s)
	}
	// Live events are filtered too, and the id covers filtered ones.
	h.publishRecord(alertRecord(t, "ra", "x6", 0, 6))
	h.publishRecord(alertRecord(t, "rc", "x7", 0, 7))
	live := next(t, ev, 1)
	if articleOf(t, live[0]) != "rc/x7" || live[0].id != "0:7" {
		t.Errorf("live %+v", live[0])
	}
	// A partition this serve has never read is a gap of unknown size.
	ev2, _ := openStream(t, srv.URL, "", "0:7,3:10")
	g := next(t, ev2, 1)[0]
	if g.typ != "gap" || g.data != `{"partitions":[{"partition":3,"after":10,"held_from":-1}]}` {
		t.Errorf("unknown partition: %+v", g)
	}
	quiet(t, ev2)
	for _, bad := range []string{"?lastEventId=12x", "?lastEventId=1:2,3", "?rule=" + strings.Repeat("r", 65)} {
		_, resp := openStream(t, srv.URL, bad, "")
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d", bad, resp.StatusCode)
		}
	}
}

// stalledClient opens a stream and never reads from it.
func stalledClient(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).SetReadBuffer(4 << 10)
	if _, err := fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestHubStalledClient(t *testing.T) {
	m := NewMetrics(nil)
	h := NewHub(HubConfig{ClientBuf: 100000, WriteTimeout: 300 * time.Millisecond, Heartbeat: time.Hour}, m, zap.NewNop())
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()
	stalledClient(t, srv.Listener.Addr().String())
	waitClients(t, h, 1)
	ev, _ := openStream(t, srv.URL, "", "")
	waitClients(t, h, 2)
	// 16 MiB through both: far more than the socket buffers hold. The
	// reading client gets every event while the other one stalls.
	big := strings.Repeat("x", 16<<10)
	const n = 1024
	for i := range int64(n) {
		r := alertRecord(t, "ra", fmt.Sprintf("a%d", i), 0, i)
		var a Alert
		_ = json.Unmarshal(r.Value, &a)
		a.Snippet = big
		r.Value, _ = json.Marshal(&a)
		h.publishRecord(r)
		next(t, ev, 1)
	}
	waitClients(t, h, 1) // the stalled one is gone
	if got := testutil.ToFloat64(m.streamDropped.WithLabelValues("write")); got != 1 {
		t.Errorf("clients cut off at a write deadline: %v, want 1", got)
	}
}

func TestHubCloseWithStalledClient(t *testing.T) {
	// A long write deadline: Close must not wait for it.
	h := NewHub(HubConfig{ClientBuf: 100000, WriteTimeout: time.Minute, Heartbeat: time.Hour}, nil, zap.NewNop())
	srv := httptest.NewServer(h)
	defer srv.Close()
	stalledClient(t, srv.Listener.Addr().String())
	waitClients(t, h, 1)
	big := strings.Repeat("x", 64<<10)
	for i := range int64(256) { // 16 MiB queued for a client that reads nothing
		r := alertRecord(t, "ra", fmt.Sprintf("a%d", i), 0, i)
		var a Alert
		_ = json.Unmarshal(r.Value, &a)
		a.Snippet = big
		r.Value, _ = json.Marshal(&a)
		h.publishRecord(r)
	}
	time.Sleep(200 * time.Millisecond) // let the handler block in its write
	start := time.Now()
	done := make(chan struct{})
	go func() { h.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close still waiting for a client that does not read")
	}
	t.Logf("close took %s", time.Since(start))
}

// TestHubFollow feeds two hubs from the alerts topic of the embedded
// broker, as two serve processes would, and resumes a client of one on
// the other.
func TestHubFollow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker")
	}
	b, err := broker.Start(broker.Config{}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	brokers := b.Addrs()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const topic = "follow.alerts"
	if _, err := consumers.EnsureTopics(ctx, brokers, []string{topic}, consumers.TopicSpec{Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	if err := consumers.WaitTopics(ctx, brokers, []string{topic}); err != nil {
		t.Fatal(err)
	}
	w := consumers.NewWriter(brokers, zap.NewNop())
	defer w.Close()
	write := func(from, to int) {
		var recs []consumers.Record
		for i := from; i < to; i++ {
			r := alertRecord(t, "ra", fmt.Sprintf("a%02d", i), 0, 0)
			recs = append(recs, consumers.Record{Topic: topic, Key: r.Key, Value: r.Value})
		}
		if err := w.Write(ctx, recs...); err != nil {
			t.Fatal(err)
		}
	}
	follow := func() (*Hub, *httptest.Server, func()) {
		h := NewHub(HubConfig{}, nil, zap.NewNop())
		tl, err := consumers.NewTailer(consumers.TailConfig{Brokers: brokers, Topic: topic, MaxWait: 50 * time.Millisecond}, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		fctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- h.Follow(fctx, tl) }()
		select {
		case <-tl.CaughtUp():
		case <-ctx.Done():
			t.Fatal("tailer never caught up")
		}
		srv := httptest.NewServer(h)
		return h, srv, func() {
			h.Close()
			srv.Close()
			stop()
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}
	write(0, 4)
	hubA, srvA, stopA := follow()
	_, srvB, stopB := follow()
	defer stopB()
	evA, _ := openStream(t, srvA.URL, "", "")
	waitClients(t, hubA, 1)
	write(4, 10)
	got := next(t, evA, 6)
	seen := map[string]bool{}
	for _, ev := range got {
		seen[articleOf(t, ev)] = true
	}
	last := got[2].id // the client read three of the six, then A stops
	stopA()
	write(10, 12)
	evB, _ := openStream(t, srvB.URL, "", last)
	rest := next(t, evB, 5)
	quiet(t, evB)
	var fromB []string
	for _, ev := range rest {
		if ev.typ != TypeAlert {
			t.Fatalf("event %+v", ev)
		}
		fromB = append(fromB, articleOf(t, ev))
	}
	all := map[string]int{}
	for _, ev := range got[:3] {
		all[articleOf(t, ev)]++
	}
	for _, a := range fromB {
		all[a]++
	}
	for i := 4; i < 12; i++ {
		if k := fmt.Sprintf("ra/a%02d", i); all[k] != 1 {
			t.Errorf("%s seen %d times (resumed on B with %q: %v)", k, all[k], last, fromB)
		}
	}
}

func TestHubWaitsForCatchUp(t *testing.T) {
	h := NewHub(HubConfig{}, nil, zap.NewNop())
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()
	ready := make(chan struct{})
	h.mu.Lock()
	h.ready = ready // as Follow does until its tailer has caught up
	h.mu.Unlock()
	got := make(chan *http.Response, 1)
	go func() {
		resp, err := http.Get(srv.URL)
		if err == nil {
			got <- resp
		}
	}()
	// Catching up: old alerts are read while the client waits.
	for o := range int64(3) {
		h.publishRecord(alertRecord(t, "ra", fmt.Sprintf("old%d", o), 0, o))
	}
	select {
	case <-got:
		t.Fatal("stream answered before the hub caught up")
	case <-time.After(200 * time.Millisecond):
	}
	close(ready)
	var resp *http.Response
	select {
	case resp = <-got:
		defer resp.Body.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("stream did not open after catch-up")
	}
	waitClients(t, h, 1)
	h.publishRecord(alertRecord(t, "ra", "new", 0, 3))
	if e := next(t, streamEvents(resp), 1)[0]; articleOf(t, e) != "ra/new" || e.id != "0:3" {
		t.Errorf("first event %+v, want only the new alert", e)
	}
}

// FuzzParsePosition: a Last-Event-ID never panics the parser, and a
// position it accepts is written back in a form it reads the same.
func FuzzParsePosition(f *testing.F) {
	for _, s := range []string{"0:1", "0:12,1:40,2:57", " 3:4 , 1:2", "1:", ":1", "-1:2", "1:2,1:3", "9999999999:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pos, err := parsePosition(s)
		if err != nil {
			return
		}
		back, err := parsePosition(formatPosition(pos))
		if err != nil || !maps.Equal(pos, back) {
			t.Fatalf("%q → %v → %q → %v, %v", s, pos, formatPosition(pos), back, err)
		}
	})
}
