// Command newswire is the news ingestion stream processor: one binary whose
// subcommands run the whole pipeline in one process (run), one stage each
// (enrich, index, serve), produce articles (produce), tag offline (tag),
// and operate the topics (topics ensure, lag).
//
// This file is wiring only: flags and environment into configs, a logger,
// a metrics registry, signal handling. The work lives in the packages.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/newswire/newswire/alert"
	"github.com/newswire/newswire/api"
	"github.com/newswire/newswire/app"
	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/enrich"
	"github.com/newswire/newswire/producers"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

const usage = `newswire — news ingestion stream processor

Usage:
  newswire run        [flags]   whole pipeline in one process (embedded Kafka and index by default)
  newswire enrich     [flags]   enricher stage (news.raw → news.enriched)
  newswire index      [flags]   indexer stage (news.enriched → search store)
  newswire serve      [flags]   search API, ingest endpoint and search page
  newswire alert      [flags]   alerter and alert delivery (news.enriched → news.alerts → channels), rules API, live stream
  newswire produce    [flags]   publish articles from JSON lines or ninjs (--file, - for stdin), RSS/Atom feeds (--feed) or article pages (--url)
  newswire tag                  tag JSON-lines articles from stdin to stdout, no Kafka, no store
  newswire topics ensure [flags] create the topics, report mismatches
  newswire lag        [flags]   per-partition lag of a consumer group
  newswire dlq replay|list|show  re-drive dead letters into their source topics, or inspect them
  newswire audit      [flags]   check that every article on news.raw is searchable or dead-lettered
  newswire token new|hash [flags] make an API token and its tokens-file entry, or hash one from stdin
  newswire index rollover [flags] new write generation on age/docs/size, delete generations past --retention
  newswire reenrich   [flags]   re-tag every stored article with this build's tagger into a new index lineage, then swap the read alias
  newswire version

Every flag can also be set by an environment variable: --data-dir is
NEWSWIRE_DATA_DIR, --brokers is NEWSWIRE_BROKERS, and so on.
Run "newswire help <command>" (or "newswire <command> -h") for the flags
of a command and an example.
`

// buildInfo is newswire_build_info{version, goversion} = 1.
func buildInfo() prometheus.Collector {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "newswire", Name: "build_info",
		Help: "Always 1; the labels name the build."}, []string{"version", "goversion"})
	g.WithLabelValues(version, runtime.Version()).Set(1)
	return g
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// adminTimeout bounds the broker calls of topics ensure and lag.
const adminTimeout = 30 * time.Second

