package producers

import (
	"context"
	"errors"
	"fmt"
	"github.com/newswire/newswire/internal/netguard"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/temoto/robotstxt"
	"go.uber.org/zap"
)

// CrawlConfig configures how article pages are fetched. Zero fields take
// the defaults.
type CrawlConfig struct {
	// UserAgent names the crawler (default "newswire/1"). Its product
	// token (the part before "/") is the name matched in robots.txt.
	UserAgent string
	// Contact is a URL or e-mail address where site owners reach whoever
	// runs the crawler; it is appended to the User-Agent as "(+contact)".
	Contact string
	// Timeout bounds one request (default 20s).
	Timeout time.Duration
	// MaxBodyBytes caps a page (default 10 MiB).
	MaxBodyBytes int64
	// HostInterval is the least time between the starts of two requests
	// to one host (default 1s; a robots.txt Crawl-delay up to
	// MaxCrawlDelay makes it longer for that host).
	HostInterval time.Duration
	// HostConcurrency bounds the requests in flight to one host (default 2).
	HostConcurrency int
	// MaxRetries bounds the retries of a page answered with 429 or 503
	// (default 2; negative: none).
	MaxRetries int
	// MaxRetryAfter is the longest wait a Retry-After may ask for; a page
	// asking for more fails at once (default 2m).
	MaxRetryAfter time.Duration
	// RobotsTTL is how long a site's robots.txt is trusted (default 1h).
	RobotsTTL time.Duration
	// MaxRemembered bounds the pages whose ETag / Last-Modified are kept
	// for conditional requests; the oldest go first (default 10000).
	MaxRemembered int
	// AllowPrivate lets requests reach loopback, private and link-local
	// addresses. Off, such targets are refused when the connection is
	// dialled, after name resolution, so a public name that resolves to an
	// internal address is refused too.
	AllowPrivate bool
}

// Defaults of CrawlConfig.
const (
	DefaultCrawlUserAgent       = "newswire/1"
	DefaultCrawlTimeout         = 20 * time.Second
	DefaultCrawlMaxBodyBytes    = 10 << 20
	DefaultCrawlHostInterval    = time.Second
	DefaultCrawlHostConcurrency = 2
	DefaultCrawlMaxRetries      = 2
	DefaultCrawlMaxRetryAfter   = 2 * time.Minute
	DefaultCrawlRobotsTTL       = time.Hour
	DefaultCrawlMaxRemembered   = 10000
	// MaxCrawlDelay caps the Crawl-delay of a robots.txt that is honoured.
	MaxCrawlDelay = time.Minute
	// maxPageRedirects is how many redirects a page fetch follows.
	maxPageRedirects = 5
)

func (c CrawlConfig) withDefaults() CrawlConfig {
	if c.UserAgent == "" {
		c.UserAgent = DefaultCrawlUserAgent
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultCrawlTimeout
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultCrawlMaxBodyBytes
	}
	if c.HostInterval == 0 {
		c.HostInterval = DefaultCrawlHostInterval
	}
	if c.HostConcurrency == 0 {
		c.HostConcurrency = DefaultCrawlHostConcurrency
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultCrawlMaxRetries
	}
	c.MaxRetries = max(c.MaxRetries, 0)
	if c.MaxRetryAfter == 0 {
		c.MaxRetryAfter = DefaultCrawlMaxRetryAfter
	}
	if c.RobotsTTL == 0 {
		c.RobotsTTL = DefaultCrawlRobotsTTL
	}
	if c.MaxRemembered == 0 {
		c.MaxRemembered = DefaultCrawlMaxRemembered
	}
	return c
}

// Validate reports every problem with the configuration (after defaults).
func (c CrawlConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if strings.ContainsAny(c.UserAgent+c.Contact, "\r\n") {
		errs = append(errs, errors.New("crawl config: user agent and contact must be one line"))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"timeout", c.Timeout}, {"host interval", c.HostInterval}, {"max retry after", c.MaxRetryAfter}, {"robots ttl", c.RobotsTTL}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("crawl config: negative %s %v", d.name, d.v))
		}
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("crawl config: negative max body bytes %d", c.MaxBodyBytes))
	}
	if c.HostConcurrency < 0 {
		errs = append(errs, fmt.Errorf("crawl config: negative host concurrency %d", c.HostConcurrency))
	}
	if c.MaxRemembered < 0 {
		errs = append(errs, fmt.Errorf("crawl config: negative max remembered %d", c.MaxRemembered))
	}
	return errors.Join(errs...)
}

