package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/newswire/newswire/index"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
)

// Row 9 (metrics part) of the hardening issue: request duration by route
// and code, and search latency.
func TestInstrumentHandler(t *testing.T) {
	reg := prometheus.NewRegistry()
	ok := InstrumentHandler(reg, "GET /a", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("x")) }))
	teapot := InstrumentHandler(reg, "POST /b", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		w.WriteHeader(http.StatusOK) // superfluous: the first code counts
	}))
	streamed := InstrumentHandler(reg, "GET /s", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush through the wrapper: %v", err)
		}
	}))
	for i := 0; i < 3; i++ {
		ok.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/a?x="+fmt.Sprint(i), nil))
	}
	teapot.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/b", nil))
	rec := httptest.NewRecorder()
	streamed.ServeHTTP(rec, httptest.NewRequest("GET", "/s", nil))
	if !rec.Flushed {
		t.Error("the stream was not flushed")
	}
	n, err := testutil.GatherAndCount(reg, "newswire_http_request_duration_seconds")
	if err != nil || n != 3 {
		t.Fatalf("series: %d, %v; want 3 (one per route and code)", n, err)
	}
	mfs, _ := reg.Gather()
	counts := map[string]uint64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			counts[strings.Join(labels, ",")] = m.GetHistogram().GetSampleCount()
		}
	}
	for k, v := range map[string]uint64{"code=200,route=GET /a": 3, "code=418,route=POST /b": 1, "code=200,route=GET /s": 1} {
		if counts[k] != v {
			t.Errorf("%s: %d samples, want %d (all: %v)", k, counts[k], v, counts)
		}
	}
}

func TestInstrumentSearcher(t *testing.T) {
	reg := prometheus.NewRegistry()
	fs := &fakeSearcher{}
	s := InstrumentSearcher(reg, fs)
	again := InstrumentSearcher(reg, fs) // a second wrapper shares the metric
	h := New(Config{Searcher: s}, zap.NewNop()).Handler()
	get(t, h, "/api/v1/search?q=a")
	fs.err = fmt.Errorf("cursor: %w", index.ErrBadQuery)
	get(t, h, "/api/v1/search?q=a")
	fs.err = errors.New("down")
	if _, err := again.Search(context.Background(), index.Query{}); err == nil {
		t.Fatal("error not passed on")
	}
	for outcome, want := range map[string]int{SearchOK: 1, SearchBadQuery: 1, SearchError: 1} {
		var got int
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				if m.GetLabel()[0].GetValue() == outcome {
					got = int(m.GetHistogram().GetSampleCount())
				}
			}
		}
		if got != want {
			t.Errorf("outcome %s: %d samples, want %d", outcome, got, want)
		}
	}
}
