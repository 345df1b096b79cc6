package elastic

import (
	"slices"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// addSearchFields fills the document fields that collapsing, timelines,
// subject filters and the detail view read: the story key, the subject
// countries, "treaty:action" values, and the whole enriched article (kept
// in _source, not indexed).
func addSearchFields(d *document, e *article.Enriched) {
	d.Story = index.StoryKey(e)
	d.SubjectCountries = index.SubjectCountries(e)
	for _, t := range e.Tags.Treaties {
		if a := index.TreatyAction(t); a != "" && !slices.Contains(d.TreatyActions, a) {
			d.TreatyActions = append(d.TreatyActions, a)
		}
	}
	d.Article = e
}
