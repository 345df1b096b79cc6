package alert

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/article"
)

// Event types, in the "type" field of every alert-topic record and
// webhook body.
const (
	TypeAlert  = "alert"
	TypeDigest = "digest"
)

// EventSchema is the version of the Alert and Digest JSON.
const EventSchema = 1

// Alert is one alert: rule R matched article A. It is the value of the
// alerts-topic record (keyed by ID), the body of a webhook delivery and
// the data of a stream event. The JSON is a public contract.
type Alert struct {
	Schema    int               `json:"schema"`
	Type      string            `json:"type"` // TypeAlert
	ID        string            `json:"id"`   // AlertID(rule, article)
	RuleID    string            `json:"rule_id"`
	RuleName  string            `json:"rule_name"`
	ArticleID string            `json:"article_id"`
	Title     string            `json:"title"`
	URL       string            `json:"url,omitempty"`
	Source    string            `json:"source,omitempty"`
	Published time.Time         `json:"published,omitzero"`
	Terms     []match.TermHit   `json:"terms"`
	Entities  []match.EntityHit `json:"entities"`
	// Snippet is plain text (not HTML) around the first matched word.
	Snippet string    `json:"snippet"`
	At      time.Time `json:"at"` // when the match was made
}

// AlertID is the id (and Kafka key) of the alert of rule ruleID on
// article articleID: "ruleID/articleID". Rule ids hold no "/".
func AlertID(ruleID, articleID string) string { return ruleID + "/" + articleID }

// NewAlert builds the alert of one match.
func NewAlert(m match.Match, e *article.Enriched, at time.Time) Alert {
	return Alert{
		Schema: EventSchema, Type: TypeAlert, ID: AlertID(m.RuleID, e.ID),
		RuleID: m.RuleID, RuleName: m.RuleName, ArticleID: e.ID,
		Title: e.Title, URL: e.URL, Source: e.Source, Published: e.Published.UTC(),
		Terms: m.Terms, Entities: m.Entities, Snippet: Snippet(e, m), At: at.UTC(),
	}
}

// Snippet sizes, in bytes.
const (
	snippetLen    = 240
	snippetBefore = 80
)

// Snippet returns up to about 240 bytes of plain text around the first
// matched word of the summary or body (else of the title, else the start
// of the summary or body), cut at spaces, whitespace collapsed, with "…"
// where text was cut.
func Snippet(e *article.Enriched, m match.Match) string {
	best := article.Span{Start: -1}
	rank := func(f string) int {
		switch f {
		case article.FieldSummary:
			return 0
		case article.FieldBody:
			return 1
		}
		return 2
	}
	consider := func(s article.Span) {
		if s.Start < 0 || s.End > len(e.Field(s.Field)) || s.Start > s.End {
			return
		}
		if best.Start < 0 || rank(s.Field) < rank(best.Field) || (s.Field == best.Field && s.Start < best.Start) {
			best = s
		}
	}
	for _, t := range m.Terms {
		for _, s := range t.Spans {
			consider(s)
		}
	}
	if best.Start < 0 || best.Field == article.FieldTitle {
		for _, h := range m.Entities {
			for _, s := range h.Spans {
				consider(s)
			}
		}
	}
	text, at := e.Summary, 0
	if text == "" {
		text = e.Body
	}
	if best.Start >= 0 && best.Field != article.FieldTitle {
		text, at = e.Field(best.Field), best.Start
	}
	return window(text, at)
}

// window cuts about snippetLen bytes of text starting a little before at.
func window(text string, at int) string {
	start := max(0, at-snippetBefore)
	if start > 0 {
		// Move forward to the start of a word.
		if i := strings.IndexFunc(text[start:at], unicode.IsSpace); i >= 0 {
			start += i + 1
		} else {
			for start < at && !utf8.RuneStart(text[start]) {
				start++
			}
		}
	}
	end := min(len(text), start+snippetLen)
	if end < len(text) {
		if i := strings.LastIndexFunc(text[start:end], unicode.IsSpace); i > snippetLen/2 {
			end = start + i
		} else {
			for end > start && !utf8.RuneStart(text[end]) {
				end--
			}
		}
	}
	s := strings.Join(strings.Fields(text[start:end]), " ")
	if start > 0 {
		s = "…" + s
	}
	if end < len(text) {
		s += "…"
	}
	return s
}

// matchedTags lists what made an alert match, for people to read (Slack
// and email): each entity as "<kind>: <name>", a subject country as
// "about: <name>", then each matched term in quotes.
func matchedTags(a Alert) []string {
	var tags []string
	for _, e := range a.Entities {
		v := e.ID
		if e.Name != "" && e.Name != e.ID {
			v = e.Name
		}
		kind := e.Kind
		if kind == match.KindSubjectCountry {
			kind = "about"
		}
		tags = append(tags, kind+": "+v)
	}
	for _, t := range a.Terms {
		tags = append(tags, "“"+t.Text+"”")
	}
	return tags
}