// userAgent is the header value: the name plus the contact.
func (c CrawlConfig) userAgent() string {
	if c.Contact == "" {
		return c.UserAgent
	}
	return c.UserAgent + " (+" + c.Contact + ")"
}

// robotsAgent is the name matched against robots.txt groups.
func (c CrawlConfig) robotsAgent() string {
	name, _, _ := strings.Cut(c.UserAgent, "/")
	name, _, _ = strings.Cut(name, " ")
	return name
}

// Errors of Crawler.Fetch, to be matched with errors.Is.
var (
	// ErrPrivateTarget: the page's host resolves to a loopback, private
	// or link-local address and AllowPrivate is off.
	ErrPrivateTarget = errors.New("target is on a loopback, private or link-local network; refused")
	// ErrRobotsDenied: the site's robots.txt disallows the page for us.
	ErrRobotsDenied = errors.New("disallowed by robots.txt")
	// ErrNotModified: the page answered 304 to a conditional request; it
	// has not changed since it was last remembered.
	ErrNotModified = errors.New("page not modified")
	// ErrNotHTML: the page is not text/html or application/xhtml+xml.
	ErrNotHTML = errors.New("page is not HTML")
)

// PageStatusError is an HTTP error status of a page (after retries).
type PageStatusError struct {
	URL    string
	Status int
}

func (e *PageStatusError) Error() string {
	return fmt.Sprintf("fetch page %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// FetchedPage is a page that answered 200.
type FetchedPage struct {
	URL          *url.URL // after redirects
	Requested    string   // the URL asked for
	ContentType  string
	Body         []byte
	ETag         string
	LastModified string
}

// Crawler fetches pages politely: it obeys robots.txt (cached per site
// for RobotsTTL; a 4xx robots.txt allows everything, a 5xx disallows
// everything until it expires), spaces the requests to one host by
// HostInterval with at most HostConcurrency in flight, follows redirects
// itself so that every hop passes the same checks, sends If-None-Match /
// If-Modified-Since for pages it remembers, and backs off on 429 and 503
// as Retry-After asks (a 429 or 503 delays every request to that host,
// not only the retried one). It is safe for concurrent use.
type Crawler struct {
	cfg    CrawlConfig
	client *http.Client
	log    *zap.Logger
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex
	hosts map[string]*hostState
	valid map[string]validators // by page URL (after redirects)
	order []string              // keys of valid, oldest first
}

// hostState is the politeness bookkeeping of one scheme://host:port.
type hostState struct {
	slots chan struct{} // HostConcurrency tokens

	mu       sync.Mutex // guards the fields below
	next     time.Time  // earliest start of the next request
	interval time.Duration

	robotsMu  sync.Mutex // one robots.txt fetch at a time
	robots    *robotstxt.RobotsData
	robotsExp time.Time
}

type validators struct{ etag, lastModified string }

// NewCrawler builds a crawler with its own HTTP transport: no proxy (a
// proxy would hide the address really dialled), the dial-time address
// guard unless cfg.AllowPrivate, redirects handled by Fetch.
func NewCrawler(cfg CrawlConfig, log *zap.Logger) (*Crawler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if log == nil {
		log = zap.NewNop()
	}
	return &Crawler{
		cfg:    cfg,
		client: guardedClient(cfg.Timeout, cfg.AllowPrivate),
		log:    log.With(zap.String("component", "crawler")),
		now:    time.Now,
		sleep:  sleepCtx,
		hosts:  map[string]*hostState{},
		valid:  map[string]validators{},
	}, nil
}

// Close releases idle connections.
func (c *Crawler) Close() { c.client.CloseIdleConnections() }

// guardedClient returns a client that never follows redirects, uses no
// proxy and, unless allowPrivate, refuses to dial a non-public address.
// The check runs on the address actually dialled, after DNS, so neither
// a name that resolves inward nor a rebinding DNS answer gets through.
func guardedClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = netguard.Control(ErrPrivateTarget)
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           d.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          64,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       60 * time.Second,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Fetch GETs an HTML page. Errors wrap ErrPrivateTarget, ErrRobotsDenied,
// ErrNotModified, ErrNotHTML or errTooLarge, or are a *PageStatusError,
// or name the network failure.
func (c *Crawler) Fetch(ctx context.Context, rawURL string) (*FetchedPage, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("fetch page: %q is not an absolute http or https URL", rawURL)
	}
	requested := u.String()
	for hop := 0; ; hop++ {
		resp, err := c.get(ctx, u)
		if err != nil {
			return nil, err
		}
		if loc := resp.Header.Get("Location"); isRedirect(resp.StatusCode) && loc != "" {
			discard(resp)
			if hop >= maxPageRedirects {
				return nil, fmt.Errorf("fetch page %s: stopped after %d redirects", requested, maxPageRedirects)
			}
			next, err := u.Parse(loc)
			if err != nil || (next.Scheme != "http" && next.Scheme != "https") || next.Host == "" {
				return nil, fmt.Errorf("fetch page %s: redirect to %q refused: not an http or https URL", requested, loc)
			}
			u = next
			continue
		}
		return c.read(resp, u, requested)
	}
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// get requests one URL (one hop) politely, retrying 429 and 503. The
// caller closes the body of the response.
func (c *Crawler) get(ctx context.Context, u *url.URL) (*http.Response, error) {
	h := c.host(u)
	if err := c.allowed(ctx, h, u); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		resp, release, err := c.do(ctx, h, u, true)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
			resp.Body = &releaseOnClose{ReadCloser: resp.Body, release: release}
			return resp, nil
		}
		wait, ok := retryAfter(resp.Header.Get("Retry-After"), c.now())
		if !ok {
			wait = c.cfg.HostInterval << attempt
		}
		discard(resp)
		release()
		// The whole host is asked to slow down, not only this page.
		h.mu.Lock()
		h.next = maxTime(h.next, c.now().Add(min(wait, c.cfg.MaxRetryAfter)))
		h.mu.Unlock()
		if attempt >= c.cfg.MaxRetries || wait > c.cfg.MaxRetryAfter {
			c.log.Info("page rate limited", zap.String("url", u.String()), zap.Int("status", resp.StatusCode), zap.Duration("retry_after", wait))
			return nil, &PageStatusError{URL: u.String(), Status: resp.StatusCode}
		}
	}
}

