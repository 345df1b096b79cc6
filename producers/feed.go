package producers

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/internal/fsutil"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.uber.org/zap"
)

// ArticlePublisher writes validated articles and returns once they are
// durable. *Publisher implements it.
type ArticlePublisher interface {
	Publish(ctx context.Context, via string, arts []article.Article) error
}

// FeedConfig configures a FeedPoller. Zero fields take the defaults.
type FeedConfig struct {
	// URLs are the RSS or Atom feeds to poll (http or https, required).
	URLs []string
	// Interval between two polls of one feed (default 5m, at least 1s).
	Interval time.Duration
	// Jitter spreads polls by ±Jitter×Interval (default 0.2, below 1; a
	// negative value disables it).
	Jitter float64
	// StatePath is the JSON file that remembers, per feed, the ids already
	// published and the ETag / Last-Modified validators, so that a restart
	// neither republishes nor refetches. It is replaced atomically (temp
	// file + rename). Empty keeps the state in memory only.
	StatePath string
	// FetchFull fetches each new item's page and uses its article text as
	// the body (keeping the feed's text when that fails), and its metadata
	// for the fields the feed left empty.
	FetchFull bool
	// Crawl configures the page fetches of FetchFull; its UserAgent,
	// Timeout and MaxBodyBytes default to the feed's.
	Crawl CrawlConfig
	// Timeout bounds each HTTP request, feed or page (default 20s).
	Timeout time.Duration
	// UserAgent is sent with every request (default "newswire-feed/1").
	UserAgent string
	// MaxBodyBytes caps a feed document or a page (default 10 MiB).
	MaxBodyBytes int64
	// MaxSeen bounds the remembered ids per feed; the oldest are dropped
	// first (default 10000).
	MaxSeen int
	// MaxBackoff caps the wait after consecutive failures (default 1h,
	// never less than Interval).
	MaxBackoff time.Duration
	// Limits bound each article.
	Limits article.Limits
}

// Defaults of FeedConfig.
const (
	DefaultFeedInterval     = 5 * time.Minute
	DefaultFeedJitter       = 0.2
	DefaultFeedTimeout      = 20 * time.Second
	DefaultFeedUserAgent    = "newswire-feed/1"
	DefaultFeedMaxBodyBytes = 10 << 20
	DefaultFeedMaxSeen      = 10000
	DefaultFeedMaxBackoff   = time.Hour
)

func (c FeedConfig) withDefaults() FeedConfig {
	if c.Interval == 0 {
		c.Interval = DefaultFeedInterval
	}
	if c.Jitter == 0 {
		c.Jitter = DefaultFeedJitter
	}
	if c.Jitter < 0 {
		c.Jitter = 0
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultFeedTimeout
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultFeedUserAgent
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultFeedMaxBodyBytes
	}
	if c.MaxSeen == 0 {
		c.MaxSeen = DefaultFeedMaxSeen
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultFeedMaxBackoff
	}
	c.MaxBackoff = max(c.MaxBackoff, c.Interval)
	return c
}

// Validate reports every problem with the configuration (after defaults).
func (c FeedConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if len(c.URLs) == 0 {
		errs = append(errs, errors.New("feed config: at least one feed URL required"))
	}
	dup := map[string]bool{}
	for _, u := range c.URLs {
		if !isHTTPURL(u) {
			errs = append(errs, fmt.Errorf("feed config: %q is not an absolute http or https URL", u))
		}
		if dup[u] {
			errs = append(errs, fmt.Errorf("feed config: %q listed twice", u))
		}
		dup[u] = true
	}
	if c.Interval < time.Second {
		errs = append(errs, fmt.Errorf("feed config: interval %v is below 1s", c.Interval))
	}
	if c.Jitter >= 1 {
		errs = append(errs, fmt.Errorf("feed config: jitter %v must be below 1", c.Jitter))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("feed config: negative timeout %v", c.Timeout))
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("feed config: negative max body bytes %d", c.MaxBodyBytes))
	}
	if c.MaxSeen < 0 {
		errs = append(errs, fmt.Errorf("feed config: negative max seen %d", c.MaxSeen))
	}
	if c.MaxBackoff < 0 {
		errs = append(errs, fmt.Errorf("feed config: negative max backoff %v", c.MaxBackoff))
	}
	return errors.Join(errs...)
}

// FeedStatusError is returned by PollOnce when a feed answers with an HTTP
// status that is neither success nor 304 Not Modified.
type FeedStatusError struct {
	URL    string
	Status int
}

