package elastic

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics count the store's requests to the engine by answer. Build them
// once per registry with NewMetrics and pass them in Config.Metrics.
type Metrics struct {
	responses *prometheus.CounterVec
	seconds   prometheus.Histogram
}

var (
	metricsMu    sync.Mutex
	metricsByReg = map[prometheus.Registerer]*Metrics{}
)

// NewMetrics registers the engine metrics on reg (once per registry;
// later calls with the same registry return the same set):
// newswire_search_engine_responses_total{code} (HTTP status, or "error"
// when no answer came; code="429" is the engine pushing back) and
// newswire_search_engine_request_seconds.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	metricsMu.Lock()
	defer metricsMu.Unlock()
	if m, ok := metricsByReg[reg]; ok {
		return m
	}
	f := promauto.With(reg)
	m := &Metrics{
		responses: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "newswire", Name: "search_engine_responses_total",
			Help: "Answers of the search engine to the store's requests, by HTTP status (error: no answer).",
		}, []string{"code"}),
		seconds: f.NewHistogram(prometheus.HistogramOpts{
			Namespace: "newswire", Name: "search_engine_request_seconds",
			Help:    "Duration of the store's requests to the search engine, answer headers included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}),
	}
	// The usual answers exist from the start, so that rates over them are
	// defined before the first one.
	for _, c := range []string{"200", "429", "error"} {
		m.responses.WithLabelValues(c)
	}
	metricsByReg[reg] = m
	return m
}

// observe records one request.
func (m *Metrics) observe(start time.Time, code int, err error) {
	if m == nil {
		return
	}
	m.seconds.Observe(time.Since(start).Seconds())
	if err != nil {
		m.responses.WithLabelValues("error").Inc()
		return
	}
	m.responses.WithLabelValues(strconv.Itoa(code)).Inc()
}
