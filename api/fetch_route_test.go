package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/zap"
)

func TestFetchRouteMounted(t *testing.T) {
	fetch := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	ingest := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	h := New(Config{Fetch: fetch, Ingest: ingest}, zap.NewNop()).Handler()
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, "/api/v1/articles/fetch", http.StatusTeapot},
		{http.MethodPost, "/api/v1/articles", http.StatusAccepted},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.want {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, rec.Code, tc.want)
		}
	}
	// Only POST reaches the fetch handler.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/articles/fetch", nil))
	if rec.Code == http.StatusTeapot {
		t.Errorf("GET reached the fetch handler")
	}
}