func (e *FeedStatusError) Error() string {
	return fmt.Sprintf("fetch feed %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// Results of one poll, the values of the "result" label of
// newswire_feed_polls_total.
const (
	pollOK          = "ok"
	pollNotModified = "not_modified"
	pollFetchError  = "fetch_error"
	pollHTTPError   = "http_error"
	pollParseError  = "parse_error"
	pollPublishErr  = "publish_error"
	pollStateError  = "state_error"
)

// FeedPoller polls RSS and Atom feeds and publishes their new items.
//
// An item is new when its derived article id has not been published from
// that feed before. Ids are remembered only after Publish returned nil,
// and the feed's ETag / Last-Modified only then too, so a failed publish
// is retried in full at the next poll (delivery is at least once; the id
// makes duplicates harmless downstream). An item that fails validation is
// counted, logged once and remembered with the next successful publish so
// that it is not reported at every poll. Items already seen are not
// republished even when the feed edits them.
//
// Failures (network, HTTP status ≥ 400, unparsable feed, publish, state
// file) make that feed back off exponentially: Interval×2, ×4, … capped
// at MaxBackoff; a success resets it.
type FeedPoller struct {
	cfg   FeedConfig
	pub   ArticlePublisher
	feedC *http.Client
	full  *fullText // set when FetchFull
	log   *zap.Logger
	now   func() time.Time
	rnd   func() float64

	mu    sync.Mutex // guards state and runs
	state feedStateFile
	runs  map[string]*feedRun

	saveMu sync.Mutex // orders state snapshots and writes

	polls *prometheus.CounterVec
	items *prometheus.CounterVec
}

// feedRun is the per-feed poll bookkeeping.
type feedRun struct {
	mu       sync.Mutex // one poll of a feed at a time
	failures int        // consecutive failed polls; guarded by FeedPoller.mu
}

// feedStateFile is the JSON document at StatePath.
type feedStateFile struct {
	Version int                   `json:"version"`
	Feeds   map[string]*feedState `json:"feeds"`
}

// feedState is what is remembered of one feed.
type feedState struct {
	ETag         string   `json:"etag,omitempty"`
	LastModified string   `json:"last_modified,omitempty"`
	Seen         []string `json:"seen,omitempty"` // article ids, oldest first
	set          map[string]struct{}
}

const feedStateVersion = 1

// NewFeedPoller builds a poller and loads its state file. client may be
// nil (a client without its own timeout is used; every request carries
// cfg.Timeout). reg may be nil (metrics are then not registered).
func NewFeedPoller(cfg FeedConfig, pub ArticlePublisher, client *http.Client, log *zap.Logger, reg prometheus.Registerer) (*FeedPoller, error) {
	if err := errors.Join(cfg.Validate(), cfg.Crawl.Validate()); err != nil {
		return nil, err
	}
	if pub == nil {
		return nil, errors.New("new feed poller: nil publisher")
	}
	if log == nil {
		log = zap.NewNop()
	}
	if client == nil {
		client = &http.Client{}
	}
	cfg = cfg.withDefaults()
	cfg.URLs = append([]string(nil), cfg.URLs...)
	p := &FeedPoller{
		cfg:   cfg,
		pub:   pub,
		feedC: client,
		log:   log.With(zap.String("component", "feed")),
		now:   time.Now,
		rnd:   rand.Float64,
		runs:  map[string]*feedRun{},
		state: feedStateFile{Version: feedStateVersion, Feeds: map[string]*feedState{}},
	}
	f := promauto.With(reg)
	p.polls = f.NewCounterVec(prometheus.CounterOpts{
		Namespace: "newswire", Name: "feed_polls_total",
		Help: "Feed polls by result: ok, not_modified, fetch_error, http_error, parse_error, publish_error, state_error.",
	}, []string{"result"})
	p.items = f.NewCounterVec(prometheus.CounterOpts{
		Namespace: "newswire", Name: "feed_items_total",
		Help: "Feed items by result: new (published), seen (skipped as already published), invalid.",
	}, []string{"result"})
	for _, r := range []string{pollOK, pollNotModified, pollFetchError, pollHTTPError, pollParseError, pollPublishErr, pollStateError} {
		p.polls.WithLabelValues(r)
	}
	for _, r := range []string{"new", "seen", "invalid"} {
		p.items.WithLabelValues(r)
	}
	if cfg.FetchFull {
		cc := cfg.Crawl
		cc.UserAgent = first(cc.UserAgent, cfg.UserAgent)
		if cc.Timeout == 0 {
			cc.Timeout = cfg.Timeout
		}
		if cc.MaxBodyBytes == 0 {
			cc.MaxBodyBytes = cfg.MaxBodyBytes
		}
		full, err := newFullText(cc, p.log, reg)
		if err != nil {
			return nil, err
		}
		p.full = full
	}
	if err := p.loadState(); err != nil {
		return nil, err
	}
	return p, nil
}

// Run polls every configured feed on its interval, with jitter and
// per-feed backoff, until ctx is done; then it returns nil. Poll failures
// are logged and retried, never returned.
func (p *FeedPoller) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, u := range p.cfg.URLs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.loop(ctx, u)
		}()
	}
	wg.Wait()
	return nil
}