// releaseOnClose frees a host slot when the body is closed.
type releaseOnClose struct {
	io.ReadCloser
	release func()
	once    sync.Once
}

func (r *releaseOnClose) Close() error {
	err := r.ReadCloser.Close()
	r.once.Do(r.release)
	return err
}

// do waits for a slot and the host's next start time, then sends one
// request. On success the caller must call release once the body is
// read.
func (c *Crawler) do(ctx context.Context, h *hostState, u *url.URL, page bool) (*http.Response, func(), error) {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("fetch %s: %w", u, ctx.Err())
	}
	release := func() { <-h.slots }
	h.mu.Lock()
	now := c.now()
	start := maxTime(now, h.next)
	h.next = start.Add(h.interval)
	h.mu.Unlock()
	if err := c.sleep(ctx, start.Sub(now)); err != nil {
		release()
		return nil, nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		cancel()
		release()
		return nil, nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	req.Header.Set("User-Agent", c.cfg.userAgent())
	if page {
		req.Header.Set("Accept", "text/html, application/xhtml+xml;q=0.9")
		if v, ok := c.remembered(u.String()); ok {
			if v.etag != "" {
				req.Header.Set("If-None-Match", v.etag)
			}
			if v.lastModified != "" {
				req.Header.Set("If-Modified-Since", v.lastModified)
			}
		}
	} else {
		req.Header.Set("Accept", "text/plain")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		cancel()
		release()
		return nil, nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	return resp, func() { cancel(); release() }, nil
}

// read checks a final response and reads its body.
func (c *Crawler) read(resp *http.Response, u *url.URL, requested string) (*FetchedPage, error) {
	defer func() { _ = resp.Body.Close() }()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return nil, fmt.Errorf("fetch page %s: %w", requested, ErrNotModified)
	case resp.StatusCode != http.StatusOK:
		return nil, &PageStatusError{URL: u.String(), Status: resp.StatusCode}
	}
	ct := resp.Header.Get("Content-Type")
	if ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "text/html" && mt != "application/xhtml+xml") {
			return nil, fmt.Errorf("fetch page %s: content type %q: %w", u, ct, ErrNotHTML)
		}
	}
	body, err := readCapped(resp.Body, c.cfg.MaxBodyBytes)
	if err != nil {
		return nil, fmt.Errorf("read page %s: %w", u, err)
	}
	return &FetchedPage{
		URL: u, Requested: requested, ContentType: ct, Body: body,
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
	}, nil
}

