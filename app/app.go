// Package app assembles newswire's components into running processes: the
// all-in-one pipeline (`newswire run`) and single stages (`newswire enrich`,
// `index`, `serve`). It owns the lifecycle: start in dependency order, and
// on shutdown turn not-ready, stop accepting requests, stop fetching, finish
// in-flight work and commit, flush writers, close stores and brokers — all
// under a deadline.
//
// cmd/newswire only parses flags into a Config and calls Run.
package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/newswire/newswire/alert"
	"github.com/newswire/newswire/api"
	"github.com/newswire/newswire/api/scope"
	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/broker"
	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/enrich"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/embedded"
	"github.com/newswire/newswire/producers"
	"github.com/newswire/newswire/story"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Roles a process can take.
const (
	RoleEnrich = "enrich"
	RoleIndex  = "index"
	RoleAlert  = "alert" // alerter and delivery stages
	RoleServe  = "serve" // search API, ingest endpoint, page, rules API, live stream
)

// Batching of the indexer stage: bulk requests of up to IndexMaxBatch
// documents or IndexMaxBatchBytes of articles, IndexMaxInFlight of them
// at once.
const (
	IndexMaxBatch      = 500
	IndexMaxBatchBytes = 8 << 20
	IndexMaxInFlight   = 3
)

// AllRoles is what `newswire run` starts.
var AllRoles = []string{RoleEnrich, RoleIndex, RoleAlert, RoleServe}

// Config is everything a process needs. Zero values take the defaults
// (the Default constants; see WithDefaults).
type Config struct {
	Roles []string // default AllRoles

	// Brokers of a real Kafka cluster; empty starts the embedded broker.
	Brokers []string
	// EmbeddedBrokerAddr is where the embedded broker listens
	// (default 127.0.0.1:19092).
	EmbeddedBrokerAddr string
	// SyncWrites makes the embedded broker fsync every batch.
	SyncWrites bool

	// DataDir holds the embedded broker's log and the embedded index
	// (default ./data).
	DataDir string

	// OpenStore opens the search store; nil opens the embedded index under
	// DataDir/index. cmd sets it for Elasticsearch.
	OpenStore func(log *zap.Logger) (index.Store, error)

	HTTPAddr string // default 127.0.0.1:8080; "" with no serve role disables HTTP

	Topics      consumers.Topics
	Partitions  int // default 6
	Replication int // default 1
	EnrichGroup string
	IndexGroup  string
	AlertGroup  string // default newswire-alert (delivery: <group>-deliver)
	// RulesFile is a YAML file of standing alert rules, reloaded on change
	// and on SIGHUP.
	RulesFile string
	// AlertsAllowPrivate lets webhook targets be on loopback or private
	// networks.
	AlertsAllowPrivate bool
	// DigestTakeoverAfter is how long a throttled rule's due digest may
	// stay unsent by the process that holds it before another delivery
	// process sends it (a lost pod); 0: alert.DefaultTakeoverAfter. At
	// least twice alert.DefaultFlushEvery.
	DigestTakeoverAfter time.Duration
	// Email is the SMTP server of the email channel; empty Addr: email
	// alerts are dead-lettered with "no mail server configured".
	Email        alert.EmailConfig
	Tagger       consumers.Tagger // required with the enrich role
	Limits       article.Limits
	MaxBodyBytes int64
	// MaxIngestItems caps the articles of one ingest request (default
	// producers.DefaultIngestMaxItems).
	MaxIngestItems int

	// Tokens authenticate HTTP requests, each with its scopes (api.Auth,
	// README "Authentication"). With none the HTTP API is open, which is
	// allowed only on a loopback address unless InsecureNoAuth is set.
	Tokens         []api.Token
	InsecureNoAuth bool
	// IngestToken (--ingest-token, deprecated) is one more token, named
	// "ingest-token", with the ingest scope. Like any token it turns
	// authentication on for every route.
	IngestToken string

	// Samples is a JSON-lines file published once at start (make run uses
	// the sample corpus). Re-publishing is harmless: ids are derived from
	// URLs and index writes are idempotent.
	Samples string

	ShutdownTimeout time.Duration // default 30s
	// Retention, when set, deletes articles published longer ago than
	// this from the embedded index, at start and then hourly (the
	// Elasticsearch store's retention is `newswire index rollover
	// --retention`, run by a CronJob).
	Retention time.Duration
	// DrainDelay is how long the process stays up, not ready, before it
	// stops accepting requests at shutdown (default 0; a few seconds
	// behind a load balancer).
	DrainDelay time.Duration
	// FlushInterval is how long a stage waits to fill a batch (default 20ms).
	FlushInterval time.Duration
}

