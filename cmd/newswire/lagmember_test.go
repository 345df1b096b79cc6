package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/broker"
	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/testsvc"
)

// lagMembers: two enrichers in one group over 6 partitions; `newswire lag`
// names the member (client id, host) that owns every partition, and the
// two members share the partitions.
func lagMembers(t *testing.T, brokers []string) {
	prefix := testsvc.UniqueName(t, "lagm")
	raw := prefix + ".raw"
	group := prefix + "-enrich"
	bs := strings.Join(brokers, ",")
	topicFlags := []string{"--brokers", bs, "--topic-raw", raw, "--topic-enriched", prefix + ".enriched", "--topic-alerts", prefix + ".alerts", "--topic-dlq", prefix + ".dlq"}
	var out bytes.Buffer
	if code := run(append([]string{"topics", "ensure", "--partitions", "6"}, topicFlags...), nil, &out, &out); code != 0 {
		t.Fatalf("topics ensure: %d: %s", code, out.String())
	}
	var procs []*proc
	for range 2 {
		addr := freeAddr(t)
		p := startProc(t, append([]string{"enrich", "--group", group, "--http", addr, "--log-level", "warn", "--shutdown-timeout", "10s"}, topicFlags...)...)
		waitReady(t, p, addr)
		procs = append(procs, p)
	}
	defer func() {
		for _, p := range procs {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			_ = p.cmd.Wait()
		}
	}()

	var lag struct {
		Partitions []consumers.PartitionLag `json:"partitions"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out.Reset()
		if code := run([]string{"lag", "--brokers", bs, "--group", group, "--topic", raw, "--json"}, nil, &out, &out); code != 0 {
			t.Fatalf("lag: %s", out.String())
		}
		if err := json.Unmarshal(out.Bytes(), &lag); err != nil {
			t.Fatalf("lag json: %v: %s", err, out.String())
		}
		members := map[string]bool{}
		owned := 0
		for _, p := range lag.Partitions {
			if p.MemberID != "" {
				owned++
				members[p.MemberID] = true
			}
		}
		if owned == 6 && len(members) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute, %d of 6 partitions have an owner among %d members: %s", owned, len(members), out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, p := range lag.Partitions {
		if p.Host == "" || p.ClientID == "" {
			t.Errorf("partition %d: owner %q without client id or host (%+v)", p.Partition, p.MemberID, p)
		}
	}
	out.Reset()
	if code := run([]string{"lag", "--brokers", bs, "--group", group, "--topic", raw}, nil, &out, &out); code != 0 {
		t.Fatalf("lag: %s", out.String())
	}
	lines := strings.Split(out.String(), "\n")
	if !strings.Contains(lines[0], "HOST") || !strings.Contains(lines[0], "MEMBER") {
		t.Errorf("lag table header %q lacks HOST and MEMBER", lines[0])
	}
	for _, p := range lag.Partitions {
		found := false
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) > 1 && f[1] == fmt.Sprint(p.Partition) && strings.HasSuffix(l, p.MemberID) && strings.Contains(l, strings.TrimPrefix(p.Host, "/")) {
				found = true
			}
		}
		if !found {
			t.Errorf("lag table has no row for partition %d owned by %s on %s:\n%s", p.Partition, p.MemberID, p.Host, out.String())
		}
	}
	t.Logf("\n%s", out.String())
}

func TestLagMembersEmbedded(t *testing.T) {
	b, err := broker.Start(broker.Config{}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	lagMembers(t, b.Addrs())
}

func TestLagMembersRealKafka(t *testing.T) { lagMembers(t, testsvc.KafkaBrokers(t)) }
