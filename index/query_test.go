package index

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestParseText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Text
	}{
		{name: "empty", in: "", want: Text{}},
		{name: "blank", in: "  \t ", want: Text{}},
		{name: "words", in: "Treaty  Korea", want: Text{Terms: []string{"treaty", "korea"}}},
		{name: "duplicates", in: "treaty TREATY Treaty", want: Text{Terms: []string{"treaty"}}},
		{name: "phrase", in: `"North  Korea" summit`, want: Text{Terms: []string{"summit"}, Phrases: []string{"north korea"}}},
		{name: "exclusions", in: `summit -Trump -"white house"`, want: Text{Terms: []string{"summit"}, Exclude: []string{"trump"}, ExcludePhrases: []string{"white house"}}},
		{name: "unbalanced quote", in: `sanctions "new start treaty`, want: Text{Terms: []string{"sanctions"}, Phrases: []string{"new start treaty"}}},
		{name: "empty phrase", in: `"" "  " x`, want: Text{Terms: []string{"x"}}},
		{name: "lone minus", in: "a - b", want: Text{Terms: []string{"a", "b"}}},
		{name: "punctuation", in: "treaty, (korea)! u.s.", want: Text{Terms: []string{"treaty", "korea", "u.s"}}},
		{name: "inner hyphen kept", in: "well-known", want: Text{Terms: []string{"well-known"}}},
		{name: "quote glued to word", in: `abc"def ghi"`, want: Text{Terms: []string{"abc"}, Phrases: []string{"def ghi"}}},
		{name: "unicode", in: "Žluť Москва", want: Text{Terms: []string{"žluť", "москва"}}},
		{name: "only exclusion", in: "-war", want: Text{Exclude: []string{"war"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseText(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseText(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
			}
			if got.Empty() != (tt.want.Empty()) {
				t.Fatalf("Empty() = %v", got.Empty())
			}
		})
	}
}

func FuzzParseText(f *testing.F) {
	for _, s := range []string{`a "b c" -d -"e f"`, `"`, `-`, `-"`, "\xff\"x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ParseText(s)
		for _, list := range [][]string{got.Terms, got.Phrases, got.Exclude, got.ExcludePhrases} {
			seen := map[string]bool{}
			for _, v := range list {
				if v == "" || seen[v] {
					t.Fatalf("ParseText(%q): empty or repeated entry %q in %q", s, v, list)
				}
				seen[v] = true
			}
		}
	})
}

func TestQueryNormalize(t *testing.T) {
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		in      Query
		want    Query
		wantErr bool
	}{
		{name: "defaults", in: Query{}, want: Query{Sort: SortRelevance, Size: DefaultSize, FacetSize: FacetSize}},
		{name: "clamp size", in: Query{Size: 1000}, want: Query{Sort: SortRelevance, Size: MaxSize, FacetSize: FacetSize}},
		{name: "keeps size", in: Query{Size: 7, Sort: SortNewest}, want: Query{Sort: SortNewest, Size: 7, FacetSize: FacetSize}},
		{name: "negative size", in: Query{Size: -1}, wantErr: true},
		{name: "bad sort", in: Query{Sort: "oldest"}, wantErr: true},
		{name: "from after to", in: Query{From: day.Add(time.Hour), To: day}, wantErr: true},
		{name: "from equals to", in: Query{From: day, To: day}, want: Query{From: day, To: day, Sort: SortRelevance, Size: DefaultSize, FacetSize: FacetSize}},
		{
			name: "filters cleaned",
			in: Query{
				Text:      "  treaty ",
				Countries: []string{"kp", " RU", "KP", ""},
				Leaders:   []string{"Q7747", "Q7747"},
				Treaties:  []string{" ", "new-start"},
				Keywords:  []string{"Summit", "summit", "treaty"},
				Sources:   []string{"Reuters", "reuters"},
			},
			want: Query{
				Text:      "treaty",
				Countries: []string{"KP", "RU"},
				Leaders:   []string{"Q7747"},
				Treaties:  []string{"new-start"},
				Keywords:  []string{"summit", "treaty"},
				Sources:   []string{"Reuters", "reuters"},
				Sort:      SortRelevance,
				Size:      DefaultSize,
				FacetSize: FacetSize,
			},
		},
		{
			name: "exclusions, any and facet size",
			in:   Query{Exclude: Filters{Countries: []string{"us", "US"}}, Any: []string{"Countries"}, FacetSize: 1000},
			want: Query{Exclude: Filters{Countries: []string{"US"}}, Any: []string{"countries"}, Sort: SortRelevance, Size: DefaultSize, FacetSize: MaxFacetSize},
		},
		{
			name: "subject countries",
			in: Query{
				SubjectCountries: []string{" kp", "KP", "", "ru"},
				Exclude:          Filters{SubjectCountries: []string{"es ", "ES"}},
				Any:              []string{"Subject_Countries"},
			},
			want: Query{
				SubjectCountries: []string{"KP", "RU"},
				Exclude:          Filters{SubjectCountries: []string{"ES"}},
				Any:              []string{KindSubjectCountries},
				Sort:             SortRelevance, Size: DefaultSize, FacetSize: FacetSize,
			},
		},
		{name: "unknown kind in any", in: Query{Any: []string{"planets"}}, wantErr: true},
		{name: "subject is not a kind", in: Query{Any: []string{"subject"}}, wantErr: true},
		{name: "negative facet size", in: Query{FacetSize: -1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.in
			err := q.Normalize()
			if tt.wantErr {
				if !errors.Is(err, ErrBadQuery) {
					t.Fatalf("Normalize() error = %v, want one wrapping ErrBadQuery", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize(): %v", err)
			}
			if !reflect.DeepEqual(q, tt.want) {
				t.Fatalf("Normalize()\n got %#v\nwant %#v", q, tt.want)
			}
		})
	}
}

func TestCollapsedCursor(t *testing.T) {
	c := CollapsedCursor(SortNewest, 40)
	if off, err := DecodeCollapsedCursor(c, SortNewest); err != nil || off != 40 {
		t.Fatalf("round trip: %d, %v", off, err)
	}
	for name, tc := range map[string]struct{ cursor, sort string }{
		"other sort": {c, SortRelevance},
		"plain cursor": {EncodeCursor(struct {
			Sort  string   `json:"s"`
			After []string `json:"a"`
		}{SortNewest, []string{"1", "x"}}), SortNewest},
		"offset out of range": {CollapsedCursor(SortNewest, MaxCollapsedOffset+MaxSize+1), SortNewest},
		"offset zero":         {CollapsedCursor(SortNewest, 0), SortNewest},
		"not base64":          {"%%", SortNewest},
	} {
		if _, err := DecodeCollapsedCursor(tc.cursor, tc.sort); !errors.Is(err, ErrBadQuery) {
			t.Errorf("%s: error %v, want ErrBadQuery", name, err)
		}
	}
}
