// Package elastic is newswire's production search store: index.Store on
// the Elasticsearch API through go-elasticsearch v8, using only APIs that
// every supported engine has (typeless documents, composable index
// templates, aliases, _rollover, _bulk, _search, _count). Supported
// engines: Elasticsearch 8 and 9 natively, Elasticsearch 7.10 and newer,
// and OpenSearch 1 and newer (tested with 2.x). The engine is identified
// from GET / (version and distribution) or named in Config.Engine; see
// productCheck for how the v8 client is made to accept the engines that
// do not send its product header.
//
// Layout, for the alias base B (Config.Index, default "newswire-articles"):
// a composable index template B for indices B-*, with a strict explicit
// mapping and a 1s refresh interval; a first index B-000001; the write
// alias B-write (is_write_index) and the read alias B. Setup creates what
// is missing. An existing template or index (any generation behind either
// alias) whose mapping only lacks fields of this build's is extended in
// place: the template is replaced and the indices get the fields with PUT
// _mapping, an additive change the engine accepts on live indices. So
// subject_countries (template version 2) reached indices made before it;
// documents written before have no value in it until written again (a
// re-enrichment rewrites them all). Setup refuses a template or index
// whose mapping differs in any other way.
//
// Writes are idempotent: _id is the article id and each bulk action
// carries version = the article's VersionTime in Unix milliseconds with
// version_type external_gte, so an older version never replaces a newer
// one and a redelivered batch changes nothing. IndexBatch sorts bulk items:
// success and version conflicts are done; 429 and 5xx items are retried
// with capped, jittered, context-aware backoff and, if they keep failing,
// the call returns an error wrapping index.ErrTransient; any other refusal
// (a mapping or parse error) becomes an index.Rejection with the reason.
// Documents are searchable after the next refresh, about a second later.
//
// Search gives the same answers as the embedded engine (the conformance
// suite in index/indextest checks both). Leader and treaty facet labels
// come from a name cache, asking the engine only for names it lacks
// (labels.go). Query.From and Query.To are
// inclusive instants at millisecond precision, the precision of the date
// fields; callers that mean "through day D" pass the last instant of D.
package elastic

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sync"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"go.uber.org/zap"

	"github.com/newswire/newswire/index"
)

// Defaults of Config.
const (
	DefaultIndex      = "newswire-articles" // alias base
	DefaultMaxRetries = 3
	DefaultShards     = 1
	DefaultReplicas   = 1
)

// NoReplicas asks for indices without replicas (Config.Replicas), for a
// single-node cluster.
const NoReplicas = -1

// Config configures the store. Zero fields take the documented defaults.
type Config struct {
	// Addresses of the cluster's nodes, e.g. "https://es1:9200". Required.
	Addresses []string
	// Username and Password for basic authentication, or APIKey (the
	// base64 "id:key" token); not both.
	Username, Password, APIKey string
	// CACertFile is a PEM file of the certificate authorities to trust;
	// empty trusts the system pool.
	CACertFile string
	// Index is the alias base (default DefaultIndex): the read alias, the
	// template name and the prefix of the indices and the write alias.
	Index string
	// Compress gzips request bodies.
	Compress bool
	// MaxRetries bounds the retries of one request on 429, 502, 503 and
	// 504 and of failed bulk items (default 3).
	MaxRetries int
	// Shards is index.number_of_shards of new indices (default 1, which
	// keeps facet counts exact).
	Shards int
	// Replicas is index.number_of_replicas of new indices (default 1;
	// NoReplicas for none).
	Replicas int
	// Engine names the engine (EngineElasticsearch, EngineOpenSearch)
	// instead of reading it from GET /; "" or EngineAuto detects it.
	Engine Engine
	// Metrics, when set, counts the engine's answers (NewMetrics).
	Metrics *Metrics
	// Transport replaces the HTTP transport; tests inject one.
	Transport http.RoundTripper
}