// Defaults of Config, also the defaults of the command-line flags.
const (
	DefaultEmbeddedBrokerAddr = "127.0.0.1:19092"
	DefaultDataDir            = "data"
	DefaultHTTPAddr           = "127.0.0.1:8080"
	DefaultPartitions         = 6
	DefaultReplication        = 1
	DefaultEnrichGroup        = "newswire-enrich"
	DefaultIndexGroup         = "newswire-index"
	DefaultAlertGroup         = "newswire-alert"
	DefaultShutdownTimeout    = 30 * time.Second
)

// Timeouts of the HTTP server.
const (
	HTTPReadHeaderTimeout = 10 * time.Second
	// HTTPReadTimeout bounds reading a whole request, body included (an
	// ingest of --max-body-bytes over a slow link).
	HTTPReadTimeout = 60 * time.Second
	// HTTPWriteTimeout bounds writing a response (an export streams for
	// at most this long; the live stream extends it per event).
	HTTPWriteTimeout = 120 * time.Second
	HTTPIdleTimeout  = 120 * time.Second
	// HTTPShutdownTimeout is how long open requests may finish at
	// shutdown before their connections are closed.
	HTTPShutdownTimeout = 5 * time.Second
)

// WithDefaults returns c with every unset field at its default. New
// applies it before Validate.
func (c Config) WithDefaults() Config {
	if len(c.Roles) == 0 {
		c.Roles = AllRoles
	}
	if c.EmbeddedBrokerAddr == "" {
		c.EmbeddedBrokerAddr = DefaultEmbeddedBrokerAddr
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.HTTPAddr == "" && slices.Contains(c.Roles, RoleServe) {
		c.HTTPAddr = DefaultHTTPAddr
	}
	c.Topics = c.Topics.WithDefaults()
	if c.Partitions <= 0 {
		c.Partitions = DefaultPartitions
	}
	if c.Replication <= 0 {
		c.Replication = DefaultReplication
	}
	if c.EnrichGroup == "" {
		c.EnrichGroup = DefaultEnrichGroup
	}
	if c.IndexGroup == "" {
		c.IndexGroup = DefaultIndexGroup
	}
	if c.AlertGroup == "" {
		c.AlertGroup = DefaultAlertGroup
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	return c
}

// Validate reports every problem with the configuration (after defaults)
// at once. It changes nothing.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs []error
	for _, r := range c.Roles {
		switch r {
		case RoleEnrich, RoleIndex, RoleAlert, RoleServe:
		default:
			errs = append(errs, fmt.Errorf("unknown role %q", r))
		}
	}
	if slices.Contains(c.Roles, RoleEnrich) && c.Tagger == nil {
		errs = append(errs, errors.New("the enrich role needs a tagger"))
	}
	if c.DigestTakeoverAfter != 0 && c.DigestTakeoverAfter < 2*alert.DefaultFlushEvery {
		errs = append(errs, fmt.Errorf("digest takeover-after %s is under twice the digest flush interval (%s)", c.DigestTakeoverAfter, 2*alert.DefaultFlushEvery))
	}
	return errors.Join(errs...)
}

// App is a running process.
type App struct {
	cfg Config
	log *zap.Logger
	reg *prometheus.Registry

	broker  *broker.Broker
	brokers []string
	store   index.Store
	writer  *consumers.Writer
	pub     *producers.Publisher
	server  *api.Server
	auth    *api.Auth

	// catalog is the entity catalogue of serve and alert processes:
	// entity lookup, rule name resolution, entity-aware search.
	catalog *enrich.Tagger

	alertSvc   *alert.Service
	alertMet   *alert.Metrics
	alertRules *alert.RuleStore
	rulesTail  *consumers.Tailer
	alertsTail *consumers.Tailer
	alertHub   *alert.Hub
	alertHist  *alert.History
	alertState *alert.State
	follower   *alert.StateFollower
	http       *http.Server
	ln         net.Listener

	stagesCtx  context.Context
	stopStages context.CancelFunc
	stages     sync.WaitGroup
	stageErrs  chan error
	bg         sync.WaitGroup
}

// New builds an app; Start starts it.
func New(cfg Config, log *zap.Logger, reg *prometheus.Registry) (*App, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &App{cfg: cfg, log: log, reg: reg, stageErrs: make(chan error, 8)}, nil
}

// Brokers returns the broker addresses in use (the embedded one's when
// started).
func (a *App) Brokers() []string { return a.brokers }

// HTTPAddr returns the address the HTTP server listens on.
func (a *App) HTTPAddr() string {
	if a.ln == nil {
		return ""
	}
	return a.ln.Addr().String()
}

// Start brings every component up and returns once the HTTP server
// listens and the stages run. On error everything started is closed.
func (a *App) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			a.closeAll()
		}
	}()
	if a.cfg.HTTPAddr != "" {
		if err := a.setupAuth(ctx); err != nil {
			return err
		}
	}
	a.brokers = a.cfg.Brokers
	if len(a.brokers) == 0 {
		a.broker, err = broker.Start(broker.Config{
			Addr: a.cfg.EmbeddedBrokerAddr, DataDir: filepath.Join(a.cfg.DataDir, "kafka"), SyncWrites: a.cfg.SyncWrites,
		}, a.log)
		if err != nil {
			return err
		}
		a.brokers = a.broker.Addrs()
	}
	if err := a.ensureTopics(ctx); err != nil {
		return err
	}
	needStore := slices.Contains(a.cfg.Roles, RoleIndex) || slices.Contains(a.cfg.Roles, RoleServe)
	if needStore {
		open := a.cfg.OpenStore
		if open == nil {
			dir := filepath.Join(a.cfg.DataDir, "index")
			open = func(log *zap.Logger) (index.Store, error) { return embedded.Open(dir, log) }
		}
		// Keep the store only on success: an opener may return a typed nil
		// with its error, which must not be closed later.
		st, err := open(a.log)
		if err != nil {
			return fmt.Errorf("open search store: %w", err)
		}
		a.store = st
	}
	a.writer = consumers.NewWriter(a.brokers, a.log)
	a.pub = producers.NewPublisher(a.writer, a.cfg.Topics.Raw, a.reg, a.log)
	metrics := consumers.NewMetrics(a.reg)

	a.stagesCtx, a.stopStages = context.WithCancel(context.WithoutCancel(ctx))
	if slices.Contains(a.cfg.Roles, RoleEnrich) {
		// Near copies of one report share a story id. The clusterer's
		// memory is per process; an article with no match takes an id
		// computed from its text alone, so replicas agree on exact copies
		// without shared state (see package story).
		stories, err := story.New(story.Config{})
		if err != nil {
			return err
		}
		if err := a.startStage(consumers.Config{
			Brokers: a.brokers, Group: a.cfg.EnrichGroup, Topic: a.cfg.Topics.Raw, DLQTopic: a.cfg.Topics.DLQ,
			Stage: "enrich", FlushInterval: a.cfg.FlushInterval, ShutdownTimeout: a.cfg.ShutdownTimeout,
		}, consumers.NewEnricher(a.cfg.Tagger, a.cfg.Topics.Enriched, a.cfg.Limits).WithStories(stories), metrics); err != nil {
			return err
		}
	}
	if slices.Contains(a.cfg.Roles, RoleIndex) {
		if err := a.startStage(consumers.Config{
			Brokers: a.brokers, Group: a.cfg.IndexGroup, Topic: a.cfg.Topics.Enriched, DLQTopic: a.cfg.Topics.DLQ,
			Stage: "index", FlushInterval: a.cfg.FlushInterval, ShutdownTimeout: a.cfg.ShutdownTimeout,
			// Index writes are versioned, so batches may overlap.
			MaxBatch: IndexMaxBatch, MaxBatchBytes: IndexMaxBatchBytes, MaxInFlight: IndexMaxInFlight,
		}, consumers.NewIndexer(a.store, a.cfg.Limits), metrics); err != nil {
			return err
		}
	}

	if slices.Contains(a.cfg.Roles, RoleAlert) || slices.Contains(a.cfg.Roles, RoleServe) {
		if slices.Contains(a.cfg.Roles, RoleServe) || a.cfg.RulesFile != "" {
			if err := a.loadCatalog(); err != nil {
				return err
			}
		}
		if err := a.startRules(); err != nil {
			return err
		}
	}
	if slices.Contains(a.cfg.Roles, RoleAlert) {
		if err := a.startAlerts(metrics); err != nil {
			return err
		}
	}

	if a.cfg.HTTPAddr != "" {
		if err := a.startHTTP(); err != nil {
			return err
		}
	}
	if a.cfg.Samples != "" {
		a.bg.Go(func() { a.publishSamples(a.stagesCtx) })
	}
	if r, ok := a.store.(retainer); ok && a.cfg.Retention > 0 && slices.Contains(a.cfg.Roles, RoleIndex) {
		a.bg.Go(func() { a.retain(a.stagesCtx, r) })
	}
	a.log.Info("newswire started", zap.Strings("roles", a.cfg.Roles), zap.Strings("brokers", a.brokers), zap.String("http", a.HTTPAddr()))
	return nil
}

