package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// stageFlags are the flags of each stage command: a public contract
// (scripts, manifests and NEWSWIRE_* variables use them).
var stageFlags = func() map[string][]string {
	kafka := []string{"brokers", "topic-raw", "topic-enriched", "topic-alerts", "topic-dlq", "topic-rules", "topic-alert-state", "partitions", "replication"}
	es := []string{"es-url", "es-engine", "es-username", "es-password", "es-api-key", "es-ca-cert", "es-index", "es-compress", "es-max-retries", "es-replicas"}
	process := []string{"http", "tokens-file", "insecure-no-auth", "max-article-body", "shutdown-timeout", "log-format", "log-level"}
	ingest := []string{"ingest-token", "max-body-bytes", "max-ingest-items"}
	alerting := []string{"rules", "alerts-allow-private"}
	delivery := []string{"smtp-addr", "smtp-from", "smtp-user", "smtp-tls", "digest-takeover-after"}
	join := func(lists ...[]string) []string { return slices.Concat(lists...) }
	return map[string][]string{
		"run":    join(kafka, es, process, ingest, alerting, delivery, []string{"embedded-broker", "sync-writes", "group", "data-dir", "samples", "drain-delay", "retention"}),
		"enrich": join(kafka, process, []string{"group"}),
		"index":  join(kafka, es, process, []string{"group", "data-dir", "setup"}),
		"serve":  join(kafka, es, process, ingest, alerting, []string{"data-dir", "drain-delay"}),
		"alert":  join(kafka, process, alerting, delivery, []string{"group", "data-dir"}),
	}
}()

// allStageFlags is every flag any stage command had before each command
// got its own set; run keeps them all but --setup.
var allStageFlags = []string{
	"brokers", "log-format", "log-level", "data-dir", "http", "embedded-broker", "sync-writes",
	"topic-raw", "topic-enriched", "topic-alerts", "topic-dlq", "topic-rules", "topic-alert-state", "partitions", "replication", "group",
	"rules", "alerts-allow-private", "samples", "ingest-token", "tokens-file", "insecure-no-auth", "max-body-bytes", "max-article-body",
	"shutdown-timeout", "es-url", "es-username", "es-password", "es-api-key", "es-ca-cert", "es-index",
	"es-compress", "es-max-retries", "es-replicas",
}

// flagsInHelp returns the flags a help text lists.
func flagsInHelp(help string) []string {
	var out []string
	for _, line := range strings.Split(help, "\n") {
		if rest, ok := strings.CutPrefix(line, "  --"); ok {
			out = append(out, strings.Fields(rest)[0])
		}
	}
	slices.Sort(out)
	return out
}

func TestStageHelpListsOnlyItsFlags(t *testing.T) {
	for name, want := range stageFlags {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run([]string{name, "-h"}, nil, &out, &errb); code != 0 {
				t.Fatalf("%s -h: exit %d", name, code)
			}
			got := flagsInHelp(errb.String())
			want := slices.Sorted(slices.Values(want))
			if !slices.Equal(got, want) {
				t.Errorf("%s -h lists\n%v\nwant\n%v", name, got, want)
			}
			for _, heading := range []string{"Usage: newswire " + name, "Examples:", "Kafka:", "HTTP:", "Process and logging:"} {
				if !strings.Contains(errb.String(), heading) {
					t.Errorf("%s -h lacks %q", name, heading)
				}
			}
		})
	}
}

func TestEnrichHelpHidesOtherStagesFlags(t *testing.T) {
	var out, errb bytes.Buffer
	run([]string{"enrich", "-h"}, nil, &out, &errb)
	for _, f := range []string{"--es-url", "--es-api-key", "--ingest-token", "--samples", "--rules", "--embedded-broker", "Search engine:", "Alerting:"} {
		if strings.Contains(errb.String(), f) {
			t.Errorf("enrich -h shows %s", f)
		}
	}
	if !strings.Contains(errb.String(), "--brokers") {
		t.Error("enrich -h does not show --brokers")
	}
}

