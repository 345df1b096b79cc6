package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/broker"
	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/testsvc"
	"go.uber.org/zap"
)

// proc is a newswire process started from the test binary.
type proc struct {
	cmd *exec.Cmd
	out *bytes.Buffer
}

func startProc(t testing.TB, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "NEWSWIRE_TEST_AS_MAIN=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, out: &out}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	})
	return p
}

// writeCorpus writes n valid articles as JSON lines and returns their
// ids.
func writeCorpus(t *testing.T, path string, n int) map[string]bool {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	ids := make(map[string]bool, n)
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		a := article.Article{
			URL: fmt.Sprintf("https://scale.example/%d", i), Source: "Scale Wire",
			Title:     fmt.Sprintf("Story %d: Russia and China talk trade", i),
			Body:      strings.Repeat("North Korea and Russia signed a treaty in Pyongyang. ", 8),
			Published: time.Date(2024, 6, 19, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		}
		id, _ := article.DeriveID(a.URL, "", "")
		ids[id] = true
		enc, _ := json.Marshal(&a)
		b.Write(enc)
		b.WriteByte('\n')
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// scaleScenario: several `newswire enrich` processes in one group over 6
// partitions; one is killed with SIGKILL and another stopped with SIGTERM
// mid-stream, both restarted. Every article must reach the enriched topic
// and the group must end with zero lag.
func scaleScenario(t *testing.T, brokers []string, n int) {
	prefix := testsvc.UniqueName(t, "scale")
	raw, enriched, dlq := prefix+".raw", prefix+".enriched", prefix+".dlq"
	group := prefix + "-enrich"
	bs := strings.Join(brokers, ",")
	topicFlags := []string{"--brokers", bs, "--topic-raw", raw, "--topic-enriched", enriched, "--topic-alerts", prefix + ".alerts", "--topic-dlq", dlq,
		"--topic-rules", prefix + ".rules", "--topic-alert-state", prefix + ".alerts.state"}

	var out bytes.Buffer
	if code := run(append([]string{"topics", "ensure", "--partitions", "6"}, topicFlags...), nil, &out, &out); code != 0 {
		t.Fatalf("topics ensure: %d: %s", code, out.String())
	}
	corpus := filepath.Join(t.TempDir(), "corpus.jsonl")
	ids := writeCorpus(t, corpus, n)

	startEnricher := func() *proc {
		addr := freeAddr(t)
		p := startProc(t, append([]string{"enrich", "--group", group, "--http", addr, "--log-level", "warn", "--shutdown-timeout", "10s"}, topicFlags...)...)
		waitReady(t, p, addr)
		return p
	}
	procs := []*proc{startEnricher(), startEnricher(), startEnricher()}

	out.Reset()
	if code := run([]string{"produce", "--brokers", bs, "--topic-raw", raw, "--file", corpus, "--log-level", "warn"}, nil, &out, &out); code != 0 {
		t.Fatalf("produce: %d: %s", code, out.String())
	}

	// Mid-stream: wait until some work is committed, then kill one and
	// stop another.
	deadline := time.Now().Add(60 * time.Second)
	for {
		lag := groupLag(t, brokers, group, raw)
		if lag >= 0 && lag < int64(n)*3/4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no progress: lag %d", lag)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := procs[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := procs[1].cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = procs[0].cmd.Wait()
	if err := procs[1].cmd.Wait(); err != nil {
		t.Fatalf("SIGTERM must give a clean exit, got %v: %s", err, procs[1].out.String())
	}
	procs[0] = startEnricher()
	procs[1] = startEnricher()

	deadline = time.Now().Add(180 * time.Second)
	for groupLag(t, brokers, group, raw) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("lag did not return to 0: %d", groupLag(t, brokers, group, raw))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, p := range procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range procs {
		if err := p.cmd.Wait(); err != nil {
			t.Errorf("process exit: %v: %s", err, p.out.String())
		}
	}

	// newswire lag agrees.
	out.Reset()
	if code := run([]string{"lag", "--brokers", bs, "--group", group, "--topic", raw, "--json"}, nil, &out, &out); code != 0 {
		t.Fatalf("lag: %s", out.String())
	}
	var lag struct {
		TotalLag   int64                    `json:"total_lag"`
		Partitions []consumers.PartitionLag `json:"partitions"`
	}
	if err := json.Unmarshal(out.Bytes(), &lag); err != nil {
		t.Fatalf("lag json: %v: %s", err, out.String())
	}
	if lag.TotalLag != 0 || len(lag.Partitions) != 6 {
		t.Fatalf("lag %+v", lag)
	}
	for _, p := range lag.Partitions {
		if p.Committed != p.End {
			t.Errorf("partition %d: committed %d, end %d", p.Partition, p.Committed, p.End)
		}
	}

	got := readIDs(t, brokers, enriched)
	missing := 0
	for id := range ids {
		if !got[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d articles never reached %s", missing, n, enriched)
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitReady waits until the process answers /readyz (its signal handlers
// are installed by then).
func waitReady(t testing.TB, p *proc, addr string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("process on %s not ready: %s", addr, p.out.String())
}

func groupLag(t testing.TB, brokers []string, group, topic string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	lags, err := consumers.Lag(ctx, brokers, group, topic)
	if err != nil {
		return -1
	}
	return consumers.SumLag(lags)
}

// readIDs reads the keys of every record of a topic.
func readIDs(t *testing.T, brokers []string, topic string) map[string]bool {
	ids := map[string]bool{}
	for _, m := range testsvc.ReadTopic(t, brokers, topic) {
		ids[string(m.Key)] = true
	}
	return ids
}

func TestScaleKillRestartEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: 20 000 articles through three processes killed and restarted; skipped with -short")
	}
	b, err := broker.Start(broker.Config{}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	scaleScenario(t, b.Addrs(), 20000)
}

func TestScaleKillRestartRealKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: 50 000 articles through three processes killed and restarted; skipped with -short")
	}
	scaleScenario(t, testsvc.KafkaBrokers(t), 50000)
}