// Synopses of the commands with a sub-command.
const (
	ensureSynopsis = "newswire topics ensure [flags]"
)

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "help" && len(args) > 1 {
		// newswire help <command>: the command's own -h, on stdout.
		return run(append(slices.Clone(args[1:]), "-h"), stdin, stdout, stdout)
	}
	if len(args) == 0 || isHelp(args[0]) {
		switch {
		case len(args) == 0:
			fmt.Fprint(stderr, usage)
			return 2
		case args[0] == "help":
			fmt.Fprint(stdout, usage)
		default:
			fmt.Fprint(stderr, usage)
		}
		return 0
	}
	cmd, rest := args[0], args[1:]
	if cmd == "index" && len(rest) > 0 && rest[0] == "rollover" {
		cmd, rest = "index rollover", rest[1:]
	}
	if cmd == "topics" {
		if len(rest) == 0 || rest[0] != "ensure" {
			fmt.Fprintln(stderr, "usage:", ensureSynopsis)
			if len(rest) > 0 && isHelp(rest[0]) {
				return 0
			}
			return 2
		}
		cmd, rest = "topics ensure", rest[1:]
	}
	var err error
	switch cmd {
	case "run":
		err = cmdStage(rest, stderr, app.AllRoles, "run")
	case "enrich":
		err = cmdStage(rest, stderr, []string{app.RoleEnrich}, "enrich")
	case "index":
		err = cmdStage(rest, stderr, []string{app.RoleIndex}, "index")
	case "serve":
		err = cmdStage(rest, stderr, []string{app.RoleServe}, "serve")
	case "alert":
		err = cmdStage(rest, stderr, []string{app.RoleAlert}, "alert")
	case "produce":
		err = cmdProduce(rest, stdin, stderr)
	case "tag":
		return cmdTag(rest, stdin, stdout, stderr)
	case "topics ensure":
		err = cmdTopicsEnsure(rest, stdout, stderr)
	case "reenrich":
		err = cmdReenrich(rest, stdout, stderr)
	case "index rollover":
		err = cmdRollover(rest, stdout, stderr)
	case "lag":
		err = cmdLag(rest, stdout, stderr)
	case "dlq":
		err = cmdDLQ(rest, stdout, stderr)
	case "audit":
		err = cmdAudit(rest, stdout, stderr)
	case "token":
		err = cmdToken(rest, stdin, stdout, stderr)
	case "version":
		err = cmdVersion(rest, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "newswire: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "newswire:", err)
		return 1
	}
	return 0
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

func cmdVersion(args []string, stdout, stderr io.Writer) error {
	cmd := newCommand("newswire version", "newswire version", "Prints the version of this binary.", nil, stderr)
	if err := cmd.parse(args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "newswire", version)
	return nil
}

// common flags ------------------------------------------------------------

type common struct {
	brokers   string
	logFormat string
	logLevel  string
}

// registerBrokers adds --brokers; usage says what an empty list means.
func (c *common) registerBrokers(fs *flag.FlagSet, usage string) {
	fs.StringVar(&c.brokers, "brokers", "", usage)
}

func (c *common) registerLog(fs *flag.FlagSet) { c.registerLogAt(fs, "info") }

// registerLogAt adds the log flags with level as the default level: the
// operator tools that print a report default to "warn".
func (c *common) registerLogAt(fs *flag.FlagSet, level string) {
	fs.StringVar(&c.logFormat, "log-format", "console", "log format: console or json")
	fs.StringVar(&c.logLevel, "log-level", level, "log level: debug, info, warn, error")
}

// Usages of --brokers.
const (
	brokersEmbedded = "Kafka bootstrap brokers host:port,… (empty: start the embedded broker)"
	brokersRequired = "Kafka bootstrap brokers host:port,… (required)"
)

func (c *common) brokerList() []string { return splitList(c.brokers) }

func (c *common) needBrokers() error {
	if len(c.brokerList()) == 0 {
		return errors.New("--brokers (NEWSWIRE_BROKERS) required")
	}
	return nil
}

// writer builds the logger and a Kafka writer for commands that produce.
// The caller closes the writer.
func (c *common) writer() (*zap.Logger, *consumers.Writer, error) {
	log, err := newLogger(c.logFormat, c.logLevel)
	if err != nil {
		return nil, nil, err
	}
	return log, consumers.NewWriter(c.brokerList(), log), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parse applies NEWSWIRE_* environment variables, then the command line.
func parse(fs *flag.FlagSet, args []string) error {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		if v, ok := os.LookupEnv(name); ok {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("environment %s=%q: %w", name, v, err)
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	return fs.Parse(args)
}

func newLogger(format, level string) (*zap.Logger, error) {
	var lvl zapcore.Level
	if err := lvl.Set(level); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	var cfg zap.Config
	switch format {
	case "json":
		cfg = zap.NewProductionConfig()
	case "console":
		cfg = zap.NewDevelopmentConfig()
		cfg.Development = false
		cfg.DisableStacktrace = true
		cfg.EncoderConfig.EncodeLevel = zapcore.CapitalLevelEncoder
	default:
		return nil, fmt.Errorf("--log-format must be console or json, got %q", format)
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	return cfg.Build()
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// run / enrich / index / serve ------------------------------------------------

// Help of the stage commands.
var stageHelp = map[string]struct {
	summary  string
	examples []string
}{
	"run": {
		"The whole pipeline in one process: enricher, indexer, alerter and delivery,\n" +
			"search API, ingest endpoint and page. With no --brokers it starts the\n" +
			"embedded Kafka broker; with no --es-url it uses the embedded index.",
		[]string{
			"newswire run --samples samples/articles.jsonl",
			"newswire run --brokers kafka-1:9092,kafka-2:9092 --es-url https://es.example:9200",
		},
	},
	"enrich": {
		"Enricher stage: reads raw articles, tags countries, leaders, treaties and\n" +
			"alert keywords, writes enriched articles. Start more processes with the\n" +
			"same --group to scale, up to the partition count.",
		[]string{"newswire enrich --brokers kafka-1:9092,kafka-2:9092"},
	},
	"index": {
		"Indexer stage: reads enriched articles and writes them to the search store\n" +
			"(Elasticsearch with --es-url, else the embedded index under --data-dir).",
		[]string{
			"newswire index --brokers kafka-1:9092 --es-url https://es.example:9200 --es-api-key \"$ES_API_KEY\"",
			"newswire index --setup --es-url https://es.example:9200   # template, index and aliases only",
		},
	},
	"serve": {
		"Search API, ingest endpoint (POST /api/v1/articles) and search page.",
		[]string{"newswire serve --brokers kafka-1:9092 --es-url https://es.example:9200 --http :8080 --ingest-token \"$TOKEN\""},
	},
	"alert": {
		"Alerter and alert delivery: matches enriched articles against the standing\n" +
			"rules, writes alerts and delivers them to their channels; rules API and\n" +
			"live stream.",
		[]string{"newswire alert --brokers kafka-1:9092 --rules rules.yaml --http :8081"},
	},
}

// groupUsage documents --group for a stage command.
func groupUsage(roles []string) string {
	switch {
	case len(roles) > 1:
		return fmt.Sprintf("consumer group id of every stage (default %s, %s, %s by stage)", app.DefaultEnrichGroup, app.DefaultIndexGroup, app.DefaultAlertGroup)
	case roles[0] == app.RoleEnrich:
		return "consumer group id (default " + app.DefaultEnrichGroup + ")"
	case roles[0] == app.RoleIndex:
		return "consumer group id (default " + app.DefaultIndexGroup + ")"
	default:
		return "consumer group id (default " + app.DefaultAlertGroup + "; delivery uses <group>-deliver)"
	}
}

// cmdStage runs the process roles of run, enrich, index, serve or alert.
// Each registers only the flags its roles use.
func cmdStage(args []string, stderr io.Writer, roles []string, name string) error {
	has := func(r string) bool { return slices.Contains(roles, r) }
	all := name == "run"
	consumes := has(app.RoleEnrich) || has(app.RoleIndex) || has(app.RoleAlert)
	store := has(app.RoleIndex) || has(app.RoleServe)
	h := stageHelp[name]
	cmd := newCommand("newswire "+name, "newswire "+name+" [flags]", h.summary, h.examples, stderr)
	fs := cmd.fs
	var c common
	var cfg app.Config
	var esFlags esFlags
	var group string
	setupOnly := false

	cmd.group("Kafka")
	if all {
		c.registerBrokers(fs, brokersEmbedded)
		fs.StringVar(&cfg.EmbeddedBrokerAddr, "embedded-broker", app.DefaultEmbeddedBrokerAddr, "listen address of the embedded broker (used when --brokers is empty)")
		fs.BoolVar(&cfg.SyncWrites, "sync-writes", false, "embedded broker: fsync every produced batch")
	} else {
		c.registerBrokers(fs, brokersRequired)
	}
	fs.StringVar(&cfg.Topics.Raw, "topic-raw", consumers.DefaultTopics.Raw, "topic of raw articles")
	fs.StringVar(&cfg.Topics.Enriched, "topic-enriched", consumers.DefaultTopics.Enriched, "topic of enriched articles")
	fs.StringVar(&cfg.Topics.Alerts, "topic-alerts", consumers.DefaultTopics.Alerts, "topic of alerts")
	fs.StringVar(&cfg.Topics.DLQ, "topic-dlq", consumers.DefaultTopics.DLQ, "dead-letter topic")
	fs.StringVar(&cfg.Topics.Rules, "topic-rules", consumers.DefaultTopics.Rules, "compacted topic of alert rules")
	fs.StringVar(&cfg.Topics.AlertState, "topic-alert-state", consumers.DefaultTopics.AlertState, "compacted changelog of the alerter's once-only state")
	fs.IntVar(&cfg.Partitions, "partitions", app.DefaultPartitions, "partitions of topics this process creates")
	fs.IntVar(&cfg.Replication, "replication", app.DefaultReplication, "replication factor of topics this process creates")
	if consumes {
		fs.StringVar(&group, "group", "", groupUsage(roles))
	}

	if store {
		cmd.group("Search engine")
		esFlags.register(fs)
		if name == "index" {
			fs.BoolVar(&setupOnly, "setup", false, "create or check the index template, index and aliases, then exit (also done at every start)")
		}
	}

	cmd.group("HTTP")
	fs.StringVar(&cfg.HTTPAddr, "http", app.DefaultHTTPAddr, "HTTP listen address (health, metrics; search API, page, rules API and alert stream with serve)")
	// Authentication (README "Authentication"): tokens from --tokens-file
	// and NEWSWIRE_TOKENS (name:scope+scope:token,…; not a flag, so no
	// token shows in the process list).
	tokensFile := fs.String("tokens-file", "", "YAML or JSON file of API tokens: name, scopes, sha256 of the token (newswire token new prints an entry)")
	fs.BoolVar(&cfg.InsecureNoAuth, "insecure-no-auth", false, "serve the HTTP API without tokens on a non-loopback address (trusted networks only)")
	if has(app.RoleServe) {
		fs.StringVar(&cfg.IngestToken, "ingest-token", "", "deprecated: a token with the ingest scope (see --tokens-file); setting it turns authentication on for every route")
		fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", producers.DefaultIngestMaxBodyBytes, "largest ingest request body")
		fs.IntVar(&cfg.MaxIngestItems, "max-ingest-items", producers.DefaultIngestMaxItems, "most articles one ingest request may carry (more: 413)")
	}

	if has(app.RoleAlert) || has(app.RoleServe) {
		cmd.group("Alerting")
		fs.StringVar(&cfg.RulesFile, "rules", "", "YAML file of standing alert rules (reloaded on change and on SIGHUP)")
		fs.BoolVar(&cfg.AlertsAllowPrivate, "alerts-allow-private", false, "let alert webhooks target loopback and private networks")
	}
	if has(app.RoleAlert) {
		fs.DurationVar(&cfg.DigestTakeoverAfter, "digest-takeover-after", alert.DefaultTakeoverAfter, "send a throttled rule's digest that its holder left unsent this long past due (a lost pod); at least 2s")
		fs.StringVar(&cfg.Email.Addr, "smtp-addr", "", "SMTP server host:port of the email channel (password from "+alert.EnvSMTPPassword+")")
		fs.StringVar(&cfg.Email.From, "smtp-from", "", "sender address of alert emails")
		fs.StringVar(&cfg.Email.Username, "smtp-user", "", "SMTP user for AUTH PLAIN (empty: no authentication)")
		fs.StringVar(&cfg.Email.TLS, "smtp-tls", alert.DefaultEmailTLS, "starttls, tls, or none (loopback servers only)")
	}

	cmd.group("Articles")
	fs.IntVar(&cfg.Limits.MaxBody, "max-article-body", article.DefaultLimits.MaxBody, "largest article body in bytes")
	if all {
		fs.StringVar(&cfg.Samples, "samples", "", "JSON-lines file of articles to publish at start (make run: samples/articles.jsonl)")
		fs.Func("retention", "embedded index: delete articles published longer ago than this (e.g. 30d or 720h), at start and hourly; empty keeps everything", func(v string) error {
			d, err := parseRetention(v)
			cfg.Retention = d
			return err
		})
	}

	cmd.group("Process and logging")
	if all || store || has(app.RoleAlert) {
		fs.StringVar(&cfg.DataDir, "data-dir", app.DefaultDataDir, "directory for the embedded broker's log, the embedded index and the alerter's state")
	}
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", app.DefaultShutdownTimeout, "deadline for finishing in-flight work at shutdown")
	if has(app.RoleServe) {
		fs.DurationVar(&cfg.DrainDelay, "drain-delay", 0, "at shutdown, answer /readyz 503 this long before closing the listener (a few seconds behind a load balancer)")
	}
	c.registerLog(fs)

	// Handle signals from the start: a SIGTERM during start-up must still
	// give an orderly stop.
	ctx, stop := signalContext()
	defer stop()
	if err := cmd.parse(args); err != nil {
		return err
	}
	log, err := newLogger(c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	open, err := esFlags.opener()
	if err != nil {
		return err
	}
	cfg.OpenStore = open
	if setupOnly {
		if open == nil {
			return errors.New("--setup needs --es-url (the embedded index needs no setup)")
		}
		st, err := open(log)
		if err != nil {
			return err
		}
		log.Info("index set up")
		return st.Close()
	}
	if cfg.Tokens, err = api.LoadTokens(*tokensFile, os.Getenv("NEWSWIRE_TOKENS")); err != nil {
		return err
	}
	_ = os.Unsetenv("NEWSWIRE_TOKENS") // hashed now; keep it from child processes
	cfg.Email.Password = os.Getenv(alert.EnvSMTPPassword)
	cfg.Roles = roles
	cfg.Brokers = c.brokerList()
	if name != "run" && len(cfg.Brokers) == 0 {
		return fmt.Errorf("newswire %s runs one stage against a Kafka cluster: --brokers (NEWSWIRE_BROKERS) required; use newswire run for the all-in-one", name)
	}
	if group != "" {
		cfg.EnrichGroup, cfg.IndexGroup, cfg.AlertGroup = group, group, group
	}
	// The enricher tags articles; serve reads the entities of a search
	// query and looks entities up with the same tagger.
	if slices.Contains(roles, app.RoleEnrich) || slices.Contains(roles, app.RoleServe) {
		t, err := enrich.New(enrich.Options{})
		if err != nil {
			return fmt.Errorf("load tagger: %w", err)
		}
		cfg.Tagger = t
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildInfo())
	esFlags.reg = reg
	return app.Run(ctx, cfg, log, reg)
}

// produce -----------------------------------------------------------------------

func cmdProduce(args []string, stdin io.Reader, stderr io.Writer) error {
	cmd := newCommand("newswire produce", "newswire produce --file <path|-> | --feed <url>… [flags]",
		"Publishes articles to the raw topic: JSON lines in our schema or IPTC ninjs\n"+
			"(--file, - for stdin), or items of RSS/Atom feeds polled on an interval\n"+
			"(--feed, --feeds-file). Every article is acknowledged by Kafka before the\n"+
			"command counts it.",
		[]string{
			"newswire produce --brokers kafka-1:9092 --file articles.jsonl",
			"newswire produce --brokers kafka-1:9092 --feed https://news.example/rss --feed https://wire.example/atom.xml --once",
		}, stderr)
	fs := cmd.fs
	var c common
	var fc producers.FeedConfig
	var feeds multiFlag
	cmd.group("Kafka")
	c.registerBrokers(fs, brokersRequired)
	topic := fs.String("topic-raw", consumers.DefaultTopics.Raw, "topic of raw articles")
	cmd.group("Files")
	file := fs.String("file", "", "JSON-lines file of articles, in our schema or IPTC ninjs (- for stdin)")
	strict := fs.Bool("strict", false, "stop at the first invalid line")
	cmd.group("Feeds")
	fs.Var(&feeds, "feed", "RSS or Atom feed URL to poll (repeatable)")
	feedsFile := fs.String("feeds-file", "", "file of feed URLs, one a line (# comments)")
	fs.DurationVar(&fc.Interval, "interval", producers.DefaultFeedInterval, "feed poll interval")
	fs.Float64Var(&fc.Jitter, "jitter", producers.DefaultFeedJitter, "random spread of the poll interval (fraction)")
	fs.StringVar(&fc.StatePath, "state", filepath.Join(app.DefaultDataDir, "feeds-state.json"), "file remembering seen items and ETags across restarts")
	fs.BoolVar(&fc.FetchFull, "fetch-full", false, "fetch each item's page and extract the article text")
	fs.DurationVar(&fc.Timeout, "feed-timeout", producers.DefaultFeedTimeout, "timeout of one feed or page fetch")
	fs.StringVar(&fc.UserAgent, "user-agent", "newswire/"+version, "User-Agent of feed requests")
	once := fs.Bool("once", false, "poll every feed once and exit")
	cmd.group("Ingest by URL")
	var urls multiFlag
	fs.Var(&urls, "url", "article page to fetch, extract and publish (repeatable)")
	urlsFile := fs.String("urls-file", "", "file of article page URLs, one a line (# comments)")
	fs.StringVar(&fc.Crawl.Contact, "contact", "", "URL or e-mail of whoever runs this crawler, sent in the User-Agent of page fetches")
	fs.BoolVar(&fc.Crawl.AllowPrivate, "allow-private", false, "let page fetches reach loopback, private and link-local addresses")
	cmd.group("Logging")
	c.registerLog(fs)
	if err := cmd.parse(args); err != nil {
		return err
	}
	if *feedsFile != "" {
		f, err := os.Open(*feedsFile)
		if err != nil {
			return err
		}
		more, err := producers.ParseFeedList(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("--feeds-file: %w", err)
		}
		feeds = append(feeds, more...)
	}
	if err := readURLList(*urlsFile, &urls); err != nil {
		return err
	}
	if *file == "" && len(feeds) == 0 && len(urls) == 0 {
		return errors.New("--file (- for stdin), --feed/--feeds-file or --url/--urls-file required")
	}
	if err := c.needBrokers(); err != nil {
		return err
	}
	log, w, err := c.writer()
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	reg := prometheus.NewRegistry()
	pub := producers.NewPublisher(w, *topic, reg, log)
	if *file != "" {
		err = produceFile(ctx, *file, stdin, stderr, pub, *strict)
	} else if len(urls) > 0 {
		err = produceURLs(ctx, urls, fc, pub, log, reg, stderr)
	} else {
		fc.URLs = feeds
		err = pollFeeds(ctx, fc, *once, pub, log, reg)
	}
	if cerr := w.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("flush writer: %w", cerr)
	}
	return err
}

type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error {
	*m = append(*m, splitList(v)...)
	return nil
}

func produceFile(ctx context.Context, path string, stdin io.Reader, stderr io.Writer, pub *producers.Publisher, strict bool) error {
	var r io.Reader = stdin
	var size int64
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		r = f
	}
	prog := producers.NewProgress(stderr, size)
	st, err := producers.ProduceLines(ctx, r, pub, producers.FileOptions{
		Strict:     strict,
		OnInvalid:  func(le producers.LineError) { fmt.Fprintf(stderr, "invalid: %v\n", le) },
		OnProgress: prog.Update,
	})
	prog.Done(st)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "done: %d lines, %d published and acknowledged, %d invalid\n", st.Lines, st.Published, st.Invalid)
	return nil
}

func pollFeeds(ctx context.Context, fc producers.FeedConfig, once bool, pub *producers.Publisher, log *zap.Logger, reg prometheus.Registerer) error {
	if err := fc.Validate(); err != nil {
		return err
	}
	if dir := filepath.Dir(fc.StatePath); fc.StatePath != "" && dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create state dir: %w", err)
		}
	}
	client := &http.Client{Timeout: fc.Timeout}
	defer client.CloseIdleConnections()
	p, err := producers.NewFeedPoller(fc, pub, client, log, reg)
	if err != nil {
		return err
	}
	if once {
		n, err := p.PollAll(ctx)
		log.Info("feeds polled", zap.Int("published", n))
		return err
	}
	return p.Run(ctx)
}

// tag -----------------------------------------------------------------------------

func cmdTag(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := newCommand("newswire tag", "newswire tag [flags] < articles.jsonl > enriched.jsonl",
		"Tags articles offline: JSON lines on stdin, enriched articles as JSON lines\n"+
			"on stdout in the same order, no Kafka and no store. A line that is not a\n"+
			"valid article gives {\"line\": n, \"error\": …} and exit code 2.",
		[]string{"newswire tag --keywords summit,sanctions < samples/articles.jsonl > tagged.jsonl"}, stderr)
	cmd.group("Tagging")
	keywords := cmd.fs.String("keywords", "", "extra alert keywords, comma separated")
	if err := cmd.parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	// A zero clock leaves "ingested" unset, so the same input always gives
	// the same output.
	t, err := enrich.New(enrich.Options{ExtraKeywords: splitList(*keywords), Now: func() time.Time { return time.Time{} }})
	if err != nil {
		fmt.Fprintln(stderr, "newswire tag:", err)
		return 1
	}
	bad, err := t.TagLines(stdin, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "newswire tag:", err)
		return 1
	}
	if bad > 0 {
		fmt.Fprintf(stderr, "newswire tag: %d bad lines\n", bad)
		return 2
	}
	return 0
}

