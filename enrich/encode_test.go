package enrich

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
)

// marshalWant is the reference encoding: encoding/json of article.Enriched.
func marshalWant(t *testing.T, a *article.Article, tags article.Tags, version string) []byte {
	t.Helper()
	want, err := json.Marshal(&article.Enriched{Article: *a, Tags: tags, Enrichment: article.Enrichment{Version: version}})
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// TestEncodeMatchesMarshal holds the hand-written encoding of tags equal
// to encoding/json's on every labelled article of every language.
func TestEncodeMatchesMarshal(t *testing.T) {
	tg, err := New(Options{ExtraKeywords: []string{"R&D", "<merger>", "über"}})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := newLineEncoder(tg.Version())
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"testdata/devset.jsonl", "testdata/blind.jsonl", "testdata/blind2.jsonl", "testdata/heldout.jsonl"}
	for _, l := range v2Sets {
		paths = append(paths, "testdata/blind-v2-"+l+".jsonl")
	}
	n := 0
	for _, p := range paths {
		for _, d := range loadSet(t, p) {
			a := d.Article
			tags := tg.Tag(&a)
			got, err := enc.encode(nil, &a, &tags)
			if err != nil {
				t.Fatalf("%s %s: %v", p, a.ID, err)
			}
			if want := marshalWant(t, &a, tags, tg.Version()); !bytes.Equal(got, want) {
				t.Fatalf("%s %s: encoding differs\ngot:  %s\nwant: %s", p, a.ID, got, want)
			}
			n++
		}
	}
	if n < 100 {
		t.Fatalf("only %d articles compared", n)
	}
}

// TestEncodeEdgeCases covers what the data rarely holds: strings to
// escape, omitted fields, nil slices, an empty article, tiny and huge
// floats, and a NaN that encoding/json refuses.
func TestEncodeEdgeCases(t *testing.T) {
	enc, err := newLineEncoder("v<1>&\u2028")
	if err != nil {
		t.Fatal(err)
	}
	sp := []article.Span{{Field: "body", Start: 0, End: 3}, {Field: "ti\"tle", Start: -1, End: 1 << 40}}
	cases := []struct {
		name string
		a    article.Article
		tags article.Tags
	}{
		{"empty article, nil tags", article.Article{}, article.Tags{}},
		{"empty slices", article.Article{Schema: 1, ID: "x"}, article.Tags{Countries: []article.CountryTag{}, Leaders: []article.LeaderTag{}, Treaties: []article.TreatyTag{}, Keywords: []string{}}},
		{"escapes", article.Article{Schema: 1, ID: "a\"b", Body: "<p>\u2028\x01 é", Published: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)},
			article.Tags{
				Countries: []article.CountryTag{{Code: "C\\D", Name: "Côte d'Ivoire", Mentions: 2, Salience: 0.123, Role: "venue", Spans: sp}, {Code: "X", Salience: 1e-7}, {Code: "Y", Salience: 1e22}, {Code: "Z", Salience: math.Copysign(0, -1)}},
				Leaders:   []article.LeaderTag{{ID: "Q1", Name: "A & B", Country: "RU", Role: "president", ResolvedBy: "title", Mentions: 1, Spans: sp}, {ID: "Q2"}},
				Treaties:  []article.TreatyTag{{ID: "t", QID: "Q3", Name: "<T>", Parties: []string{"RU", "\t"}, Action: "signed", Mentions: 3, Spans: sp}, {ID: "u"}},
				Keywords:  []string{"a", "\x7f", "\xff"},
			}},
		{"every field, zones and fractions", article.Article{Schema: 1, ID: "i", URL: "https://a.example/x?a=1&b=2", Source: "s", GUID: "g", Title: "t",
			Summary: "su", Body: "b", Language: "fr", Authors: []string{"A", "B<"},
			Published: time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("IST", 5*3600+1800)), Updated: time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
			Ingested: time.Date(2024, 1, 2, 3, 4, 5, 120000000, time.FixedZone("W", -3*3600))}, article.Tags{}},
		{"authors empty, not nil", article.Article{ID: "e", Authors: []string{}}, article.Tags{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := enc.encode(nil, &c.a, &c.tags)
			if err != nil {
				t.Fatal(err)
			}
			if want := marshalWant(t, &c.a, c.tags, enc.version); !bytes.Equal(got, want) {
				t.Fatalf("encoding differs\ngot:  %s\nwant: %s", got, want)
			}
		})
	}
	t.Run("year 10000", func(t *testing.T) {
		a := article.Article{ID: "y", Published: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
		if _, err := enc.encode([]byte("keep"), &a, &article.Tags{}); err == nil {
			t.Fatal("no error for a time encoding/json refuses")
		}
	})
	t.Run("NaN", func(t *testing.T) {
		a := article.Article{ID: "n"}
		tags := article.Tags{Countries: []article.CountryTag{{Code: "X", Salience: math.NaN()}}}
		if _, err := enc.encode(nil, &a, &tags); err == nil {
			t.Fatal("no error for a NaN salience")
		}
	})
}

// FuzzAppendString holds the hand-written string encoding equal to
// encoding/json's, HTML escaping and invalid UTF-8 included.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "a\"b\\c", "<p>&amp;</p>", "\x00\x01\b\f\n\r\t\x1f\x7f", "é中\u2028\u2029", "\xff\xfe", "a\xc3", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString([]byte("x"), s); !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}
