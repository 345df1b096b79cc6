// Command newswire-soak runs the all-in-one `newswire run` under steady
// HTTP ingest load, kills it with SIGKILL and restarts it at a fixed
// interval, and reports whether every accepted article became searchable,
// the produce-to-searchable latency, and the process's RSS and goroutines
// at the start and end of each incarnation. At the end it stops the last
// incarnation and runs `newswire audit` on the data directory.
//
// make soak DURATION=10m runs it.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type config struct {
	bin       string
	duration  time.Duration
	killEvery time.Duration
	rate      int // articles per second
	batch     int // articles per request
	dataDir   string
	keep      bool
	report    string
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "bin/newswire", "the newswire binary")
	flag.DurationVar(&c.duration, "duration", 10*time.Minute, "how long to send load")
	flag.DurationVar(&c.killEvery, "kill-every", time.Minute, "SIGKILL and restart the process this often")
	flag.IntVar(&c.rate, "rate", 50, "articles per second")
	flag.IntVar(&c.batch, "batch", 5, "articles per request")
	flag.StringVar(&c.dataDir, "data-dir", "", "data directory (default: a new temporary one)")
	flag.BoolVar(&c.keep, "keep", false, "keep the data directory")
	flag.StringVar(&c.report, "report", "", "also write the report as JSON to this file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "newswire-soak:", err)
		os.Exit(1)
	}
}

// sample is what one incarnation looked like at one moment.
type sample struct {
	At         time.Time `json:"at"`
	RSSBytes   int64     `json:"rss_bytes"`
	HeapBytes  int64     `json:"heap_inuse_bytes"` // Go heap in use: RSS minus this is mapped files and runtime
	Goroutines int       `json:"goroutines"`
}

type incarnation struct {
	Started time.Time `json:"started"`
	ReadyIn string    `json:"ready_in"`
	First   *sample   `json:"first,omitempty"` // 10 s after ready
	Last    *sample   `json:"last,omitempty"`  // just before the kill or stop
}

// Report is the outcome of a soak.
type Report struct {
	Duration     string        `json:"duration"`
	Kills        int           `json:"kills"`
	Requests     int           `json:"requests"`
	Retries      int           `json:"retries"`
	Accepted     int           `json:"accepted"`
	Searchable   int           `json:"searchable"`
	Equal        bool          `json:"equal"`
	LatencyP50   string        `json:"latency_p50"`
	LatencyP99   string        `json:"latency_p99"`
	LatencyMax   string        `json:"latency_max"`
	Measured     int           `json:"latency_measured"`
	Incarnations []incarnation `json:"incarnations"`
	Audit        string        `json:"audit"`
	AuditOK      bool          `json:"audit_ok"`
}

