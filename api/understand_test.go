package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/enrich"
	"github.com/newswire/newswire/index"
)

func TestUnderstand(t *testing.T) {
	tg, err := enrich.New(enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		text, literal string
		wantText      string
		want          []index.Mention
	}{
		{"DPRK Russia treaty", "", "treaty", []index.Mention{{Kind: "countries", ID: "KP", Words: "DPRK"}, {Kind: "countries", ID: "RU", Words: "Russia"}}},
		{"Kim Putin", "", "", []index.Mention{{Kind: "leaders", ID: "Q56226", Words: "Kim"}, {Kind: "leaders", ID: "Q7747", Words: "Putin"}}},
		{"DPRK Russia treaty", "country:KP", "DPRK treaty", []index.Mention{{Kind: "countries", ID: "RU", Words: "Russia"}}},
		{`"North Korea" pact -Russia`, "", `"North Korea" pact -Russia`, nil},
		{"summit", "", "summit", nil},
	} {
		q := index.Query{Text: tt.text}
		u := understand(tg, &q, url.Values{"literal": {tt.literal}}, now)
		if q.Text != tt.wantText || !slices.Equal(q.Entities, tt.want) || u == nil || u.Text != tt.wantText {
			t.Errorf("%q literal=%q: text %q entities %+v, want %q %+v", tt.text, tt.literal, q.Text, q.Entities, tt.wantText, tt.want)
		}
	}
	if u := understand(nil, &index.Query{Text: "DPRK"}, nil, now); u != nil {
		t.Error("no reader must read nothing")
	}
}

// TestEntityQueriesOnSamples: the queries find the Pyongyang
// treaty article of the sample corpus, and the answer says how they were
// read.
func TestEntityQueriesOnSamples(t *testing.T) {
	st, _ := sampleStore(t)
	tg, err := enrich.New(enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := New(Config{Searcher: st, Queries: tg}, zap.NewNop()).Handler()
	for _, q := range []string{"DPRK Russia treaty", "Pyongyang Moscow pact", "Kim Putin", "defense pact"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/search?to=2024-06-30&q="+url.QueryEscape(q), nil))
		var ans struct {
			index.Result
			Understood *Understood `json:"understood"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil || rec.Code != 200 {
			t.Fatalf("%q: %d %s", q, rec.Code, rec.Body)
		}
		found := false
		for _, h := range ans.Hits {
			if h.Title == "Putin and Kim sign defence treaty in Pyongyang on first visit in 24 years" {
				found = true
			}
		}
		if !found {
			t.Errorf("%q does not find the Pyongyang treaty article (%d hits, understood %+v)", q, len(ans.Hits), ans.Understood)
		}
		if ans.Understood == nil {
			t.Errorf("%q: no understood in the answer", q)
		}
	}
}

func TestTreatyCatalogue(t *testing.T) {
	tg, err := enrich.New(enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := New(Config{Queries: tg}, zap.NewNop()).Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/treaties/t-kp-ru-2024", nil))
	var a TreatyAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if a.ID != "t-kp-ru-2024" || a.Name == "" || !slices.Contains(a.Parties, "KP") || !slices.Contains(a.Parties, "RU") {
		t.Errorf("entry %+v", a)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/treaties/Q21707860", nil))
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a.Wikidata != "Q21707860" {
		t.Errorf("Paris Agreement entry %d %+v, want its Wikidata id", rec.Code, a)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/treaties/no-such", nil))
	if rec.Code != 404 {
		t.Errorf("unknown treaty: %d", rec.Code)
	}
}
