package producers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/newswire/newswire/article"
)

// Input line formats recognised by DetectFormat.
const (
	FormatNewswire = "newswire" // newswire's own article JSON
	FormatNinjs    = "ninjs"    // IPTC ninjs 1.x or 2.x
)

// ninjsContentKeys are the ninjs properties that carry the story itself.
var ninjsContentKeys = []string{"headline", "headlines", "body_text", "bodies", "body_html", "body_xhtml"}

// DetectFormat tells which format one JSON line is in. A line is ninjs when
// it has no "schema" key, has a "uri" key and at least one of headline,
// headlines, body_text, bodies (or body_html/body_xhtml), and either has a
// "type" key or has neither "url" nor "body" (keys that only newswire uses;
// "type" is optional in ninjs and some agencies leave it out). Anything
// else, including a line that is not a JSON object, is "newswire", so that
// the newswire parser reports the error.
func DetectFormat(line []byte) string {
	t := bytes.TrimSpace(line)
	if len(t) == 0 || t[0] != '{' {
		return FormatNewswire
	}
	// Fast path for the common case: without the literal key "uri" (a key
	// spelt with escapes does not count) a line cannot be ninjs.
	if !bytes.Contains(t, []byte(`"uri"`)) {
		return FormatNewswire
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(t, &keys); err != nil {
		return FormatNewswire
	}
	if _, ok := keys["schema"]; ok {
		return FormatNewswire
	}
	if _, ok := keys["uri"]; !ok {
		return FormatNewswire
	}
	content := false
	for _, k := range ninjsContentKeys {
		if _, ok := keys[k]; ok {
			content = true
			break
		}
	}
	if !content {
		return FormatNewswire
	}
	if _, ok := keys["type"]; ok {
		return FormatNinjs
	}
	_, hasURL := keys["url"]
	_, hasBody := keys["body"]
	if hasURL || hasBody {
		return FormatNewswire
	}
	return FormatNinjs
}

// ParseAny is article.Parse for a line in either format: it detects the
// format, decodes, then normalises and validates exactly as article.Parse
// does. Every error wraps article.ErrInvalid.
func ParseAny(line []byte, lim article.Limits, now time.Time) (article.Article, error) {
	if DetectFormat(line) == FormatNewswire {
		return article.Parse(line, lim, now)
	}
	maxRecord := lim.MaxRecord
	if maxRecord <= 0 {
		maxRecord = article.DefaultLimits.MaxRecord
	}
	if len(line) > maxRecord {
		return article.Article{}, invalid("", "record is %d bytes, over the limit of %d", len(line), maxRecord)
	}
	a, err := DecodeNinjs(line)
	if err != nil {
		return a, err
	}
	nerr := article.Normalize(&a, now)
	if err := article.Validate(&a, lim); err != nil {
		return a, err
	}
	return a, nerr
}

// ninjsText is a ninjs 2.x headline, description or body.
type ninjsText struct {
	Role        string `json:"role"`
	ContentType string `json:"contenttype"`
	Value       string `json:"value"`
}

// ninjsEntity is a person, organisation or info source (both versions).
type ninjsEntity struct {
	Name string `json:"name"`
	Rel  string `json:"rel"`
	Role string `json:"role"`
}

type ninjsLink struct {
	Href string `json:"href"`
	Rel  string `json:"rel"`
}

type ninjsAltID struct {
	Role  string `json:"role"`
	Value string `json:"value"`
}

// ninjsDoc holds the ninjs properties newswire maps; the rest are ignored.
type ninjsDoc struct {
	URI             string          `json:"uri"`
	Type            string          `json:"type"`
	Language        string          `json:"language"`
	VersionCreated  string          `json:"versioncreated"`
	FirstCreated    string          `json:"firstcreated"`
	Headline        string          `json:"headline"`
	Headlines       []ninjsText     `json:"headlines"`
	DescriptionText string          `json:"description_text"`
	DescriptionHTML string          `json:"description_html"`
	Descriptions    []ninjsText     `json:"descriptions"`
	BodyText        string          `json:"body_text"`
	BodyHTML        string          `json:"body_html"`
	BodyXHTML       string          `json:"body_xhtml"`
	Bodies          []ninjsText     `json:"bodies"`
	By              string          `json:"by"`
	Byline          string          `json:"byline"`
	People          []ninjsEntity   `json:"people"` // 2.x
	Person          []ninjsEntity   `json:"person"` // 1.x
	Links           []ninjsLink     `json:"links"`
	AltIDs          json.RawMessage `json:"altids"` // 2.x array, 1.x object
	Provider        json.RawMessage `json:"provider"`
	InfoSources     []ninjsEntity   `json:"infosources"`
	CopyrightHolder string          `json:"copyrightholder"`
}

// DecodeNinjs maps one IPTC ninjs (1.x or 2.x) object to an article. It
// does not normalise or validate; see ParseAny. Every error wraps
// article.ErrInvalid.
//
// Mapping:
//   - GUID = uri; URL = uri when it is an http(s) URL, replaced by a link
//     with rel "canonical" (then "self"), or an altid with role
//     "canonical", "self" or "url", whose value is an http(s) URL.
//   - Title = headline (1.x), else the headline with role "main", else the
//     first of headlines (2.x); markup is stripped.
//   - Summary = description_text, else description_html as text, else the
//     first of descriptions (as text when its contenttype is HTML).
//   - Body = body_text, else the first plain-text entry of bodies, else
//     body_html / body_xhtml / an HTML entry of bodies converted to text.
//   - Authors = people (2.x) or person (1.x) with rel "author" or
//     "creator"; when none, the by / byline string (without a leading
//     "By ") as one author.
//   - Published = firstcreated, Updated = versioncreated.
//   - Source = provider (a string, or an object's name), else the first
//     info source's name, else copyrightholder: the organisation that
//     supplies the item. "located" names the place the story was filed
//     from, not who published it, so it never becomes the source.
func DecodeNinjs(b []byte) (article.Article, error) {
	var a article.Article
	if !utf8.Valid(b) {
		return a, invalid("", "record is not valid UTF-8")
	}
	var d ninjsDoc
	if err := json.Unmarshal(bytes.TrimSpace(b), &d); err != nil {
		return a, invalid("", "malformed ninjs: %v", err)
	}
	ve := &article.ValidationError{}
	if strings.TrimSpace(d.URI) == "" {
		ve.Problems = append(ve.Problems, article.FieldError{Field: "uri", Message: "required in ninjs"})
	}
	a.GUID = strings.TrimSpace(d.URI)
	if isHTTPURL(a.GUID) {
		a.URL = a.GUID
	}
	if u := ninjsCanonical(d); u != "" {
		a.URL = u
	}

	a.Title = ninjsTitle(d)
	a.Summary = ninjsSummary(d)
	a.Body = ninjsBody(d)
	a.Language = d.Language
	a.Authors = ninjsAuthors(d)
	a.Source = ninjsSource(d)

	for _, f := range []struct {
		name string
		v    string
		dst  *time.Time
	}{{"firstcreated", d.FirstCreated, &a.Published}, {"versioncreated", d.VersionCreated, &a.Updated}} {
		if strings.TrimSpace(f.v) == "" {
			continue
		}
		t, err := parseNinjsTime(f.v)
		if err != nil {
			ve.Problems = append(ve.Problems, article.FieldError{Field: f.name, Message: fmt.Sprintf("%q is not a date-time", f.v)})
			continue
		}
		*f.dst = t
	}
	if len(ve.Problems) > 0 {
		return a, ve
	}
	return a, nil
}

func invalid(field, format string, args ...any) error {
	return &article.ValidationError{Problems: []article.FieldError{{Field: field, Message: fmt.Sprintf(format, args...)}}}
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// ninjsTimeLayouts are tried in order; RFC 3339 is what the standard asks
// for, the others are common in the wild.
var ninjsTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02"}

func parseNinjsTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	var err error
	for _, l := range ninjsTimeLayouts {
		var t time.Time
		if t, err = time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
}

func ninjsCanonical(d ninjsDoc) string {
	for _, rel := range []string{"canonical", "self"} {
		for _, l := range d.Links {
			if strings.EqualFold(l.Rel, rel) && isHTTPURL(strings.TrimSpace(l.Href)) {
				return strings.TrimSpace(l.Href)
			}
		}
	}
	for _, alt := range ninjsAltIDs(d.AltIDs) {
		switch strings.ToLower(alt.Role) {
		case "canonical", "self", "url":
			if isHTTPURL(strings.TrimSpace(alt.Value)) {
				return strings.TrimSpace(alt.Value)
			}
		}
	}
	return ""
}

// ninjsAltIDs reads altids in either shape: a 2.x array of {role, value}
// or a 1.x object mapping role to value.
func ninjsAltIDs(raw json.RawMessage) []ninjsAltID {
	if len(raw) == 0 {
		return nil
	}
	var arr []ninjsAltID
	if json.Unmarshal(raw, &arr) == nil {
		return arr
	}
	var obj map[string]string
	if json.Unmarshal(raw, &obj) == nil {
		// Fixed order so that the choice is deterministic.
		for _, role := range []string{"canonical", "self", "url"} {
			if v, ok := obj[role]; ok {
				arr = append(arr, ninjsAltID{Role: role, Value: v})
			}
		}
	}
	return arr
}

func isHTMLType(ct string) bool {
	ct = strings.ToLower(ct)
	return strings.Contains(ct, "html") || strings.Contains(ct, "xml")
}

// textOf returns the plain text of a 2.x text object.
func textOf(t ninjsText) string {
	if isHTMLType(t.ContentType) || strings.EqualFold(t.Role, "html") {
		return HTMLToText(t.Value)
	}
	return strings.TrimSpace(t.Value)
}

func ninjsTitle(d ninjsDoc) string {
	if s := strings.TrimSpace(d.Headline); s != "" {
		return HTMLToText(s)
	}
	for _, h := range d.Headlines {
		if strings.EqualFold(h.Role, "main") {
			if s := HTMLToText(h.Value); s != "" {
				return s
			}
		}
	}
	for _, h := range d.Headlines {
		if s := HTMLToText(h.Value); s != "" {
			return s
		}
	}
	return ""
}

func ninjsSummary(d ninjsDoc) string {
	if s := strings.TrimSpace(d.DescriptionText); s != "" {
		return s
	}
	if s := HTMLToText(d.DescriptionHTML); s != "" {
		return s
	}
	for _, t := range d.Descriptions {
		if s := textOf(t); s != "" {
			return s
		}
	}
	return ""
}

func ninjsBody(d ninjsDoc) string {
	if s := strings.TrimSpace(d.BodyText); s != "" {
		return s
	}
	for _, t := range d.Bodies {
		if !isHTMLType(t.ContentType) && !strings.EqualFold(t.Role, "html") {
			if s := strings.TrimSpace(t.Value); s != "" {
				return s
			}
		}
	}
	for _, h := range []string{d.BodyHTML, d.BodyXHTML} {
		if s := HTMLToText(h); s != "" {
			return s
		}
	}
	for _, t := range d.Bodies {
		if s := textOf(t); s != "" {
			return s
		}
	}
	return ""
}

func ninjsAuthors(d ninjsDoc) []string {
	var out []string
	seen := map[string]bool{}
	for _, group := range [][]ninjsEntity{d.People, d.Person} {
		for _, p := range group {
			rel := strings.ToLower(p.Rel)
			name := strings.TrimSpace(p.Name)
			if name == "" || seen[name] || (rel != "author" && rel != "creator") {
				continue
			}
			seen[name] = true
			out = append(out, name)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, by := range []string{d.By, d.Byline} {
		by = strings.TrimSpace(by)
		if len(by) > 3 && strings.EqualFold(by[:3], "by ") {
			by = strings.TrimSpace(by[3:])
		}
		if by != "" {
			return []string{by}
		}
	}
	return nil
}

func ninjsSource(d ninjsDoc) string {
	if len(d.Provider) > 0 {
		var s string
		if json.Unmarshal(d.Provider, &s) == nil && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
		var e ninjsEntity
		if json.Unmarshal(d.Provider, &e) == nil && strings.TrimSpace(e.Name) != "" {
			return strings.TrimSpace(e.Name)
		}
	}
	for _, is := range d.InfoSources {
		if s := strings.TrimSpace(is.Name); s != "" {
			return s
		}
	}
	return strings.TrimSpace(d.CopyrightHolder)
}