type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func run(ctx context.Context, c config, out io.Writer) error {
	if _, err := os.Stat(c.bin); err != nil {
		return fmt.Errorf("binary %s: %w (make build)", c.bin, err)
	}
	if c.dataDir == "" {
		d, err := os.MkdirTemp("", "newswire-soak-")
		if err != nil {
			return err
		}
		c.dataDir = d
		if !c.keep {
			defer os.RemoveAll(d)
		}
	}
	if err := os.MkdirAll(c.dataDir, 0o755); err != nil {
		return err
	}
	httpAddr, err := freePort()
	if err != nil {
		return err
	}
	brokerAddr, err := freePort()
	if err != nil {
		return err
	}
	logPath := filepath.Join(c.dataDir, "newswire.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	base := "http://" + httpAddr
	client := &http.Client{Timeout: 30 * time.Second}

	start := func() (*proc, error) {
		cmd := exec.Command(c.bin, "run", "--data-dir", c.dataDir, "--http", httpAddr, "--embedded-broker", brokerAddr, "--log-format", "json", "--log-level", "warn")
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		p := &proc{cmd: cmd, done: make(chan struct{})}
		go func() { _ = cmd.Wait(); close(p.done) }()
		return p, nil
	}
	ready := func(p *proc) error {
		deadline := time.Now().Add(120 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case <-p.done:
				return fmt.Errorf("newswire exited during start (see %s)", logPath)
			default:
			}
			if resp, err := client.Get(base + "/readyz"); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return nil
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		return errors.New("newswire not ready within 120s")
	}
	measure := func(p *proc) *sample {
		m := scrape(client, base, "go_goroutines", "go_memstats_heap_inuse_bytes")
		return &sample{At: time.Now(), RSSBytes: rss(p.cmd.Process.Pid), HeapBytes: int64(m[1]), Goroutines: int(m[0])}
	}

	run := strconv.FormatUint(rand.Uint64(), 36)
	source := "soak-" + run
	var rep Report
	var mu sync.Mutex
	acceptedAt := map[string]time.Time{} // id → when the 202 came
	seenAt := map[string]time.Duration{} // id → produce-to-searchable

	p, err := start()
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := ready(p); err != nil {
		return err
	}
	inc := incarnation{Started: t0, ReadyIn: time.Since(t0).Round(time.Millisecond).String()}
	fmt.Fprintf(out, "soak: %s at %d articles/s in requests of %d, SIGKILL every %s; data %s; source %s\n", c.duration, c.rate, c.batch, c.killEvery, c.dataDir, source)

	loadCtx, stopLoad := context.WithTimeout(ctx, c.duration)
	defer stopLoad()
	var wg sync.WaitGroup
	// Load: one request every batch/rate seconds, each retried until 202
	// with the same articles (the same ids: a retry after a lost answer
	// is harmless).
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Duration(float64(time.Second) * float64(c.batch) / float64(c.rate)))
		defer tick.Stop()
		seq := 0
		for {
			select {
			case <-loadCtx.Done():
				return
			case <-tick.C:
			}
			var body bytes.Buffer
			body.WriteByte('[')
			pub := time.Now().UTC().Truncate(time.Millisecond)
			for i := 0; i < c.batch; i++ {
				if i > 0 {
					body.WriteByte(',')
				}
				seq++
				fmt.Fprintf(&body, `{"url":"https://soak.example/%s/%d","source":%q,"title":"Soak story %d: Russia and North Korea sign a treaty","body":"Leaders met in Pyongyang for summit talks.","published":%q}`,
					run, seq, source, seq, pub.Format(time.RFC3339Nano))
			}
			body.WriteByte(']')
			for attempt := 0; ; attempt++ {
				if ctx.Err() != nil {
					return
				}
				mu.Lock()
				rep.Requests++
				if attempt > 0 {
					rep.Retries++
				}
				mu.Unlock()
				ids, err := post(client, base, body.Bytes())
				if err == nil {
					now := time.Now()
					mu.Lock()
					for _, id := range ids {
						if _, ok := acceptedAt[id]; !ok {
							acceptedAt[id] = now
						}
					}
					mu.Unlock()
					break
				}
				time.Sleep(200 * time.Millisecond) // down or restarting: retry the same batch
			}
		}
	}()
	// Watch: page through the newest soak articles and time the new ones.
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for watchCtx.Err() == nil {
			found, err := newestIDs(client, base, source, func(id string) bool {
				mu.Lock()
				defer mu.Unlock()
				_, ok := seenAt[id]
				return ok
			})
			if err == nil {
				now := time.Now()
				mu.Lock()
				for _, id := range found {
					if at, ok := acceptedAt[id]; ok {
						seenAt[id] = now.Sub(at)
					}
					// An id seen before its 202 arrived is timed once the
					// 202 is in; leave it for the next poll.
				}
				mu.Unlock()
			}
			select {
			case <-watchCtx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	// Chaos: SIGKILL and restart every killEvery.
	for loadCtx.Err() == nil {
		warm := time.NewTimer(10 * time.Second)
		select {
		case <-loadCtx.Done():
		case <-warm.C:
			inc.First = measure(p)
		}
		warm.Stop()
		wait := time.NewTimer(c.killEvery - 10*time.Second)
		select {
		case <-loadCtx.Done():
			wait.Stop()
			continue
		case <-wait.C:
		}
		inc.Last = measure(p)
		rep.Incarnations = append(rep.Incarnations, inc)
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		rep.Kills++
		t := time.Now()
		if p, err = start(); err != nil {
			return err
		}
		if err := ready(p); err != nil {
			return err
		}
		inc = incarnation{Started: t, ReadyIn: time.Since(t).Round(time.Millisecond).String()}
		fmt.Fprintf(out, "soak: kill %d, ready again in %s\n", rep.Kills, inc.ReadyIn)
	}
	// Drain: wait until every accepted article is searchable (or give up).
	deadline := time.Now().Add(2 * time.Minute)
	for {
		mu.Lock()
		acc := len(acceptedAt)
		mu.Unlock()
		n, err := total(client, base, source)
		if err == nil && n >= acc {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(time.Second) // a last poll of the watcher
	stopWatch()
	wg.Wait()
	inc.Last = measure(p)
	rep.Incarnations = append(rep.Incarnations, inc)
	rep.Searchable, _ = total(client, base, source)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	mu.Lock()
	rep.Accepted = len(acceptedAt)
	lat := make([]time.Duration, 0, len(seenAt))
	for _, d := range seenAt {
		lat = append(lat, d)
	}
	mu.Unlock()
	rep.Equal = rep.Accepted == rep.Searchable
	slices.Sort(lat)
	rep.Measured = len(lat)
	if len(lat) > 0 {
		q := func(f float64) string {
			return lat[min(len(lat)-1, int(f*float64(len(lat))))].Round(time.Millisecond).String()
		}
		rep.LatencyP50, rep.LatencyP99, rep.LatencyMax = q(0.50), q(0.99), lat[len(lat)-1].Round(time.Millisecond).String()
	}
	rep.Duration = time.Since(t0).Round(time.Second).String()
	// The operator's proof, from the files of the stopped process.
	auditOut, aerr := exec.Command(c.bin, "audit", "--data-dir", c.dataDir, "--from", "0", "--log-level", "warn").CombinedOutput()
	rep.Audit, rep.AuditOK = strings.TrimSpace(string(auditOut)), aerr == nil

	printReport(out, &rep)
	if c.report != "" {
		b, _ := json.MarshalIndent(&rep, "", "  ")
		if err := os.WriteFile(c.report, b, 0o644); err != nil {
			return err
		}
	}
	if !rep.Equal || !rep.AuditOK {
		return fmt.Errorf("accepted %d, searchable %d, audit ok %v", rep.Accepted, rep.Searchable, rep.AuditOK)
	}
	return nil
}

func printReport(w io.Writer, r *Report) {
	fmt.Fprintf(w, "\nsoak report (%s, %d kills)\n", r.Duration, r.Kills)
	fmt.Fprintf(w, "  requests %d (retries %d)\n", r.Requests, r.Retries)
	fmt.Fprintf(w, "  accepted %d, searchable %d, equal %v\n", r.Accepted, r.Searchable, r.Equal)
	fmt.Fprintf(w, "  produce-to-searchable over %d articles: p50 %s, p99 %s, max %s\n", r.Measured, r.LatencyP50, r.LatencyP99, r.LatencyMax)
	for i, inc := range r.Incarnations {
		line := fmt.Sprintf("  run %2d: ready in %-8s", i+1, inc.ReadyIn)
		for _, x := range []struct {
			name string
			s    *sample
		}{{"start", inc.First}, {"end", inc.Last}} {
			if x.s != nil {
				line += fmt.Sprintf(" %s RSS %6.1f MiB (heap %6.1f), %4d goroutines;", x.name, float64(x.s.RSSBytes)/(1<<20), float64(x.s.HeapBytes)/(1<<20), x.s.Goroutines)
			}
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "  audit ok %v:\n", r.AuditOK)
	for _, l := range strings.Split(r.Audit, "\n") {
		fmt.Fprintln(w, "    "+l)
	}
}

func post(c *http.Client, base string, body []byte) ([]string, error) {
	resp, err := c.Post(base+"/api/v1/articles", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return nil, fmt.Errorf("ingest: %d %s", resp.StatusCode, b)
	}
	var r struct {
		IDs []string `json:"ids"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return r.IDs, nil
}

type searchAnswer struct {
	Total int `json:"total"`
	Hits  []struct {
		ID string `json:"id"`
	} `json:"hits"`
	NextCursor string `json:"next_cursor"`
}

func search(c *http.Client, base string, v url.Values) (searchAnswer, error) {
	var a searchAnswer
	resp, err := c.Get(base + "/api/v1/search?" + v.Encode())
	if err != nil {
		return a, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return a, fmt.Errorf("search: %d", resp.StatusCode)
	}
	return a, json.NewDecoder(resp.Body).Decode(&a)
}

func total(c *http.Client, base, source string) (int, error) {
	a, err := search(c, base, url.Values{"source": {source}, "size": {"1"}})
	return a.Total, err
}

// newestIDs pages through the newest articles of source until a page
// holds an id already seen (at most 50 pages).
func newestIDs(c *http.Client, base, source string, seen func(string) bool) ([]string, error) {
	var out []string
	v := url.Values{"source": {source}, "sort": {"newest"}, "size": {"100"}}
	for page := 0; page < 50; page++ {
		a, err := search(c, base, v)
		if err != nil {
			return out, err
		}
		old := false
		for _, h := range a.Hits {
			if seen(h.ID) {
				old = true
			} else {
				out = append(out, h.ID)
			}
		}
		if old || a.NextCursor == "" {
			break
		}
		v.Set("cursor", a.NextCursor)
	}
	return out, nil
}

// rss reads VmRSS of a process (Linux).
func rss(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return -1
}

// scrape reads the values of the named unlabelled metrics from /metrics
// (-1 when absent).
func scrape(c *http.Client, base string, names ...string) []float64 {
	out := make([]float64, len(names))
	for i := range out {
		out[i] = -1
	}
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		for i, n := range names {
			if rest, ok := strings.CutPrefix(sc.Text(), n+" "); ok {
				out[i], _ = strconv.ParseFloat(strings.TrimSpace(rest), 64)
			}
		}
	}
	return out
}
