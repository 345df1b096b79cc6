package enrich

import (
	"testing"
	"time"
)

// TestLeaderRules checks each leader rule by the name it reports.
func TestLeaderRules(t *testing.T) {
	runRuleCases(t, KindLeader, time.Date(2024, 6, 19, 0, 0, 0, 0, time.UTC), []ruleCase{
		{"full name", "Vladimir Putin arrived.", []string{"Q7747 full-name"}},
		{"distinctive surname", "Putin arrived.", []string{"Q7747 distinctive-surname"}},
		{"surname after the full name", "Kim Jong Un spoke. Kim left.", []string{"Q56226 full-name", "Q56226 surname-established"}},
		{"title and surname in office", "President Xi spoke.", []string{"Q15031 title+surname-in-office"}},
		{"another person of the same surname", "Kim Yo Jong spoke.", nil},
		{"an administration is no person", "The Biden administration objected.", nil},
		{"title of a country on the date", "The Russian president spoke.", []string{"Q7747 title-of-country-on-date"}},
		{"former title", "The former Russian president spoke.", nil},
		{"title followed by a name", "The Russian president Boris Yeltsin spoke.", []string{"l-boris-yeltsin full-name"}},
	})
}
