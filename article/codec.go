package article

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits bound the size of an article. Zero fields take the defaults.
type Limits struct {
	MaxRecord  int // bytes of the whole JSON record (default 2 MiB)
	MaxBody    int // bytes of body (default 1 MiB)
	MaxTitle   int // bytes of title (default 2 KiB)
	MaxSummary int // bytes of summary (default 64 KiB)
}

// DefaultLimits are the limits used when none are configured.
var DefaultLimits = Limits{MaxRecord: 2 << 20, MaxBody: 1 << 20, MaxTitle: 2 << 10, MaxSummary: 64 << 10}

func (l Limits) withDefaults() Limits {
	if l.MaxRecord <= 0 {
		l.MaxRecord = DefaultLimits.MaxRecord
	}
	if l.MaxBody <= 0 {
		l.MaxBody = DefaultLimits.MaxBody
	}
	if l.MaxTitle <= 0 {
		l.MaxTitle = DefaultLimits.MaxTitle
	}
	if l.MaxSummary <= 0 {
		l.MaxSummary = DefaultLimits.MaxSummary
	}
	return l
}

// ErrInvalid is wrapped by every error that reports a malformed or invalid
// article. Such an article will never become valid by retrying: consumers
// treat it as poison.
var ErrInvalid = errors.New("invalid article")

// FieldError is one problem with one field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every problem found in one article.
type ValidationError struct {
	Problems []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Field == "" {
			parts[i] = p.Message
		} else {
			parts[i] = p.Field + ": " + p.Message
		}
	}
	return "invalid article: " + strings.Join(parts, "; ")
}

// Unwrap lets errors.Is(err, ErrInvalid) hold.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func (e *ValidationError) add(field, format string, args ...any) {
	e.Problems = append(e.Problems, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (e *ValidationError) err() error {
	if len(e.Problems) == 0 {
		return nil
	}
	return e
}

// plainArticle has Article's fields without its methods, so that wire can
// embed it and shadow the time fields.
type plainArticle Article

// wire is an article as read from JSON: the time fields as strings (they
// shadow the embedded ones), so that a bad time is reported with its field
// name and one pass over the bytes suffices.
type wire struct {
	plainArticle
	Published *string `json:"published"`
	Updated   *string `json:"updated"`
	Ingested  *string `json:"ingested"`
}

// Decode parses one JSON article, checking size, UTF-8, JSON syntax, time
// formats and the schema version. It does not fill in defaults or validate
// content; see Normalize and Validate. Every error wraps ErrInvalid.
func Decode(b []byte, lim Limits) (Article, error) { return decode(b, lim, decodeCommon) }

// decode is Decode with the one-pass reader to try first; encoding/json
// reads what it does not take.
func decode(b []byte, lim Limits, onePass func([]byte, *wire) bool) (Article, error) {
	lim = lim.withDefaults()
	ve := &ValidationError{}
	if len(b) > lim.MaxRecord {
		ve.add("", "record is %d bytes, over the limit of %d", len(b), lim.MaxRecord)
		return Article{}, ve
	}
	if !utf8.Valid(b) {
		ve.add("", "record is not valid UTF-8 (first bad byte at offset %d)", firstInvalidUTF8(b))
		return Article{}, ve
	}
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		ve.add("", "record is not a JSON object")
		return Article{}, ve
	}
	var w wire
	if !onePass(trimmed, &w) {
		w = wire{}
		if err := json.Unmarshal(trimmed, &w); err != nil {
			ve.add("", "malformed JSON: %s", jsonErrorText(err))
			return Article{}, ve
		}
	}
	a := Article(w.plainArticle)
	for _, f := range []struct {
		name string
		v    *string
		dst  *time.Time
	}{{"published", w.Published, &a.Published}, {"updated", w.Updated, &a.Updated}, {"ingested", w.Ingested, &a.Ingested}} {
		if f.v == nil || *f.v == "" { // absent or empty: no time
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, *f.v)
		if err != nil {
			ve.add(f.name, "%q is not an RFC 3339 time", *f.v)
			continue
		}
		*f.dst = t
	}
	if err := ve.err(); err != nil {
		return a, err
	}
	if a.Schema != 0 && a.Schema != SchemaVersion {
		ve.add("schema", "version %d is not supported (this build reads %d)", a.Schema, SchemaVersion)
		return a, ve
	}
	return a, nil
}

func jsonErrorText(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "value"
		}
		return fmt.Sprintf("%s must be %s, not %s", field, te.Type.String(), te.Value)
	}
	return err.Error()
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// Normalize fills in what producers own: the schema version, the derived
// id when absent, the ingest time, trimmed strings. It returns an error
// (wrapping ErrInvalid) only when no id can be derived.
func Normalize(a *Article, now time.Time) error {
	a.Schema = SchemaVersion
	a.URL = strings.TrimSpace(a.URL)
	a.Source = strings.TrimSpace(a.Source)
	a.GUID = strings.TrimSpace(a.GUID)
	a.Title = strings.TrimSpace(a.Title)
	a.Summary = strings.TrimSpace(a.Summary)
	a.Language = strings.ToLower(strings.TrimSpace(a.Language))
	a.ID = strings.TrimSpace(a.ID)
	if a.ID == "" {
		id, err := DeriveID(a.URL, a.Source, a.GUID)
		if err != nil {
			ve := &ValidationError{}
			ve.add("id", "absent and %v", err)
			return ve
		}
		a.ID = id
	}
	if a.Ingested.IsZero() {
		a.Ingested = now.UTC()
	}
	return nil
}

