// Package article defines newswire's event schema: the Article that
// producers write to the raw topic, the Enriched article that the enricher
// writes to the enriched topic, and the tag types the tagger fills in.
//
// The JSON encoding of these types is a public contract (see the README):
// field names never change within a schema version. Article ids are derived
// deterministically from the canonical URL (or from source and GUID), so the
// same story ingested twice maps to the same id, the same Kafka key and the
// same search document.
//
// This package imports nothing else of the project.
package article

import "time"

// SchemaVersion is the version written in the "schema" field of every event.
const SchemaVersion = 1

// Article is one news article as it travels on the raw topic.
type Article struct {
	Schema    int       `json:"schema"`
	ID        string    `json:"id"`
	URL       string    `json:"url,omitempty"`
	Source    string    `json:"source,omitempty"`
	GUID      string    `json:"guid,omitempty"`
	Title     string    `json:"title,omitempty"`
	Summary   string    `json:"summary,omitempty"`
	Body      string    `json:"body,omitempty"`
	Language  string    `json:"language,omitempty"`
	Authors   []string  `json:"authors,omitempty"`
	Published time.Time `json:"published,omitzero"`
	Updated   time.Time `json:"updated,omitzero"`
	Ingested  time.Time `json:"ingested,omitzero"`
}

// VersionTime is the time that orders versions of one article: updated,
// else published, else ingested. The indexer uses it as the external
// document version so that an older version never overwrites a newer one.
func (a *Article) VersionTime() time.Time {
	switch {
	case !a.Updated.IsZero():
		return a.Updated
	case !a.Published.IsZero():
		return a.Published
	default:
		return a.Ingested
	}
}

// Field returns the text of a named text field ("title", "summary", "body")
// so that spans can be resolved against it. Unknown names yield "".
func (a *Article) Field(name string) string {
	switch name {
	case FieldTitle:
		return a.Title
	case FieldSummary:
		return a.Summary
	case FieldBody:
		return a.Body
	}
	return ""
}

// Names of the text fields that spans refer to.
const (
	FieldTitle   = "title"
	FieldSummary = "summary"
	FieldBody    = "body"
)

// Enriched is an article plus the tags the enricher found in it. It is the
// payload of the enriched topic and the input of the indexer and alerter.
type Enriched struct {
	Article
	Tags       Tags       `json:"tags"`
	Enrichment Enrichment `json:"enrichment"`
	// Story groups near-duplicate copies of one report (syndicated
	// copies, light rewrites); nil when the article was not clustered.
	Story *StoryRef `json:"story,omitempty"`
}

// StoryRef names the story an article belongs to. Every copy of one
// story carries the same ID; package story computes it.
type StoryRef struct {
	ID string `json:"id"`
}

// Tags are the entities and alert keywords found in an article.
type Tags struct {
	Countries []CountryTag `json:"countries"`
	Leaders   []LeaderTag  `json:"leaders"`
	Treaties  []TreatyTag  `json:"treaties"`
	Keywords  []string     `json:"keywords"`
}

// Span locates one mention: byte offsets [Start, End) in the named field.
type Span struct {
	Field string `json:"field"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// CountryTag is a country (or bloc) the article speaks of.
type CountryTag struct {
	Code     string  `json:"code"` // ISO 3166-1 alpha-2 (XK for Kosovo, EU for the bloc)
	Name     string  `json:"name"`
	Mentions int     `json:"mentions"`
	Salience float64 `json:"salience"`
	// Role is "subject" (the article is about it), "venue" (only named as
	// the place where something happens: "talks in Paris", a dateline) or
	// "mention" (named once in passing, late in the body).
	Role  string `json:"role,omitempty"`
	Spans []Span `json:"spans"`
}

// LeaderTag is a political leader the article speaks of.
type LeaderTag struct {
	ID      string `json:"id"` // Wikidata QID where known
	Name    string `json:"name"`
	Country string `json:"country"`
	Role    string `json:"role"`
	// ResolvedBy says how the person was chosen among the holders of a
	// name or title: "date" (in office on the article's date) or "name"
	// (no date, or nobody of that name in office then: the best-supported
	// bearer of the name).
	ResolvedBy string `json:"resolved_by,omitempty"`
	Mentions   int    `json:"mentions"`
	Spans      []Span `json:"spans"`
}

// TreatyTag is a treaty, pact or accord the article speaks of.
type TreatyTag struct {
	ID       string   `json:"id"`
	QID      string   `json:"qid,omitempty"` // Wikidata item of the treaty, where known
	Name     string   `json:"name"`
	Parties  []string `json:"parties"` // ISO codes, or "multilateral"
	Action   string   `json:"action"`  // negotiated, signed, ratified, suspended, withdrew, extended, mentioned
	Mentions int      `json:"mentions"`
	Spans    []Span   `json:"spans"`
}

// Enrichment records which tagger produced the tags.
type Enrichment struct {
	Version string    `json:"version"`
	At      time.Time `json:"at,omitzero"`
}

// CountryCodes returns the codes of the tagged countries, in tag order.
func (t *Tags) CountryCodes() []string {
	out := make([]string, 0, len(t.Countries))
	for _, c := range t.Countries {
		out = append(out, c.Code)
	}
	return out
}