func (p *FeedPoller) loop(ctx context.Context, feedURL string) {
	// Spread the first polls a little so that many feeds do not start in
	// the same instant.
	first := time.Duration(p.rnd() * p.cfg.Jitter * float64(min(p.cfg.Interval, 25*time.Second)))
	timer := time.NewTimer(first)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		_, err := p.PollOnce(ctx, feedURL)
		if ctx.Err() != nil {
			return
		}
		next, failures := p.nextDelay(feedURL)
		if err != nil {
			fields := []zap.Field{zap.String("feed", feedURL), zap.Error(err), zap.Int("failures", failures), zap.Duration("retry_in", next)}
			var se *FeedStatusError
			if errors.As(err, &se) {
				fields = append(fields, zap.Int("status", se.Status))
			}
			p.log.Warn("feed poll failed", fields...)
		}
		timer.Reset(next)
	}
}

// nextDelay is the wait before the next poll of a feed: Interval after a
// success, Interval×2^failures capped at MaxBackoff after failures, with
// jitter either way. It also returns the failure count.
func (p *FeedPoller) nextDelay(feedURL string) (time.Duration, int) {
	p.mu.Lock()
	failures := p.runLocked(feedURL).failures
	p.mu.Unlock()
	d := p.cfg.Interval
	for i := 0; i < failures && d < p.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.cfg.MaxBackoff)
	if p.cfg.Jitter > 0 {
		d = time.Duration(float64(d) * (1 + p.cfg.Jitter*(2*p.rnd()-1)))
	}
	return d, failures
}

func (p *FeedPoller) runLocked(feedURL string) *feedRun {
	r := p.runs[feedURL]
	if r == nil {
		r = &feedRun{}
		p.runs[feedURL] = r
	}
	return r
}

// PollOnce polls one feed now and publishes its new items in one call. It
// returns how many articles were published. A 304 Not Modified answer
// publishes nothing and is not an error. An HTTP error status is a
// *FeedStatusError. Polls of the same feed are serialised; the feed need
// not be one of cfg.URLs.
func (p *FeedPoller) PollOnce(ctx context.Context, feedURL string) (published int, err error) {
	p.mu.Lock()
	run := p.runLocked(feedURL)
	p.mu.Unlock()
	run.mu.Lock()
	defer run.mu.Unlock()

	n, result, err := p.poll(ctx, feedURL)
	p.polls.WithLabelValues(result).Inc()
	p.mu.Lock()
	if err != nil {
		run.failures++
	} else {
		run.failures = 0
	}
	p.mu.Unlock()
	return n, err
}

// PollAll polls every configured feed once, one after the other, and
// returns the total published and every feed's error joined. It is what a
// one-shot run (a --once flag) needs.
func (p *FeedPoller) PollAll(ctx context.Context) (published int, err error) {
	var errs []error
	for _, u := range p.cfg.URLs {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		n, err := p.PollOnce(ctx, u)
		published += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return published, errors.Join(errs...)
}

// ParseFeedList reads feed URLs, one per line; blank lines and lines
// starting with "#" are skipped, as is anything after whitespace on a line
// (room for a trailing comment). It does not check the URLs; Validate does.
func ParseFeedList(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		out = append(out, f[0])
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read feed list: %w", err)
	}
	return out, nil
}

// fetched is a feed document that answered 200.
type fetched struct {
	body         []byte
	base         *url.URL // final URL, for relative links
	etag         string
	lastModified string
}

