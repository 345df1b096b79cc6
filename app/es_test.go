package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/elastic"
	"github.com/newswire/newswire/testsvc"
	"go.uber.org/zap"
)

// esOpener opens the Elasticsearch store at esURL under a unique alias
// base, with the client exactly as the binary builds it.
func esOpener(t testing.TB, esURL, base string) func(*zap.Logger) (index.Store, error) {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return func(log *zap.Logger) (index.Store, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return elastic.Open(ctx, elastic.Config{
			Addresses: []string{esURL}, Index: base, Replicas: elastic.NoReplicas,
			Transport: tr,
		}, log)
	}
}

// dropIndex removes what Setup created for base.
func dropIndex(t testing.TB, esURL, base string) {
	for _, path := range []string{"/" + base + "-*", "/_index_template/" + base} {
		req, _ := http.NewRequest(http.MethodDelete, esURL+path, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	http.DefaultClient.CloseIdleConnections()
}

// TestEndToEndRealServices is `newswire run --brokers … --es-url …`: the
// same scenario as the embedded run, on real Kafka and the real engine.
func TestEndToEndRealServices(t *testing.T) {
	brokers := testsvc.KafkaBrokers(t)
	for _, e := range testsvc.SearchEngines(t) {
		t.Run(e.Name, func(t *testing.T) { endToEndRealServices(t, brokers, e.URL) })
	}
}

func endToEndRealServices(t *testing.T, brokers []string, esURL string) {
	prefix := testsvc.UniqueName(t, "e2ees")
	t.Cleanup(func() { dropIndex(t, esURL, prefix) })
	a := newTestApp(t, Config{
		DataDir: t.TempDir(), Brokers: brokers, OpenStore: esOpener(t, esURL, prefix),
		Topics:      consumers.Topics{Raw: prefix + ".raw", Enriched: prefix + ".enriched", Alerts: prefix + ".alerts", DLQ: prefix + ".dlq", Rules: prefix + ".rules", AlertState: prefix + ".alerts.state"},
		EnrichGroup: prefix + "-enrich", IndexGroup: prefix + "-index",
	})
	defer stopApp(t, a)
	exercise(t, a)
}

// proxy is a TCP proxy that a test can take down and bring back on the
// same port, to make a server unreachable and reachable again.
type proxy struct {
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[up] = true, true
			p.mu.Unlock()
			p.wg.Go(func() { _, _ = io.Copy(up, c); up.Close(); c.Close() })
			p.wg.Go(func() { _, _ = io.Copy(c, up); up.Close(); c.Close() })
		}
	})
}

// down refuses new connections and cuts the open ones.
func (p *proxy) down() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *proxy) up(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("proxy back up on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// TestIndexerSurvivesEngineOutage takes the engine away mid-stream: the
// indexer holds its offsets and retries, and when the engine is back every
// article is indexed exactly once and nothing is dead-lettered.
func TestIndexerSurvivesEngineOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: waits out an engine outage; skipped with -short")
	}
	brokers := testsvc.KafkaBrokers(t)
	esURL := testsvc.ESURL(t)
	prefix := testsvc.UniqueName(t, "outage")
	t.Cleanup(func() { dropIndex(t, esURL, prefix) })
	px := newProxy(t, strings.TrimPrefix(esURL, "http://"))
	direct := esOpener(t, esURL, prefix)
	a := newTestApp(t, Config{
		DataDir: t.TempDir(), Brokers: brokers, OpenStore: esOpener(t, "http://"+px.addr, prefix),
		Topics:      consumers.Topics{Raw: prefix + ".raw", Enriched: prefix + ".enriched", Alerts: prefix + ".alerts", DLQ: prefix + ".dlq", Rules: prefix + ".rules", AlertState: prefix + ".alerts.state"},
		EnrichGroup: prefix + "-enrich", IndexGroup: prefix + "-index",
	})
	defer stopApp(t, a)
	store, err := direct(zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	const batches, per = 10, 200
	post := func(from, to int) {
		for b := from; b < to; b++ {
			var sb strings.Builder
			for i := 0; i < per; i++ {
				n := b*per + i
				fmt.Fprintf(&sb, `{"url":"https://outage.example/%d","source":"Outage Wire","title":"Story %d on Russia","body":"Moscow said a treaty was near.","published":"2025-01-01T00:00:00Z"}`+"\n", n, n)
			}
			resp, err := http.Post("http://"+a.HTTPAddr()+"/api/v1/articles", "application/x-ndjson", strings.NewReader(sb.String()))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("POST batch %d: %d", b, resp.StatusCode)
			}
		}
	}
	post(0, batches/2)
	// Wait for some documents, then take the engine away while the rest
	// arrive.
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, _ := store.Count(context.Background())
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing indexed before the outage")
		}
		time.Sleep(50 * time.Millisecond)
	}
	px.down()
	post(batches/2, batches)
	time.Sleep(3 * time.Second)
	if n, _ := store.Count(context.Background()); n == batches*per {
		t.Fatal("everything was indexed although the engine was unreachable: the outage did not bite")
	}
	px.up(t)

	deadline = time.Now().Add(90 * time.Second)
	for {
		n, err := store.Count(context.Background())
		if err == nil && n == batches*per {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the outage: %d documents, want %d (err %v)", n, batches*per, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitLag(t, a, prefix+"-index", prefix+".enriched")
	// Exactly once by id: the count equals the number of distinct ids,
	// and a search for every story finds each one once.
	res, err := store.Search(context.Background(), index.Query{Sources: []string{"Outage Wire"}, Size: 1})
	if err != nil || res.Total != batches*per {
		t.Fatalf("search total %d (%v), want %d", res.Total, err, batches*per)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lags, err := consumers.Lag(ctx, brokers, "nobody", prefix+".dlq")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lags {
		if l.End != 0 {
			t.Fatalf("dead-letter partition %d has %d records; an outage must not dead-letter", l.Partition, l.End)
		}
	}
}
