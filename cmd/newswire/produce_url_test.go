package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/testsvc"
)

const urlTestPage = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Harbour bridge reopens</title><link rel="canonical" href="/story/bridge">
<meta property="og:site_name" content="Coast Courier"></head><body>
<article><h1>Harbour bridge reopens</h1>
<p>The harbour bridge reopened to traffic on Monday morning after eight months of repairs to its steel deck and cables.</p>
<p>Engineers replaced more than four hundred bolts and repainted the towers, the port authority said in a statement.</p>
</article></body></html>`

// TestProduceURL runs `newswire produce --url` against real Kafka: a
// loopback page is refused by default (the private-address guard) and
// published with --allow-private.
func TestProduceURL(t *testing.T) {
	brokers := testsvc.KafkaBrokers(t)
	bs := strings.Join(brokers, ",")
	var hits atomic.Int32
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/story/bridge" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(urlTestPage))
	}))
	defer site.Close()
	prefix := testsvc.UniqueName(t, "url")
	topic := prefix + ".raw"
	var out bytes.Buffer
	if code := run([]string{"topics", "ensure", "--brokers", bs, "--topic-raw", topic, "--topic-enriched", prefix + ".enriched",
		"--topic-alerts", prefix + ".alerts", "--topic-dlq", prefix + ".dlq", "--topic-rules", prefix + ".rules",
		"--topic-alert-state", prefix + ".alerts.state", "--partitions", "1"}, nil, &out, &out); code != 0 {
		t.Fatalf("topics ensure: %d: %s", code, out.String())
	}
	args := []string{"produce", "--brokers", bs, "--topic-raw", topic, "--log-level", "warn", "--url", site.URL + "/story/bridge?utm_source=x"}

	out.Reset()
	if code := run(args, nil, &out, &out); code == 0 || !strings.Contains(out.String(), "blocked") {
		t.Fatalf("loopback page without --allow-private: exit %d: %s", code, out.String())
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the guarded fetch reached the site (%d requests)", n)
	}

	out.Reset()
	if code := run(append(args, "--allow-private"), nil, &out, &out); code != 0 {
		t.Fatalf("produce --url --allow-private: exit %d: %s", code, out.String())
	}
	msgs := testsvc.ReadTopic(t, brokers, topic)
	if len(msgs) != 1 {
		t.Fatalf("%d records on %s, want 1", len(msgs), topic)
	}
	a, err := article.Decode(msgs[0].Value, article.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	wantID, _ := article.DeriveID(site.URL+"/story/bridge", "", "")
	if a.ID != wantID || string(msgs[0].Key) != wantID || a.Source != "Coast Courier" || !strings.HasPrefix(a.Body, "The harbour bridge reopened") {
		t.Errorf("record key %s article %+v", msgs[0].Key, a)
	}
}
