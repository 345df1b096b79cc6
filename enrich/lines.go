package enrich

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/newswire/newswire/article"
)

// MaxLine is the longest input line TagLines accepts.
const MaxLine = 16 << 20

// TagLines reads JSON-lines articles from r and writes one line per
// non-blank input line to w, in order: the enriched article (with
// Enrichment.Version set and Enrichment.At left zero), or
// {"line": N, "error": "..."} for a line that is not a valid article
// (N is 1-based). It returns the number of bad lines; err is set only when
// reading r or writing w fails.
func (t *Tagger) TagLines(r io.Reader, w io.Writer) (bad int, err error) {
	br := bufio.NewReaderSize(r, 1<<16)
	bw := bufio.NewWriterSize(w, 1<<16)
	var line, out []byte
	enc, err := newLineEncoder(t.version)
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		line = line[:0]
		tooLong := false
		var rerr error
		for {
			chunk, e := br.ReadSlice('\n')
			if !tooLong {
				if len(line)+len(chunk) > MaxLine+2 {
					tooLong = true
					line = line[:0]
				} else {
					line = append(line, chunk...)
				}
			}
			if e == bufio.ErrBufferFull {
				continue
			}
			rerr = e
			break
		}
		if rerr != nil && rerr != io.EOF {
			return bad, fmt.Errorf("read articles: %w", rerr)
		}
		if len(line) == 0 && !tooLong && rerr == io.EOF {
			break
		}
		n++
		trimmed := bytes.TrimSpace(line)
		switch {
		case tooLong:
			bad++
			if err := writeLineError(bw, n, fmt.Sprintf("line is longer than %d bytes", MaxLine)); err != nil {
				return bad, err
			}
		case len(trimmed) == 0:
			// blank: skipped without output
		default:
			var lerr error
			out, lerr = t.tagLine(enc, out[:0], trimmed)
			if lerr != nil {
				bad++
				if err := writeLineError(bw, n, lerr.Error()); err != nil {
					return bad, err
				}
				break
			}
			out = append(out, '\n')
			if _, err := bw.Write(out); err != nil {
				return bad, fmt.Errorf("write enriched article: %w", err)
			}
		}
		if rerr == io.EOF {
			break
		}
	}
	if err := bw.Flush(); err != nil {
		return bad, fmt.Errorf("write enriched article: %w", err)
	}
	return bad, nil
}

// tagLine appends the enriched article of line b to dst.
func (t *Tagger) tagLine(enc *lineEncoder, dst, b []byte) ([]byte, error) {
	a, err := article.Decode(b, article.Limits{})
	if err != nil {
		return dst, err
	}
	// A missing id is not fatal here: the article is still tagged.
	if err := article.Normalize(&a, t.now()); err != nil && !errors.Is(err, article.ErrInvalid) {
		return dst, err
	}
	tags := t.Tag(&a)
	return enc.encode(dst, &a, &tags)
}

func writeLineError(w io.Writer, n int, msg string) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encode line error: %w", err)
	}
	if _, err := io.WriteString(w, `{"line":`+strconv.Itoa(n)+`,"error":`+string(b)+"}\n"); err != nil {
		return fmt.Errorf("write line error: %w", err)
	}
	return nil
}
