package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// tagCorpus writes about size bytes of English news as JSON lines: the
// sample corpus repeated, each copy with its own id and URL.
func tagCorpus(b *testing.B, size int) string {
	b.Helper()
	raw, err := os.ReadFile("../../samples/articles.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	var arts []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var a map[string]any
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			b.Fatal(err)
		}
		arts = append(arts, a)
	}
	if len(arts) == 0 {
		b.Fatal("no sample articles")
	}
	var out bytes.Buffer
	for i := 0; out.Len() < size; i++ {
		a := arts[i%len(arts)]
		a["id"] = fmt.Sprintf("bench-%d", i)
		a["url"] = fmt.Sprintf("https://news.example/bench/%d", i)
		line, err := json.Marshal(a)
		if err != nil {
			b.Fatal(err)
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	path := filepath.Join(b.TempDir(), "articles.jsonl")
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkTagProcess runs `newswire tag` as a whole process over 20 MB of
// English news, start-up and JSON included, and reports the CPU time the
// process used (user and system) as MB/cpu-s. The baseline in the same
// run is the same process on empty input: its start-up alone.
func BenchmarkTagProcess(b *testing.B) {
	corpus := tagCorpus(b, 20<<20)
	st, err := os.Stat(corpus)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		input string
		bytes int64
	}{{"tag-20MB", corpus, st.Size()}, {"start-only", os.DevNull, 0}} {
		b.Run(c.name, func(b *testing.B) {
			var cpu time.Duration
			for b.Loop() {
				in, err := os.Open(c.input)
				if err != nil {
					b.Fatal(err)
				}
				var stderr bytes.Buffer
				cmd := exec.Command(os.Args[0], "tag")
				cmd.Env = append(os.Environ(), "NEWSWIRE_TEST_AS_MAIN=1")
				cmd.Stdin, cmd.Stderr = in, &stderr
				// Written to /dev/null as a shell would, not through a pipe
				// this process has to drain.
				devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
				if err != nil {
					b.Fatal(err)
				}
				cmd.Stdout = devnull
				err = cmd.Run()
				in.Close()
				devnull.Close()
				if err != nil {
					b.Fatalf("newswire tag: %v: %s", err, stderr.Bytes())
				}
				cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
			if c.bytes > 0 && cpu > 0 {
				b.ReportMetric(float64(c.bytes)*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
			}
		})
	}
}
