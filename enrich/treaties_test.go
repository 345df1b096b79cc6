package enrich

import (
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
)

// TestTreatyParties checks how the parties of a described treaty are
// found: coreference of "the two countries", signers after the treaty
// word, parliaments, datelines, negation and generic catalogue aliases.
func TestTreatyParties(t *testing.T) {
	tg, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, body string
		want       []string // treaty id(parties), in order
	}{
		{"two countries", "Indonesia and Malaysia finalised their sea border. The two countries signed a treaty on Monday.", []string{"x-id-my-treaty(ID,MY)"}},
		{"two leaders", "Australia and the United States met. The two leaders also signed a critical minerals agreement.", []string{"x-au-us-agreement(AU,US)"}},
		{"two countries without antecedents", "The two countries signed a treaty.", nil},
		{"negated", "Russia and Ukraine did not sign a treaty on Friday.", nil},
		{"not bound", "India and Pakistan are not bound by any treaty on that.", nil},
		{"signers after the treaty word", "It was part of the withdrawal agreement that Boris Johnson signed with the EU in 2019.", []string{"t-brexit-withdrawal(EU,GB)"}},
		{"parliament", "The Sejm ratified the treaty with Ukraine.", []string{"x-pl-ua-treaty(PL,UA)"}},
		{"dateline is a venue", "MONTEVIDEO, Dec 6 (Reuters) - The European Union and Mercosur concluded a free trade agreement on Friday.", nil},
		{"hyphenated compound", "Britain joined the bloc in its biggest post-Brexit deal.", nil},
		{"generic alias needs its parties", "The two leaders signed a critical minerals agreement.", nil},
		{"indefinite is a new instrument", "Germany and France agreed. The two countries signed an agreement on hydrogen.", []string{"x-de-fr-agreement(DE,FR)"}},
		{"dated indefinite", "Mexico, the United States and Canada are bound by a free trade agreement signed in 2018.", []string{"t-usmca(CA,MX,US)"}},
		{"short name", "The Philippines and the United States are allies. China objected. They are bound by a 1951 Mutual Defense Treaty.", []string{"t-us-ph-mdt(PH,US)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := article.Article{ID: "x", Body: c.body, Published: time.Date(2025, 11, 3, 0, 0, 0, 0, time.UTC)}
			var got []string
			for _, tr := range tg.Tag(&a).Treaties {
				got = append(got, tr.ID+"("+strings.Join(tr.Parties, ",")+")")
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

// TestTreatyRules checks each treaty rule by the name it reports.
func TestTreatyRules(t *testing.T) {
	runRuleCases(t, KindTreaty, time.Date(2024, 6, 19, 0, 0, 0, 0, time.UTC), []ruleCase{
		{"catalog name", "Iran and the NPT.", []string{"t-npt catalog"}},
		{"anaphora", "Russia left the New START. The treaty expires.", []string{"t-new-start anaphora", "t-new-start catalog"}},
		{"described with stated parties", "Russia and Vietnam signed a cooperation agreement.", []string{"x-ru-vn-agreement described"}},
		{"bare indefinite is hypothetical", "They hope to reach an agreement with Iran.", nil},
		// Two catalogued RU-US treaties hold these words (START I, New START):
		// the one named earlier wins.
		{"described by the words of one named earlier", "Russia left the New START. Moscow and Washington signed the arms reduction treaty in 2010.", []string{"t-new-start catalog", "t-new-start described-named-words"}},
	})
}
