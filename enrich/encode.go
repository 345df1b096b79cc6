package enrich

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/newswire/newswire/article"
)

// lineEncoder writes enriched articles as JSON, byte for byte what
// json.Marshal of article.Enriched writes. The article's own fields go
// through encoding/json; the tags, many small structs, are appended by
// hand, which spares the reflection per span. TestEncodeMatchesMarshal
// holds the two equal.
type lineEncoder struct {
	buf        bytes.Buffer
	enc        *json.Encoder
	version    string
	enrichment []byte // `"enrichment":{...}` of this version
}

func newLineEncoder(version string) (*lineEncoder, error) {
	e := &lineEncoder{version: version}
	e.enc = json.NewEncoder(&e.buf)
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
	e.buf.Reset()
	if err := e.enc.Encode(a); err != nil {
		return dst, fmt.Errorf("encode enriched article: %w", err)
	}
	obj := bytes.TrimSuffix(e.buf.Bytes(), []byte("\n"))
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return e.marshal(dst, a, tags)
	}
	dst = append(dst, obj[:len(obj)-1]...)
	if len(obj) > 2 {
		dst = append(dst, ',')
	}
	dst = append(dst, `"tags":`...)
	dst = appendTags(dst, tags)
	dst = append(dst, ',')
	dst = append(dst, e.enrichment...)
	return append(dst, '}'), nil
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

// appendString quotes s as encoding/json does: a string of printable
// ASCII without quotes, backslashes or HTML characters is copied as is;
// any other goes through encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, err := json.Marshal(s)
			if err != nil { // cannot happen for a string
				panic(err)
			}
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
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
