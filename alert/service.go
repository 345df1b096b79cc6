package alert

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/api/scope"
	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/internal/httpjson"
)

// Service owns the rules in force: the rule store, the compiled Matcher
// (rebuilt and swapped atomically on every change) and the HTTP API.
// Match, Rule and the handlers are safe for concurrent use.
type Service struct {
	store        *RuleStore
	hub          *Hub
	m            *Metrics
	log          *zap.Logger
	allowPrivate bool
	resolver     match.Resolver
	hist         *History
	articles     ArticleSearcher

	snap      atomic.Pointer[snapshot]
	rebuildMu sync.Mutex
}

type snapshot struct {
	matcher *match.Matcher
	byID    map[string]match.Rule // every rule, paused ones too
	version uint64                // of the store it was built from
}

// ServiceConfig configures a Service.
type ServiceConfig struct {
	Store *RuleStore // required
	// Hub serves GET /api/v1/alerts/stream when set.
	Hub *Hub
	// AllowPrivate accepts webhook targets on loopback and private
	// networks in rules created through the API.
	AllowPrivate bool
	Metrics      *Metrics // may be nil
	// Articles serves POST /api/v1/alerts/rules/test (backtests) when
	// set: the search store.
	Articles ArticleSearcher
	// History serves GET /api/v1/alerts/rules/{id}/history when set.
	History *History
	// Entities lets rules created or changed through the API name
	// countries, leaders, treaties and keywords by name as well as by id:
	// each is stored as its id, and an unknown one is refused (400) with
	// the closest known entities. Nil: values are taken as ids, unchecked.
	Entities EntityResolver
}

// NewService compiles the store's rules and subscribes to its changes.
func NewService(cfg ServiceConfig, log *zap.Logger) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("alert service needs a rule store")
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	s := &Service{store: cfg.Store, hub: cfg.Hub, m: cfg.Metrics, allowPrivate: cfg.AllowPrivate,
		resolver: resolverOf(cfg.Entities), hist: cfg.History, articles: cfg.Articles, log: log.With(zap.String("component", "alerts"))}
	if err := s.rebuild(cfg.Store.Version()); err != nil {
		return nil, err
	}
	return s, nil
}

// current returns the compiled rules, recompiling first when the store
// changed since. Recompiling on use, not on every change, keeps a burst
// of changes (loading thousands of rules from the topic at start) to one
// compile.
func (s *Service) current() *snapshot {
	snap := s.snap.Load()
	v := s.store.Version()
	if snap.version == v {
		return snap
	}
	s.rebuildMu.Lock()
	defer s.rebuildMu.Unlock()
	if snap = s.snap.Load(); snap.version == v {
		return snap
	}
	if err := s.rebuild(v); err != nil {
		s.log.Error("rules not recompiled; previous rules stay in force", zap.Error(err))
		old := *snap
		old.version = v // do not retry until the next change
		s.snap.Store(&old)
	}
	return s.snap.Load()
}

func (s *Service) rebuild(version uint64) error {
	rules := s.store.Rules()
	start := time.Now()
	active := make([]match.Rule, 0, len(rules))
	for _, r := range rules {
		if r.IsEnabled() {
			active = append(active, r)
		}
	}
	m, err := match.Compile(active)
	if err != nil {
		return err
	}
	by := make(map[string]match.Rule, len(rules))
	counts := map[string]int{match.OriginFile: 0, match.OriginAPI: 0}
	for _, r := range rules {
		by[r.ID] = r
		counts[r.Origin]++
	}
	s.snap.Store(&snapshot{matcher: m, byID: by, version: version})
	for o, n := range counts {
		s.m.rules.WithLabelValues(o).Set(float64(n))
	}
	s.log.Debug("rules compiled", zap.Int("rules", len(rules)), zap.Int("enabled", len(active)), zap.Duration("took", time.Since(start)))
	return nil
}

// Match matches an article against the rules in force (paused rules
// never match).
func (s *Service) Match(e *article.Enriched) []match.Match { return s.current().matcher.Match(e) }

// Rule returns a rule by id (paused ones too).
func (s *Service) Rule(id string) (match.Rule, bool) {
	r, ok := s.current().byID[id]
	return r, ok
}

