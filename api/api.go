// Package api is newswire's HTTP surface: the search API, the ingest
// endpoint (provided by producers), health and readiness, Prometheus
// metrics, and the search page at "/".
//
// Routes (a public contract, see the README), with the scope each needs:
//
//	GET  /api/v1/search     read     search articles (Query parameters below)
//	GET  /api/v1/search/export?format=csv|jsonl  read  the same search as a file, up to ExportLimit rows
//	POST /api/v1/articles   ingest   ingest articles (mounted handler)
//	GET  /api/v1/articles/{id}  read  one stored article with its tags and spans
//	GET  /api/v1/entities?q=…&kind=country|leader|treaty|keyword&limit=N  read  entities by any alias (entities.go)
//	GET  /api/v1/treaties/{id}  read  a treaty's catalogue entry
//	GET  /api/v1/treaties/{id}/timeline  read  actions reported on a treaty
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
	"github.com/newswire/newswire/enrich"
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

// ArticleReader returns one stored article. Both index stores implement
// it; errors wrap index.ErrNotFound for an unknown id.
type ArticleReader interface {
	Get(ctx context.Context, id string) (article.Enriched, error)
}

// TimelineReader lists the actions reported on a treaty. Both index
// stores implement it.
type TimelineReader interface {
	Timeline(ctx context.Context, treatyID string) ([]index.TimelineEntry, error)
}

// Check reports whether one dependency answers.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Config configures the HTTP surface.
type Config struct {
	Searcher Searcher // required for /api/v1/search
	// Queries reads entities in the search text; nil leaves the text as
	// words only.
	Queries QueryReader
	// Catalogue answers /api/v1/treaties/{id}; it defaults to Queries
	// when that implements it.
	Catalogue Catalogue
	// Entities answers /api/v1/entities; it defaults to Queries when that
	// implements it.
	Entities EntityLookup
	// Articles and Timelines default to Searcher when it implements them.
	Articles  ArticleReader
	Timelines TimelineReader
	Ingest    http.Handler // mounted at POST /api/v1/articles when set
	Fetch     http.Handler // mounted at POST /api/v1/articles/fetch when set (ingest by URL)
	Checks    []Check      // run by /readyz
	Gatherer  prometheus.Gatherer
	// Registerer, when set, receives the request-duration and
	// search-duration metrics of every route.
	Registerer prometheus.Registerer
	Extra      []Route       // more routes (alert endpoints), each with its scope
	Timeout    time.Duration // per search (default 10s)
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
	if r, ok := cfg.Searcher.(ArticleReader); ok && cfg.Articles == nil {
		cfg.Articles = r
	}
	if r, ok := cfg.Searcher.(TimelineReader); ok && cfg.Timelines == nil {
		cfg.Timelines = r
	}
	if c, ok := cfg.Queries.(Catalogue); ok && cfg.Catalogue == nil {
		cfg.Catalogue = c
	}
	if l, ok := cfg.Queries.(EntityLookup); ok && cfg.Entities == nil {
		cfg.Entities = l
	}
	if cfg.Registerer != nil && cfg.Searcher != nil {
		cfg.Searcher = InstrumentSearcher(cfg.Registerer, cfg.Searcher)
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
		routes = append(routes,
			Route{Pattern: "GET /api/v1/search", Scope: scope.Read, Handler: http.HandlerFunc(s.search)},
			Route{Pattern: "GET /api/v1/search/export", Scope: scope.Read, Handler: http.HandlerFunc(s.export)},
			Route{Pattern: "GET /api/v1/articles/{id}", Scope: scope.Read, Handler: http.HandlerFunc(s.article)},
			Route{Pattern: "GET /api/v1/entities", Scope: scope.Read, Handler: http.HandlerFunc(s.entities)},
			Route{Pattern: "GET /api/v1/treaties/{id}", Scope: scope.Read, Handler: http.HandlerFunc(s.treaty)},
			Route{Pattern: "GET /api/v1/treaties/{id}/timeline", Scope: scope.Read, Handler: http.HandlerFunc(s.timeline)},
		)
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
		h := cfg.Auth.guard(rt.Scope, rt.Handler)
		if cfg.Registerer != nil {
			h = InstrumentHandler(cfg.Registerer, rt.Pattern, h)
		}
		s.mux.Handle(rt.Pattern, h)
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
// country, subject, leader, treaty, keyword, source (all must match) and
// their not_ forms (none may match), any (filter kinds whose values need
// only one to match, e.g. any=countries or any=subject_countries), story,
// from and to (YYYY-MM-DD or RFC
// 3339; "to" as a date means through the end of that day), sort (default
// relevance, newest when there is no text), size, cursor, facet_size, and
// collapse (default true: one hit per story; "false" shows every copy).
//
// subject=KP asks for articles about North Korea: tagged with the country
// as a subject, not only as a venue or a passing mention (country=KP
// takes any role). Its values are ISO 3166-1 alpha-2 codes.
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
		Text:             get("q"),
		Countries:        multi("country"),
		SubjectCountries: multi("subject"),
		Leaders:          multi("leader"),
		Treaties:         multi("treaty"),
		Keywords:         multi("keyword"),
		Sources:          multi("source"),
		Story:            get("story"),
		Sort:             get("sort"),
		Cursor:           get("cursor"),
		Collapse:         true,
		Exclude: index.Filters{
			Countries:        multi("not_country"),
			SubjectCountries: multi("not_subject"),
			Leaders:          multi("not_leader"),
			Treaties:         multi("not_treaty"),
			Keywords:         multi("not_keyword"),
			Sources:          multi("not_source"),
		},
		Any: multi("any"),
	}
	if q.Sort == "" && q.Text == "" {
		// Relevance means nothing without words: newest first.
		q.Sort = index.SortNewest
	}
	var errs []error
	if s := get("facet_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > index.MaxFacetSize {
			errs = append(errs, errors.New("facet_size must be a number from 1 to "+strconv.Itoa(index.MaxFacetSize)))
		}
		q.FacetSize = n
	}
	for _, k := range q.Any {
		if !slices.Contains(index.FilterKinds, k) {
			errs = append(errs, errors.New("any lists filter kinds: "+strings.Join(index.FilterKinds, ", ")))
			break
		}
	}
	for _, p := range []struct {
		name   string
		values []string
	}{{"subject", q.SubjectCountries}, {"not_subject", q.Exclude.SubjectCountries}} {
		for _, c := range p.values {
			if !isCountryCode(c) {
				errs = append(errs, fmt.Errorf("%s must be a two-letter country code (ISO 3166-1 alpha-2), got %q", p.name, c))
			}
		}
	}
	switch get("collapse") {
	case "", "true", "1":
	case "false", "0":
		q.Collapse = false
	default:
		errs = append(errs, errors.New(`collapse must be "true" or "false"`))
	}
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

