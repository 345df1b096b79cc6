package browser

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/newswire/newswire/api"
	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/enrich"
	"github.com/newswire/newswire/index/embedded"
	"github.com/newswire/newswire/story"
)

// EnvChromium names the browser binary; deploy/local/browser.sh sets it.
const EnvChromium = "NEWSWIRE_TEST_CHROMIUM"

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/blevesearch/bleve_index_api.AnalysisWorker"),
	)
}

// page is one browser tab on the test server, with the console watch.
type page struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu       sync.Mutex
	problems []string
	download string // directory downloads land in
}

// expected404 are requests the page makes knowing they may fail: this
// server mounts no alert routes, and the page then says "alerts not
// enabled".
var expected404 = regexp.MustCompile(`/api/v1/alerts/stream`)

func newPage(t *testing.T) *page {
	if os.Getenv(EnvChromium) == "" {
		t.Skipf("%s not set: run deploy/local/browser.sh (make test does)", EnvChromium)
	}
	srv := httptest.NewServer(handler(t))
	t.Cleanup(srv.Close)
	return newPageAt(t, srv.URL)
}

// newPageAt is a browser tab on the server at base.
func newPageAt(t *testing.T, base string) *page {
	bin := os.Getenv(EnvChromium)
	if bin == "" {
		t.Skipf("%s not set: run deploy/local/browser.sh (make test does)", EnvChromium)
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	p := &page{t: t, ctx: ctx, base: base, download: t.TempDir()}
	var watching sync.WaitGroup
	t.Cleanup(func() {
		if t.Failed() {
			p.screenshot()
		}
		cancelT()
		cancelB()
		cancelA()
		watching.Wait()
	})
	messages := chromedp.Console(ctx)
	watching.Go(func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			p.watch(m)
		}
	})
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: p.download,
	}); err != nil {
		t.Fatalf("start chromium %s: %v", bin, err)
	}
	return p
}

// watch records console errors, uncaught exceptions and failed requests
// the page did not expect.
func (p *page) watch(m chromedp.ConsoleMessage) {
	switch {
	case m.Type == chromedp.ConsoleException:
		p.problem("uncaught exception: %s", m.Text)
	case m.Type == chromedp.ConsoleError && m.Source == "network" && expected404.MatchString(m.URL):
		// alerts are not mounted on this server: the page knows
	case m.Type == chromedp.ConsoleError:
		p.problem("console error (%s): %s %s", m.Source, m.Text, m.URL)
	}
}

func (p *page) problem(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

// checkConsole fails the test on any recorded problem.
func (p *page) checkConsole() {
	p.t.Helper()
	time.Sleep(200 * time.Millisecond) // let the last events arrive
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pr := range p.problems {
		p.t.Errorf("browser: %s", pr)
	}
	p.problems = nil
}

func (p *page) screenshot() {
	dir := "artifacts"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Logf("screenshot: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		p.t.Logf("screenshot: %v", err)
		return
	}
	name := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(p.t.Name())+".png")
	if err := os.WriteFile(name, buf, 0o644); err != nil {
		p.t.Logf("screenshot: %v", err)
		return
	}
	p.t.Logf("screenshot saved: %s", name)
}

func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// open loads a page address and waits for the answer to render.
func (p *page) open(path string) {
	p.t.Helper()
	p.do("open "+path, chromedp.Navigate(p.base+path))
	p.waitFor("the page answers", `(() => { const s = document.querySelector("#status").textContent; return (s !== "" && s !== "Searching…") || !document.querySelector("#detail-view").hidden; })()`)
}

// waitFor polls a JavaScript expression until it is true.
func (p *page) waitFor(what, expr string) {
	p.t.Helper()
	ok, err := chromedp.Run(p.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil || !ok {
		status, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.querySelector("#status") ? document.querySelector("#status").textContent : ""`))
		p.t.Fatalf("waiting for %s (%s): %v; status %q", what, expr, err, status)
	}
}

func evalAs[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// tabTo presses Tab until the focused element satisfies pred, a
// JavaScript expression over el (the active element).
func (p *page) tabTo(what, pred string) {
	p.t.Helper()
	expr := `(() => { const el = document.activeElement; return !!el && el !== document.body && !!(` + pred + `); })()`
	for range 600 {
		if evalAs[bool](p, expr) {
			return
		}
		p.press(kb.Tab)
	}
	p.t.Fatalf("Tab never reached %s (%s)", what, pred)
}

func (p *page) press(key string) { p.t.Helper(); p.do("press key", chromedp.KeyEvent(key)) }

func (p *page) text(sel string) string {
	p.t.Helper()
	return evalAs[string](p, `(() => { const e = document.querySelector(`+jsString(sel)+`); return e ? e.innerText : ""; })()`)
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }

// handler is the real HTTP handler over the real embedded store holding
// the sample corpus as the pipeline leaves it.
func handler(t *testing.T) http.Handler {
	t.Helper()
	tg, err := enrich.New(enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := story.New(story.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../../samples/articles.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var docs []article.Enriched
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		a, err := article.Parse(sc.Bytes(), article.Limits{}, now)
		if err != nil {
			t.Fatalf("sample %d: %v", len(docs)+1, err)
		}
		e := article.Enriched{Article: a, Tags: tg.Tag(&a), Enrichment: article.Enrichment{Version: tg.Version(), At: now}}
		cl.Assign(&e)
		docs = append(docs, e)
	}
	st, err := embedded.Open(t.TempDir(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if rej, err := st.IndexBatch(context.Background(), docs); err != nil || len(rej) > 0 {
		t.Fatalf("index samples: %v %+v", err, rej)
	}
	return api.New(api.Config{Searcher: st, Queries: tg}, zap.NewNop()).Handler()
}
