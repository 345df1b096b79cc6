package article

import (
	"unicode/utf8"
)

// decodeCommon reads the common shape of an article record into w in one
// pass: a flat object whose keys are the lower-case field names, each at
// most once, with string values (an array of strings for authors, a small
// non-negative integer for schema) and the usual escapes. It reports false
// for anything else (null, other keys or casings, nesting, numbers in
// other forms, surrogate escapes, syntax errors) and then leaves w in an
// unspecified state: the caller decodes the record again with
// encoding/json, which gives the same result for every record this
// accepts and the precise error or lenient reading for the rest.
// FuzzDecodeCommonMatchesJSON holds the two equal.
//
// b must be valid UTF-8, which Decode checks first.
func decodeCommon(b []byte, w *wire) bool {
	d := fastDecoder{b: b}
	if !d.byte('{') {
		return false
	}
	var seen uint16
	if d.peek() == '}' {
		d.i++
		return d.end()
	}
	for {
		key, ok := d.key()
		if !ok || !d.byte(':') {
			return false
		}
		f := fieldIndex(key)
		if f < 0 || seen&(1<<f) != 0 {
			return false
		}
		seen |= 1 << f
		if !d.value(w, f) {
			return false
		}
		switch d.next() {
		case ',':
			continue
		case '}':
			return d.end()
		default:
			return false
		}
	}
}

// The fields decodeCommon knows, by index.
const (
	fSchema = iota
	fID
	fURL
	fSource
	fGUID
	fTitle
	fSummary
	fBody
	fLanguage
	fAuthors
	fPublished
	fUpdated
	fIngested
)

func fieldIndex(key []byte) int {
	switch string(key) { // no allocation: the compiler compares in place
	case "schema":
		return fSchema
	case "id":
		return fID
	case "url":
		return fURL
	case "source":
		return fSource
	case "guid":
		return fGUID
	case "title":
		return fTitle
	case "summary":
		return fSummary
	case "body":
		return fBody
	case "language":
		return fLanguage
	case "authors":
		return fAuthors
	case "published":
		return fPublished
	case "updated":
		return fUpdated
	case "ingested":
		return fIngested
	}
	return -1
}

type fastDecoder struct {
	b []byte
	i int
}

func (d *fastDecoder) skipSpace() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (d *fastDecoder) peek() byte {
	d.skipSpace()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// next consumes and returns the next byte after white space.
func (d *fastDecoder) next() byte {
	c := d.peek()
	if c != 0 {
		d.i++
	}
	return c
}

func (d *fastDecoder) byte(c byte) bool { return d.next() == c }

// end reports whether only white space is left.
func (d *fastDecoder) end() bool { return d.peek() == 0 && d.i == len(d.b) }

// key reads an object key without escapes, returning its bytes in place.
func (d *fastDecoder) key() ([]byte, bool) {
	if !d.byte('"') {
		return nil, false
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c == '"' {
			k := d.b[start:d.i]
			d.i++
			return k, true
		}
		if c == '\\' || c < 0x20 {
			return nil, false
		}
		d.i++
	}
	return nil, false
}

func (d *fastDecoder) value(w *wire, f int) bool {
	switch f {
	case fSchema:
		return d.smallInt(&w.Schema)
	case fAuthors:
		return d.strings(&w.Authors)
	}
	s, ok := d.str()
	if !ok {
		return false
	}
	switch f {
	case fPublished, fUpdated, fIngested:
		t := s // only a time field's value moves to the heap
		*timeField(w, f) = &t
	default:
		*textField(w, f) = s
	}
	return true
}

// timeField is the time field of w with index f, as read: a string.
func timeField(w *wire, f int) **string {
	return [...]**string{fPublished: &w.Published, fUpdated: &w.Updated, fIngested: &w.Ingested}[f]
}

// textField is the plain string field of w with index f.
func textField(w *wire, f int) *string {
	return [...]*string{fID: &w.ID, fURL: &w.URL, fSource: &w.Source, fGUID: &w.GUID, fTitle: &w.Title,
		fSummary: &w.Summary, fBody: &w.Body, fLanguage: &w.Language}[f]
}

// smallInt reads 0 or a positive integer of at most 9 digits without a
// leading zero, fraction or exponent.
func (d *fastDecoder) smallInt(v *int) bool {
	d.skipSpace()
	start, n := d.i, 0
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		n = n*10 + int(d.b[d.i]-'0')
		d.i++
	}
	digits := d.i - start
	if digits == 0 || digits > 9 || (digits > 1 && d.b[start] == '0') {
		return false
	}
	if d.i < len(d.b) {
		switch d.b[d.i] {
		case '.', 'e', 'E':
			return false
		}
	}
	*v = n
	return true
}

// strings reads an array of strings.
func (d *fastDecoder) strings(v *[]string) bool {
	if !d.byte('[') {
		return false
	}
	list := []string{}
	if d.peek() == ']' {
		d.i++
		*v = list
		return true
	}
	for {
		s, ok := d.str()
		if !ok {
			return false
		}
		list = append(list, s)
		switch d.next() {
		case ',':
			continue
		case ']':
			*v = list
			return true
		default:
			return false
		}
	}
}

// str reads a string value. A string without escapes is copied once; one
// with escapes is built rune by rune. Surrogate escapes (\uD800–\uDFFF),
// which encoding/json pairs or replaces, are left to it.
func (d *fastDecoder) str() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := string(d.b[start:d.i])
			d.i++
			return s, true
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			return "", false
		}
		d.i++
	}
	return "", false
}

func (d *fastDecoder) escaped(start int) (string, bool) {
	out := make([]byte, 0, d.i-start+64)
	out = append(out, d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.b) {
			return "", false
		}
		e := d.b[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok || (r >= 0xD800 && r <= 0xDFFF) {
				return "", false
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	return "", false
}

func (d *fastDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	d.i += 4
	return r, true
}