// Validate checks an article's content against the schema and the limits
// and reports every problem at once. The error wraps ErrInvalid.
func Validate(a *Article, lim Limits) error {
	lim = lim.withDefaults()
	ve := &ValidationError{}
	if a.Schema != SchemaVersion {
		ve.add("schema", "must be %d, got %d", SchemaVersion, a.Schema)
	}
	if a.ID == "" && a.URL == "" {
		ve.add("id", "absent and cannot be derived: url, or source and guid, required")
	}
	if len(a.ID) > MaxIDBytes {
		ve.add("id", "is %d bytes, over the limit of %d", len(a.ID), MaxIDBytes)
	}
	if msg := checkID(a.ID); msg != "" {
		ve.add("id", "%s", msg)
	}
	if a.URL != "" {
		if _, err := CanonicalURL(a.URL); err != nil {
			ve.add("url", "%v", err)
		} else if msg := checkScheme(a.URL); msg != "" {
			ve.add("url", "%s", msg)
		}
	}
	if strings.TrimSpace(a.Title) == "" && strings.TrimSpace(a.Body) == "" {
		ve.add("title", "title or body required")
	}
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{{"title", a.Title, lim.MaxTitle}, {"summary", a.Summary, lim.MaxSummary}, {"body", a.Body, lim.MaxBody}} {
		if len(f.v) > f.max {
			ve.add(f.name, "is %d bytes, over the limit of %d", len(f.v), f.max)
		}
		if !utf8.ValidString(f.v) {
			ve.add(f.name, "is not valid UTF-8")
		}
	}
	for _, s := range []struct{ name, v string }{{"id", a.ID}, {"url", a.URL}, {"source", a.Source}, {"language", a.Language}} {
		if !utf8.ValidString(s.v) {
			ve.add(s.name, "is not valid UTF-8")
		}
	}
	if a.Ingested.IsZero() {
		ve.add("ingested", "required (set by the producer)")
	}
	for _, f := range []struct {
		name string
		t    time.Time
	}{{"published", a.Published}, {"updated", a.Updated}, {"ingested", a.Ingested}} {
		if !f.t.IsZero() && !TimeInRange(f.t) {
			ve.add(f.name, "%s is outside the range the search stores hold (%s to %s)",
				f.t.Format(time.RFC3339Nano), MinTime.Format(time.DateOnly), MaxTime.Format(time.DateOnly))
		}
	}
	if !a.Updated.IsZero() && !a.Published.IsZero() && a.Updated.Before(a.Published) {
		ve.add("updated", "is before published")
	}
	return ve.err()
}

// Parse decodes, normalises and validates one article: what a producer does
// with every incoming record.
func Parse(b []byte, lim Limits, now time.Time) (Article, error) {
	a, err := Decode(b, lim)
	if err != nil {
		return a, err
	}
	nerr := Normalize(&a, now)
	// Validate reports every problem, including the one that kept
	// Normalize from deriving an id.
	if err := Validate(&a, lim); err != nil {
		return a, err
	}
	return a, nerr
}

// Marshal encodes an article as one line of JSON (no trailing newline).
func Marshal(a *Article) ([]byte, error) { return json.Marshal(a) }

// DecodeEnriched parses one enriched article. Every error wraps ErrInvalid.
func DecodeEnriched(b []byte, lim Limits) (Enriched, error) {
	var e Enriched
	lim = lim.withDefaults()
	if len(b) > lim.MaxRecord*2 {
		return e, &ValidationError{Problems: []FieldError{{Message: fmt.Sprintf("record is %d bytes, over the limit of %d", len(b), lim.MaxRecord*2)}}}
	}
	if !utf8.Valid(b) {
		return e, &ValidationError{Problems: []FieldError{{Message: fmt.Sprintf("record is not valid UTF-8 (first bad byte at offset %d)", firstInvalidUTF8(b))}}}
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, &ValidationError{Problems: []FieldError{{Message: "malformed JSON: " + jsonErrorText(err)}}}
	}
	if e.ID == "" {
		return e, &ValidationError{Problems: []FieldError{{Field: "id", Message: "required"}}}
	}
	if e.Schema != SchemaVersion {
		return e, &ValidationError{Problems: []FieldError{{Field: "schema", Message: fmt.Sprintf("version %d is not supported (this build reads %d)", e.Schema, SchemaVersion)}}}
	}
	return e, nil
}
