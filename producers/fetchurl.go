package producers

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Results of one full-text fetch, the values of the "result" label of
// newswire_fulltext_total.
const (
	ftOK          = "ok"            // the page's text was used
	ftNotModified = "not_modified"  // 304 to a conditional request
	ftRobots      = "robots_denied" // robots.txt disallows the page
	ftBlocked     = "blocked"       // the target is loopback, private or link-local
	ftFetchError  = "fetch_error"   // network, timeout, redirects, bad URL
	ftHTTPError   = "http_error"    // an HTTP error status (after retries)
	ftNotHTML     = "not_html"      // the page is not HTML
	ftTooLarge    = "too_large"     // the page is over the size limit
	ftNoText      = "no_text"       // no article text found in the page
	ftNotLonger   = "not_longer"    // the feed's own text was as long
	ftInvalid     = "invalid"       // the article with the page's text is invalid
)

var ftResults = []string{ftOK, ftNotModified, ftRobots, ftBlocked, ftFetchError, ftHTTPError, ftNotHTML, ftTooLarge, ftNoText, ftNotLonger, ftInvalid}

// fullTextResult names the result of a failed fetch or extraction.
func fullTextResult(err error) string {
	var se *PageStatusError
	switch {
	case err == nil:
		return ftOK
	case errors.Is(err, ErrNotModified):
		return ftNotModified
	case errors.Is(err, ErrRobotsDenied):
		return ftRobots
	case errors.Is(err, ErrPrivateTarget):
		return ftBlocked
	case errors.As(err, &se):
		return ftHTTPError
	case errors.Is(err, ErrNotHTML):
		return ftNotHTML
	case errors.Is(err, errTooLarge):
		return ftTooLarge
	case errors.Is(err, ErrNoArticleText):
		return ftNoText
	case errors.Is(err, article.ErrInvalid):
		return ftInvalid
	}
	return ftFetchError
}

// fullText fetches article pages politely and extracts them; the feed
// poller (FetchFull) and ingest by URL share it.
type fullText struct {
	crawler *Crawler
	results *prometheus.CounterVec
}

func newFullText(cfg CrawlConfig, log *zap.Logger, reg prometheus.Registerer) (*fullText, error) {
	c, err := NewCrawler(cfg, log)
	if err != nil {
		return nil, err
	}
	results := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "newswire", Name: "fulltext_total",
		Help: "Article pages fetched for their text, by result: " + strings.Join(ftResults, ", ") + ".",
	}, []string{"result"})
	if reg != nil {
		// A feed poller and ingest by URL in one process share the series.
		if err := reg.Register(results); err != nil {
			are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err)
			if !ok {
				return nil, fmt.Errorf("register full-text metrics: %w", err)
			}
			results = are.ExistingCollector.(*prometheus.CounterVec)
		}
	}
	for _, r := range ftResults {
		results.WithLabelValues(r)
	}
	return &fullText{crawler: c, results: results}, nil
}

func (f *fullText) count(result string) { f.results.WithLabelValues(result).Inc() }

// fetch GETs and extracts one page. The page comes back even when no
// text was found, for its metadata.
func (f *fullText) fetch(ctx context.Context, link string) (*FetchedPage, Page, error) {
	fp, err := f.crawler.Fetch(ctx, link)
	if err != nil {
		return nil, Page{}, err
	}
	p, err := ExtractPage(fp.Body, fp.ContentType, fp.URL)
	if err != nil {
		return fp, p, fmt.Errorf("extract %s: %w", fp.URL, err)
	}
	return fp, p, nil
}

// idURL is the URL an article's id is derived from: the page's canonical
// URL when it is on the same site as the page and names more than the
// site's home page (a canonical pointing at the home page is a common
// template mistake that would merge every story into one), else "".
func idURL(page *url.URL, canonical string) string {
	if canonical == "" || page == nil {
		return ""
	}
	cu, err := url.Parse(canonical)
	if err != nil || cu.Host == "" || strings.Trim(cu.EscapedPath(), "/") == "" {
		return ""
	}
	site := func(h string) string { return strings.TrimPrefix(strings.ToLower(h), "www.") }
	if site(cu.Hostname()) != site(page.Hostname()) {
		return ""
	}
	c, err := article.CanonicalURL(canonical)
	if err != nil {
		return ""
	}
	return c
}

// URLConfig configures ingest by URL. Zero fields take the defaults.
type URLConfig struct {
	Crawl  CrawlConfig
	Limits article.Limits
	// Workers is how many pages are fetched at once, across hosts (per
	// host Crawl.HostConcurrency still holds; default 4).
	Workers int
	// Timeout bounds the Kafka acknowledgement of one article (default 30s).
	Timeout time.Duration
}

// Defaults of URLConfig.
const (
	DefaultURLWorkers = 4
	DefaultURLTimeout = 30 * time.Second
)