// isCountryCode reports whether c has the form of an ISO 3166-1 alpha-2
// code, in either case.
func isCountryCode(c string) bool {
	if len(c) != 2 {
		return false
	}
	for _, r := range c {
		if (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') {
			return false
		}
	}
	return true
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
	u := understand(s.cfg.Queries, &q, r.URL.Query(), time.Now())
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
	httpjson.Write(w, http.StatusOK, searchAnswer{Result: res, Understood: u})
}

func (s *Server) article(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Articles == nil {
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "no search store configured"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	id := r.PathValue("id")
	e, err := s.cfg.Articles.Get(ctx, id)
	switch {
	case errors.Is(err, index.ErrNotFound):
		httpjson.Write(w, http.StatusNotFound, map[string]string{"error": "no article " + strconv.Quote(id)})
	case err != nil:
		s.log.Warn("get article failed", zap.String("article_id", id), zap.Error(err))
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "search store unavailable: " + err.Error()})
	default:
		httpjson.Write(w, http.StatusOK, &e)
	}
}

func (s *Server) treaty(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Catalogue == nil {
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "no treaty catalogue configured"})
		return
	}
	id := r.PathValue("id")
	e, ok := s.cfg.Catalogue.Resolve(enrich.KindTreaty, id)
	if !ok || e.ID != id {
		httpjson.Write(w, http.StatusNotFound, map[string]string{"error": "no treaty " + strconv.Quote(id) + " in the catalogue"})
		return
	}
	httpjson.Write(w, http.StatusOK, treatyAnswer(e))
}

// TimelineAnswer is the body of GET /api/v1/treaties/{id}/timeline.
type TimelineAnswer struct {
	Treaty  string                `json:"treaty"`
	Actions []index.TimelineEntry `json:"actions"`
}

func (s *Server) timeline(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Timelines == nil {
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "no search store configured"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	id := r.PathValue("id")
	entries, err := s.cfg.Timelines.Timeline(ctx, id)
	if err != nil {
		s.log.Warn("treaty timeline failed", zap.String("treaty", id), zap.Error(err))
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "search store unavailable: " + err.Error()})
		return
	}
	httpjson.Write(w, http.StatusOK, TimelineAnswer{Treaty: id, Actions: entries})
}