func (p *FeedPoller) poll(ctx context.Context, feedURL string) (int, string, error) {
	doc, result, err := p.fetchFeed(ctx, feedURL)
	if err != nil || doc == nil {
		return 0, result, err
	}
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(doc.body))
	if err != nil {
		return 0, pollParseError, fmt.Errorf("parse feed %s: %w", feedURL, err)
	}

	now := p.now()
	var fresh []article.Article
	var remember []string
	inBatch := map[string]bool{}
	var nSeen, nInvalid int
	for _, it := range feed.Items {
		if it == nil {
			continue
		}
		a := itemArticle(feed, it, doc.base, feedURL)
		if err := article.Normalize(&a, now); err != nil {
			nInvalid++
			p.log.Warn("feed item invalid", zap.String("feed", feedURL), zap.String("title", a.Title), zap.Error(err))
			continue
		}
		if inBatch[a.ID] || p.seen(feedURL, a.ID) {
			nSeen++
			continue
		}
		inBatch[a.ID] = true
		if p.cfg.FetchFull {
			linkID := a.ID
			p.fillFullText(ctx, feedURL, &a)
			if a.ID != linkID {
				// The page named its canonical URL: remember the link's
				// id too, so that the link is not fetched again, and skip
				// the story if it came already through another link.
				remember = append(remember, linkID)
				if inBatch[a.ID] || p.seen(feedURL, a.ID) {
					nSeen++
					continue
				}
				inBatch[a.ID] = true
			}
		}
		if err := article.Validate(&a, p.cfg.Limits); err != nil {
			nInvalid++
			remember = append(remember, a.ID)
			p.log.Warn("feed item invalid", zap.String("feed", feedURL), zap.String("article_id", a.ID), zap.Error(err))
			continue
		}
		fresh = append(fresh, a)
	}
	p.items.WithLabelValues("seen").Add(float64(nSeen))
	p.items.WithLabelValues("invalid").Add(float64(nInvalid))

	if len(fresh) > 0 {
		if err := p.pub.Publish(ctx, "feed", fresh); err != nil {
			return 0, pollPublishErr, fmt.Errorf("publish %d items of feed %s: %w", len(fresh), feedURL, err)
		}
		p.items.WithLabelValues("new").Add(float64(len(fresh)))
		for i := range fresh {
			remember = append(remember, fresh[i].ID)
		}
	}
	changed := p.commit(feedURL, remember, doc.etag, doc.lastModified)
	lvl := zap.DebugLevel
	if len(fresh) > 0 {
		lvl = zap.InfoLevel
	}
	p.log.Log(lvl, "feed polled", zap.String("feed", feedURL), zap.Int("status", http.StatusOK),
		zap.Int("new", len(fresh)), zap.Int("seen", nSeen), zap.Int("invalid", nInvalid))
	if changed {
		if err := p.saveState(); err != nil {
			return len(fresh), pollStateError, err
		}
	}
	return len(fresh), pollOK, nil
}

// fetchFeed GETs a feed conditionally. A nil document with a nil error
// means 304 Not Modified.
func (p *FeedPoller) fetchFeed(ctx context.Context, feedURL string) (*fetched, string, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, feedURL, nil)
	if err != nil {
		return nil, pollFetchError, fmt.Errorf("fetch feed %s: %w", feedURL, err)
	}
	req.Header.Set("User-Agent", p.cfg.UserAgent)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
	etag, lastMod := p.validators(feedURL)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastMod != "" {
		req.Header.Set("If-Modified-Since", lastMod)
	}
	resp, err := p.feedC.Do(req)
	if err != nil {
		return nil, pollFetchError, fmt.Errorf("fetch feed %s: %w", feedURL, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
	}()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		p.log.Debug("feed not modified", zap.String("feed", feedURL), zap.Int("status", resp.StatusCode))
		return nil, pollNotModified, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, pollHTTPError, &FeedStatusError{URL: feedURL, Status: resp.StatusCode}
	}
	body, err := readCapped(resp.Body, p.cfg.MaxBodyBytes)
	if err != nil {
		return nil, pollFetchError, fmt.Errorf("read feed %s: %w", feedURL, err)
	}
	return &fetched{
		body:         body,
		base:         resp.Request.URL,
		etag:         resp.Header.Get("ETag"),
		lastModified: resp.Header.Get("Last-Modified"),
	}, pollOK, nil
}

// errTooLarge reports a document over MaxBodyBytes.
var errTooLarge = errors.New("document over the size limit")

func readCapped(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w of %d bytes", errTooLarge, limit)
	}
	return b, nil
}

