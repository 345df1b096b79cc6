package producers

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Progress reports how far a file run has got. On a terminal it redraws a
// single line (bar, articles, MB, rate, ETA) in place with "\r", at most
// five times a second; on anything else (a log file, a pipe) it writes a
// plain line every few seconds. The ETA is shown only when the total size
// is known. Update and Done may be called from any goroutine. Progress
// writes only to the writer it was given.
type Progress struct {
	mu       sync.Mutex
	w        io.Writer
	total    int64
	tty      bool
	now      func() time.Time
	start    time.Time
	last     time.Time
	every    time.Duration
	lastLen  int
	finished bool
}

// Refresh periods of the two modes.
const (
	progressTTYEvery   = 200 * time.Millisecond
	progressPlainEvery = 5 * time.Second
	progressBarWidth   = 24
)

// NewProgress builds a reporter writing to w. totalBytes is the size of
// the input when known (a file's size), else 0.
func NewProgress(w io.Writer, totalBytes int64) *Progress {
	p := &Progress{w: w, total: totalBytes, tty: isTerminal(w), now: time.Now}
	p.every = progressPlainEvery
	if p.tty {
		p.every = progressTTYEvery
	}
	p.start = p.now()
	return p
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Update records the latest counts and redraws when the refresh period
// has passed. Its signature fits FileOptions.OnProgress.
func (p *Progress) Update(st FileStats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	now := p.now()
	if now.Sub(p.last) < p.every || (!p.tty && now.Sub(p.start) < p.every) {
		return
	}
	p.last = now
	p.render(st, now, false)
}

// Done writes the final counts, always, and ends the line. Later calls
// to Update or Done write nothing.
func (p *Progress) Done(st FileStats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	p.render(st, p.now(), true)
}

func (p *Progress) render(st FileStats, now time.Time, final bool) {
	elapsed := now.Sub(p.start)
	secs := elapsed.Seconds()
	var artRate, byteRate float64
	if secs > 0 {
		artRate = float64(st.Published) / secs
		byteRate = float64(st.Bytes) / secs
	}
	var b strings.Builder
	if p.tty {
		b.WriteByte('\r')
		if p.total > 0 {
			frac := min(float64(st.Bytes)/float64(p.total), 1)
			filled := int(frac * progressBarWidth)
			fmt.Fprintf(&b, "[%s%s] %3.0f%% ", strings.Repeat("=", filled), strings.Repeat(" ", progressBarWidth-filled), frac*100)
		}
		fmt.Fprintf(&b, "%d articles", st.Published)
		if st.Invalid > 0 {
			fmt.Fprintf(&b, " (%d invalid)", st.Invalid)
		}
		fmt.Fprintf(&b, "  %s", mbOf(st.Bytes, p.total))
		fmt.Fprintf(&b, "  %.0f art/s %.1f MB/s", artRate, byteRate/1e6)
		if final {
			fmt.Fprintf(&b, "  in %s", fmtDuration(elapsed))
		} else if eta, ok := p.eta(st.Bytes, byteRate); ok {
			fmt.Fprintf(&b, "  ETA %s", eta)
		}
		line := b.String()
		// Blank what is left of a longer previous line.
		if pad := p.lastLen - len(line); pad > 0 {
			line += strings.Repeat(" ", pad)
		}
		p.lastLen = len(b.String())
		if final {
			line += "\n"
		}
		_, _ = io.WriteString(p.w, line)
		return
	}
	if final {
		b.WriteString("done: ")
	} else {
		b.WriteString("progress: ")
	}
	fmt.Fprintf(&b, "%d articles, %d invalid, %d lines, %s", st.Published, st.Invalid, st.Lines, mbOf(st.Bytes, p.total))
	if p.total > 0 {
		fmt.Fprintf(&b, " (%.0f%%)", min(float64(st.Bytes)/float64(p.total), 1)*100)
	}
	fmt.Fprintf(&b, ", %.0f articles/s, %.1f MB/s", artRate, byteRate/1e6)
	if final {
		fmt.Fprintf(&b, ", took %s", fmtDuration(elapsed))
	} else if eta, ok := p.eta(st.Bytes, byteRate); ok {
		fmt.Fprintf(&b, ", eta %s", eta)
	}
	b.WriteByte('\n')
	_, _ = io.WriteString(p.w, b.String())
}

func (p *Progress) eta(done int64, byteRate float64) (string, bool) {
	if p.total <= 0 || byteRate <= 0 || done >= p.total {
		return "", false
	}
	left := time.Duration(float64(p.total-done) / byteRate * float64(time.Second))
	return fmtDuration(left), true
}

func mbOf(n, total int64) string {
	if total > 0 {
		return fmt.Sprintf("%.1f/%.1f MB", float64(n)/1e6, float64(total)/1e6)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// fmtDuration prints whole seconds as 42s, 3m07s or 1h02m03s.
func fmtDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%dh%02dm%02ds", s/3600, s/60%60, s%60)
	}
}