func (a *App) ensureTopics(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	spec := a.cfg.Topics.Spec(consumers.TopicSpec{Partitions: a.cfg.Partitions, ReplicationFactor: a.cfg.Replication})
	var lastErr error
	for attempt := 1; ; attempt++ {
		reps, err := consumers.EnsureTopics(ctx, a.brokers, a.cfg.Topics.All(), spec)
		if err == nil {
			for _, r := range reps {
				if r.Mismatch != "" {
					a.log.Warn("topic differs from configuration", zap.String("topic", r.Topic), zap.String("mismatch", r.Mismatch))
				}
			}
			return consumers.WaitTopics(ctx, a.brokers, a.cfg.Topics.All())
		}
		lastErr = err
		a.log.Warn("brokers not ready, retrying", zap.Strings("brokers", a.brokers), zap.Error(err), zap.Int("attempt", attempt))
		if !(consumers.Backoff{Min: 200 * time.Millisecond, Max: 3 * time.Second}).Sleep(ctx, attempt) {
			return fmt.Errorf("ensure topics on %v: %w", a.brokers, lastErr)
		}
	}
}

// startStage runs a stage's consumer loop; after, when set, runs once the
// loop has stopped (a stage's own clean-up).
func (a *App) startStage(cfg consumers.Config, st consumers.Stage, m *consumers.Metrics, after ...func()) error {
	r, err := consumers.NewRunner(cfg, st, a.writer, m, a.log)
	if err != nil {
		return err
	}
	a.stages.Go(func() {
		if err := r.Run(a.stagesCtx); err != nil {
			a.stageErrs <- fmt.Errorf("stage %s: %w", cfg.Stage, err)
		}
		for _, f := range after {
			f()
		}
	})
	a.bg.Go(func() { consumers.WatchLag(a.stagesCtx, a.brokers, cfg.Group, cfg.Topic, 10*time.Second, m) })
	return nil
}

