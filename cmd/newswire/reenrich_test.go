package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/enrich"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/elastic"
	"github.com/newswire/newswire/index/indextest"
	"github.com/newswire/newswire/testsvc"
)

func TestFormatProgress(t *testing.T) {
	p := elastic.ReenrichProgress{Done: 500, Total: 2000, Rate: 250, ETA: 6 * time.Second}
	if got, want := formatProgress(p, false), "reenrich:  25% 500/2000 articles, 250 articles/s, ETA 6s\n"; got != want {
		t.Errorf("plain = %q, want %q", got, want)
	}
	if got := formatProgress(p, true); !strings.HasPrefix(got, "\r[======                  ]  25%") || strings.HasSuffix(got, "\n") {
		t.Errorf("tty = %q", got)
	}
}

func TestParseRetention(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "36h": 36 * time.Hour} {
		if got, err := parseRetention(in); err != nil || got != want {
			t.Errorf("parseRetention(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0d", "-1h", "x"} {
		if _, err := parseRetention(in); err == nil {
			t.Errorf("parseRetention(%q) accepted", in)
		}
	}
}

// TestReenrichSurvivesKill9 runs `newswire reenrich`, kills it with
// SIGKILL mid-run, and runs it again: the second run resumes from the
// checkpoint in the engine and every article ends up re-tagged.
func TestReenrichSurvivesKill9(t *testing.T) {
	for _, e := range testsvc.SearchEngines(t) {
		t.Run(e.Name, func(t *testing.T) { reenrichKill9(t, e.URL) })
	}
}

func reenrichKill9(t *testing.T, url string) {
	base := testsvc.UniqueName(t, "reenrich")
	ctx := context.Background()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	st, err := elastic.Open(ctx, elastic.Config{Addresses: []string{url}, Index: base, Replicas: elastic.NoReplicas, Transport: tr}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t.Cleanup(func() {
		for _, p := range []string{"/" + base + "-*", "/" + base + ".reenrich", "/_index_template/" + base} {
			req, _ := http.NewRequest(http.MethodDelete, url+p, nil)
			if res, err := tr.RoundTrip(req); err == nil {
				res.Body.Close()
			}
		}
	})
	const n = 4000
	docs := indextest.Synthetic("k", n)
	for i := range docs {
		docs[i].Tags = article.Tags{}
	}
	if rej, err := st.IndexBatch(ctx, docs); err != nil || len(rej) > 0 {
		t.Fatalf("load: %v %v", rej, err)
	}
	tagger, err := enrich.New(enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantRU := 0
	for i := range docs {
		for _, c := range tagger.Tag(&docs[i].Article).Countries {
			if c.Code == "RU" {
				wantRU++
			}
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for n0, _ := st.Count(ctx); n0 < n; n0, _ = st.Count(ctx) {
		if time.Now().After(deadline) {
			t.Fatalf("archive not searchable: %d of %d", n0, n)
		}
		time.Sleep(100 * time.Millisecond)
	}

	args := []string{"reenrich", "--es-url", url, "--es-index", base, "--es-replicas", "0", "--rate", "1000", "--batch", "200", "--settle", "1500ms"}
	p := startProc(t, args...)
	// Kill it once the checkpoint shows progress.
	deadline = time.Now().Add(60 * time.Second)
	for {
		done := checkpointDone(t, tr, url, base)
		if done >= 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no progress in the checkpoint; output:\n%s", p.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	if d := checkpointDone(t, tr, url, base); d >= n {
		t.Fatalf("the first run finished (%d) before the kill; the test proves nothing", d)
	}

	p = startProc(t, args...)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("second run: %v\n%s", err, p.out)
	}
	if !strings.Contains(p.out.String(), "resumed: true") {
		t.Errorf("second run did not resume:\n%s", p.out)
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		res, err := st.Search(ctx, index.Query{Countries: []string{"RU"}, Size: 1})
		total, _ := st.Count(ctx)
		if err == nil && res.Total == wantRU && total == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after re-enrichment: %d articles tagged RU (want %d), %d in all (want %d), %v", res.Total, wantRU, total, n, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkpointDone reads the re-enrichment checkpoint's done count.
func checkpointDone(t *testing.T, tr http.RoundTripper, url, base string) int64 {
	req, _ := http.NewRequest(http.MethodGet, url+"/"+base+".reenrich/_doc/state", nil)
	res, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got struct {
		Source struct {
			Done int64 `json:"done"`
		} `json:"_source"`
	}
	_ = json.NewDecoder(res.Body).Decode(&got)
	return got.Source.Done
}
