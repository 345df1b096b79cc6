package producers

import (
	"context"
	"errors"
	"github.com/newswire/newswire/internal/netguard"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pageSite is a loopback site for crawler tests: a robots.txt, pages
// and a log of the requests it saw.
type pageSite struct {
	srv    *httptest.Server
	mu     sync.Mutex
	robots string // body of /robots.txt; "" answers 404
	robotS int    // status of /robots.txt when not 0
	reqs   []*http.Request
	pages  map[string]http.HandlerFunc
}

func newPageSite(t *testing.T) *pageSite {
	t.Helper()
	s := &pageSite{pages: map[string]http.HandlerFunc{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Clone(context.Background()))
		robots, robotS, h := s.robots, s.robotS, s.pages[r.URL.Path]
		s.mu.Unlock()
		switch {
		case r.URL.Path == "/robots.txt" && robotS != 0:
			w.WriteHeader(robotS)
		case r.URL.Path == "/robots.txt" && robots != "":
			_, _ = w.Write([]byte(robots))
		case h != nil:
			h(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *pageSite) handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	s.pages[path] = h
	s.mu.Unlock()
}

func (s *pageSite) html(path, body string) {
	s.handle(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(body))
	})
}

// hits counts the requests for one path.
func (s *pageSite) hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqs {
		if r.URL.Path == path {
			n++
		}
	}
	return n
}

func (s *pageSite) last(path string) *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.reqs) - 1; i >= 0; i-- {
		if s.reqs[i].URL.Path == path {
			return s.reqs[i]
		}
	}
	return nil
}

func newTestCrawler(t *testing.T, cfg CrawlConfig) *Crawler {
	t.Helper()
	c, err := NewCrawler(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// stillClock stands still and records the waits asked of it, so that the
// spacing of requests can be checked without timing anything.
type stillClock struct {
	mu    sync.Mutex
	at    time.Time
	waits []time.Duration
}

func (f *stillClock) install(c *Crawler) {
	f.at = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.at
	}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		f.mu.Lock()
		f.waits = append(f.waits, d)
		f.mu.Unlock()
		return ctx.Err()
	}
}

func (f *stillClock) recorded() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.waits)
}

const shortPage = "<html><body><p>A page.</p></body></html>"

func TestCrawlerRobots(t *testing.T) {
	s := newPageSite(t)
	s.robots = "User-agent: *\nDisallow: /\n\nUser-agent: newswire\nDisallow: /members/\nAllow: /members/open\n"
	for _, p := range []string{"/news/a", "/members/x", "/members/open/y"} {
		s.html(p, shortPage)
	}
	ours := newTestCrawler(t, loopbackCrawl())
	other := newTestCrawler(t, CrawlConfig{UserAgent: "otherbot/2", AllowPrivate: true, HostInterval: time.Millisecond})
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		c       *Crawler
		path    string
		allowed bool
	}{
		{"our group allows news", ours, "/news/a", true},
		{"our group denies members", ours, "/members/x", false},
		{"the longer allow wins", ours, "/members/open/y", true},
		{"everyone else is denied", other, "/news/a", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.hits(tc.path)
			_, err := tc.c.Fetch(ctx, s.srv.URL+tc.path)
			if tc.allowed && err != nil {
				t.Fatalf("fetch: %v", err)
			}
			if !tc.allowed && !errors.Is(err, ErrRobotsDenied) {
				t.Fatalf("err = %v, want robots denial", err)
			}
			if fetched := s.hits(tc.path) - before; fetched != map[bool]int{true: 1, false: 0}[tc.allowed] {
				t.Errorf("page requested %d times", fetched)
			}
		})
	}
	if n := s.hits("/robots.txt"); n != 2 {
		t.Errorf("robots.txt fetched %d times, want once per crawler", n)
	}
}

