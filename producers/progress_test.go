package producers

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeClock is a settable time source.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestProgress(buf *bytes.Buffer, total int64, tty bool) (*Progress, *fakeClock) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := NewProgress(buf, total)
	p.now = clk.now
	p.start = clk.t
	if tty {
		p.tty = true
		p.every = progressTTYEvery
	}
	return p, clk
}

func TestProgressPlain(t *testing.T) {
	var buf bytes.Buffer
	p, clk := newTestProgress(&buf, 10_000_000, false)
	if p.tty {
		t.Fatal("a buffer must not be taken for a terminal")
	}

	clk.advance(time.Second)
	p.Update(FileStats{Lines: 100, Published: 100, Bytes: 1_000_000})
	if buf.Len() != 0 {
		t.Fatalf("plain mode wrote before its period: %q", buf.String())
	}

	clk.advance(4 * time.Second) // 5s in: 2 MB done at 0.4 MB/s, 8 MB left
	p.Update(FileStats{Lines: 210, Published: 200, Invalid: 10, Bytes: 2_000_000})
	want := "progress: 200 articles, 10 invalid, 210 lines, 2.0/10.0 MB (20%), 40 articles/s, 0.4 MB/s, eta 20s\n"
	if buf.String() != want {
		t.Fatalf("got  %q\nwant %q", buf.String(), want)
	}

	clk.advance(time.Second)
	p.Update(FileStats{Lines: 300, Published: 300, Bytes: 3_000_000})
	if buf.String() != want {
		t.Fatalf("plain mode wrote again within its period: %q", buf.String())
	}

	clk.advance(5 * time.Second)
	p.Done(FileStats{Lines: 1000, Published: 990, Invalid: 10, Bytes: 10_000_000})
	want += "done: 990 articles, 10 invalid, 1000 lines, 10.0/10.0 MB (100%), 90 articles/s, 0.9 MB/s, took 11s\n"
	if buf.String() != want {
		t.Fatalf("got  %q\nwant %q", buf.String(), want)
	}
	for _, l := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if strings.Contains(l, "\r") {
			t.Errorf("plain line holds a carriage return: %q", l)
		}
	}

	clk.advance(time.Minute)
	p.Update(FileStats{Published: 1})
	p.Done(FileStats{Published: 1})
	if buf.String() != want {
		t.Fatalf("wrote after Done: %q", buf.String())
	}
}

func TestProgressPlainUnknownTotal(t *testing.T) {
	var buf bytes.Buffer
	p, clk := newTestProgress(&buf, 0, false)
	clk.advance(10 * time.Second)
	p.Update(FileStats{Lines: 50, Published: 50, Bytes: 5_000_000})
	want := "progress: 50 articles, 0 invalid, 50 lines, 5.0 MB, 5 articles/s, 0.5 MB/s\n"
	if buf.String() != want {
		t.Fatalf("got  %q\nwant %q", buf.String(), want)
	}
}

func TestProgressTerminal(t *testing.T) {
	var buf bytes.Buffer
	p, clk := newTestProgress(&buf, 4_000_000, true)
	clk.advance(time.Second)
	p.Update(FileStats{Published: 10, Bytes: 1_000_000})
	first := buf.String()
	if !strings.HasPrefix(first, "\r[======                  ]  25% 10 articles") || !strings.Contains(first, "ETA 3s") || strings.HasSuffix(first, "\n") {
		t.Fatalf("unexpected bar %q", first)
	}
	// Within 200ms: no redraw (at most five a second).
	clk.advance(100 * time.Millisecond)
	p.Update(FileStats{Published: 11, Bytes: 1_100_000})
	if buf.String() != first {
		t.Fatalf("redrew within 200ms: %q", buf.String())
	}
	clk.advance(100 * time.Millisecond)
	p.Update(FileStats{Published: 12, Bytes: 1_200_000})
	if strings.Count(buf.String(), "\r") != 2 {
		t.Fatalf("want a second redraw: %q", buf.String())
	}
	p.Done(FileStats{Published: 40, Bytes: 4_000_000})
	if !strings.HasSuffix(buf.String(), "\n") || !strings.Contains(buf.String(), "100% 40 articles") {
		t.Fatalf("final line %q", buf.String())
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
}
