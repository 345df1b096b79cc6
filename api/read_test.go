package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/zap"

	"github.com/newswire/newswire/article"
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
	if len(tl.Actions) == 0 || tl.Actions[0].Action != "signed" || tl.Actions[0].First.Published.Format("2006-01-02") != "2024-06-19" {
		t.Errorf("timeline %+v, want signed first reported 2024-06-19", tl)
	}
}
