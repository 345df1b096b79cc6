package enrich

import (
	"testing"
	"time"
)

// TestCountryRules checks each country rule by the name it reports.
func TestCountryRules(t *testing.T) {
	runRuleCases(t, KindCountry, time.Date(2024, 6, 19, 0, 0, 0, 0, time.UTC), []ruleCase{
		{"strong alias", "Talks with Ukraine resumed.", []string{"UA strong-alias"}},
		{"demonym naming a language", "She answered in French.", nil},
		{"demonym as the country", "French troops landed.", []string{"FR strong-alias"}},
		{"seat naming a treaty", "The Paris Agreement set the Paris goals.", nil},
		{"weak alias alone", "Jordan scored twice.", nil},
		{"weak alias in a list", "Egypt, Jordan and Iraq met.", []string{"EG strong-alias", "IQ strong-alias", "JO weak-in-list-of-countries"}},
		{"weak alias in state context", "The government of Jordan said no.", []string{"JO weak-in-state-context"}},
		{"weak alias confirmed by a strong one", "Jordanian officials said Jordan agreed.", []string{"JO strong-alias", "JO weak-confirmed-by-strong-mention"}},
		{"weak seat in a dateline", "VIENNA (Newswire) — Talks began.", []string{"AT weak-seat-in-dateline"}},
		{"weak seat as a meeting place", "Talks in Vienna began.", []string{"AT weak-seat-as-venue"}},
		{"weak seat alone", "Vienna is lovely in May.", nil},
		{"ambiguous default", "Fighting in Congo spread.", []string{"CD ambiguous-default"}},
		{"ambiguous resolved by the article", "Brazzaville said Congo would vote. The Republic of the Congo agreed.", []string{"CG ambiguous-resolved-by-article", "CG strong-alias"}},
		{"ambiguous unresolved", "Korea talks stalled.", nil},
		{"person name", "Chad Smith played.", nil},
	})
}