// itemArticle maps a feed item to an article (not yet normalised).
func itemArticle(feed *gofeed.Feed, it *gofeed.Item, base *url.URL, feedURL string) article.Article {
	a := article.Article{
		URL:      absHTTP(base, it.Link),
		GUID:     strings.TrimSpace(it.GUID),
		Source:   HTMLToText(feed.Title),
		Title:    HTMLToText(it.Title),
		Summary:  HTMLToText(it.Description),
		Body:     HTMLToText(it.Content),
		Language: strings.TrimSpace(feed.Language),
	}
	if a.GUID == "" {
		a.GUID = a.URL
	}
	if a.GUID == "" {
		a.ID = contentItemID(feedURL, it)
	}
	if a.Source == "" && base != nil {
		a.Source = base.Hostname()
	}
	if a.Body == "" {
		a.Body = a.Summary
	}
	people := it.Authors
	if len(people) == 0 && it.Author != nil {
		people = []*gofeed.Person{it.Author}
	}
	for _, per := range people {
		if per == nil {
			continue
		}
		name := strings.TrimSpace(per.Name)
		if name == "" {
			name = strings.TrimSpace(per.Email)
		}
		if name != "" {
			a.Authors = append(a.Authors, name)
		}
	}
	if it.PublishedParsed != nil {
		a.Published = it.PublishedParsed.UTC()
	}
	if it.UpdatedParsed != nil {
		a.Updated = it.UpdatedParsed.UTC()
	}
	// Some feeds stamp "updated" with the original time of a story
	// published later; an update before publication carries no
	// information, so it is dropped rather than making the item invalid.
	if !a.Updated.IsZero() && !a.Published.IsZero() && a.Updated.Before(a.Published) {
		a.Updated = time.Time{}
	}
	return a
}

// contentItemID is the id of an item with neither link nor guid: derived
// from the feed's URL and a hash of the item's title and content (its
// description when it has no content), so that the same item seen at
// the next poll gets the same id, and an edited one a new id.
func contentItemID(feedURL string, it *gofeed.Item) string {
	content := it.Content
	if strings.TrimSpace(content) == "" {
		content = it.Description
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(it.Title) + "\x00" + strings.TrimSpace(content)))
	id, err := article.DeriveID("", feedURL, "content:"+hex.EncodeToString(sum[:16]))
	if err != nil {
		return "" // unreachable: the guid is never empty
	}
	return id
}

// state

func (p *FeedPoller) validators(feedURL string) (etag, lastModified string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if fst := p.state.Feeds[feedURL]; fst != nil {
		return fst.ETag, fst.LastModified
	}
	return "", ""
}

func (p *FeedPoller) seen(feedURL, id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	fst := p.state.Feeds[feedURL]
	if fst == nil {
		return false
	}
	_, ok := fst.set[id]
	return ok
}

// commit records published ids and the feed's validators; it reports
// whether anything changed.
func (p *FeedPoller) commit(feedURL string, ids []string, etag, lastModified string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	fst := p.state.Feeds[feedURL]
	if fst == nil {
		fst = &feedState{set: map[string]struct{}{}}
		p.state.Feeds[feedURL] = fst
	}
	changed := fst.ETag != etag || fst.LastModified != lastModified
	fst.ETag, fst.LastModified = etag, lastModified
	for _, id := range ids {
		if _, ok := fst.set[id]; ok {
			continue
		}
		fst.set[id] = struct{}{}
		fst.Seen = append(fst.Seen, id)
		changed = true
	}
	if over := len(fst.Seen) - p.cfg.MaxSeen; over > 0 {
		for _, id := range fst.Seen[:over] {
			delete(fst.set, id)
		}
		fst.Seen = append([]string(nil), fst.Seen[over:]...)
	}
	return changed
}

func (p *FeedPoller) loadState() error {
	if p.cfg.StatePath == "" {
		return nil
	}
	b, err := os.ReadFile(p.cfg.StatePath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read feed state: %w", err)
	}
	var st feedStateFile
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("read feed state %s: %w", p.cfg.StatePath, err)
	}
	if st.Version != feedStateVersion {
		return fmt.Errorf("read feed state %s: version %d is not supported (this build reads %d)", p.cfg.StatePath, st.Version, feedStateVersion)
	}
	if st.Feeds == nil {
		st.Feeds = map[string]*feedState{}
	}
	for u, fst := range st.Feeds {
		if fst == nil {
			delete(st.Feeds, u)
			continue
		}
		if over := len(fst.Seen) - p.cfg.MaxSeen; over > 0 {
			fst.Seen = fst.Seen[over:]
		}
		fst.set = make(map[string]struct{}, len(fst.Seen))
		for _, id := range fst.Seen {
			fst.set[id] = struct{}{}
		}
	}
	p.state = st
	return nil
}

func (p *FeedPoller) saveState() error {
	if p.cfg.StatePath == "" {
		return nil
	}
	p.saveMu.Lock()
	defer p.saveMu.Unlock()
	p.mu.Lock()
	b, err := json.Marshal(&p.state)
	p.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode feed state: %w", err)
	}
	if err := fsutil.WriteFileAtomic(p.cfg.StatePath, b); err != nil {
		return fmt.Errorf("write feed state: %w", err)
	}
	return nil
}
