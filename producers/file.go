package producers

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/newswire/newswire/article"
)

// LineError is an invalid line of an input file.
type LineError struct {
	Line int
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// FileStats counts what a file run did.
type FileStats struct {
	Lines     int
	Published int
	Invalid   int
	Bytes     int64
}

// FileOptions configures ProduceLines.
type FileOptions struct {
	Limits    article.Limits
	BatchSize int  // articles per acknowledged write (default 500)
	Strict    bool // stop at the first invalid line
	// OnInvalid is called for each invalid line (may be nil).
	OnInvalid func(LineError)
	// OnProgress is called after each acknowledged batch (may be nil).
	OnProgress func(FileStats)
}

// ProduceLines reads JSON lines from r and publishes every valid article;
// invalid lines are reported and counted (fatal with Strict). It returns
// once every published record is acknowledged.
func ProduceLines(ctx context.Context, r io.Reader, pub *Publisher, opt FileOptions) (FileStats, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = 500
	}
	var st FileStats
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 256<<10), 32<<20)
	batch := make([]article.Article, 0, opt.BatchSize)
	flush := func() error {
		if err := pub.Publish(ctx, "file", batch); err != nil {
			return err
		}
		st.Published += len(batch)
		batch = batch[:0]
		if opt.OnProgress != nil {
			opt.OnProgress(st)
		}
		return nil
	}
	for sc.Scan() {
		st.Lines++
		st.Bytes += int64(len(sc.Bytes()) + 1)
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		a, err := ParseAny(line, opt.Limits, time.Now())
		if err != nil {
			st.Invalid++
			le := LineError{Line: st.Lines, Err: err}
			if opt.OnInvalid != nil {
				opt.OnInvalid(le)
			}
			if opt.Strict {
				return st, le
			}
			continue
		}
		batch = append(batch, a)
		if len(batch) >= opt.BatchSize {
			if err := flush(); err != nil {
				return st, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return st, fmt.Errorf("read line %d: %w", st.Lines+1, err)
	}
	if err := flush(); err != nil {
		return st, err
	}
	return st, nil
}
