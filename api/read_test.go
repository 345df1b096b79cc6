package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"go.uber.org/zap"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

func TestArticleAndTimelineOnSamples(t *testing.T) {
	st, docs := sampleStore(t)
	h := New(Config{Searcher: st}, zap.NewNop()).Handler()
	var pyongyang *article.Enriched
	for i := range docs {
		if len(docs[i].Tags.Treaties) > 0 && docs[i].Tags.Treaties[0].ID == "t-kp-ru-2024" {
			pyongyang = &docs[i]
			break
		}
	}
	if pyongyang == nil {
		t.Fatal("sample corpus lacks the KP-RU treaty article")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/articles/"+pyongyang.ID, nil))
	if rec.Code != 200 {
		t.Fatalf("article: %d %s", rec.Code, rec.Body)
	}
	var got article.Enriched
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != pyongyang.ID || got.Body != pyongyang.Body || len(got.Tags.Countries) == 0 || len(got.Tags.Countries[0].Spans) == 0 || got.Story == nil {
		t.Errorf("article answer lacks body, spans or story: %+v", got)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/articles/nope", nil))
	if rec.Code != 404 {
		t.Errorf("unknown article: %d", rec.Code)
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/treaties/t-kp-ru-2024/timeline", nil))
	var tl TimelineAnswer
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &tl) != nil {
		t.Fatalf("timeline: %d %s", rec.Code, rec.Body)
	}
	// The tagger reports the Duma vote and both ratifications as
	// "ratified", and the exchange of instruments as "entered into force".
	var got2 []string
	for _, a := range tl.Actions {
		got2 = append(got2, fmt.Sprintf("%s %s %d/%d", a.Action, a.First.Published.Format("2006-01-02"), a.Articles, a.Sources))
	}
	if want := []string{"signed 2024-06-19 2/2", "ratified 2024-10-24 4/4", "entered into force 2024-12-04 1/1"}; !reflect.DeepEqual(got2, want) {
		t.Errorf("timeline %v, want %v", got2, want)
	}
}

func TestSampleCopiesCollapse(t *testing.T) {
	st, _ := sampleStore(t)
	h := New(Config{Searcher: st}, zap.NewNop()).Handler()
	var res index.Result
	for _, collapse := range []string{"true", "false"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/search?q=ratification+instruments+exchange&collapse="+collapse, nil))
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, h := range res.Hits {
			if h.Story != nil && h.Story.Copies > 0 {
				n++
				if collapse == "true" && (h.Story.Copies != 1 || len(h.Story.Sources) != 1) {
					t.Errorf("story %+v, want one other copy with its source", h.Story)
				}
			}
		}
		if collapse == "true" && (n != 1 || len(res.Hits) != res.Total-1) {
			t.Errorf("collapsed: %d hits of %d articles, %d with copies; want the two ratification copies as one", len(res.Hits), res.Total, n)
		}
		if collapse == "false" && (n != 0 || len(res.Hits) != res.Total) {
			t.Errorf("not collapsed: %d hits of %d, %d counted copies", len(res.Hits), res.Total, n)
		}
	}
}