// loadCatalog takes the enrich role's tagger as the entity catalogue, or
// builds one (about 0.1 s and 7 MB): serve looks entities up and resolves
// the names in rules, alert resolves those of the rule file.
func (a *App) loadCatalog() error {
	if t, ok := a.cfg.Tagger.(*enrich.Tagger); ok && t != nil {
		a.catalog = t
		return nil
	}
	t, err := enrich.New(enrich.Options{})
	if err != nil {
		return fmt.Errorf("load entity catalogue: %w", err)
	}
	a.catalog = t
	return nil
}

// entityResolver is the catalogue as rules use it; nil when this process
// has none (an alert process without a rule file).
func (a *App) entityResolver() alert.EntityResolver {
	if a.catalog == nil {
		return nil
	}
	return a.catalog
}

// startRules follows the rules topic (every alert and serve process holds
// every rule) and builds the rule service; serve hosts its API.
func (a *App) startRules() error {
	met := alert.NewMetrics(a.reg)
	a.alertMet = met
	store, err := alert.OpenRuleStore(alert.StoreConfig{
		Log: alert.TopicLog{W: a.writer, Topic: a.cfg.Topics.Rules}, FilePath: a.cfg.RulesFile, AllowPrivate: a.cfg.AlertsAllowPrivate,
		Entities: a.entityResolver(),
	}, a.log)
	if err != nil {
		return fmt.Errorf("open alert rules: %w", err)
	}
	a.alertRules = store
	if a.rulesTail, err = consumers.NewTailer(consumers.TailConfig{Brokers: a.brokers, Topic: a.cfg.Topics.Rules}, a.log); err != nil {
		return err
	}
	a.bg.Go(func() {
		if err := store.Follow(a.stagesCtx, a.rulesTail); err != nil {
			a.stageErrs <- fmt.Errorf("follow rules topic: %w", err)
		}
	})
	if slices.Contains(a.cfg.Roles, RoleServe) {
		// The live stream: every serve follows the whole alerts topic, so
		// a client can resume on any of them.
		// The hub also keeps each rule's recent alerts for the history
		// endpoint, from the same records.
		a.alertHist = alert.NewHistory(0, 0)
		a.alertHub = alert.NewHub(alert.HubConfig{History: a.alertHist}, met, a.log)
		if a.alertsTail, err = consumers.NewTailer(consumers.TailConfig{Brokers: a.brokers, Topic: a.cfg.Topics.Alerts}, a.log); err != nil {
			return err
		}
		a.bg.Go(func() {
			if err := a.alertHub.Follow(a.stagesCtx, a.alertsTail); err != nil {
				a.stageErrs <- fmt.Errorf("follow alerts topic: %w", err)
			}
		})
	}
	if a.alertSvc, err = alert.NewService(alert.ServiceConfig{
		Store: store, Hub: a.alertHub, AllowPrivate: a.cfg.AlertsAllowPrivate, Metrics: met, Entities: a.entityResolver(), History: a.alertHist,
		Articles: a.serveStore(),
	}, a.log); err != nil {
		return err
	}
	a.bg.Go(func() { a.alertSvc.Watch(a.stagesCtx) })
	if slices.Contains(a.cfg.Roles, RoleServe) {
		a.bg.Go(func() { a.importRuleFile(a.stagesCtx) })
	}
	return nil
}

