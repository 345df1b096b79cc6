package index

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/newswire/newswire/article"
)

// Text is a parsed free-text query. Every slice holds lower-cased,
// de-duplicated entries in the order they first appear.
//
// The syntax: words separated by spaces must all match (AND); a
// "double-quoted phrase" must match as adjacent words; a leading minus
// excludes a word (-word) or a phrase (-"some phrase"). A quote left open
// runs to the end of the text. Punctuation around a word is dropped.
type Text struct {
	Terms          []string
	Phrases        []string
	Exclude        []string
	ExcludePhrases []string
}

// Empty reports whether the text asks for nothing: no term, phrase or
// exclusion.
func (t Text) Empty() bool {
	return len(t.Terms) == 0 && len(t.Phrases) == 0 && len(t.Exclude) == 0 && len(t.ExcludePhrases) == 0
}

// ParseText splits a free-text query into terms, phrases and exclusions.
// It never fails: any input yields some Text, possibly empty.
func ParseText(s string) Text {
	var t Text
	rs := []rune(strings.ToLower(s))
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		neg := false
		if rs[i] == '-' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			neg = true
			i++
		}
		if rs[i] == '"' {
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				j++
			}
			phrase := strings.Join(strings.Fields(string(rs[i+1:j])), " ")
			i = j + 1
			if phrase == "" {
				continue
			}
			if neg {
				t.ExcludePhrases = appendUnique(t.ExcludePhrases, phrase)
			} else {
				t.Phrases = appendUnique(t.Phrases, phrase)
			}
			continue
		}
		j := i
		for j < len(rs) && !unicode.IsSpace(rs[j]) && rs[j] != '"' {
			j++
		}
		word := trimPunct(string(rs[i:j]))
		i = j
		if word == "" {
			continue
		}
		if neg {
			t.Exclude = appendUnique(t.Exclude, word)
		} else {
			t.Terms = appendUnique(t.Terms, word)
		}
	}
	return t
}

