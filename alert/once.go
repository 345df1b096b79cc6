package alert

import (
	"context"
	"encoding/json"
	"slices"
	"sync"

	"go.uber.org/zap"

	"github.com/newswire/newswire/consumers"
)

// Once is the alerter's memory of which (rule, article) pairs have
// alerted. Its truth is the alert-state topic, a compacted changelog
// partitioned like the enriched topic (key = article id, value = the ids
// of every rule that alerted on it); Once follows that topic from its
// first record, so a process that lost its disk, or a new replica, knows
// every pair before it alerts. The alerter writes the changelog record in
// the same produce batch as the alerts, before the offset commit.
//
// The map lives in memory: one entry per (rule, article) pair within the
// topic's retention horizon (consumers.AlertStateRetention).
//
// The same topic carries each throttled rule's window and pending digest
// (key "<rule id>/#throttle"); Follow applies those to Throttles, which
// the delivery stage works on.
type Once struct {
	log *zap.Logger
	// Throttles is every throttled rule's record as read from the topic.
	Throttles *Throttles

	mu        sync.Mutex
	byArticle map[string][]string // article id → rule ids, sorted
	delivered map[string]struct{} // alert ids whose delivery committed
}

// NewOnce returns an empty memory; Follow fills it.
func NewOnce(log *zap.Logger) *Once {
	return &Once{log: log.With(zap.String("component", "alert-once")), Throttles: NewThrottles(),
		byArticle: map[string][]string{}, delivered: map[string]struct{}{}}
}

// stateValue is the changelog record's value: for an article key, the
// rules that alerted on it; for an alert key, that its delivery stage
// committed it (Delivered).
type stateValue struct {
	Rules     []string `json:"rules,omitempty"`
	Delivered bool     `json:"delivered,omitempty"`
}

// Follow applies the alert-state topic until ctx ends.
func (o *Once) Follow(ctx context.Context, t *consumers.Tailer) error {
	return t.Run(ctx, func(r consumers.Record) error {
		if rule, ok := throttleRule(string(r.Key)); ok {
			if err := o.Throttles.apply(rule, r.Value); err != nil {
				o.log.Error("throttle record skipped", zap.Int("partition", r.Partition), zap.Int64("offset", r.Offset), zap.Error(err))
			}
			return nil
		}
		var v stateValue
		if len(r.Value) > 0 {
			if err := json.Unmarshal(r.Value, &v); err != nil {
				o.log.Error("alert state record skipped", zap.Int("partition", r.Partition), zap.Int64("offset", r.Offset), zap.Error(err))
			}
		}
		if v.Delivered {
			o.markDelivered(string(r.Key))
		} else {
			o.add(string(r.Key), v.Rules)
		}
		return nil
	})
}

func (o *Once) addLocked(article string, rules []string) {
	cur := o.byArticle[article]
	for _, r := range rules {
		if i, found := slices.BinarySearch(cur, r); !found {
			cur = slices.Insert(cur, i, r)
		}
	}
	if len(cur) > 0 {
		o.byArticle[article] = cur
	}
}

// has reports whether rule has alerted on article.
func (o *Once) has(rule, article string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, found := slices.BinarySearch(o.byArticle[article], rule)
	return found
}

// rules returns the rules that alerted on article.
func (o *Once) rules(article string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.byArticle[article])
}

// add records pairs known to be durable (a committed batch's).
func (o *Once) add(article string, rules []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.addLocked(article, rules)
}

func (o *Once) markDelivered(alertID string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.delivered[alertID] = struct{}{}
}

func (o *Once) wasDelivered(alertID string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.delivered[alertID]
	return ok
}

// Alerted reports whether the alert of rule ruleID on article articleID
// is recorded.
func (o *Once) Alerted(ruleID, articleID string) bool { return o.has(ruleID, articleID) }

// Pairs is how many (rule, article) pairs are remembered.
func (o *Once) Pairs() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, rs := range o.byArticle {
		n += len(rs)
	}
	return n
}

// StateFollower keeps a Once in step with the alert-state topic: Run
// follows the topic, CaughtUp tells when everything written before start
// is in, and Barrier is the alerter's AlerterConfig.Barrier.
type StateFollower struct {
	Once    *Once
	t       *consumers.Tailer
	brokers []string
	topic   string
}

// NewStateFollower builds the follower of the alert-state topic.
func NewStateFollower(brokers []string, topic string, log *zap.Logger) (*StateFollower, error) {
	t, err := consumers.NewTailer(consumers.TailConfig{Brokers: brokers, Topic: topic}, log)
	if err != nil {
		return nil, err
	}
	return &StateFollower{Once: NewOnce(log), t: t, brokers: brokers, topic: topic}, nil
}

// Run follows the topic until ctx ends.
func (f *StateFollower) Run(ctx context.Context) error { return f.Once.Follow(ctx, f.t) }

// CaughtUp is closed once the state written before Run started is read.
func (f *StateFollower) CaughtUp() <-chan struct{} { return f.t.CaughtUp() }

// Barrier waits until the follower has read the topic up to its current
// end offsets. It reads every partition, not only the ones named: the
// state topic should be partitioned like the enriched topic, but if an
// operator made it otherwise, an article's state may sit in another
// partition, and the barrier must still cover it.
func (f *StateFollower) Barrier(ctx context.Context, _ []int) error {
	end, err := consumers.EndOffsets(ctx, f.brokers, f.topic)
	if err != nil {
		return err
	}
	return f.t.WaitFor(ctx, end)
}