// serveStore is the search store backtests read, on serve processes.
func (a *App) serveStore() alert.ArticleSearcher {
	if a.store == nil || !slices.Contains(a.cfg.Roles, RoleServe) {
		return nil
	}
	return a.store
}

// importRuleFile moves the rules an earlier version kept in
// <data-dir>/alerts/rules.json into the rules topic, once.
func (a *App) importRuleFile(ctx context.Context) {
	path := filepath.Join(a.cfg.DataDir, "alerts", "rules.json")
	if _, err := os.Stat(path); err != nil {
		return
	}
	select {
	case <-a.rulesTail.CaughtUp():
	case <-ctx.Done():
		return
	}
	n, err := a.alertRules.Import(ctx, path)
	if err != nil {
		a.log.Error("import rules file into the rules topic", zap.String("path", path), zap.Error(err))
		return
	}
	if err := os.Rename(path, path+".imported"); err != nil {
		a.log.Warn("rename imported rules file", zap.String("path", path), zap.Error(err))
	}
	a.log.Info("rules file imported into the rules topic", zap.String("path", path), zap.Int("rules", n))
}

func (a *App) startAlerts(m *consumers.Metrics) error {
	dir := filepath.Join(a.cfg.DataDir, "alerts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create alert state dir: %w", err)
	}
	met := a.alertMet
	var err error
	if a.follower, err = alert.NewStateFollower(a.brokers, a.cfg.Topics.AlertState, a.log); err != nil {
		return err
	}
	a.bg.Go(func() {
		if err := a.follower.Run(a.stagesCtx); err != nil {
			a.stageErrs <- fmt.Errorf("follow alert state topic: %w", err)
		}
	})
	// The delivery stage's local cache of the channels each delivery
	// reached; losing it can repeat a delivery, never lose one. Throttle
	// windows and pending digests live in the alert-state topic.
	if a.alertState, err = alert.OpenState(filepath.Join(dir, "state.db")); err != nil {
		return fmt.Errorf("open alert state: %w", err)
	}
	alerter, err := alert.NewAlerterStage(a.alertSvc, a.follower.Once, alert.AlerterConfig{
		Topic: a.cfg.Topics.Alerts, StateTopic: a.cfg.Topics.AlertState, Limits: a.cfg.Limits,
		Barrier: a.follower.Barrier,
	}, met, a.log)
	if err != nil {
		return err
	}
	if err := a.startStage(consumers.Config{
		Brokers: a.brokers, Group: a.cfg.AlertGroup, Topic: a.cfg.Topics.Enriched, DLQTopic: a.cfg.Topics.DLQ,
		Stage: "alert", FlushInterval: a.cfg.FlushInterval, ShutdownTimeout: a.cfg.ShutdownTimeout,
	}, alerter, m); err != nil {
		return err
	}
	dcfg := alert.DeliveryConfig{AllowPrivate: a.cfg.AlertsAllowPrivate, DeadLetters: a.writer, DLQTopic: a.cfg.Topics.DLQ,
		Throttles: a.follower.Once.Throttles, StateTopic: a.cfg.Topics.AlertState, StateWriter: a.writer, Ready: a.alertsReady(),
		TakeoverAfter: a.cfg.DigestTakeoverAfter}
	if a.cfg.Email.Addr != "" {
		email := a.cfg.Email
		dcfg.Email = &email
	}
	deliver, err := alert.NewDeliveryStage(a.alertSvc, a.alertState, nil, dcfg, met, a.log)
	if err != nil {
		return err
	}
	// Deliveries committed by any process are marked in the alert-state
	// topic, so a partition's next owner does not repeat them.
	onceDeliver, err := alert.NewOnceDelivery(deliver, a.follower.Once, a.cfg.Topics.AlertState, a.follower.Barrier, a.log)
	if err != nil {
		return err
	}
	// Several batches in flight, so that a slow target never holds the
	// others' alerts; Close lets the last deliveries finish at shutdown.
	if err := a.startStage(consumers.Config{
		Brokers: a.brokers, Group: a.cfg.AlertGroup + "-deliver", Topic: a.cfg.Topics.Alerts, DLQTopic: a.cfg.Topics.DLQ,
		Stage: "alert-deliver", FlushInterval: a.cfg.FlushInterval, ShutdownTimeout: a.cfg.ShutdownTimeout,
		MaxInFlight: alert.DeliveryMaxInFlight,
	}, onceDeliver, m, deliver.Close); err != nil {
		return err
	}
	a.bg.Go(func() {
		if err := deliver.Run(a.stagesCtx); err != nil {
			a.log.Warn("digest sender stopped", zap.Error(err))
		}
	})
	return nil
}