var indexName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,200}$`)

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	if len(c.Addresses) == 0 {
		errs = append(errs, errors.New("addresses: at least one node address required"))
	}
	for _, a := range c.Addresses {
		u, err := url.Parse(a)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("addresses: %q is not an http(s) URL", a))
		}
	}
	if c.APIKey != "" && (c.Username != "" || c.Password != "") {
		errs = append(errs, errors.New("api key and username/password are exclusive"))
	}
	if (c.Username == "") != (c.Password == "") {
		errs = append(errs, errors.New("username and password go together"))
	}
	if c.Index != "" && !indexName.MatchString(c.Index) {
		errs = append(errs, fmt.Errorf("index: %q is not a valid index name (lower-case letters, digits, '.', '_', '-')", c.Index))
	}
	if c.MaxRetries < 0 {
		errs = append(errs, fmt.Errorf("max retries: %d is negative", c.MaxRetries))
	}
	if c.Shards < 0 {
		errs = append(errs, fmt.Errorf("shards: %d is negative", c.Shards))
	}
	if c.Replicas < NoReplicas {
		errs = append(errs, fmt.Errorf("replicas: %d is invalid", c.Replicas))
	}
	if _, err := ParseEngine(string(c.Engine)); err != nil {
		errs = append(errs, err)
	}
	if c.CACertFile != "" && c.Transport != nil {
		errs = append(errs, errors.New("ca cert file and a custom transport are exclusive"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("elasticsearch config: %w", err)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Index == "" {
		c.Index = DefaultIndex
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.Shards == 0 {
		c.Shards = DefaultShards
	}
	switch c.Replicas {
	case 0:
		c.Replicas = DefaultReplicas
	case NoReplicas:
		c.Replicas = 0
	}
	return c
}

// names are the template, index and alias names derived from the base.
type names struct {
	Template   string // composable template name
	Pattern    string // its index pattern
	FirstIndex string
	WriteAlias string
	ReadAlias  string
}

func namesFor(base string) names {
	return names{
		Template:   base,
		Pattern:    base + "-*",
		FirstIndex: base + "-000001",
		WriteAlias: base + "-write",
		ReadAlias:  base,
	}
}

// Store is the Elasticsearch search store. It is safe for concurrent use.
type Store struct {
	cfg   Config
	names names
	es    *elasticsearch.Client
	log   *zap.Logger
	// idle closes idle connections of the transport on Close.
	idle func()

	engineMu sync.Mutex
	engine   EngineInfo // zero until Engine succeeds

	topoMu sync.Mutex
	topo   topology
	topoAt time.Time // when topo was read; zero: read again

	labels labelCache // names of facet entities (labels.go)
}

var _ index.Store = (*Store)(nil)

// Open builds a store and sets up its template, index and aliases: what a
// process does at start.
func Open(ctx context.Context, cfg Config, log *zap.Logger) (*Store, error) {
	s, err := New(cfg, log)
	if err != nil {
		return nil, err
	}
	if err := s.Setup(ctx); err != nil {
		return nil, fmt.Errorf("set up elasticsearch index: %w", err)
	}
	return s, nil
}

// New builds a store. It does not contact the cluster; call Setup (or
// Ping) for that, or use Open.
func New(cfg Config, log *zap.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if log == nil {
		log = zap.NewNop()
	}
	log = log.With(zap.String("component", "index.elastic"), zap.String("index", cfg.Index))

	tr := cfg.Transport
	idle := func() {}
	if tr == nil {
		ht := http.DefaultTransport.(*http.Transport).Clone()
		if cfg.CACertFile != "" {
			pem, err := os.ReadFile(cfg.CACertFile)
			if err != nil {
				return nil, fmt.Errorf("read ca cert file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("ca cert file %s holds no PEM certificate", cfg.CACertFile)
			}
			ht.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		tr = ht
		idle = ht.CloseIdleConnections
	} else if c, ok := tr.(interface{ CloseIdleConnections() }); ok {
		idle = c.CloseIdleConnections
	}
	es, err := elasticsearch.NewClient(elasticsearch.Config{
		Addresses:           cfg.Addresses,
		Username:            cfg.Username,
		Password:            cfg.Password,
		APIKey:              cfg.APIKey,
		CompressRequestBody: cfg.Compress,
		RetryOnStatus:       []int{http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout},
		MaxRetries:          cfg.MaxRetries,
		RetryBackoff:        backoff,
		Transport:           &productCheck{base: tr, forced: cfg.Engine, metrics: cfg.Metrics},
	})
	if err != nil {
		return nil, fmt.Errorf("create elasticsearch client: %w", err)
	}
	return &Store{cfg: cfg, names: namesFor(cfg.Index), es: es, log: log, idle: idle}, nil
}

// backoff is the wait before retry attempt n (1-based): exponential from
// 100ms, capped at 5s, with full jitter.
func backoff(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(attempt-1, 6)
	d = min(d, 5*time.Second)
	return time.Duration(rand.Int64N(int64(d))) + time.Millisecond
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Ping asks for the cluster health; a red cluster or no answer is an
// error wrapping index.ErrTransient.
func (s *Store) Ping(ctx context.Context) error {
	res, err := s.es.Cluster.Health(s.es.Cluster.Health.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("cluster health: %w: %w", index.ErrTransient, err)
	}
	var body struct {
		Status string `json:"status"`
	}
	if err := decode(res, &body); err != nil {
		return fmt.Errorf("cluster health: %w", err)
	}
	if body.Status != "green" && body.Status != "yellow" {
		return fmt.Errorf("cluster health is %q: %w", body.Status, index.ErrTransient)
	}
	return nil
}

// Count returns the number of documents behind the read alias.
func (s *Store) Count(ctx context.Context) (int, error) {
	res, err := s.es.Count(s.es.Count.WithContext(ctx), s.es.Count.WithIndex(s.names.ReadAlias))
	if err != nil {
		return 0, fmt.Errorf("count: %w: %w", index.ErrTransient, err)
	}
	var body struct {
		Count int `json:"count"`
	}
	if err := decode(res, &body); err != nil {
		return 0, fmt.Errorf("count %s: %w", s.names.ReadAlias, err)
	}
	return body.Count, nil
}

// Close releases idle connections. The store holds no other resources.
func (s *Store) Close() error {
	s.idle()
	return nil
}

// esError is an error answer of Elasticsearch.
type esError struct {
	Status int
	Type   string
	Reason string
}

func (e *esError) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("elasticsearch answered %d: %s", e.Status, e.Reason)
	}
	return fmt.Sprintf("elasticsearch answered %d: %s: %s", e.Status, e.Type, e.Reason)
}

// Unwrap makes overload and server errors match index.ErrTransient.
func (e *esError) Unwrap() error {
	if transientStatus(e.Status) {
		return index.ErrTransient
	}
	return nil
}

func transientStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}

// errorBody is the error object of an Elasticsearch answer.
type errorBody struct {
	Type     string     `json:"type"`
	Reason   string     `json:"reason"`
	CausedBy *errorBody `json:"caused_by"`
}

func (e *errorBody) String() string {
	if e == nil {
		return ""
	}
	s := e.Type + ": " + e.Reason
	if e.CausedBy != nil {
		s += " (caused by " + e.CausedBy.String() + ")"
	}
	return s
}

// readError turns an error response into an *esError and closes it.
func readError(res *esapi.Response) error {
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var body struct {
		Error json.RawMessage `json:"error"`
	}
	e := &esError{Status: res.StatusCode, Reason: string(b)}
	if json.Unmarshal(b, &body) == nil && len(body.Error) > 0 {
		var eb errorBody
		if json.Unmarshal(body.Error, &eb) == nil && eb.Type != "" {
			e.Type = eb.Type
			e.Reason = eb.Reason
			if eb.CausedBy != nil {
				e.Reason += " (caused by " + eb.CausedBy.String() + ")"
			}
		} else {
			var s string
			if json.Unmarshal(body.Error, &s) == nil {
				e.Reason = s
			}
		}
	}
	return e
}

// decode reads a successful JSON answer into v, or returns the error
// answer; it always closes the body.
func decode(res *esapi.Response, v any) error {
	if res.IsError() {
		return readError(res)
	}
	defer res.Body.Close()
	if v == nil {
		_, err := io.Copy(io.Discard, res.Body)
		return err
	}
	dec := json.NewDecoder(res.Body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}