// Reload re-reads the rule file (call it on SIGHUP). On error the
// previous rules stay in force.
func (s *Service) Reload() error {
	err := s.store.Reload()
	if err != nil {
		s.m.reloadErrors.Inc()
	}
	return err
}

// Watch reloads the rule file when it changes (polling every 2s) until
// ctx is done.
func (s *Service) Watch(ctx context.Context) {
	s.store.Watch(ctx, 2*time.Second)
}

// Routes returns the alert endpoints for api.Config.Extra, each with the
// scope a token needs (package scope):
//
//	GET    /api/v1/alerts/rules        admin  every rule, and the rule file's status
//	POST   /api/v1/alerts/rules        admin  create a rule (201, Location header)
//	GET    /api/v1/alerts/rules/{id}   admin  one rule
//	PUT    /api/v1/alerts/rules/{id}   admin  replace an API rule (409 for file rules)
//	DELETE /api/v1/alerts/rules/{id}   admin  delete an API rule (204; 409 for file rules)
//	POST   /api/v1/alerts/rules/test  admin  backtest a rule on the stored articles of the last N days (when Articles is set; backtest.go)
//	GET    /api/v1/alerts/rules/{id}/history  admin  the rule's recent alerts, newest first (when a History is set; ?limit=)
//	GET    /api/v1/alerts/stream       read   Server-Sent Events (when a Hub is set)
//
// Rules are admin-only, reads too: they carry webhook targets and who is
// alerted on what. Errors are JSON {"error": "...", "problems": [{"path",
// "message"}]}. Webhook secrets are never returned; a PUT that leaves a
// webhook's secret empty keeps the secret it had for the same URL.
func (s *Service) Routes() []scope.Route {
	r := []scope.Route{
		{Pattern: "GET /api/v1/alerts/rules", Scope: scope.Admin, Handler: http.HandlerFunc(s.list)},
		{Pattern: "POST /api/v1/alerts/rules", Scope: scope.Admin, Handler: http.HandlerFunc(s.create)},
		{Pattern: "GET /api/v1/alerts/rules/{id}", Scope: scope.Admin, Handler: http.HandlerFunc(s.get)},
		{Pattern: "PUT /api/v1/alerts/rules/{id}", Scope: scope.Admin, Handler: http.HandlerFunc(s.put)},
		{Pattern: "DELETE /api/v1/alerts/rules/{id}", Scope: scope.Admin, Handler: http.HandlerFunc(s.delete)},
	}
	if s.articles != nil {
		r = append(r, scope.Route{Pattern: "POST /api/v1/alerts/rules/test", Scope: scope.Admin, Handler: http.HandlerFunc(s.backtest)})
	}
	if s.hist != nil {
		r = append(r, scope.Route{Pattern: "GET /api/v1/alerts/rules/{id}/history", Scope: scope.Admin, Handler: http.HandlerFunc(s.history)})
	}
	if s.hub != nil {
		r = append(r, scope.Route{Pattern: "GET /api/v1/alerts/stream", Scope: scope.Read, Handler: s.hub})
	}
	return r
}

// validateOptions are the options rules from the API are parsed with.
func (s *Service) validateOptions() match.ValidateOptions {
	return match.ValidateOptions{AllowPrivate: s.allowPrivate, Resolver: s.resolver}
}

// maxRuleBody bounds a rule request body.
const maxRuleBody = 64 << 10

type errorBody struct {
	Error      string          `json:"error"`
	Problems   []match.Problem `json:"problems,omitempty"`
	ExistingID string          `json:"existing_id,omitempty"` // on a duplicate rule
}

func writeErr(w http.ResponseWriter, err error) {
	var ve *match.ValidationError
	var de *DuplicateError
	switch {
	case errors.As(err, &de):
		httpjson.Write(w, http.StatusConflict, errorBody{Error: err.Error(), ExistingID: de.ExistingID})
	case errors.Is(err, ErrTooMany):
		httpjson.Write(w, http.StatusConflict, errorBody{Error: err.Error()})
	case errors.Is(err, ErrNoLog):
		httpjson.Write(w, http.StatusServiceUnavailable, errorBody{Error: err.Error()})
	case errors.As(err, &ve):
		httpjson.Write(w, http.StatusBadRequest, errorBody{Error: ve.Error(), Problems: ve.Problems})
	case errors.Is(err, ErrNotFound):
		httpjson.Write(w, http.StatusNotFound, errorBody{Error: err.Error()})
	case errors.Is(err, ErrReadOnly), errors.Is(err, ErrConflict):
		httpjson.Write(w, http.StatusConflict, errorBody{Error: err.Error()})
	default:
		httpjson.Write(w, http.StatusInternalServerError, errorBody{Error: err.Error()})
	}
}

