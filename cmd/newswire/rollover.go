package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/newswire/newswire/index/elastic"
	"github.com/newswire/newswire/index/embedded"
)

// cmdRollover is `newswire index rollover`: the index lifecycle, run by an
// operator or a CronJob. On Elasticsearch/OpenSearch it starts a new write
// generation when one of the conditions is met and deletes generations
// older than --retention; on the embedded index (no --es-url) it applies
// --retention to the articles' published time.
func cmdRollover(args []string, stdout, stderr io.Writer) error {
	cmd := newCommand("newswire index rollover", "newswire index rollover [flags]",
		"Applies the index lifecycle once. On Elasticsearch or OpenSearch it starts a\n"+
			"new write generation when a condition is met and deletes generations older\n"+
			"than --retention; on the embedded index (no --es-url) it deletes the articles\n"+
			"published before --retention.",
		[]string{
			"newswire index rollover --es-url https://es:9200 --max-age 24h --max-size 50gb --retention 30d",
			"newswire index rollover --data-dir data --retention 90d --json",
		}, stderr)
	fs := cmd.fs
	var c common
	var es esFlags
	cmd.group("Lifecycle")
	maxAge := fs.Duration("max-age", 0, "roll over when the write generation is older (e.g. 24h); 0: no age condition")
	maxDocs := fs.Int64("max-docs", 0, "roll over when the write generation holds more documents; 0: no condition")
	maxSize := fs.String("max-size", "", "roll over when the write generation's primary storage is larger (e.g. 50gb)")
	retention := fs.String("retention", "", "delete generations (embedded: articles) older than this, e.g. 30d or 720h; empty keeps everything")
	asJSON := fs.Bool("json", false, "print the outcome as JSON")
	dataDir := registerStoreTool(cmd, &es, &c)
	if err := cmd.parse(args); err != nil {
		return err
	}
	var keep time.Duration
	if *retention != "" {
		d, err := parseRetention(*retention)
		if err != nil {
			return fmt.Errorf("--retention: %w", err)
		}
		keep = d
	}
	log, err := newLogger(c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	out := map[string]any{}
	cfg, ok, err := es.config()
	if err != nil {
		return err
	}
	if !ok {
		if keep == 0 {
			return errors.New("the embedded index has no generations to roll over: give --retention, or --es-url")
		}
		st, err := embedded.Open(filepath.Join(*dataDir, "index"), log)
		if err != nil {
			return err
		}
		cutoff := time.Now().Add(-keep)
		n, err := st.DeleteOlderThan(ctx, cutoff)
		err = errors.Join(err, st.Close())
		if err != nil {
			return err
		}
		out["deleted_articles"], out["published_before"] = n, cutoff.UTC().Format(time.RFC3339)
		return report(stdout, *asJSON, out)
	}
	conds := elastic.RolloverConditions{MaxAge: *maxAge, MaxDocs: *maxDocs, MaxSize: *maxSize}
	if err := conds.Validate(); err != nil {
		return err
	}
	st, err := elastic.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	res, err := st.Rollover(ctx, conds)
	if err != nil {
		return err
	}
	out["rolled_over"], out["old_index"], out["new_index"] = res.RolledOver, res.OldIndex, res.NewIndex
	out["conditions"], out["took_ms"] = res.Conditions, time.Since(start).Milliseconds()
	if keep > 0 {
		deleted, err := st.DeleteExpired(ctx, keep, time.Now())
		if err != nil {
			return err
		}
		out["deleted_indices"] = deleted
	}
	return report(stdout, *asJSON, out)
}

// registerStoreTool adds the flags of an operator tool that works on the
// search store: the engine's flags, --data-dir for the embedded index, and
// logging (default level warn). It returns the --data-dir value.
func registerStoreTool(cmd *command, es *esFlags, c *common) *string {
	cmd.group("Search engine")
	es.register(cmd.fs)
	dataDir := cmd.fs.String("data-dir", "data", "embedded index directory (without --es-url; stop the all-in-one process first)")
	cmd.group("Logging")
	c.registerLogAt(cmd.fs, "warn")
	return dataDir
}

// report prints the outcome as JSON or as sorted key: value lines.
func report(w io.Writer, asJSON bool, out map[string]any) error {
	if asJSON {
		return json.NewEncoder(w).Encode(out)
	}
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, err := fmt.Fprintf(w, "%s: %v\n", k, out[k]); err != nil {
			return err
		}
	}
	return nil
}

// parseRetention reads a duration in days ("30d") or Go syntax ("720h").
func parseRetention(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("%q: want days as a whole number, e.g. 30d", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q: want e.g. 30d or 720h", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: want a positive duration", s)
	}
	return d, nil
}
