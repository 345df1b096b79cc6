package article

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCanonicalURL(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{"lower-cases scheme and host", "HTTPS://News.Example.COM/World/Story", "https://news.example.com/World/Story", false},
		{"drops fragment", "https://a.example/x#comments", "https://a.example/x", false},
		{"drops utm and click ids", "https://a.example/x?utm_source=tw&utm_MEDIUM=s&fbclid=1&gclid=2&id=7", "https://a.example/x?id=7", false},
		{"sorts remaining query", "https://a.example/x?b=2&a=1&c=3", "https://a.example/x?a=1&b=2&c=3", false},
		{"sorts repeated values", "https://a.example/x?a=2&a=1", "https://a.example/x?a=1&a=2", false},
		{"drops default port", "https://a.example:443/x", "https://a.example/x", false},
		{"keeps other port", "http://a.example:8080/x", "http://a.example:8080/x", false},
		{"empty path becomes slash", "https://a.example", "https://a.example/", false},
		{"only tracking params leaves no query", "https://a.example/x?utm_campaign=z", "https://a.example/x", false},
		{"drops user info", "https://user:pw@a.example/x", "https://a.example/x", false},
		{"relative url is an error", "/world/story", "", true},
		{"no scheme is an error", "a.example/x", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CanonicalURL(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("CanonicalURL(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("CanonicalURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDeriveID(t *testing.T) {
	a, err := DeriveID("https://a.example/x?utm_source=1&b=2&a=1#top", "", "")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := DeriveID("HTTPS://A.EXAMPLE/x?a=1&b=2", "", "")
	if a != b {
		t.Fatalf("equivalent URLs gave ids %s and %s", a, b)
	}
	if len(a) != 32 {
		t.Fatalf("id %q: want 32 hex chars", a)
	}
	c, _ := DeriveID("https://a.example/y", "", "")
	if c == a {
		t.Fatal("different URLs gave the same id")
	}
	g1, err := DeriveID("", "wire", "guid-1")
	if err != nil {
		t.Fatal(err)
	}
	g2, _ := DeriveID("", "other", "guid-1")
	if g1 == g2 {
		t.Fatal("same guid from different sources gave the same id")
	}
	if _, err := DeriveID("", "wire", ""); err == nil {
		t.Fatal("no url and no guid: want error")
	}
}

var now = time.Date(2024, 6, 20, 8, 0, 0, 0, time.UTC)

func TestParseValid(t *testing.T) {
	in := `{"url":"https://a.example/pyongyang?utm_source=x","source":"Wire","title":" Treaty signed ","body":"Text.","published":"2024-06-19T10:00:00+09:00","authors":["A. Writer"],"language":"EN"}`
	a, err := Parse([]byte(in), Limits{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if a.Schema != SchemaVersion || a.Title != "Treaty signed" || a.Language != "en" {
		t.Fatalf("normalised wrongly: %+v", a)
	}
	want, _ := DeriveID("https://a.example/pyongyang", "", "")
	if a.ID != want {
		t.Fatalf("id = %s, want %s", a.ID, want)
	}
	if !a.Ingested.Equal(now) {
		t.Fatalf("ingested = %v, want %v", a.Ingested, now)
	}
	if !a.Published.Equal(time.Date(2024, 6, 19, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("published = %v", a.Published)
	}
}

func TestParseErrors(t *testing.T) {
	big := strings.Repeat("x", 1<<20+1)
	tests := []struct {
		name string
		in   string
		want []string // substrings of the error
	}{
		{"broken json", `{"title": "x"`, []string{"malformed JSON"}},
		{"not an object", `["x"]`, []string{"not a JSON object"}},
		{"invalid utf8", "{\"title\":\"\xff\xfe\",\"url\":\"https://a.example/\"}", []string{"not valid UTF-8", "offset 10"}},
		{"no title and no body", `{"url":"https://a.example/x"}`, []string{"title: title or body required"}},
		{"no url and no id", `{"title":"x"}`, []string{"id: absent and cannot be derived"}},
		{"bad time", `{"url":"https://a.example/x","title":"x","published":"yesterday"}`, []string{`published: "yesterday" is not an RFC 3339 time`}},
		{"wrong type", `{"url":"https://a.example/x","title":5}`, []string{"title must be string, not number"}},
		{"body too large", `{"url":"https://a.example/x","title":"x","body":"` + big + `"}`, []string{"body: is 1048577 bytes, over the limit of 1048576"}},
		{"future schema", `{"schema":2,"url":"https://a.example/x","title":"x"}`, []string{"schema: version 2 is not supported"}},
		{"bad url", `{"url":"not a url","title":"x"}`, []string{"not absolute"}},
		{"updated before published", `{"url":"https://a.example/x","title":"x","published":"2024-06-19T10:00:00Z","updated":"2024-06-18T10:00:00Z"}`, []string{"updated: is before published"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in), Limits{}, now)
			if err == nil {
				t.Fatal("want error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestRecordLimit(t *testing.T) {
	rec := `{"url":"https://a.example/x","title":"x","body":"` + strings.Repeat("y", 300) + `"}`
	if _, err := Decode([]byte(rec), Limits{MaxRecord: 100}); err == nil || !strings.Contains(err.Error(), "over the limit of 100") {
		t.Fatalf("want record limit error, got %v", err)
	}
}

func TestEnrichedRoundTrip(t *testing.T) {
	e := Enriched{
		Article: Article{Schema: 1, ID: "abc", URL: "https://a.example/x", Source: "Wire", Title: "T", Body: "B",
			Authors: []string{"X"}, Published: now.Add(-time.Hour), Ingested: now},
		Tags: Tags{
			Countries: []CountryTag{{Code: "KP", Name: "North Korea", Mentions: 2, Salience: 0.9, Spans: []Span{{Field: "title", Start: 0, End: 11}}}},
			Leaders:   []LeaderTag{{ID: "Q7747", Name: "Vladimir Putin", Country: "RU", Role: "head_of_state", Mentions: 1, Spans: []Span{{Field: "body", Start: 3, End: 17}}}},
			Treaties:  []TreatyTag{{ID: "x-1", Name: "Treaty", Parties: []string{"KP", "RU"}, Action: "signed", Mentions: 1}},
			Keywords:  []string{"treaty"},
		},
		Enrichment: Enrichment{Version: "1", At: now},
	}
	b, err := json.Marshal(&e)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	// The article's fields are flat beside tags and enrichment.
	for _, k := range []string{"id", "url", "title", "published", "tags", "enrichment", "schema"} {
		if _, ok := m[k]; !ok {
			t.Errorf("enriched JSON lacks %q: %s", k, b)
		}
	}
	if _, ok := m["updated"]; ok {
		t.Errorf("zero updated time should be omitted: %s", b)
	}
	got, err := DecodeEnriched(b, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip changed the article:\n got %+v\nwant %+v", got, e)
	}
}

func TestVersionTime(t *testing.T) {
	a := Article{Ingested: now}
	if !a.VersionTime().Equal(now) {
		t.Fatal("ingested should be the fallback")
	}
	a.Published = now.Add(-2 * time.Hour)
	if !a.VersionTime().Equal(a.Published) {
		t.Fatal("published should win over ingested")
	}
	a.Updated = now.Add(-time.Hour)
	if !a.VersionTime().Equal(a.Updated) {
		t.Fatal("updated should win")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"url":"https://a.example/x","title":"x"}`))
	f.Add([]byte(`{"published":""}`))
	f.Add([]byte("\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Parse(b, Limits{}, now)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if a.ID == "" || a.Schema != SchemaVersion {
			t.Fatalf("valid article without id or schema: %+v", a)
		}
	})
}

func TestEmptyTimesAreAbsent(t *testing.T) {
	a, err := Parse([]byte(`{"url":"https://a.example/x","title":"x","published":"","updated":""}`), Limits{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Published.IsZero() || !a.Updated.IsZero() {
		t.Fatalf("empty time strings must mean absent: %+v", a)
	}
}