// TestRunAcceptsEveryFlag: every flag the stage commands ever had still
// parses for run, on the command line and from its environment variable;
// a stage rejects a flag that does not apply to it.
func TestRunAcceptsEveryFlag(t *testing.T) {
	values := map[string]string{
		"partitions": "3", "replication": "1", "max-body-bytes": "100", "max-article-body": "100",
		"es-max-retries": "1", "es-replicas": "0", "shutdown-timeout": "1s",
		"sync-writes": "true", "alerts-allow-private": "true", "es-compress": "true", "insecure-no-auth": "false",
	}
	var args []string
	for _, f := range allStageFlags {
		v, ok := values[f]
		if !ok {
			v = "x"
		}
		args = append(args, "--"+f+"="+v)
	}
	var out, errb bytes.Buffer
	if code := run(append(append([]string{"run"}, args...), "-h"), nil, &out, &errb); code != 0 {
		t.Fatalf("run with every flag: exit %d\n%s", code, errb.String())
	}

	// Environment: a value that does not parse proves the variable is read.
	for _, f := range []string{"partitions", "replication", "max-body-bytes", "es-max-retries", "shutdown-timeout", "sync-writes"} {
		t.Run("env "+f, func(t *testing.T) {
			t.Setenv(envName(f), "not-a-value")
			var out, errb bytes.Buffer
			if code := run([]string{"run", "-h"}, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), envName(f)) {
				t.Errorf("run with bad %s: exit %d, %q", envName(f), code, errb.String())
			}
		})
	}

	for name, own := range stageFlags {
		for _, f := range allStageFlags {
			if slices.Contains(own, f) {
				continue
			}
			var out, errb bytes.Buffer
			code := run([]string{name, "--" + f + "=1", "-h"}, nil, &out, &errb)
			if code != 1 || !strings.Contains(errb.String(), "flag provided but not defined: -"+f) {
				t.Errorf("%s --%s: exit %d, want 1 and an undefined-flag error", name, f, code)
			}
		}
	}
}

func TestHelpCommand(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    []string
		wantErr bool
	}{
		{[]string{"help"}, []string{"newswire run", "newswire help <command>"}, false},
		{[]string{"help", "index"}, []string{"Usage: newswire index [flags]", "Examples:", "newswire index --brokers kafka-1:9092 --es-url", "--setup", "Search engine:"}, false},
		{[]string{"help", "enrich"}, []string{"Examples:", "newswire enrich --brokers"}, false},
		{[]string{"help", "produce"}, []string{"Examples:", "newswire produce --brokers kafka-1:9092 --file", "Feeds:", "--feed value"}, false},
		{[]string{"help", "tag"}, []string{"Examples:", "newswire tag --keywords", "--keywords string"}, false},
		{[]string{"help", "topics", "ensure"}, []string{"Examples:", "newswire topics ensure --brokers", "--partitions int"}, false},
		{[]string{"help", "lag"}, []string{"Examples:", "newswire lag --brokers", "--json"}, false},
		{[]string{"help", "dlq", "replay"}, []string{"Examples:", "newswire dlq replay --brokers", "--dry-run"}, false},
		{[]string{"help", "version"}, []string{"Usage: newswire version"}, false},
		{[]string{"help", "nonsense"}, []string{"unknown command"}, true},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tc.args, nil, &out, &errb)
			if tc.wantErr != (code != 0) {
				t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out.String(), errb.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("help output lacks %q:\n%s", w, out.String())
				}
			}
			if errb.Len() != 0 {
				t.Errorf("help wrote to stderr: %s", errb.String())
			}
		})
	}
}

// TestHelpDefaults: help shows the defaults the README documents.
func TestHelpDefaults(t *testing.T) {
	var out, errb bytes.Buffer
	run([]string{"help", "run"}, nil, &out, &errb)
	for _, want := range []string{
		`(default "127.0.0.1:19092")`, `(default "127.0.0.1:8080")`, `(default "data")`, "(default 6)", "(default 30s)",
		`(default "news.raw")`, fmt.Sprintf("(default %d)", 10<<20), `(default "newswire-articles")`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("run help lacks %s", want)
		}
	}
}
