package alert

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the alerting metrics. Build them once per registry with
// NewMetrics and pass the same value to the Service and the stages.
type Metrics struct {
	rules        *prometheus.GaugeVec
	reloadErrors prometheus.Counter
	matchSeconds prometheus.Histogram
	matches      prometheus.Counter
	emitted      prometheus.Counter
	duplicates   prometheus.Counter
	deliveries   *prometheus.CounterVec
	suppressed   prometheus.Counter
	digests      *prometheus.CounterVec
	takeovers    prometheus.Counter
	streamConns  prometheus.Gauge

	targets        *prometheus.GaugeVec
	queued         *prometheus.GaugeVec
	slowTargets    *prometheus.GaugeVec
	attemptSeconds *prometheus.HistogramVec
	streamDropped  *prometheus.CounterVec
	streamEvents   prometheus.Counter
}

// NewMetrics registers the alerting metrics on reg; a nil reg leaves them
// unregistered (tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		rules: f.NewGaugeVec(prometheus.GaugeOpts{Namespace: "newswire", Subsystem: "alert", Name: "rules",
			Help: "Alert rules in force, by origin (file, api)."}, []string{"origin"}),
		reloadErrors: f.NewCounter(prometheus.CounterOpts{Namespace: "newswire", Subsystem: "alert", Name: "rule_file_errors_total",
			Help: "Loads of the rule file that failed (the previous rules stayed in force)."}),
		matchSeconds: f.NewHistogram(prometheus.HistogramOpts{Namespace: "newswire", Subsystem: "alert", Name: "match_seconds",
			Help: "Time to match one article against every rule.", Buckets: prometheus.ExponentialBuckets(10e-6, 2, 14)}),
		matches: f.NewCounter(prometheus.CounterOpts{Namespace: "newswire", Subsystem: "alert", Name: "matches_total",
			Help: "Rule matches, including repeats of earlier alerts."}),
		emitted: f.NewCounter(prometheus.CounterOpts{Namespace: "newswire", Subsystem: "alert", Name: "emitted_total",
			Help: "Alerts written to the alerts topic."}),
		duplicates: f.NewCounter(prometheus.CounterOpts{Namespace: "newswire", Subsystem: "alert", Name: "duplicates_total",
			Help: "Matches not alerted because that rule already alerted on that article."}),
		deliveries: f.NewCounterVec(prometheus.CounterOpts{Namespace: "newswire", Subsystem: "alert", Name: "deliveries_total",
			Help: "Alert and digest deliveries by channel type and outcome: ok, retry, failed (after the last try, or permanent), short_circuited (circuit open), queue_full, handed_off (the batch stopped waiting for a slow target)."}, []string{"channel", "outcome"}),
		suppressed: f.NewCounter(prometheus.CounterOpts{Namespace: "newswire", Subsystem: "alert", Name: "suppressed_total",
			Help: "Alerts held back by a rule's throttle for its next digest."}),
		digests: f.NewCounterVec(prometheus.CounterOpts{Namespace: "newswire", Subsystem: "alert", Name: "digests_total",
			Help: "Digests by outcome (sent, failed)."}, []string{"outcome"}),
		takeovers: f.NewCounter(prometheus.CounterOpts{Namespace: "newswire", Subsystem: "alert", Name: "digest_takeovers_total",
			Help: "Overdue digests this process sent for a rule whose throttle record another process wrote (its owner gone)."}),
		streamConns: f.NewGauge(prometheus.GaugeOpts{Namespace: "newswire", Subsystem: "alert", Name: "stream_clients",
			Help: "Browsers connected to the alert stream."}),
		targets: f.NewGaugeVec(prometheus.GaugeOpts{Namespace: "newswire", Subsystem: "alert", Name: "targets",
			Help: "Delivery targets (webhook URLs, Slack URLs, email recipient lists) by channel type and circuit state (closed, open, half_open)."}, []string{"channel", "state"}),
		queued: f.NewGaugeVec(prometheus.GaugeOpts{Namespace: "newswire", Subsystem: "alert", Name: "delivery_queued",
			Help: "Deliveries waiting in target queues, by channel type."}, []string{"channel"}),
		slowTargets: f.NewGaugeVec(prometheus.GaugeOpts{Namespace: "newswire", Subsystem: "alert", Name: "slow_targets",
			Help: "Targets with an attempt in flight longer than the slow-after limit, by channel type."}, []string{"channel"}),
		attemptSeconds: f.NewHistogramVec(prometheus.HistogramOpts{Namespace: "newswire", Subsystem: "alert", Name: "delivery_attempt_seconds",
			Help: "Time of one delivery attempt, by channel type.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}, []string{"channel"}),
		streamDropped: f.NewCounterVec(prometheus.CounterOpts{Namespace: "newswire", Subsystem: "alert", Name: "stream_dropped_total",
			Help: "Stream clients cut off, by reason (slow: buffer full; write: write failed or timed out)."}, []string{"reason"}),
		streamEvents: f.NewCounter(prometheus.CounterOpts{Namespace: "newswire", Subsystem: "alert", Name: "stream_events_total",
			Help: "Alert records read from the alerts topic into the stream."}),
	}
}
