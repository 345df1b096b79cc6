package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/newswire/newswire/broker"
	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/elastic"
	"github.com/newswire/newswire/index/embedded"
	"go.uber.org/zap"
)

const auditSynopsis = "newswire audit --from <offset|RFC 3339 time> [--to …] [--brokers …] [--es-url …] [--json] [flags]"

// errAuditFailed makes the command exit non-zero after printing its report.
var errAuditFailed = errors.New("audit: some articles are neither searchable nor dead-lettered")

// cmdAudit checks that every article on the raw topic over a range is
// searchable at its newest version, or dead-lettered.
func cmdAudit(args []string, stdout, stderr io.Writer) error {
	cmd := newCommand("newswire audit", auditSynopsis,
		"Reads the article ids and versions on the raw topic over a range, checks each\n"+
			"against the search store and looks the ones not found up in the dead-letter\n"+
			"topic. Prints checked, indexed, stale, missing and dead-lettered; exits 1 when\n"+
			"an article is neither searchable at its newest version nor dead-lettered.\n"+
			"Run it once the pipeline has caught up (lag 0). With no --brokers and no\n"+
			"--es-url it reads the files of a stopped all-in-one under --data-dir.",
		[]string{
			"newswire audit --brokers kafka-1:9092 --es-url https://es:9200 --from 2024-06-19T00:00:00Z",
			"newswire audit --data-dir data --from 0 --json",
		}, stderr)
	fs := cmd.fs
	var c common
	var es esFlags
	cmd.group("Audit")
	dataDir := fs.String("data-dir", "data", "all-in-one data directory: its embedded index is checked when --es-url is empty, and its embedded broker log is read when --brokers is empty (stop newswire run first)")
	from := fs.String("from", "", "where to start in every partition of the raw topic: an offset (0 for everything) or an RFC 3339 time (required)")
	to := fs.String("to", "", "where to stop (exclusive): an offset or an RFC 3339 time (default: the end offsets at start)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	var opt consumers.AuditOptions
	cmd.group("Kafka")
	c.registerBrokers(fs, "Kafka bootstrap brokers host:port,… (empty: read the embedded broker's log under --data-dir)")
	fs.StringVar(&opt.RawTopic, "topic-raw", consumers.DefaultTopics.Raw, "topic of raw articles")
	fs.StringVar(&opt.DLQTopic, "topic-dlq", consumers.DefaultTopics.DLQ, "dead-letter topic")
	cmd.group("Search engine")
	es.register(fs)
	cmd.group("Logging")
	c.registerLog(fs)
	if err := cmd.parse(args); err != nil {
		return err
	}
	var errs []error
	if *from == "" {
		errs = append(errs, errors.New("--from required: an offset (0 for everything) or an RFC 3339 time"))
	} else if p, err := consumers.ParsePosition(*from); err != nil {
		errs = append(errs, fmt.Errorf("--from: %w", err))
	} else {
		opt.From = p
	}
	if *to != "" {
		p, err := consumers.ParsePosition(*to)
		if err != nil {
			errs = append(errs, fmt.Errorf("--to: %w", err))
		}
		opt.To = &p
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log, err := newLogger(c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	ctx, stop := signalContext()
	defer stop()

	embeddedIndex := filepath.Join(*dataDir, "index")
	brokers := c.brokerList()
	if len(brokers) == 0 || len(splitList(es.urls)) == 0 {
		// The all-in-one's files are needed: make sure it is not running.
		if err := checkIndexFree(embeddedIndex); err != nil {
			return err
		}
	}
	if len(brokers) == 0 {
		kdir := filepath.Join(*dataDir, "kafka")
		if _, err := os.Stat(kdir); err != nil {
			return fmt.Errorf("no --brokers and no embedded broker log at %s: %w", kdir, err)
		}
		b, err := broker.Start(broker.Config{DataDir: kdir}, log)
		if err != nil {
			return fmt.Errorf("start the embedded broker on %s: %w", kdir, err)
		}
		defer b.Close()
		brokers = b.Addrs()
	}
	store, err := openAuditStore(ctx, &es, embeddedIndex, log)
	if err != nil {
		return err
	}
	defer store.Close()
	vr, ok := store.(index.VersionReader)
	if !ok {
		return fmt.Errorf("the search store %T cannot look documents up by id", store)
	}
	rep, err := consumers.Audit(ctx, brokers, vr, opt)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(rep); err != nil {
			return err
		}
	} else if err := printAudit(stdout, &rep); err != nil {
		return err
	}
	if !rep.OK() {
		return errAuditFailed
	}
	return nil
}

func printAudit(w io.Writer, rep *consumers.AuditReport) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTITION\tFROM\tTO")
	for _, r := range rep.Ranges {
		fmt.Fprintf(tw, "%d\t%d\t%d\n", r.Partition, r.Start, r.End)
	}
	fmt.Fprintln(tw)
	for _, row := range []struct {
		name string
		n    int
		ids  []string
	}{
		{"records", rep.Records, nil}, {"checked", rep.Checked, nil}, {"indexed", rep.Indexed, nil},
		{"stale", rep.Stale, rep.StaleIDs}, {"missing", rep.Missing, rep.MissingIDs}, {"dead-lettered", rep.DeadLettered, rep.DeadLetteredIDs},
	} {
		ids := ""
		if len(row.ids) > 0 {
			ids = strings.Join(row.ids[:min(len(row.ids), 10)], " ")
			if row.n > 10 {
				ids += " …"
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\n", row.name, row.n, ids)
	}
	return tw.Flush()
}

// openAuditStore opens Elasticsearch without setting anything up, or the
// embedded index.
func openAuditStore(ctx context.Context, es *esFlags, dir string, log *zap.Logger) (index.Store, error) {
	addrs := splitList(es.urls)
	if len(addrs) == 0 {
		if _, err := os.Stat(filepath.Join(dir, "articles.bleve")); err != nil {
			return nil, fmt.Errorf("no --es-url and no embedded index under %s: %w", dir, err)
		}
		return embedded.Open(dir, log)
	}
	cfg := es.cfg
	cfg.Addresses = addrs
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	st, err := elastic.New(cfg, log)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := st.Ping(pctx); err != nil {
		return nil, errors.Join(fmt.Errorf("reach Elasticsearch: %w", err), st.Close())
	}
	return st, nil
}

// checkIndexFree fails when a running process holds the embedded index
// (its lock file), since the index and the broker log under the data
// directory belong to that process while it runs.
func checkIndexFree(dir string) error {
	f, err := os.OpenFile(filepath.Join(dir, "articles.bleve", "store", "root.bolt"), os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check the embedded index: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fmt.Errorf("the embedded index under %s is in use (is newswire run still running? stop it first, or pass --brokers and --es-url of a distributed deployment): %w", dir, err)
	}
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
