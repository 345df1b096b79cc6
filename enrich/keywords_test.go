package enrich

import (
	"slices"
	"testing"
)

func TestInflect(t *testing.T) {
	cases := []struct {
		w    string
		want []string
	}{
		{"tariff", []string{"tariffs", "tariffes", "tariffed", "tariffing"}},
		{"raise", []string{"raises", "raisees", "raiseed", "raiseing", "raised", "raising"}},
		{"embargo", []string{"embargos", "embargoes", "embargoed", "embargoing"}},
		{"deny", []string{"denys", "denyes", "denyed", "denying", "denies", "denied"}},
		{"trade war", []string{"trade wars"}},
	}
	for _, c := range cases {
		if got := inflect(c.w); !slices.Equal(got, c.want) {
			t.Errorf("inflect(%q) = %q, want %q", c.w, got, c.want)
		}
	}
}

// TestExtraKeywords checks that extra keywords match in their inflected
// forms, are reported in their base form, and ignore blanks.
func TestExtraKeywords(t *testing.T) {
	tg, err := New(Options{ExtraKeywords: []string{" Embargo ", "", "trade war"}})
	if err != nil {
		t.Fatal(err)
	}
	got := tg.TagQuery("embargoed goods and trade wars", zeroTime).Keywords
	if want := []string{"embargo", "trade war"}; !slices.Equal(got, want) {
		t.Errorf("keywords = %q, want %q", got, want)
	}
}
