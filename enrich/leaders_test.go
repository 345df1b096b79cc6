package enrich

import (
	"testing"
	"time"
)

// TestLeaderRules checks each leader rule by the name it reports.
func TestLeaderRules(t *testing.T) {
	runRuleCases(t, KindLeader, time.Date(2024, 6, 19, 0, 0, 0, 0, time.UTC), []ruleCase{
		{"full name", "Vladimir Putin arrived.", []string{"Q7747 full-name"}},
		{"past leader named with the office", "Prime Minister José Luis Rodríguez Zapatero spoke.", []string{"Q41395 full-name"}},
		{"shared surname, the primary leader", "Putin and Kim met in Pyongyang.", []string{"Q56226 surname-in-office-primary", "Q7747 distinctive-surname"}},
		{"title and surname of a past holder", "President Roh Moo-hyun crossed the border.", []string{"Q14345 full-name"}},
		{"Russian inflected surname", "Переговоры с Путиным продлятся два дня.", []string{"Q7747 distinctive-surname"}},
		{"Chinese name in running text", "习近平会见普京。", []string{"Q15031 full-name", "Q7747 full-name"}},
		{"distinctive surname", "Putin arrived.", []string{"Q7747 distinctive-surname"}},
		{"surname after the full name", "Kim Jong Un spoke. Kim left.", []string{"Q56226 full-name", "Q56226 surname-established"}},
		{"title and surname in office", "President Xi spoke.", []string{"Q15031 title+surname-in-office"}},
		{"another person of the same surname", "Kim Yo Jong spoke.", nil},
		{"an administration is no person", "The Biden administration objected.", nil},
		{"title of a country on the date", "The Russian president spoke.", []string{"Q7747 title-of-country-on-date"}},
		{"former title", "The former Russian president spoke.", nil},
		{"title followed by a name", "The Russian president Boris Yeltsin spoke.", []string{"Q34453 full-name"}},
	})
}
