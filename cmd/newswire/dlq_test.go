package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/broker"
	"github.com/newswire/newswire/consumers"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// TestDLQCommands drives dlq list, show and replay on an embedded broker.
func TestDLQCommands(t *testing.T) {
	b, err := broker.Start(broker.Config{}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	tp := consumers.DefaultTopics
	at := time.Date(2024, 6, 19, 10, 0, 0, 0, time.UTC)
	f := auditFixture{dlq: []kafka.Message{
		consumers.ToMessage(consumers.DeadLetter(consumers.FromMessage(kafka.Message{Topic: tp.Raw, Partition: 1, Offset: 7, Key: []byte("k1"), Value: []byte("not json\xff")}), tp.DLQ, "enrich", errors.New("malformed JSON\nat byte 0"), 1, at, 0)),
		consumers.ToMessage(consumers.DeadLetter(consumers.FromMessage(kafka.Message{Topic: tp.Enriched, Partition: 2, Offset: 9, Key: []byte("k2"), Value: []byte(`{"id":"k2"}`)}), tp.DLQ, "index", errors.New("mapping"), 3, at.Add(time.Hour), 0)),
	}}
	f.produce(t, b.Addrs(), tp)
	bs := b.Addrs()[0]
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append(args, "--brokers", bs, "--log-level", "warn"), nil, &out, &errb)
		return code, out.String(), errb.String()
	}

	code, out, errs := cli("dlq", "list", "--json")
	var list []consumers.DeadLetterInfo
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var d consumers.DeadLetterInfo
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("list --json line %q: %v", line, err)
		}
		list = append(list, d)
	}
	if code != 0 || len(list) != 2 {
		t.Fatalf("list: %d %s %s", code, out, errs)
	}
	code, out, _ = cli("dlq", "list", "--stage", "index", "--since", "2024-06-19T10:30:00Z")
	if code != 0 || !strings.Contains(out, "k2") || strings.Contains(out, "k1") || !strings.Contains(out, tp.Enriched+"/2/9") {
		t.Fatalf("list --stage index: %d\n%s", code, out)
	}
	if code, _, errs = cli("dlq", "list", "--stage", "bogus"); code != 1 || !strings.Contains(errs, `stage "bogus" is not one of`) {
		t.Fatalf("list --stage bogus: %d %s", code, errs)
	}
	var k1 consumers.DeadLetterInfo
	for _, d := range list {
		if d.Key == "k1" {
			k1 = d
		}
	}
	pos := strconv.Itoa(k1.Partition) + "/" + strconv.FormatInt(k1.Offset, 10)
	code, out, errs = cli("dlq", "show", pos)
	if code != 0 || !strings.Contains(out, "malformed JSON at byte 0") || !strings.Contains(out, "(not UTF-8; base64)") || !strings.Contains(out, tp.Raw+"/1/7") {
		t.Fatalf("show %s: %d\n%s%s", pos, code, out, errs)
	}
	if code, _, errs = cli("dlq", "show", "0/999"); code != 1 || !strings.Contains(errs, "no record") {
		t.Fatalf("show 0/999: %d %s", code, errs)
	}

	// Replay from a time after every dead letter ends and says so.
	code, out, errs = cli("dlq", "replay", "--from", time.Now().Add(time.Minute).UTC().Format(time.RFC3339))
	if code != 0 || !strings.Contains(errs, "replayed 0 of 0 dead letters read") || !strings.Contains(out, `"replayed":0`) {
		t.Fatalf("replay from the future: %d %s %s", code, out, errs)
	}
	if code, _, errs = cli("dlq", "replay", "--from", "0", "--stage", "indexer"); code != 1 || !strings.Contains(errs, `stage "indexer" is not one of`) {
		t.Fatalf("replay --stage indexer: %d %s", code, errs)
	}
	code, _, errs = cli("dlq", "replay", "--from", "0", "--stage", "index")
	if code != 0 || !strings.Contains(errs, "replayed 1 of 2 dead letters read (1 skipped, 0 over --max-attempts 3, 0 truncated)") {
		t.Fatalf("replay --stage index: %d %s", code, errs)
	}
}