func TestCrawlerRobotsStatus(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		allowed bool
	}{
		{"missing robots.txt allows all", http.StatusNotFound, true},
		{"forbidden robots.txt allows all", http.StatusForbidden, true},
		{"failing robots.txt denies all for now", http.StatusServiceUnavailable, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newPageSite(t)
			s.robotS = tc.status
			s.html("/a", shortPage)
			_, err := newTestCrawler(t, loopbackCrawl()).Fetch(context.Background(), s.srv.URL+"/a")
			if tc.allowed != (err == nil) || (!tc.allowed && !errors.Is(err, ErrRobotsDenied)) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestCrawlerHostRate(t *testing.T) {
	a, b := newPageSite(t), newPageSite(t)
	for i := range 4 {
		a.html("/p"+string(rune('0'+i)), shortPage)
	}
	b.html("/p0", shortPage)
	const interval = 250 * time.Millisecond
	c := newTestCrawler(t, CrawlConfig{AllowPrivate: true, HostInterval: interval, HostConcurrency: 4})
	clock := &stillClock{}
	clock.install(c)
	ctx := context.Background()

	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			if _, err := c.Fetch(ctx, a.srv.URL+"/p"+string(rune('0'+i))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// Five requests to host a (robots.txt, then four pages), started at
	// least one interval apart however many ran at once: with the clock
	// standing still, the waits are 0, 1, 2, 3 and 4 intervals.
	waits := clock.recorded()
	slices.Sort(waits)
	want := []time.Duration{0, interval, 2 * interval, 3 * interval, 4 * interval}
	if !slices.Equal(waits, want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
	// Another host does not queue behind the first.
	if _, err := c.Fetch(ctx, b.srv.URL+"/p0"); err != nil {
		t.Fatal(err)
	}
	if got := clock.recorded()[len(want):]; !slices.Equal(got, []time.Duration{0, interval}) {
		t.Errorf("waits for host b %v, want [0 %v]", got, interval)
	}
}

func TestCrawlerCrawlDelay(t *testing.T) {
	s := newPageSite(t)
	s.robots = "User-agent: *\nCrawl-delay: 3\n"
	s.html("/a", shortPage)
	s.html("/b", shortPage)
	c := newTestCrawler(t, CrawlConfig{AllowPrivate: true, HostInterval: time.Second})
	clock := &stillClock{}
	clock.install(c)
	for _, p := range []string{"/a", "/b"} {
		if _, err := c.Fetch(context.Background(), s.srv.URL+p); err != nil {
			t.Fatal(err)
		}
	}
	// robots.txt at 0; /a one interval later (the delay is learnt from
	// the robots.txt just read); /b three seconds after /a.
	if got, want := clock.recorded(), []time.Duration{0, time.Second, 4 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

func TestCrawlerHostConcurrency(t *testing.T) {
	s := newPageSite(t)
	var inFlight, peak atomic.Int32
	s.handle("/slow", func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(shortPage))
	})
	c := newTestCrawler(t, CrawlConfig{AllowPrivate: true, HostInterval: time.Microsecond, HostConcurrency: 2})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := c.Fetch(context.Background(), s.srv.URL+"/slow"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p < 1 || p > 2 {
		t.Errorf("peak of requests in flight to one host = %d, want at most 2", p)
	}
}

func TestCrawlerRetryAfter(t *testing.T) {
	s := newPageSite(t)
	var calls atomic.Int32
	s.handle("/busy", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(shortPage))
	})
	s.handle("/down", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	s.handle("/flaky", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable) // no Retry-After
	})
	cfg := loopbackCrawl()
	cfg.HostInterval = time.Second
	c := newTestCrawler(t, cfg)
	clock := &stillClock{}
	clock.install(c)
	ctx := context.Background()

	if _, err := c.Fetch(ctx, s.srv.URL+"/busy"); err != nil {
		t.Fatalf("busy page: %v", err)
	}
	if calls.Load() != 2 {
		t.Errorf("busy page requested %d times, want 2", calls.Load())
	}
	if w := clock.recorded(); !slices.Contains(w, 7*time.Second) {
		t.Errorf("waits %v: Retry-After of 7s not honoured", w)
	}

	_, err := c.Fetch(ctx, s.srv.URL+"/down")
	var se *PageStatusError
	if !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable {
		t.Fatalf("down page: err = %v", err)
	}
	if n := s.hits("/down"); n != 1 {
		t.Errorf("an hour's Retry-After was retried: %d requests", n)
	}

	if _, err := c.Fetch(ctx, s.srv.URL+"/flaky"); !errors.As(err, &se) {
		t.Fatalf("flaky page: err = %v", err)
	}
	if n := s.hits("/flaky"); n != 1+DefaultCrawlMaxRetries {
		t.Errorf("flaky page requested %d times, want %d", n, 1+DefaultCrawlMaxRetries)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{"0", 0, true},
		{"Mon, 02 Mar 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Mon, 02 Mar 2026 11:00:00 GMT", 0, true},
		{"-5", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	} {
		got, ok := retryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %v %v, want %v %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCrawlerConditionalGet(t *testing.T) {
	s := newPageSite(t)
	s.handle("/story", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 02 Mar 2026 09:00:00 GMT")
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(shortPage))
	})
	c := newTestCrawler(t, loopbackCrawl())
	ctx := context.Background()
	p, err := c.Fetch(ctx, s.srv.URL+"/story")
	if err != nil {
		t.Fatal(err)
	}
	// Not remembered yet (its article not published): fetched in full.
	if _, err := c.Fetch(ctx, s.srv.URL+"/story"); err != nil {
		t.Fatalf("second fetch before Remember: %v", err)
	}
	c.Remember(p)
	_, err = c.Fetch(ctx, s.srv.URL+"/story")
	if !errors.Is(err, ErrNotModified) {
		t.Fatalf("fetch after Remember: err = %v, want not modified", err)
	}
	r := s.last("/story")
	if r.Header.Get("If-None-Match") != `"v1"` || r.Header.Get("If-Modified-Since") != "Mon, 02 Mar 2026 09:00:00 GMT" {
		t.Errorf("conditional headers: %v", r.Header)
	}
}

func TestCrawlerUserAgent(t *testing.T) {
	s := newPageSite(t)
	s.html("/a", shortPage)
	cfg := loopbackCrawl()
	cfg.UserAgent, cfg.Contact = "newswire/2.1", "mailto:desk@example.org"
	if _, err := newTestCrawler(t, cfg).Fetch(context.Background(), s.srv.URL+"/a"); err != nil {
		t.Fatal(err)
	}
	want := "newswire/2.1 (+mailto:desk@example.org)"
	for _, p := range []string{"/robots.txt", "/a"} {
		if got := s.last(p).Header.Get("User-Agent"); got != want {
			t.Errorf("%s: User-Agent %q, want %q", p, got, want)
		}
	}
}

func TestCrawlerBlocksPrivateTargets(t *testing.T) {
	s := newPageSite(t)
	s.html("/a", shortPage)
	c := newTestCrawler(t, CrawlConfig{HostInterval: time.Millisecond}) // AllowPrivate off
	ctx := context.Background()
	port := s.srv.URL[strings.LastIndex(s.srv.URL, ":"):]
	for _, u := range []string{s.srv.URL + "/a", "http://localhost" + port + "/a", "http://[::1]" + port + "/a"} {
		_, err := c.Fetch(ctx, u)
		if !errors.Is(err, ErrPrivateTarget) {
			t.Errorf("%s: err = %v, want the private-target refusal", u, err)
		}
	}
	if n := s.hits("/a") + s.hits("/robots.txt"); n != 0 {
		t.Errorf("the loopback server saw %d requests", n)
	}
}

func TestPublicAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.215.14": true, "2606:4700::1111": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.9": false,
		"192.168.1.1": false, "169.254.169.254": false, "fe80::1": false, "fd00::1": false,
		"100.64.0.1": false, "0.0.0.0": false, "::": false, "::ffff:127.0.0.1": false,
		"224.0.0.1": false, "255.255.255.255": false,
	} {
		if got := netguard.PublicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("publicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestCrawlerRefusals(t *testing.T) {
	s := newPageSite(t)
	s.handle("/to-ftp", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://files.example/story", http.StatusFound)
	})
	s.handle("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	s.handle("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"p":"` + strings.Repeat("x", 500) + `"}`))
	})
	s.html("/big", "<p>"+strings.Repeat("word ", 1000)+"</p>")
	cfg := loopbackCrawl()
	cfg.MaxBodyBytes = 2000
	c := newTestCrawler(t, cfg)
	for _, tc := range []struct {
		name, link string
		want       error
		wantText   string
	}{
		{"not http", "mailto:desk@example.org", nil, "not an absolute http"},
		{"redirect to ftp", s.srv.URL + "/to-ftp", nil, "redirect to \"ftp:"},
		{"redirect loop", s.srv.URL + "/loop", nil, "stopped after 5 redirects"},
		{"not html", s.srv.URL + "/json", ErrNotHTML, ""},
		{"too big", s.srv.URL + "/big", errTooLarge, ""},
		{"missing", s.srv.URL + "/missing", nil, "HTTP 404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Fetch(context.Background(), tc.link)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("err = %v, want %v %q", err, tc.want, tc.wantText)
			}
		})
	}
}

func TestCrawlConfigValidate(t *testing.T) {
	err := CrawlConfig{UserAgent: "a\nb", Timeout: -1, HostInterval: -1, MaxBodyBytes: -1, HostConcurrency: -1}.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"one line", "negative timeout", "negative host interval", "negative max body bytes", "negative host concurrency"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not report %q", err, want)
		}
	}
	if err := (CrawlConfig{}).Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}