// Validate reports every problem with the configuration.
func (c URLConfig) Validate() error {
	var errs []error
	if err := c.Crawl.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Errorf("url config: negative workers %d", c.Workers))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("url config: negative timeout %v", c.Timeout))
	}
	return errors.Join(errs...)
}

// URLIngester fetches article pages by URL, extracts their text and
// metadata, and publishes them as articles: what `produce --url` and
// POST /api/v1/articles/fetch do. The article's URL, and so its id, is
// the page's canonical URL when the page names one on its own site, else
// the URL asked for; two links to one story make one article.
type URLIngester struct {
	cfg URLConfig
	ft  *fullText
	pub ArticlePublisher
	log *zap.Logger
	now func() time.Time
}

// NewURLIngester builds an ingester. reg may be nil.
func NewURLIngester(cfg URLConfig, pub ArticlePublisher, log *zap.Logger, reg prometheus.Registerer) (*URLIngester, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if pub == nil {
		return nil, errors.New("new url ingester: nil publisher")
	}
	if log == nil {
		log = zap.NewNop()
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultURLWorkers
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultURLTimeout
	}
	log = log.With(zap.String("component", "url_ingest"))
	ft, err := newFullText(cfg.Crawl, log, reg)
	if err != nil {
		return nil, err
	}
	return &URLIngester{cfg: cfg, ft: ft, pub: pub, log: log, now: time.Now}, nil
}

// Close releases idle connections.
func (u *URLIngester) Close() { u.ft.crawler.Close() }

// Ingest fetches one page and publishes its article; it returns the
// article once Kafka has acknowledged it. A page unchanged since its last
// ingest (304) is not published again: the error wraps ErrNotModified.
func (u *URLIngester) Ingest(ctx context.Context, link string) (article.Article, error) {
	a, err := u.ingest(ctx, link)
	u.ft.count(fullTextResult(err))
	return a, err
}

// errPublish marks a failed publish, which counts as no full-text result.
type errPublish struct{ err error }

func (e *errPublish) Error() string { return e.err.Error() }
func (e *errPublish) Unwrap() error { return e.err }

func (u *URLIngester) ingest(ctx context.Context, link string) (article.Article, error) {
	fp, page, err := u.ft.fetch(ctx, link)
	if err != nil {
		return article.Article{}, err
	}
	a := article.Article{URL: fp.Requested, Body: page.Text}
	if c := idURL(fp.URL, page.Meta.Canonical); c != "" {
		a.URL = c
	}
	applyPageMeta(&a, page.Meta)
	if a.Source == "" {
		a.Source = strings.TrimPrefix(fp.URL.Hostname(), "www.")
	}
	if err := article.Normalize(&a, u.now()); err != nil {
		return a, fmt.Errorf("article of %s: %w", link, err)
	}
	if err := article.Validate(&a, u.cfg.Limits); err != nil {
		return a, fmt.Errorf("article of %s: %w", link, err)
	}
	pctx, cancel := context.WithTimeout(ctx, u.cfg.Timeout)
	defer cancel()
	if err := u.pub.Publish(pctx, "url", []article.Article{a}); err != nil {
		return a, &errPublish{err}
	}
	u.ft.crawler.Remember(fp)
	return a, nil
}

// URLResult is the outcome of one URL of IngestAll.
type URLResult struct {
	URL     string
	Article article.Article // set when Err is nil
	Result  string          // the newswire_fulltext_total result, or "publish_error"
	Err     error
}

// IngestAll ingests every link, Workers at a time, and calls report (may
// be nil; called from one goroutine at a time) with each outcome in
// completion order. It returns how many were published and an error
// when any link failed for another reason than being unchanged.
func (u *URLIngester) IngestAll(ctx context.Context, links []string, report func(URLResult)) (int, error) {
	jobs := make(chan string)
	var mu sync.Mutex
	published, failed := 0, 0
	var wg sync.WaitGroup
	for range min(u.cfg.Workers, max(len(links), 1)) {
		wg.Go(func() {
			for link := range jobs {
				a, err := u.Ingest(ctx, link)
				r := URLResult{URL: link, Article: a, Result: fullTextResult(err), Err: err}
				if _, ok := errors.AsType[*errPublish](err); ok {
					r.Result = "publish_error"
				}
				mu.Lock()
				switch {
				case err == nil:
					published++
				case !errors.Is(err, ErrNotModified):
					failed++
				}
				if report != nil {
					report(r)
				}
				mu.Unlock()
			}
		})
	}
	for _, l := range links {
		if ctx.Err() != nil {
			break
		}
		jobs <- l
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return published, err
	}
	if failed > 0 {
		return published, fmt.Errorf("ingest by url: %d of %d not published", failed, len(links))
	}
	return published, nil
}
