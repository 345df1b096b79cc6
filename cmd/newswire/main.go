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
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/newswire/newswire/app"
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
  newswire produce    [flags]   publish articles from JSON lines or ninjs (--file, - for stdin) or RSS/Atom feeds (--feed)
  newswire tag                  tag JSON-lines articles from stdin to stdout, no Kafka, no store
  newswire topics ensure [flags] create the topics, report mismatches
  newswire lag        [flags]   per-partition lag of a consumer group
  newswire index rollover [flags] new write generation on age/docs/size, delete generations past --retention
  newswire reenrich   [flags]   re-tag every stored article with this build's tagger into a new index lineage, then swap the read alias
  newswire dlq replay [flags]   re-drive dead letters into their source topics
  newswire version

Every flag can also be set by an environment variable: --data-dir is
NEWSWIRE_DATA_DIR, --brokers is NEWSWIRE_BROKERS, and so on.
Run "newswire <command> -h" for the flags of a command.
`

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, rest := args[0], args[1:]
	if cmd == "dlq" {
		if len(rest) == 0 || rest[0] != "replay" {
			fmt.Fprintln(stderr, `usage: newswire dlq replay --from <offset|RFC 3339 time> [--stage S] [flags]`)
			return 2
		}
		cmd, rest = "dlq replay", rest[1:]
	}
	if cmd == "index" && len(rest) > 0 && rest[0] == "rollover" {
		cmd, rest = "index rollover", rest[1:]
	}
	if cmd == "topics" {
		if len(rest) == 0 || rest[0] != "ensure" {
			fmt.Fprintln(stderr, `usage: newswire topics ensure [flags]`)
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
	case "dlq replay":
		err = cmdReplay(rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "newswire", version)
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

// common flags ------------------------------------------------------------

type common struct {
	brokers   string
	logFormat string
	logLevel  string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.brokers, "brokers", "", "Kafka bootstrap brokers host:port,… (empty: start the embedded broker)")
	fs.StringVar(&c.logFormat, "log-format", "console", "log format: console or json")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error")
}

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
		name := "NEWSWIRE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
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

func cmdStage(args []string, stderr io.Writer, roles []string, name string) error {
	fs := flag.NewFlagSet("newswire "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	var cfg app.Config
	var esFlags esFlags
	fs.StringVar(&cfg.DataDir, "data-dir", "data", "directory for the embedded broker's log and the embedded index")
	fs.StringVar(&cfg.HTTPAddr, "http", "127.0.0.1:8080", "HTTP listen address (search API, page, health, metrics)")
	fs.StringVar(&cfg.EmbeddedBrokerAddr, "embedded-broker", "127.0.0.1:19092", "listen address of the embedded broker (used when --brokers is empty)")
	fs.BoolVar(&cfg.SyncWrites, "sync-writes", false, "embedded broker: fsync every produced batch")
	fs.StringVar(&cfg.Topics.Raw, "topic-raw", consumers.DefaultTopics.Raw, "topic of raw articles")
	fs.StringVar(&cfg.Topics.Enriched, "topic-enriched", consumers.DefaultTopics.Enriched, "topic of enriched articles")
	fs.StringVar(&cfg.Topics.Alerts, "topic-alerts", consumers.DefaultTopics.Alerts, "topic of alerts")
	fs.StringVar(&cfg.Topics.DLQ, "topic-dlq", consumers.DefaultTopics.DLQ, "dead-letter topic")
	fs.IntVar(&cfg.Partitions, "partitions", 6, "partitions of topics this process creates")
	fs.IntVar(&cfg.Replication, "replication", 1, "replication factor of topics this process creates")
	group := fs.String("group", "", "consumer group id (default newswire-enrich, newswire-index, newswire-alert by stage)")
	fs.StringVar(&cfg.RulesFile, "rules", "", "YAML file of standing alert rules (reloaded on change and on SIGHUP)")
	fs.BoolVar(&cfg.AlertsAllowPrivate, "alerts-allow-private", false, "let alert webhooks target loopback and private networks")
	fs.StringVar(&cfg.Samples, "samples", "", "JSON-lines file of articles to publish at start (make run: samples/articles.jsonl)")
	fs.StringVar(&cfg.IngestToken, "ingest-token", "", "bearer token required by POST /api/v1/articles (empty: no auth)")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", 10<<20, "largest ingest request body")
	fs.IntVar(&cfg.Limits.MaxBody, "max-article-body", 1<<20, "largest article body in bytes")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "deadline for finishing in-flight work at shutdown")
	esFlags.register(fs)
	setupOnly := false
	if name == "index" {
		fs.BoolVar(&setupOnly, "setup", false, "create or check the index template, index and aliases, then exit (also done at every start)")
	}
	// Handle signals from the start: a SIGTERM during start-up must still
	// give an orderly stop.
	ctx, stop := signalContext()
	defer stop()
	if err := parse(fs, args); err != nil {
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
	cfg.Roles = roles
	cfg.Brokers = c.brokerList()
	if name != "run" && len(cfg.Brokers) == 0 {
		return fmt.Errorf("newswire %s runs one stage against a Kafka cluster: --brokers (NEWSWIRE_BROKERS) required; use newswire run for the all-in-one", name)
	}
	if *group != "" {
		cfg.EnrichGroup, cfg.IndexGroup, cfg.AlertGroup = *group, *group, *group
	}
	if slices.Contains(roles, app.RoleEnrich) {
		t, err := enrich.New(enrich.Options{})
		if err != nil {
			return fmt.Errorf("load tagger: %w", err)
		}
		cfg.Tagger = t
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	esFlags.reg = reg
	return app.Run(ctx, cfg, log, reg)
}

// produce -----------------------------------------------------------------------

func cmdProduce(args []string, stdin io.Reader, stderr io.Writer) error {
	fs := flag.NewFlagSet("newswire produce", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	file := fs.String("file", "", "JSON-lines file of articles, in our schema or IPTC ninjs (- for stdin)")
	topic := fs.String("topic-raw", consumers.DefaultTopics.Raw, "topic of raw articles")
	strict := fs.Bool("strict", false, "stop at the first invalid line")
	var feeds multiFlag
	fs.Var(&feeds, "feed", "RSS or Atom feed URL to poll (repeatable)")
	feedsFile := fs.String("feeds-file", "", "file of feed URLs, one a line (# comments)")
	var fc producers.FeedConfig
	fs.DurationVar(&fc.Interval, "interval", 5*time.Minute, "feed poll interval")
	fs.Float64Var(&fc.Jitter, "jitter", 0.2, "random spread of the poll interval (fraction)")
	fs.StringVar(&fc.StatePath, "state", "data/feeds-state.json", "file remembering seen items and ETags across restarts")
	fs.BoolVar(&fc.FetchFull, "fetch-full", false, "fetch each item's page and extract the article text")
	fs.DurationVar(&fc.Timeout, "feed-timeout", 20*time.Second, "timeout of one feed or page fetch")
	fs.StringVar(&fc.UserAgent, "user-agent", "newswire/"+version, "User-Agent of feed requests")
	once := fs.Bool("once", false, "poll every feed once and exit")
	if err := parse(fs, args); err != nil {
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
	if *file == "" && len(feeds) == 0 {
		return errors.New("--file (- for stdin) or --feed/--feeds-file required")
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
	fs := flag.NewFlagSet("newswire tag", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keywords := fs.String("keywords", "", "extra alert keywords, comma separated")
	if err := parse(fs, args); err != nil {
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
	fs := flag.NewFlagSet("newswire topics ensure", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	var spec consumers.TopicSpec
	topics := consumers.DefaultTopics
	fs.IntVar(&spec.Partitions, "partitions", 6, "partitions per topic")
	fs.IntVar(&spec.ReplicationFactor, "replication", 1, "replication factor")
	fs.StringVar(&topics.Raw, "topic-raw", topics.Raw, "topic of raw articles")
	fs.StringVar(&topics.Enriched, "topic-enriched", topics.Enriched, "topic of enriched articles")
	fs.StringVar(&topics.Alerts, "topic-alerts", topics.Alerts, "topic of alerts")
	fs.StringVar(&topics.DLQ, "topic-dlq", topics.DLQ, "dead-letter topic")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.needBrokers(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reps, err := consumers.EnsureTopics(ctx, c.brokerList(), topics.All(), spec)
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
	fs := flag.NewFlagSet("newswire lag", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	group := fs.String("group", "newswire-enrich", "consumer group")
	topic := fs.String("topic", "", "topic (default: the group's input topic: news.raw for newswire-enrich, news.enriched otherwise)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.needBrokers(); err != nil {
		return err
	}
	if *topic == "" {
		*topic = consumers.DefaultTopics.Enriched
		if *group == "newswire-enrich" {
			*topic = consumers.DefaultTopics.Raw
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
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

func cmdReplay(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("newswire dlq replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	from := fs.String("from", "", "where to start in every partition: an offset, or an RFC 3339 time (required)")
	opt := consumers.ReplayOptions{}
	fs.StringVar(&opt.DLQTopic, "topic-dlq", consumers.DefaultTopics.DLQ, "dead-letter topic")
	fs.StringVar(&opt.Stage, "stage", "", "replay only dead letters of this stage (enrich, index, alert)")
	fs.BoolVar(&opt.DryRun, "dry-run", false, "count what would be replayed, write nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.needBrokers(); err != nil {
		return err
	}
	switch {
	case *from == "":
		return errors.New("--from required: an offset (0 for everything) or an RFC 3339 time")
	default:
		if t, err := time.Parse(time.RFC3339Nano, *from); err == nil {
			opt.FromTime = t
		} else if n, err := strconv.ParseInt(*from, 10, 64); err == nil && n >= 0 {
			opt.FromOffset = n
		} else {
			return fmt.Errorf("--from %q: want an offset or an RFC 3339 time", *from)
		}
	}
	log, w, err := c.writer()
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	st, err := consumers.Replay(ctx, c.brokerList(), w, opt, log)
	if cerr := w.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(st)
}
