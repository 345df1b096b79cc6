package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/newswire/newswire/index"
	"github.com/prometheus/client_golang/prometheus"
)

// durationBuckets span 1 ms to 30 s: a search, an ingest waiting for Kafka
// acknowledgements, a slow client.
var durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// sharedVec registers c with reg, or returns the collector of the same
// description already registered there, so that many handlers (or many
// servers of one process) share one metric.
func sharedVec[T prometheus.Collector](reg prometheus.Registerer, c T) T {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(T); ok {
				return existing
			}
		}
		// Only a programming error (same name, other labels) gets here.
		panic(fmt.Sprintf("register metric: %v", err))
	}
	return c
}

// InstrumentHandler wraps h so that every request it serves is timed in
// newswire_http_request_duration_seconds{route, code}. route is the route
// pattern (never the raw path, so the label stays bounded); code is the
// HTTP status sent (200 when the handler wrote without setting one). A
// streaming response (the live alert stream) counts its whole life.
func InstrumentHandler(reg prometheus.Registerer, route string, h http.Handler) http.Handler {
	vec := sharedVec(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "newswire", Name: "http_request_duration_seconds",
		Help:    "Time to serve an HTTP request, by route pattern and status code.",
		Buckets: durationBuckets,
	}, []string{"route", "code"}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			vec.WithLabelValues(route, strconv.Itoa(code)).Observe(time.Since(start).Seconds())
		}()
		h.ServeHTTP(sw, r)
	})
}

// statusWriter records the status code. It keeps Flush and Hijack working
// and lets http.ResponseController reach the original writer.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, http.ErrNotSupported
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Search outcomes, the label of newswire_search_duration_seconds.
const (
	SearchOK       = "ok"
	SearchBadQuery = "bad_query"
	SearchError    = "error"
)

// InstrumentSearcher wraps s so that every store call is timed in
// newswire_search_duration_seconds{outcome} (ok, bad_query, error).
func InstrumentSearcher(reg prometheus.Registerer, s Searcher) Searcher {
	vec := sharedVec(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "newswire", Name: "search_duration_seconds",
		Help:    "Time the search store took to answer a search, by outcome.",
		Buckets: durationBuckets,
	}, []string{"outcome"}))
	return &timedSearcher{s: s, vec: vec}
}

type timedSearcher struct {
	s   Searcher
	vec *prometheus.HistogramVec
}

func (t *timedSearcher) Search(ctx context.Context, q index.Query) (index.Result, error) {
	start := time.Now()
	res, err := t.s.Search(ctx, q)
	outcome := SearchOK
	switch {
	case errors.Is(err, index.ErrBadQuery):
		outcome = SearchBadQuery
	case err != nil:
		outcome = SearchError
	}
	t.vec.WithLabelValues(outcome).Observe(time.Since(start).Seconds())
	return res, err
}