// alertsReady is closed once the rules topic and the alert-state topic
// written before start are read: the delivery stage then knows every rule
// and every throttle, and takes no rule for deleted.
func (a *App) alertsReady() <-chan struct{} {
	ready := make(chan struct{})
	a.bg.Go(func() {
		for _, c := range []<-chan struct{}{a.rulesTail.CaughtUp(), a.follower.CaughtUp()} {
			select {
			case <-c:
			case <-a.stagesCtx.Done():
				return
			}
		}
		close(ready)
	})
	return ready
}

// Reload re-reads the alert rule file (SIGHUP). A broken file leaves the
// previous rules in force and is reported.
func (a *App) Reload() error {
	if a.alertSvc == nil {
		return nil
	}
	return a.alertSvc.Reload()
}

// setupAuth builds the token checker and refuses, before anything
// starts, an open HTTP API on a non-loopback address.
func (a *App) setupAuth(ctx context.Context) error {
	tokens := slices.Clone(a.cfg.Tokens)
	if a.cfg.IngestToken != "" {
		tokens = append(tokens, api.NewToken("ingest-token", a.cfg.IngestToken, scope.Ingest))
	}
	auth, err := api.NewAuth(tokens, a.log)
	if err != nil {
		return fmt.Errorf("configure http tokens: %w", err)
	}
	if err := api.CheckExposure(ctx, a.cfg.HTTPAddr, auth, a.cfg.InsecureNoAuth); err != nil {
		return fmt.Errorf("%w: configure tokens with --tokens-file or NEWSWIRE_TOKENS (newswire token new makes one), "+
			"listen on 127.0.0.1, or pass --insecure-no-auth to serve it open on purpose", err)
	}
	switch {
	case !auth.Open():
		a.log.Info("http authentication on", zap.Strings("tokens", auth.Names()))
	case a.cfg.InsecureNoAuth:
		a.log.Warn("http api open to anyone: no tokens configured and --insecure-no-auth set", zap.String("addr", a.cfg.HTTPAddr))
	default:
		a.log.Warn("http api open without tokens on loopback; configure --tokens-file or NEWSWIRE_TOKENS before exposing it", zap.String("addr", a.cfg.HTTPAddr))
	}
	if a.cfg.IngestToken != "" {
		a.log.Warn("--ingest-token is deprecated: it is the token \"ingest-token\" with the ingest scope, and now every route needs a token; move it to --tokens-file")
	}
	a.auth = auth
	return nil
}

