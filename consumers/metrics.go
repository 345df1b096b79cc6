package consumers

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the counters every stage shares. Build them once per
// registry with NewMetrics and pass them to each Runner.
type Metrics struct {
	consumed     *prometheus.CounterVec
	produced     *prometheus.CounterVec
	committed    *prometheus.CounterVec
	retried      *prometheus.CounterVec
	deadLettered *prometheus.CounterVec
	dropped      *prometheus.CounterVec
	abandoned    *prometheus.CounterVec
	panics       *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	age          *prometheus.HistogramVec
	lag          *prometheus.GaugeVec
	buffered     *prometheus.GaugeVec
}

// NewMetrics registers the stage metrics on reg. Call it once per
// registry and share the set among the process's runners.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	m := &Metrics{
		consumed: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "newswire", Name: "consumed_records_total",
			Help: "Records fetched from the input topic.",
		}, []string{"stage", "topic", "partition"}),
		produced: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "newswire", Name: "produced_records_total",
			Help: "Records written to an output topic and acknowledged.",
		}, []string{"stage", "topic"}),
		committed: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "newswire", Name: "committed_records_total",
			Help: "Input records whose offsets were committed.",
		}, []string{"stage", "topic", "partition"}),
		retried: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "newswire", Name: "retried_batches_total",
			Help: "Batches retried after a transient error.",
		}, []string{"stage", "reason"}),
		deadLettered: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "newswire", Name: "dead_lettered_records_total",
			Help: "Poison records copied to the dead-letter topic.",
		}, []string{"stage", "topic"}),
		dropped: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "newswire", Name: "dropped_records_total",
			Help: "Records the stage dropped on purpose (no output, no error, not handled by a store write).",
		}, []string{"stage"}),
		abandoned: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "newswire", Name: "abandoned_records_total",
			Help: "Records left uncommitted at shutdown; they are redone after restart.",
		}, []string{"stage"}),
		panics: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "newswire", Name: "stage_panics_total",
			Help: "Records whose processing panicked; each was dead-lettered with the panic's message.",
		}, []string{"stage"}),
		latency: f.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "newswire", Name: "batch_processing_seconds",
			Help:    "Time from fetch of a batch to its commit.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}, []string{"stage"}),
		age: f.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "newswire", Name: "end_to_end_age_seconds",
			Help:    "Age of an article when a stage committed it: now minus its ingest time (or the record's timestamp).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 16),
		}, []string{"stage"}),
		lag: f.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "newswire", Name: "consumer_lag_records",
			Help: "End offset minus committed offset, per partition.",
		}, []string{"group", "topic", "partition"}),
		buffered: f.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "newswire", Name: "buffered_records",
			Help: "Records fetched and waiting for their stage (bounded by the stage's MaxBuffered).",
		}, []string{"stage"}),
	}
	return m
}

func partLabel(p int) string { return strconv.Itoa(p) }