// trimPunct drops leading and trailing characters that are neither letters
// nor digits.
func trimPunct(w string) string {
	return strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

// Normalize validates q and fills in defaults in place: Sort "" becomes
// SortRelevance, Size 0 becomes DefaultSize and a Size above MaxSize is
// clamped to MaxSize; country codes are upper-cased, keywords lower-cased,
// every filter value trimmed, empty values dropped and repeats removed.
// Errors wrap ErrBadQuery.
func (q *Query) Normalize() error {
	q.Text = strings.TrimSpace(q.Text)
	switch q.Sort {
	case "":
		q.Sort = SortRelevance
	case SortRelevance, SortNewest:
	default:
		return fmt.Errorf("sort %q is not %q or %q: %w", q.Sort, SortRelevance, SortNewest, ErrBadQuery)
	}
	switch {
	case q.Size < 0:
		return fmt.Errorf("size %d is negative: %w", q.Size, ErrBadQuery)
	case q.Size == 0:
		q.Size = DefaultSize
	case q.Size > MaxSize:
		q.Size = MaxSize
	}
	for _, b := range []struct {
		name string
		t    time.Time
	}{{"from", q.From}, {"to", q.To}} {
		if !b.t.IsZero() && !article.TimeInRange(b.t) {
			return fmt.Errorf("%s %s is outside the range the stores hold (%s to %s): %w", b.name,
				b.t.Format(time.RFC3339Nano), article.MinTime.Format(time.DateOnly), article.MaxTime.Format(time.DateOnly), ErrBadQuery)
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.From.After(q.To) {
		return fmt.Errorf("from %s is after to %s: %w", q.From.Format("2006-01-02T15:04:05Z07:00"), q.To.Format("2006-01-02T15:04:05Z07:00"), ErrBadQuery)
	}
	q.Countries = cleanValues(q.Countries, strings.ToUpper)
	q.SubjectCountries = cleanValues(q.SubjectCountries, strings.ToUpper)
	q.Leaders = cleanValues(q.Leaders, nil)
	q.Treaties = cleanValues(q.Treaties, nil)
	q.Keywords = cleanValues(q.Keywords, strings.ToLower)
	q.Sources = cleanValues(q.Sources, nil)
	q.Story = strings.TrimSpace(q.Story)
	for i := range q.Entities {
		m := &q.Entities[i]
		m.ID, m.Words = strings.TrimSpace(m.ID), strings.TrimSpace(m.Words)
		switch m.Kind {
		case KindCountries:
			m.ID = strings.ToUpper(m.ID)
		case KindLeaders, KindTreaties:
		default:
			return fmt.Errorf("entity kind %q is not countries, leaders or treaties: %w", m.Kind, ErrBadQuery)
		}
		if m.ID == "" {
			return fmt.Errorf("entity mention %q has no id: %w", m.Words, ErrBadQuery)
		}
	}
	x := &q.Exclude
	x.Countries = cleanValues(x.Countries, strings.ToUpper)
	x.SubjectCountries = cleanValues(x.SubjectCountries, strings.ToUpper)
	x.Leaders = cleanValues(x.Leaders, nil)
	x.Treaties = cleanValues(x.Treaties, nil)
	x.Keywords = cleanValues(x.Keywords, strings.ToLower)
	x.Sources = cleanValues(x.Sources, nil)
	q.Any = cleanValues(q.Any, strings.ToLower)
	for _, k := range q.Any {
		switch k {
		case KindCountries, KindSubjectCountries, KindLeaders, KindTreaties, KindKeywords, KindSources:
		default:
			return fmt.Errorf("filter kind %q is not one of %s: %w", k, strings.Join(FilterKinds, ", "), ErrBadQuery)
		}
	}
	switch {
	case q.FacetSize < 0:
		return fmt.Errorf("facet size %d is negative: %w", q.FacetSize, ErrBadQuery)
	case q.FacetSize == 0:
		q.FacetSize = FacetSize
	case q.FacetSize > MaxFacetSize:
		q.FacetSize = MaxFacetSize
	}
	return nil
}

// cleanValues trims, maps, drops empty values and repeats, keeping order.
func cleanValues(in []string, mapFn func(string) string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, 0, len(in))
	for _, v := range in {
		v = strings.TrimSpace(v)
		if mapFn != nil {
			v = mapFn(v)
		}
		if v != "" {
			out = appendUnique(out, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// EncodeCursor turns an engine's page position into an opaque cursor:
// v as JSON, in URL-safe base64 without padding.
func EncodeCursor(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Engines pass plain structs of strings and numbers.
		panic(fmt.Sprintf("encode cursor: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// collapsedCursor is the cursor of a collapsed search's next page: the
// sort it belongs to and an offset. Its fields and names are those of
// the engines' own cursors, whose After it never has.
type collapsedCursor struct {
	Sort      string          `json:"s"`
	After     json.RawMessage `json:"a,omitempty"`
	Off       int             `json:"o,omitempty"`
	Collapsed bool            `json:"c,omitempty"`
}

// CollapsedCursor is the cursor of the collapsed page at offset off of a
// search sorted by sortName.
func CollapsedCursor(sortName string, off int) string {
	return EncodeCursor(collapsedCursor{Sort: sortName, Off: off, Collapsed: true})
}

// DecodeCollapsedCursor reverses CollapsedCursor, checking that the cursor
// belongs to a collapsed search sorted by sortName and that its offset is
// within MaxCollapsedOffset. Errors wrap ErrBadQuery.
func DecodeCollapsedCursor(s, sortName string) (int, error) {
	var c collapsedCursor
	if err := DecodeCursor(s, &c); err != nil {
		return 0, err
	}
	if c.Sort != sortName || !c.Collapsed || c.After != nil {
		return 0, fmt.Errorf("cursor does not belong to a collapsed %s search: %w", sortName, ErrBadQuery)
	}
	if c.Off < 1 || c.Off > MaxCollapsedOffset+MaxSize {
		return 0, fmt.Errorf("cursor offset %d is out of range: %w", c.Off, ErrBadQuery)
	}
	return c.Off, nil
}

// DecodeCursor reverses EncodeCursor into v, rejecting unknown fields and
// trailing data; numbers decode as json.Number. Errors wrap ErrBadQuery.
func DecodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("cursor is not valid base64: %w", ErrBadQuery)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("cursor is malformed: %w", ErrBadQuery)
	}
	if dec.More() {
		return fmt.Errorf("cursor has trailing data: %w", ErrBadQuery)
	}
	return nil
}
