package alert

import (
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/index"
)

func TestCandidateQuery(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		q    match.Query
		text string
		ents string // countries|subject countries|leaders|treaties|keywords
	}{
		{"words", match.Query{Text: "Treaty signed"}, "treaty signed", "||||"},
		{"phrase as words, exclusions dropped", match.Query{Text: `"New START" -rumour -"fake news"`}, "new start", "||||"},
		{"near as words", match.Query{Text: "pact", Near: &match.Near{A: "Kim", B: "Putin", Within: 5}}, "pact kim putin", "||||"},
		{"punctuation splits", match.Query{Text: "u.s.-led"}, "u s led", "||||"},
		{"entities are filters", match.Query{Countries: []string{"KP", "RU"}, Leaders: []string{"Q7747"}, Treaties: []string{"t-new-start"}, Keywords: []string{"summit"}},
			"", "KP,RU||Q7747|t-new-start|summit"},
		{"subject countries are the subject filter", match.Query{Text: "summit", Countries: []string{"RU"}, SubjectCountries: []string{"KP", "ES"}},
			"summit", "RU|KP,ES|||"},
		{"nested subject countries left to the matcher", match.Query{Text: "summit", Any: []match.Query{{SubjectCountries: []string{"KP"}}}, Not: []match.Query{{SubjectCountries: []string{"US"}}}},
			"summit", "||||"},
		{"any, not and sources left to the matcher", match.Query{Sources: []string{"x"}, Any: []match.Query{{Text: "a"}}, Not: []match.Query{{Countries: []string{"US"}}}}, "", "||||"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iq := CandidateQuery(tc.q, from)
			ents := strings.Join(iq.Countries, ",") + "|" + strings.Join(iq.SubjectCountries, ",") + "|" + strings.Join(iq.Leaders, ",") + "|" + strings.Join(iq.Treaties, ",") + "|" + strings.Join(iq.Keywords, ",")
			if iq.Text != tc.text || ents != tc.ents {
				t.Errorf("text %q entities %q, want %q %q", iq.Text, ents, tc.text, tc.ents)
			}
			if !iq.From.Equal(from) || !iq.To.IsZero() || iq.Sort != index.SortNewest || iq.Collapse || len(iq.Sources) > 0 || len(iq.Any) > 0 || len(iq.Exclude.Countries) > 0 || len(iq.Exclude.SubjectCountries) > 0 {
				t.Errorf("window, sort or narrowing filters wrong: %+v", iq)
			}
		})
	}
}