// Remember keeps the validators of a page so that the next Fetch of the
// same URL is conditional. Call it once the page's article is safely
// published: a page remembered before that would answer 304 to a retry.
func (c *Crawler) Remember(p *FetchedPage) {
	if p == nil || (p.ETag == "" && p.LastModified == "") || c.cfg.MaxRemembered <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := p.URL.String()
	if _, ok := c.valid[key]; !ok {
		c.order = append(c.order, key)
	}
	c.valid[key] = validators{etag: p.ETag, lastModified: p.LastModified}
	if over := len(c.order) - c.cfg.MaxRemembered; over > 0 {
		for _, k := range c.order[:over] {
			delete(c.valid, k)
		}
		c.order = append([]string(nil), c.order[over:]...)
	}
}

func (c *Crawler) remembered(u string) (validators, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.valid[u]
	return v, ok
}

// host returns the bookkeeping of u's scheme://host:port.
func (c *Crawler) host(u *url.URL) *hostState {
	key := u.Scheme + "://" + strings.ToLower(u.Host)
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.hosts[key]
	if h == nil {
		h = &hostState{slots: make(chan struct{}, max(c.cfg.HostConcurrency, 1)), interval: c.cfg.HostInterval}
		c.hosts[key] = h
	}
	return h
}

// allowed consults (and when needed fetches) the host's robots.txt.
func (c *Crawler) allowed(ctx context.Context, h *hostState, u *url.URL) error {
	h.robotsMu.Lock()
	defer h.robotsMu.Unlock()
	if h.robots == nil || !c.now().Before(h.robotsExp) {
		rd, ttl, err := c.fetchRobots(ctx, h, u)
		if err != nil {
			return err
		}
		h.robots, h.robotsExp = rd, c.now().Add(ttl)
		if g := rd.FindGroup(c.cfg.robotsAgent()); g != nil && g.CrawlDelay > 0 {
			h.mu.Lock()
			h.interval = max(c.cfg.HostInterval, min(g.CrawlDelay, MaxCrawlDelay))
			h.mu.Unlock()
		}
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	if !h.robots.TestAgent(path, c.cfg.robotsAgent()) {
		return fmt.Errorf("fetch page %s: %w", u, ErrRobotsDenied)
	}
	return nil
}

// fetchRobots GETs /robots.txt of u's host through the same politeness
// as pages. Redirects are followed only within the same host. A network
// failure is an error (the page is not fetched, and the next page tries
// again); a 5xx disallows everything, but only for a minute.
func (c *Crawler) fetchRobots(ctx context.Context, h *hostState, u *url.URL) (*robotstxt.RobotsData, time.Duration, error) {
	ru := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/robots.txt"}
	for hop := 0; hop <= maxPageRedirects; hop++ {
		resp, release, err := c.do(ctx, h, ru, false)
		if err != nil {
			return nil, 0, fmt.Errorf("robots.txt: %w", err)
		}
		if loc := resp.Header.Get("Location"); isRedirect(resp.StatusCode) && loc != "" {
			discard(resp)
			release()
			next, err := ru.Parse(loc)
			if err != nil || next.Host != ru.Host || next.Scheme != ru.Scheme {
				// Off-site robots.txt redirects are not followed: no rules.
				return allowAllRobots(), c.cfg.RobotsTTL, nil
			}
			ru = next
			continue
		}
		body, rerr := readCapped(resp.Body, 512<<10)
		status := resp.StatusCode
		_ = resp.Body.Close()
		release()
		if rerr != nil && status/100 == 2 {
			return nil, 0, fmt.Errorf("read robots.txt of %s: %w", u.Host, rerr)
		}
		ttl := c.cfg.RobotsTTL
		if status >= 500 || status == http.StatusTooManyRequests {
			ttl = min(ttl, time.Minute)
			status = http.StatusServiceUnavailable
		}
		rd, err := robotstxt.FromStatusAndBytes(status, body)
		if err != nil {
			// Unparsable rules or an odd status: nothing stated, nothing
			// forbidden.
			c.log.Debug("robots.txt unreadable", zap.String("host", u.Host), zap.Int("status", resp.StatusCode), zap.Error(err))
			return allowAllRobots(), ttl, nil
		}
		return rd, ttl, nil
	}
	return allowAllRobots(), c.cfg.RobotsTTL, nil
}

func allowAllRobots() *robotstxt.RobotsData {
	rd, _ := robotstxt.FromStatusAndBytes(http.StatusNotFound, nil)
	return rd
}

// retryAfter parses a Retry-After value: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
