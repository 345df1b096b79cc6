package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/newswire/newswire/consumers"
)

// Synopses of the dead-letter commands.
const (
	replaySynopsis = "newswire dlq replay --from <offset|RFC 3339 time> [--stage S] [--max-attempts N] [--dry-run] [flags]"
	listSynopsis   = "newswire dlq list [--from <offset|time>] [--stage S] [--since T] [--until T] [--json] [flags]"
	showSynopsis   = "newswire dlq show <partition>/<offset> [--json] [flags]"
)

const dlqUsage = "usage:\n  " + replaySynopsis + "\n  " + listSynopsis + "\n  " + showSynopsis

// cmdDLQ dispatches the dead-letter subcommands.
func cmdDLQ(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, dlqUsage)
		return errors.New("dlq: subcommand required")
	}
	if isHelp(args[0]) {
		fmt.Fprintln(stderr, dlqUsage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "replay":
		return cmdReplay(args[1:], stdout, stderr)
	case "list":
		return cmdDLQList(args[1:], stdout, stderr)
	case "show":
		return cmdDLQShow(args[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, dlqUsage)
	return fmt.Errorf("dlq: unknown subcommand %q", args[0])
}

func dlqStages() string { return strings.Join(consumers.KnownStages, ", ") }

func cmdReplay(args []string, stdout, stderr io.Writer) error {
	cmd := newCommand("newswire dlq replay", replaySynopsis,
		"Re-drives dead letters into the topics they came from, with their original\n"+
			"bytes, up to the end offsets seen at start, and prints what it did as JSON.\n"+
			"A record already re-driven --max-attempts times is reported, not replayed.",
		[]string{
			"newswire dlq replay --brokers kafka-1:9092 --from 2024-06-19T00:00:00Z --stage index --dry-run",
			"newswire dlq replay --brokers kafka-1:9092 --from 0",
		}, stderr)
	fs := cmd.fs
	var c common
	opt := consumers.ReplayOptions{}
	cmd.group("Replay")
	from := fs.String("from", "", "where to start in every partition: an offset, or an RFC 3339 time (required)")
	fs.StringVar(&opt.Stage, "stage", "", "replay only dead letters of this stage ("+dlqStages()+")")
	fs.IntVar(&opt.MaxAttempts, "max-attempts", consumers.DefaultReplayMaxAttempts, "re-drive one record at most this many times in all (its newswire.replays header); records over it are reported, not replayed")
	fs.BoolVar(&opt.DryRun, "dry-run", false, "count what would be replayed, write nothing")
	cmd.group("Kafka")
	c.registerBrokers(fs, brokersRequired)
	fs.StringVar(&opt.DLQTopic, "topic-dlq", consumers.DefaultTopics.DLQ, "dead-letter topic")
	cmd.group("Logging")
	c.registerLog(fs)
	if err := cmd.parse(args); err != nil {
		return err
	}
	if err := c.needBrokers(); err != nil {
		return err
	}
	if *from == "" {
		return errors.New("--from required: an offset (0 for everything) or an RFC 3339 time")
	}
	pos, err := consumers.ParsePosition(*from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	opt.FromOffset, opt.FromTime = pos.Offset, pos.Time
	if opt.MaxAttempts < 1 {
		return fmt.Errorf("--max-attempts %d: must be at least 1", opt.MaxAttempts)
	}
	if err := opt.Validate(); err != nil {
		return err
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
	verb := "replayed"
	if opt.DryRun {
		verb = "would replay"
	}
	fmt.Fprintf(stderr, "%s %d of %d dead letters read (%d skipped, %d over --max-attempts %d, %d truncated)\n", verb, st.Replayed, st.Read, st.Skipped, st.ExhaustedCount, opt.MaxAttempts, st.TruncatedCount)
	for _, d := range st.Exhausted {
		fmt.Fprintf(stderr, "not replayed: %s/%d/%d key %s stage %s replays %d: %s\n", opt.DLQTopic, d.Partition, d.Offset, d.Key, d.Stage, d.Replays, oneLine(d.Error, 200))
	}
	return json.NewEncoder(stdout).Encode(st)
}

func cmdDLQList(args []string, stdout, stderr io.Writer) error {
	cmd := newCommand("newswire dlq list", listSynopsis,
		"Lists dead letters: position, time, stage, key, source topic/partition/offset,\n"+
			"size, replays and error, as a table or as JSON lines.",
		[]string{
			"newswire dlq list --brokers kafka-1:9092 --stage index --since 2024-06-19T00:00:00Z",
			"newswire dlq list --brokers kafka-1:9092 --json",
		}, stderr)
	fs := cmd.fs
	var c common
	var opt consumers.ListOptions
	cmd.group("Selection")
	from := fs.String("from", "", "where to start in every partition: an offset or an RFC 3339 time (default: the first record, or --since)")
	fs.StringVar(&opt.Stage, "stage", "", "only dead letters of this stage ("+dlqStages()+")")
	since := fs.String("since", "", "only dead letters written at or after this RFC 3339 time")
	until := fs.String("until", "", "only dead letters written before this RFC 3339 time")
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	cmd.group("Kafka")
	c.registerBrokers(fs, brokersRequired)
	fs.StringVar(&opt.DLQTopic, "topic-dlq", consumers.DefaultTopics.DLQ, "dead-letter topic")
	cmd.group("Logging")
	c.registerLog(fs)
	if err := cmd.parse(args); err != nil {
		return err
	}
	if err := c.needBrokers(); err != nil {
		return err
	}
	var errs []error
	if *from != "" {
		p, err := consumers.ParsePosition(*from)
		if err != nil {
			errs = append(errs, fmt.Errorf("--from: %w", err))
		}
		opt.From = p
	}
	for _, f := range []struct {
		name string
		v    string
		dst  *time.Time
	}{{"--since", *since, &opt.Since}, {"--until", *until, &opt.Until}} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, f.v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want an RFC 3339 time", f.name, f.v))
		}
		*f.dst = t
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	enc := json.NewEncoder(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "PARTITION/OFFSET\tAT\tSTAGE\tKEY\tSOURCE\tSIZE\tREPLAYS\tERROR")
	}
	n := 0
	err := consumers.ListDeadLetters(ctx, c.brokerList(), opt, func(d consumers.DeadLetterInfo) error {
		n++
		if *asJSON {
			return enc.Encode(d)
		}
		_, err := fmt.Fprintf(tw, "%d/%d\t%s\t%s\t%s\t%s/%d/%d\t%d\t%d\t%s\n", d.Partition, d.Offset, d.At.Format(time.RFC3339), d.Stage,
			oneLine(d.Key, 40), d.SourceTopic, d.SourcePartition, d.SourceOffset, d.Size, d.Replays, oneLine(d.Error, 100))
		return err
	})
	if !*asJSON {
		if ferr := tw.Flush(); err == nil {
			err = ferr
		}
		fmt.Fprintf(stderr, "%d dead letters\n", n)
	}
	return err
}

func cmdDLQShow(args []string, stdout, stderr io.Writer) error {
	cmd := newCommand("newswire dlq show", showSynopsis,
		"Shows one dead letter: its headers and its bytes.",
		[]string{"newswire dlq show 2/1234 --brokers kafka-1:9092"}, stderr)
	fs := cmd.fs
	var c common
	asJSON := fs.Bool("json", false, "print JSON")
	cmd.group("Kafka")
	c.registerBrokers(fs, brokersRequired)
	topic := fs.String("topic-dlq", consumers.DefaultTopics.DLQ, "dead-letter topic")
	cmd.group("Logging")
	c.registerLog(fs)
	// The position comes first or last: flag parsing stops at it.
	var posArg string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		posArg, args = args[0], args[1:]
	}
	if err := cmd.parse(args); err != nil {
		return err
	}
	if posArg == "" && fs.NArg() == 1 {
		posArg = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	part, off, err := parsePartOffset(posArg)
	if err != nil {
		return err
	}
	if err := c.needBrokers(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m, err := consumers.ReadDeadLetter(ctx, c.brokerList(), *topic, part, off)
	if err != nil {
		return err
	}
	d := consumers.ParseDeadLetter(m)
	headers := make([][2]string, 0, len(m.Headers))
	for _, h := range m.Headers {
		headers = append(headers, [2]string{h.Key, string(h.Value)})
	}
	if *asJSON {
		out := map[string]any{"dead_letter": d, "headers": headers}
		if utf8.Valid(m.Value) {
			out["value"] = string(m.Value)
		} else {
			out["value_base64"] = base64.StdEncoding.EncodeToString(m.Value)
		}
		return json.NewEncoder(stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, kv := range [][2]string{
		{"position", fmt.Sprintf("%s/%d/%d", *topic, d.Partition, d.Offset)},
		{"key", d.Key}, {"stage", d.Stage}, {"at", d.At.Format(time.RFC3339Nano)},
		{"source", fmt.Sprintf("%s/%d/%d", d.SourceTopic, d.SourcePartition, d.SourceOffset)},
		{"size", strconv.Itoa(d.Size)}, {"attempts", strconv.Itoa(d.Attempts)}, {"replays", strconv.Itoa(d.Replays)},
		{"error", d.Error},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
	}
	for _, h := range headers {
		fmt.Fprintf(tw, "header %s:\t%s\n", h[0], oneLine(h[1], 500))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "value:")
	if utf8.Valid(m.Value) {
		_, err = fmt.Fprintf(stdout, "%s\n", m.Value)
	} else {
		_, err = fmt.Fprintf(stdout, "(not UTF-8; base64) %s\n", base64.StdEncoding.EncodeToString(m.Value))
	}
	return err
}

func parsePartOffset(s string) (int, int64, error) {
	p, o, ok := strings.Cut(s, "/")
	part, perr := strconv.Atoi(p)
	off, oerr := strconv.ParseInt(o, 10, 64)
	if !ok || perr != nil || oerr != nil || part < 0 || off < 0 {
		return 0, 0, fmt.Errorf("want <partition>/<offset> of a dead letter (see newswire dlq list), got %q", s)
	}
	return part, off, nil
}

// oneLine shortens s to n bytes (at a rune boundary) on one line.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