func (a *App) startHTTP() error {
	checks := []api.Check{{Name: "kafka", Fn: func(ctx context.Context) error {
		return consumers.WaitTopics(ctx, a.brokers, []string{a.cfg.Topics.Raw})
	}}}
	if a.store != nil {
		checks = append(checks, api.Check{Name: "index", Fn: a.store.Ping})
	}
	if a.rulesTail != nil {
		checks = append(checks, api.Check{Name: "rules", Fn: caughtUp("rules topic", a.rulesTail.CaughtUp())})
	}
	if a.follower != nil {
		checks = append(checks, api.Check{Name: "alert-state", Fn: caughtUp("alert state topic", a.follower.CaughtUp())})
	}
	if a.alertsTail != nil {
		checks = append(checks, api.Check{Name: "alert-stream", Fn: caughtUp("alerts topic", a.alertsTail.CaughtUp())})
	}
	cfg := api.Config{Checks: checks, Gatherer: a.reg, Registerer: a.reg, Auth: a.auth}
	if slices.Contains(a.cfg.Roles, RoleServe) {
		cfg.Searcher = a.store
		if qr, ok := a.cfg.Tagger.(api.QueryReader); ok {
			cfg.Queries = qr // entity-aware search: "DPRK Russia treaty"
		} else if a.catalog != nil {
			cfg.Queries = a.catalog
		}
		if a.catalog != nil {
			cfg.Entities = a.catalog
		}
		cfg.Ingest = producers.NewIngest(producers.IngestConfig{
			MaxBodyBytes: a.cfg.MaxBodyBytes, MaxItems: a.cfg.MaxIngestItems, Limits: a.cfg.Limits,
		}, a.pub, a.log)
		cfg.Extra = a.alertSvc.Routes()
		ing, err := producers.NewURLIngester(producers.URLConfig{Limits: a.cfg.Limits}, a.pub, a.log, a.reg)
		if err != nil {
			return fmt.Errorf("ingest by URL: %w", err)
		}
		cfg.Fetch = producers.NewFetchHandler(ing, a.log)
	} else {
		cfg.NoPage = true // stage processes answer health, readiness and metrics only
	}
	a.server = api.New(cfg, a.log)
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.HTTPAddr, err)
	}
	a.ln = ln
	// Timeouts keep a slow or stalled client from holding a connection
	// (and shutdown) for ever. The write timeout is the whole response's;
	// the live stream extends it per event.
	a.http = &http.Server{Handler: a.server.Handler(),
		ReadHeaderTimeout: HTTPReadHeaderTimeout, ReadTimeout: HTTPReadTimeout,
		WriteTimeout: HTTPWriteTimeout, IdleTimeout: HTTPIdleTimeout}
	a.bg.Go(func() {
		if err := a.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.stageErrs <- fmt.Errorf("http server: %w", err)
		}
	})
	return nil
}

// retainer is the embedded store's retention.
type retainer interface {
	DeleteOlderThan(ctx context.Context, cutoff time.Time) (int, error)
}

