// Package api is newswire's HTTP surface: the search API, the ingest
// endpoint (provided by producers), health and readiness, Prometheus
// metrics, and the search page at "/".
//
// Routes (a public contract, see the README), with the scope each needs:
//
//	GET  /api/v1/search     read     search articles (Query parameters below)
//	POST /api/v1/articles   ingest   ingest articles (mounted handler)
//	GET  /healthz           public   the process is alive
//	GET  /readyz            public   every dependency answers; 503 with reasons otherwise
//	GET  /metrics           metrics  Prometheus metrics
//	GET  /                  public   the search page and its static files
//
// plus Config.Extra (the alert routes). Every route is declared once, in
// the route table built by New, with its scope (package scope); Auth
// guards each route for its scope (auth.go).
//
// This package never imports kafka-go.
package api

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/newswire/newswire/api/scope"
	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/internal/httpjson"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

//go:embed web
var webFS embed.FS

// Searcher answers search queries. Both index stores implement it.
type Searcher interface {
	Search(ctx context.Context, q index.Query) (index.Result, error)
}

// Check reports whether one dependency answers.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Config configures the HTTP surface.
type Config struct {
	Searcher Searcher     // required for /api/v1/search
	Ingest   http.Handler // mounted at POST /api/v1/articles when set
	Fetch    http.Handler // mounted at POST /api/v1/articles/fetch when set (ingest by URL)
	Checks   []Check      // run by /readyz
	Gatherer prometheus.Gatherer
	Extra    []Route       // more routes (alert endpoints), each with its scope
	Timeout  time.Duration // per search (default 10s)
	// Auth checks bearer tokens; nil (or no tokens) leaves every route
	// open, which app allows only on loopback.
	Auth *Auth
	// NoPage leaves out the search API and the page: a stage process
	// answers health, readiness and metrics only.
	NoPage bool
}

// DefaultSearchTimeout bounds one search unless Config.Timeout is set.
const DefaultSearchTimeout = 10 * time.Second

// Server holds the handlers and the readiness state.
type Server struct {
	cfg      Config
	log      *zap.Logger
	mux      *http.ServeMux
	routes   []Route
	draining atomic.Bool
}

// New builds the server's handler tree from its route table. It panics
// on a route without a valid scope: that is a programming error the auth
// matrix test also catches.
func New(cfg Config, log *zap.Logger) *Server {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultSearchTimeout
	}
	s := &Server{cfg: cfg, log: log.With(zap.String("component", "api")), mux: http.NewServeMux()}
	// The route table: add routes here or through Config.Extra, never on
	// s.mux directly, so each is guarded and the auth matrix sees it.
	routes := []Route{
		{Pattern: "GET /healthz", Scope: scope.Public, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
		})},
		{Pattern: "GET /readyz", Scope: scope.Public, Handler: http.HandlerFunc(s.ready)},
	}
	if !cfg.NoPage {
		routes = append(routes, Route{Pattern: "GET /api/v1/search", Scope: scope.Read, Handler: http.HandlerFunc(s.search)})
	}
	if cfg.Ingest != nil {
		routes = append(routes, Route{Pattern: "POST /api/v1/articles", Scope: scope.Ingest, Handler: cfg.Ingest})
	}
	if cfg.Fetch != nil {
		routes = append(routes, Route{Pattern: "POST /api/v1/articles/fetch", Scope: scope.Ingest, Handler: cfg.Fetch})
	}
	if cfg.Gatherer != nil {
		routes = append(routes, Route{Pattern: "GET /metrics", Scope: scope.Metrics, Handler: promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{})})
	}
	routes = append(routes, cfg.Extra...)
	if !cfg.NoPage {
		routes = append(routes, s.pageRoute())
	}
	for _, rt := range routes {
		if !rt.Scope.Valid() {
			panic(fmt.Sprintf("api: route %q has no valid scope (%q)", rt.Pattern, rt.Scope))
		}
		s.mux.Handle(rt.Pattern, cfg.Auth.guard(rt.Scope, rt.Handler))
	}
	s.routes = routes
	return s
}