// redact hides webhook secrets.
func redact(r match.Rule) match.Rule {
	chans := make([]match.Channel, len(r.Channels))
	for i, c := range r.Channels {
		if c.Secret != "" {
			c.Secret = secretMask
		}
		chans[i] = c
	}
	r.Channels = chans
	return r
}

// secretMask stands for a secret in responses; sent back in a PUT it
// keeps the secret.
const secretMask = "********"

type listBody struct {
	Rules []match.Rule `json:"rules"`
	File  *fileStatus  `json:"file,omitempty"`
}

type fileStatus struct {
	Path  string `json:"path"`
	Error string `json:"error,omitempty"`
}

func (s *Service) list(w http.ResponseWriter, _ *http.Request) {
	rules := s.store.Rules()
	out := listBody{Rules: make([]match.Rule, len(rules))}
	for i, r := range rules {
		out.Rules[i] = redact(r)
	}
	if path, err := s.store.FileStatus(); path != "" {
		out.File = &fileStatus{Path: path}
		if err != nil {
			out.File.Error = err.Error()
		}
	}
	httpjson.Write(w, http.StatusOK, out)
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) {
	rule, err := s.store.Get(r.PathValue("id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	httpjson.Write(w, http.StatusOK, redact(rule))
}

func (s *Service) readRule(r *http.Request) (match.Rule, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxRuleBody+1))
	if err != nil {
		return match.Rule{}, &match.ValidationError{Problems: []match.Problem{{Message: "read body: " + err.Error()}}}
	}
	if len(b) > maxRuleBody {
		return match.Rule{}, &match.ValidationError{Problems: []match.Problem{{Message: "rule is over the limit of 64 KiB"}}}
	}
	return match.ParseRuleJSON(b, s.validateOptions())
}

func (s *Service) create(w http.ResponseWriter, r *http.Request) {
	rule, err := s.readRule(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	saved, err := s.store.Create(r.Context(), rule)
	if err != nil {
		writeErr(w, err)
		return
	}
	w.Header().Set("Location", "/api/v1/alerts/rules/"+saved.ID)
	httpjson.Write(w, http.StatusCreated, redact(saved))
}

func (s *Service) put(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	old, err := s.store.Get(id)
	if err != nil {
		writeErr(w, err)
		return
	}
	if old.Origin == match.OriginFile {
		writeErr(w, ErrReadOnly)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRuleBody+1))
	if err != nil || len(body) > maxRuleBody {
		writeErr(w, &match.ValidationError{Problems: []match.Problem{{Message: "rule body unreadable or over 64 KiB"}}})
		return
	}
	// Restore kept secrets before validation, which requires them.
	var probe match.Rule
	if json.Unmarshal(body, &probe) == nil {
		changed := false
		for i := range probe.Channels {
			c := &probe.Channels[i]
			if c.Type == match.ChannelWebhook && (c.Secret == "" || c.Secret == secretMask) {
				for _, oc := range old.Channels {
					if oc.Type == c.Type && oc.URL == c.URL && oc.Secret != "" {
						c.Secret, changed = oc.Secret, true
					}
				}
			}
		}
		if changed {
			if b, err := json.Marshal(&probe); err == nil {
				body = b
			}
		}
	}
	rule, err := match.ParseRuleJSON(body, s.validateOptions())
	if err != nil {
		writeErr(w, err)
		return
	}
	if rule.ID != "" && rule.ID != id {
		writeErr(w, &match.ValidationError{Problems: []match.Problem{{Path: "id", Message: "differs from the id in the URL"}}})
		return
	}
	saved, err := s.store.Update(r.Context(), id, rule)
	if err != nil {
		writeErr(w, err)
		return
	}
	httpjson.Write(w, http.StatusOK, redact(saved))
}

func (s *Service) delete(w http.ResponseWriter, r *http.Request) {
	if err := s.store.Delete(r.Context(), r.PathValue("id")); err != nil {
		writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
