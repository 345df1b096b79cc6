package enrich

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/newswire/newswire/article"
)

// lineEncoder writes enriched articles as JSON, byte for byte what
// json.Marshal of article.Enriched writes, but appended by hand: the
// reflection per field and per span, and the copies through an
// intermediate buffer, cost more than the tagging of a short article.
// TestEncodeMatchesMarshal and FuzzAppendString hold the two equal.
type lineEncoder struct {
	version    string
	enrichment []byte // `"enrichment":{...}` of this version
}

func newLineEncoder(version string) (*lineEncoder, error) {
	e := &lineEncoder{version: version}
	en, err := json.Marshal(article.Enrichment{Version: version})
	if err != nil {
		return nil, fmt.Errorf("encode enrichment: %w", err)
	}
	e.enrichment = append([]byte(`"enrichment":`), en...)
	return e, nil
}

// encode appends the JSON of an article enriched with tags (no story,
// enrichment time zero) to dst.
func (e *lineEncoder) encode(dst []byte, a *article.Article, tags *article.Tags) ([]byte, error) {
	if !finiteSalience(tags) {
		// encoding/json refuses NaN and infinities: let it say so.
		return e.marshal(dst, a, tags)
	}
	start := len(dst)
	dst, ok := appendArticleFields(dst, a)
	if !ok {
		// a time encoding/json refuses: let it say so.
		return e.marshal(dst[:start], a, tags)
	}
	dst = append(dst, `,"tags":`...)
	dst = appendTags(dst, tags)
	dst = append(dst, ',')
	dst = append(dst, e.enrichment...)
	return append(dst, '}'), nil
}

// appendArticleFields appends `{` and the fields of a in encoding/json's
// order and omission rules, without the closing brace. It reports false
// for a time that time.Time.MarshalJSON refuses.
func appendArticleFields(b []byte, a *article.Article) ([]byte, bool) {
	b = append(b, `{"schema":`...)
	b = strconv.AppendInt(b, int64(a.Schema), 10)
	b = append(b, `,"id":`...)
	b = appendString(b, a.ID)
	for _, f := range [...]struct{ key, v string }{
		{`,"url":`, a.URL}, {`,"source":`, a.Source}, {`,"guid":`, a.GUID}, {`,"title":`, a.Title},
		{`,"summary":`, a.Summary}, {`,"body":`, a.Body}, {`,"language":`, a.Language},
	} {
		if f.v != "" {
			b = append(b, f.key...)
			b = appendString(b, f.v)
		}
	}
	if len(a.Authors) > 0 {
		b = append(b, `,"authors":`...)
		b = appendStrings(b, a.Authors)
	}
	for _, f := range [...]struct {
		key string
		t   *time.Time
	}{{`,"published":`, &a.Published}, {`,"updated":`, &a.Updated}, {`,"ingested":`, &a.Ingested}} {
		if f.t.IsZero() {
			continue
		}
		q, err := f.t.MarshalJSON()
		if err != nil {
			return b, false
		}
		b = append(b, f.key...)
		b = append(b, q...)
	}
	return b, true
}

// marshal is the plain encoding/json path.
func (e *lineEncoder) marshal(dst []byte, a *article.Article, tags *article.Tags) ([]byte, error) {
	out, err := json.Marshal(&article.Enriched{Article: *a, Tags: *tags, Enrichment: article.Enrichment{Version: e.version}})
	if err != nil {
		return dst, fmt.Errorf("encode enriched article: %w", err)
	}
	return append(dst, out...), nil
}

func finiteSalience(tags *article.Tags) bool {
	for i := range tags.Countries {
		if s := tags.Countries[i].Salience; math.IsNaN(s) || math.IsInf(s, 0) {
			return false
		}
	}
	return true
}

func appendTags(b []byte, t *article.Tags) []byte {
	b = append(b, `{"countries":`...)
	if t.Countries == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range t.Countries {
			c := &t.Countries[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"code":`...)
			b = appendString(b, c.Code)
			b = append(b, `,"name":`...)
			b = appendString(b, c.Name)
			b = append(b, `,"mentions":`...)
			b = strconv.AppendInt(b, int64(c.Mentions), 10)
			b = append(b, `,"salience":`...)
			b = appendFloat(b, c.Salience)
			if c.Role != "" {
				b = append(b, `,"role":`...)
				b = appendString(b, c.Role)
			}
			b = append(b, `,"spans":`...)
			b = appendSpans(b, c.Spans)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"leaders":`...)
	if t.Leaders == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range t.Leaders {
			l := &t.Leaders[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = appendString(b, l.ID)
			b = append(b, `,"name":`...)
			b = appendString(b, l.Name)
			b = append(b, `,"country":`...)
			b = appendString(b, l.Country)
			b = append(b, `,"role":`...)
			b = appendString(b, l.Role)
			if l.ResolvedBy != "" {
				b = append(b, `,"resolved_by":`...)
				b = appendString(b, l.ResolvedBy)
			}
			b = append(b, `,"mentions":`...)
			b = strconv.AppendInt(b, int64(l.Mentions), 10)
			b = append(b, `,"spans":`...)
			b = appendSpans(b, l.Spans)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"treaties":`...)
	if t.Treaties == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range t.Treaties {
			tr := &t.Treaties[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = appendString(b, tr.ID)
			if tr.QID != "" {
				b = append(b, `,"qid":`...)
				b = appendString(b, tr.QID)
			}
			b = append(b, `,"name":`...)
			b = appendString(b, tr.Name)
			b = append(b, `,"parties":`...)
			b = appendStrings(b, tr.Parties)
			b = append(b, `,"action":`...)
			b = appendString(b, tr.Action)
			b = append(b, `,"mentions":`...)
			b = strconv.AppendInt(b, int64(tr.Mentions), 10)
			b = append(b, `,"spans":`...)
			b = appendSpans(b, tr.Spans)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"keywords":`...)
	b = appendStrings(b, t.Keywords)
	return append(b, '}')
}

func appendSpans(b []byte, spans []article.Span) []byte {
	if spans == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range spans {
		s := &spans[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"field":`...)
		b = appendString(b, s.Field)
		b = append(b, `,"start":`...)
		b = strconv.AppendInt(b, int64(s.Start), 10)
		b = append(b, `,"end":`...)
		b = strconv.AppendInt(b, int64(s.End), 10)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendString quotes s as encoding/json does, HTML escaping included:
// quote and backslash escaped, \b \f \n \r \t by name and the other
// control characters as \u00XX, <, > and & as \u003c, \u003e and
// \u0026, U+2028 and U+2029 escaped, and each invalid UTF-8 byte
// replaced by \ufffd. Runs of bytes that need none of this are copied
// at once.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendFloat writes a finite float64 as encoding/json does.
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// "1e-07" is written "1e-7".
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
