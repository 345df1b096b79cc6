package embedded

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/analysis/tokenmap"
	"github.com/blevesearch/bleve/v2/mapping"
)

// mappingVersion names the layout written by buildMapping. An index on
// disk built with another layout is refused at Open; it is rebuilt by
// replaying the enriched topic into a fresh directory.
const mappingVersion = "newswire-articles-2"

// Field names of an indexed document.
const (
	fieldID        = "id"
	fieldTitle     = "title"
	fieldSummary   = "summary"
	fieldBody      = "body"
	fieldCountries = "countries"
	fieldLeaders   = "leaders"
	fieldTreaties  = "treaties"
	fieldKeywords  = "keywords"
	fieldSource    = "source"
	fieldLanguage  = "language"
	fieldPublished = "published"
	fieldPubSort   = "published_sort" // published in Unix ms, missingPublished when absent
	fieldDay       = "day"            // published day, YYYY-MM-DD in UTC
	fieldDisplay   = "display"        // JSON of what a hit shows, stored only
	fieldStory     = "story"          // index.StoryKey, stored for collapsing
	fieldArticle   = "article"        // the enriched article's JSON, stored only
	fieldActions   = "treaty_actions" // "treaty id:action" per treaty tag
	fieldVersion   = "version"        // index.DocVersion, stored only, added outside the mapping (mappedDoc)
	// fieldSubjects holds index.SubjectCountries: indexed as keywords with
	// doc values (filters, the facet, the subject boost), never stored. It
	// is added outside the mapping (mappedDoc) so that indexes created
	// before it existed keep their mapping; Open fills it in for their
	// documents once (subjects.go).
	fieldSubjects = "subject_countries"
)

// textAnalyzer is English text analysis made to agree with the
// Elasticsearch "english" analyzer: Unicode word split, possessive 's
// dropped, lower case, the same short stop list, Porter stemming.
const textAnalyzer = "newswire_english"

// englishStopWords is the short English stop list that Lucene's English
// analyzer uses (Bleve's own list is much longer, which would make the two
// engines disagree on words such as "against" or "will").
var englishStopWords = []any{
	"a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if",
	"in", "into", "is", "it", "no", "not", "of", "on", "or", "such", "that",
	"the", "their", "then", "there", "these", "they", "this", "to", "was",
	"will", "with",
}

func buildMapping() (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	if err := im.AddCustomTokenMap("newswire_english_stop_words", map[string]any{
		"type":   tokenmap.Name,
		"tokens": englishStopWords,
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomTokenFilter("newswire_english_stop", map[string]any{
		"type":           stop.Name,
		"stop_token_map": "newswire_english_stop_words",
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomAnalyzer(textAnalyzer, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []any{en.PossessiveName, lowercase.Name, "newswire_english_stop", porter.Name},
	}); err != nil {
		return nil, err
	}

	text := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = textAnalyzer
		f.Store = false
		f.IncludeTermVectors = true // phrase queries need positions
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	kw := func() *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = true // facets and sorting
		return f
	}
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fieldID, kw())
	doc.AddFieldMappingsAt(fieldTitle, text())
	doc.AddFieldMappingsAt(fieldSummary, text())
	doc.AddFieldMappingsAt(fieldBody, text())
	for _, f := range []string{fieldCountries, fieldLeaders, fieldTreaties, fieldKeywords, fieldSource, fieldLanguage, fieldDay, fieldActions} {
		doc.AddFieldMappingsAt(f, kw())
	}
	pub := bleve.NewDateTimeFieldMapping()
	pub.Store = false
	pub.IncludeInAll = false
	pub.DocValues = false
	doc.AddFieldMappingsAt(fieldPublished, pub)
	ps := bleve.NewNumericFieldMapping()
	ps.Store = false
	ps.IncludeInAll = false
	ps.DocValues = true
	doc.AddFieldMappingsAt(fieldPubSort, ps)
	disp := bleve.NewKeywordFieldMapping()
	disp.Index = false
	disp.Store = true
	disp.IncludeInAll = false
	disp.DocValues = false
	doc.AddFieldMappingsAt(fieldDisplay, disp)
	st := kw()
	st.Store = true
	doc.AddFieldMappingsAt(fieldStory, st)
	art := bleve.NewKeywordFieldMapping()
	art.Index = false
	art.Store = true
	art.IncludeInAll = false
	art.DocValues = false
	doc.AddFieldMappingsAt(fieldArticle, art)

	im.DefaultMapping = doc
	im.DefaultAnalyzer = textAnalyzer
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	return im, nil
}