// topics ensure / lag ---------------------------------------------------------------

func cmdTopicsEnsure(args []string, stdout, stderr io.Writer) error {
	cmd := newCommand("newswire topics ensure", ensureSynopsis,
		"Creates the topics that are missing and reports those whose partition\n"+
			"count differs from the configuration (exit code 1).",
		[]string{"newswire topics ensure --brokers kafka-1:9092 --partitions 12 --replication 3"}, stderr)
	fs := cmd.fs
	var c common
	var spec consumers.TopicSpec
	topics := consumers.DefaultTopics
	cmd.group("Kafka")
	c.registerBrokers(fs, brokersRequired)
	fs.IntVar(&spec.Partitions, "partitions", app.DefaultPartitions, "partitions per topic")
	fs.IntVar(&spec.ReplicationFactor, "replication", app.DefaultReplication, "replication factor")
	fs.StringVar(&topics.Raw, "topic-raw", topics.Raw, "topic of raw articles")
	fs.StringVar(&topics.Enriched, "topic-enriched", topics.Enriched, "topic of enriched articles")
	fs.StringVar(&topics.Alerts, "topic-alerts", topics.Alerts, "topic of alerts")
	fs.StringVar(&topics.DLQ, "topic-dlq", topics.DLQ, "dead-letter topic")
	fs.StringVar(&topics.Rules, "topic-rules", topics.Rules, "compacted topic of alert rules")
	fs.StringVar(&topics.AlertState, "topic-alert-state", topics.AlertState, "compacted changelog of the alerter's once-only state")
	cmd.group("Logging")
	c.registerLog(fs)
	if err := cmd.parse(args); err != nil {
		return err
	}
	if err := c.needBrokers(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	reps, err := consumers.EnsureTopics(ctx, c.brokerList(), topics.All(), topics.Spec(spec))
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITIONS\tSTATUS")
	mismatch := false
	for _, r := range reps {
		status := "exists"
		if r.Created {
			status = "created"
		}
		if r.Mismatch != "" {
			status, mismatch = "MISMATCH: "+r.Mismatch, true
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\n", r.Topic, r.Partitions, status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if mismatch {
		return errors.New("some topics differ from the configuration")
	}
	return nil
}

func cmdLag(args []string, stdout, stderr io.Writer) error {
	cmd := newCommand("newswire lag", "newswire lag [flags]",
		"Prints the lag of a consumer group per partition (committed offset, end\n"+
			"offset, lag) and in total.",
		[]string{"newswire lag --brokers kafka-1:9092 --group newswire-index --json"}, stderr)
	fs := cmd.fs
	var c common
	cmd.group("Kafka")
	c.registerBrokers(fs, brokersRequired)
	group := fs.String("group", app.DefaultEnrichGroup, "consumer group")
	topic := fs.String("topic", "", fmt.Sprintf("topic (default: the group's input topic: %s for %s, %s otherwise)",
		consumers.DefaultTopics.Raw, app.DefaultEnrichGroup, consumers.DefaultTopics.Enriched))
	cmd.group("Output and logging")
	asJSON := fs.Bool("json", false, "print JSON")
	c.registerLog(fs)
	if err := cmd.parse(args); err != nil {
		return err
	}
	if err := c.needBrokers(); err != nil {
		return err
	}
	if *topic == "" {
		*topic = consumers.DefaultTopics.Enriched
		if *group == app.DefaultEnrichGroup {
			*topic = consumers.DefaultTopics.Raw
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	lags, err := consumers.Lag(ctx, c.brokerList(), *group, *topic)
	if err != nil {
		return err
	}
	total := consumers.SumLag(lags)
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{"group": *group, "topic": *topic, "total_lag": total, "partitions": lags})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tCOMMITTED\tEND\tLAG\tHOST\tMEMBER")
	for _, l := range lags {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\n", l.Topic, l.Partition, l.Committed, l.End, l.Lag, memberColumns(l))
	}
	fmt.Fprintf(tw, "TOTAL\t\t\t\t%d\t\t\n", total)
	return tw.Flush()
}