// pageRoute serves the page and its assets. They are public so the page
// can load and ask for a token; they hold no data.
func (s *Server) pageRoute() Route {
	sub, err := fs.Sub(webFS, "web")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServerFS(sub)
	return Route{Pattern: "/", Scope: scope.Public, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})}
}

// Routes returns the route table: every mounted pattern with its scope.
func (s *Server) Routes() []Route { return slices.Clone(s.routes) }

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Drain makes /readyz answer 503 so load balancers stop sending traffic
// before shutdown starts.
func (s *Server) Drain() { s.draining.Store(true) }

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]any{"status": "draining"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	reasons := map[string]string{}
	for _, c := range s.cfg.Checks {
		if err := c.Fn(ctx); err != nil {
			reasons[c.Name] = err.Error()
		}
	}
	if len(reasons) > 0 {
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "reasons": reasons})
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"status": "ready"})
}

// ParseQuery reads a search query from URL parameters: q, repeatable
// country, leader, treaty, keyword, source, from and to (YYYY-MM-DD or RFC
// 3339; "to" as a date means through the end of that day), sort, size,
// cursor.
func ParseQuery(v map[string][]string) (index.Query, error) {
	get := func(k string) string {
		if x := v[k]; len(x) > 0 {
			return strings.TrimSpace(x[0])
		}
		return ""
	}
	multi := func(k string) []string {
		var out []string
		for _, x := range v[k] {
			for _, p := range strings.Split(x, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
		}
		return out
	}
	q := index.Query{
		Text:      get("q"),
		Countries: multi("country"),
		Leaders:   multi("leader"),
		Treaties:  multi("treaty"),
		Keywords:  multi("keyword"),
		Sources:   multi("source"),
		Sort:      get("sort"),
		Cursor:    get("cursor"),
	}
	var errs []error
	if s := get("size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > index.MaxSize {
			errs = append(errs, errors.New("size must be a number from 1 to "+strconv.Itoa(index.MaxSize)))
		}
		q.Size = n
	}
	if q.Sort != "" && q.Sort != index.SortRelevance && q.Sort != index.SortNewest {
		errs = append(errs, errors.New(`sort must be "relevance" or "newest"`))
	}
	var err error
	if q.From, err = parseDate(get("from"), false); err == nil {
		err = checkDateRange(q.From)
	}
	if err != nil {
		errs = append(errs, errors.New("from: "+err.Error()))
	}
	if q.To, err = parseDate(get("to"), true); err == nil {
		err = checkDateRange(q.To)
	}
	if err != nil {
		errs = append(errs, errors.New("to: "+err.Error()))
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		errs = append(errs, errors.New("to is before from"))
	}
	return q, errors.Join(errs...)
}

func parseDate(s string, endOfDay bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if endOfDay {
			t = t.Add(24*time.Hour - time.Nanosecond)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New("want YYYY-MM-DD or an RFC 3339 time, got " + strconv.Quote(s))
	}
	return t, nil
}

// checkDateRange refuses a bound the search stores cannot hold.
func checkDateRange(t time.Time) error {
	if t.IsZero() || article.TimeInRange(t) {
		return nil
	}
	return fmt.Errorf("%s is outside the range the search stores hold (%s to %s)",
		t.Format(time.RFC3339), article.MinTime.Format(time.DateOnly), article.MaxTime.Format(time.DateOnly))
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Searcher == nil {
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "no search store configured"})
		return
	}
	q, err := ParseQuery(r.URL.Query())
	if err != nil {
		httpjson.Write(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	res, err := s.cfg.Searcher.Search(ctx, q)
	if err != nil {
		if errors.Is(err, index.ErrBadQuery) {
			httpjson.Write(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		s.log.Warn("search failed", zap.Error(err))
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "search store unavailable: " + err.Error()})
		return
	}
	if res.Hits == nil {
		res.Hits = []index.Hit{}
	}
	httpjson.Write(w, http.StatusOK, res)
}
