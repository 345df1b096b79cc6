package index

import (
	"reflect"
	"testing"

	"github.com/newswire/newswire/article"
)

func TestSubjectCountries(t *testing.T) {
	tag := func(code, role string) article.CountryTag { return article.CountryTag{Code: code, Role: role} }
	tests := []struct {
		name string
		tags []article.CountryTag
		want []string
	}{
		{name: "no tags", want: nil},
		{name: "subjects only", tags: []article.CountryTag{tag("KP", RoleSubject), tag("ES", RoleVenue), tag("FR", RoleMention)}, want: []string{"KP"}},
		{name: "no role counts as subject", tags: []article.CountryTag{tag("ru", ""), tag("US", RoleVenue)}, want: []string{"RU"}},
		{name: "cleaned and distinct", tags: []article.CountryTag{tag(" kp ", RoleSubject), tag("KP", ""), tag("", RoleSubject)}, want: []string{"KP"}},
		{name: "unknown role is not a subject", tags: []article.CountryTag{tag("KP", "host")}, want: nil},
		{name: "venue only", tags: []article.CountryTag{tag("ES", RoleVenue)}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &article.Enriched{Tags: article.Tags{Countries: tt.tags}}
			if got := SubjectCountries(e); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("SubjectCountries = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBoostCountries(t *testing.T) {
	tests := []struct {
		name string
		q    Query
		want []string
	}{
		{name: "none", q: Query{Sort: SortRelevance}, want: nil},
		{
			name: "filters then entities, distinct",
			q: Query{Sort: SortRelevance, Countries: []string{"KP", "RU"}, Entities: []Mention{
				{Kind: KindCountries, ID: "RU", Words: "russia"}, {Kind: KindLeaders, ID: "Q7747"}, {Kind: KindCountries, ID: "CN"},
			}},
			want: []string{"KP", "RU", "CN"},
		},
		{name: "subject filters do not boost", q: Query{Sort: SortRelevance, SubjectCountries: []string{"KP"}}, want: nil},
		{name: "newest order has no scores", q: Query{Sort: SortNewest, Countries: []string{"KP"}}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.q.BoostCountries(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("BoostCountries = %q, want %q", got, tt.want)
			}
		})
	}
}