// retain applies Retention at start and then every hour.
func (a *App) retain(ctx context.Context, r retainer) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := r.DeleteOlderThan(ctx, time.Now().Add(-a.cfg.Retention))
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Warn("retention of the embedded index failed; next try in an hour", zap.Error(err))
		case n > 0:
			a.log.Info("retention deleted old articles", zap.Int("articles", n), zap.Duration("retention", a.cfg.Retention))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// caughtUp is a readiness check that passes once done is closed.
func caughtUp(what string, done <-chan struct{}) func(context.Context) error {
	return func(context.Context) error {
		select {
		case <-done:
			return nil
		default:
			return fmt.Errorf("%s not read to its end yet", what)
		}
	}
}

func (a *App) publishSamples(ctx context.Context) {
	f, err := os.Open(a.cfg.Samples)
	if err != nil {
		a.log.Error("open samples", zap.Error(err))
		return
	}
	defer f.Close()
	st, err := producers.ProduceLines(ctx, f, a.pub, producers.FileOptions{
		Limits: a.cfg.Limits,
		OnInvalid: func(le producers.LineError) {
			a.log.Warn("invalid sample", zap.Int("line", le.Line), zap.Error(le.Err))
		},
	})
	if err != nil {
		a.log.Error("publish samples", zap.Error(err))
		return
	}
	a.log.Info("samples published", zap.String("file", a.cfg.Samples), zap.Int("articles", st.Published), zap.Int("invalid", st.Invalid))
}

// Errors delivers fatal errors of running components.
func (a *App) Errors() <-chan error { return a.stageErrs }

// Shutdown stops everything in order under ctx's deadline: not ready
// (/readyz 503), the drain delay (load balancers notice), stop accepting
// and finish requests within HTTPShutdownTimeout (then close what is
// left: a slow client never eats the stages' deadline), then the stages
// finish their in-flight work and commit.
func (a *App) Shutdown(ctx context.Context) error {
	var errs []error
	if a.server != nil {
		a.server.Drain()
		if a.cfg.DrainDelay > 0 {
			select {
			case <-time.After(a.cfg.DrainDelay):
			case <-ctx.Done():
			}
		}
	}
	if a.alertHub != nil {
		// Open event streams never go idle by themselves.
		a.alertHub.Close()
	}
	if a.http != nil {
		hctx, cancel := context.WithTimeout(ctx, HTTPShutdownTimeout)
		if err := a.http.Shutdown(hctx); err != nil {
			a.log.Warn("requests still open at shutdown were cut off", zap.Error(err))
			if err := a.http.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close http: %w", err))
			}
		}
		cancel()
	}
	if a.stopStages != nil {
		a.stopStages()
	}
	done := make(chan struct{})
	go func() { a.stages.Wait(); a.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("stages did not stop in time: %w", ctx.Err()))
	}
	errs = append(errs, a.closeAll())
	for {
		select {
		case err := <-a.stageErrs:
			errs = append(errs, err)
			continue
		default:
		}
		break
	}
	a.log.Info("newswire stopped")
	return errors.Join(errs...)
}

func (a *App) closeAll() error {
	var errs []error
	if a.stopStages != nil {
		a.stopStages()
	}
	if a.writer != nil {
		if err := a.writer.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close kafka writer: %w", err))
		}
		a.writer = nil
	}
	if a.alertState != nil {
		if err := a.alertState.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close alert state: %w", err))
		}
		a.alertState = nil
	}
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
		a.store = nil
	}
	if a.broker != nil {
		a.broker.Close()
		a.broker = nil
	}
	return errors.Join(errs...)
}

// Run starts the app, waits for ctx to end (or a component to fail), and
// shuts down within ShutdownTimeout.
func Run(ctx context.Context, cfg Config, log *zap.Logger, reg *prometheus.Registry) error {
	a, err := New(cfg, log, reg)
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var runErr error
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case <-hup:
			if err := a.Reload(); err != nil {
				log.Error("alert rules not reloaded; previous rules stay in force", zap.Error(err))
			} else {
				log.Info("alert rules reloaded")
			}
		case runErr = <-a.Errors():
			log.Error("component failed, shutting down", zap.Error(runErr))
			break wait
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout+5*time.Second)
	defer cancel()
	return errors.Join(runErr, a.Shutdown(sctx))
}
