package consumers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
)

// Topics names the pipeline's topics.
type Topics struct {
	Raw, Enriched, Alerts, DLQ string
	// Rules holds the alert rules: compacted, one partition, key = rule
	// id, a tombstone on delete.
	Rules string
	// AlertState is the alerter's changelog: which (rule, article) pairs
	// have alerted, compacted, partitioned like Enriched (key = article
	// id), with a retention horizon (AlertStateRetention).
	AlertState string
}

// DefaultTopics are the topic names used unless configured otherwise.
var DefaultTopics = Topics{Raw: "news.raw", Enriched: "news.enriched", Alerts: "news.alerts", DLQ: "news.dlq",
	Rules: "news.rules", AlertState: "news.alerts.state"}

// AlertStateRetention is the horizon of the alerter's changelog: a pair
// written longer ago is forgotten, so a replay of news.enriched older
// than this may alert again (with the same delivery id).
const AlertStateRetention = 30 * 24 * time.Hour

// WithDefaults fills empty names from DefaultTopics.
func (t Topics) WithDefaults() Topics {
	for _, f := range []struct {
		v *string
		d string
	}{{&t.Raw, DefaultTopics.Raw}, {&t.Enriched, DefaultTopics.Enriched}, {&t.Alerts, DefaultTopics.Alerts}, {&t.DLQ, DefaultTopics.DLQ},
		{&t.Rules, DefaultTopics.Rules}, {&t.AlertState, DefaultTopics.AlertState}} {
		if *f.v == "" {
			*f.v = f.d
		}
	}
	return t
}

// All lists the topic names (the empty ones left out).
func (t Topics) All() []string {
	var out []string
	for _, n := range []string{t.Raw, t.Enriched, t.Alerts, t.DLQ, t.Rules, t.AlertState} {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Spec returns base with the layouts the special topics need: the rules
// topic compacted with one partition (one total order of changes), the
// alert state compacted with a retention horizon.
func (t Topics) Spec(base TopicSpec) TopicSpec {
	if base.Overrides == nil {
		base.Overrides = map[string]TopicOverride{}
	}
	if t.Rules != "" {
		base.Overrides[t.Rules] = TopicOverride{Partitions: 1, CleanupPolicy: "compact"}
	}
	if t.AlertState != "" {
		base.Overrides[t.AlertState] = TopicOverride{CleanupPolicy: "compact,delete", Retention: AlertStateRetention}
	}
	return base
}

// TopicOverride is one topic's layout where it differs from the spec.
type TopicOverride struct {
	Partitions    int           // 0: the spec's
	CleanupPolicy string        // "compact", "compact,delete"; empty: the broker's default (delete)
	Retention     time.Duration // retention.ms; 0: the broker's default
}

// TopicSpec is the layout wanted for every pipeline topic.
type TopicSpec struct {
	Partitions        int // default 6
	ReplicationFactor int // default 1
	// MaxMessageBytes is set as the topics' max.message.bytes so that
	// oversized poison records can still be dead-lettered (default 16 MiB).
	MaxMessageBytes int
	// Overrides by topic name (see Topics.Spec).
	Overrides map[string]TopicOverride
}

// TopicReport is what EnsureTopics found or did for one topic.
type TopicReport struct {
	Topic      string `json:"topic"`
	Created    bool   `json:"created"`
	Partitions int    `json:"partitions"`
	Mismatch   string `json:"mismatch,omitempty"`
}

// EnsureTopics creates the missing topics and reports existing ones whose
// partition count differs from the spec (it never deletes or shrinks).
func EnsureTopics(ctx context.Context, brokers []string, names []string, spec TopicSpec) ([]TopicReport, error) {
	if spec.Partitions <= 0 {
		spec.Partitions = 6
	}
	if spec.ReplicationFactor <= 0 {
		spec.ReplicationFactor = 1
	}
	if spec.MaxMessageBytes <= 0 {
		spec.MaxMessageBytes = 16 << 20
	}
	c, done := newClient(brokers, 10*time.Second)
	defer done()
	req := &kafka.CreateTopicsRequest{}
	for _, n := range names {
		tc := kafka.TopicConfig{
			Topic: n, NumPartitions: spec.Partitions, ReplicationFactor: spec.ReplicationFactor,
			ConfigEntries: []kafka.ConfigEntry{{ConfigName: "max.message.bytes", ConfigValue: strconv.Itoa(spec.MaxMessageBytes)}},
		}
		if o, ok := spec.Overrides[n]; ok {
			if o.Partitions > 0 {
				tc.NumPartitions = o.Partitions
			}
			if o.CleanupPolicy != "" {
				tc.ConfigEntries = append(tc.ConfigEntries, kafka.ConfigEntry{ConfigName: "cleanup.policy", ConfigValue: o.CleanupPolicy})
			}
			if o.Retention > 0 {
				tc.ConfigEntries = append(tc.ConfigEntries, kafka.ConfigEntry{ConfigName: "retention.ms", ConfigValue: strconv.FormatInt(o.Retention.Milliseconds(), 10)})
			}
		}
		req.Topics = append(req.Topics, tc)
	}
	resp, err := c.CreateTopics(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("create topics on %v: %w", brokers, err)
	}
	created := map[string]bool{}
	for _, n := range names {
		e := resp.Errors[n]
		switch {
		case e == nil:
			created[n] = true
		case errors.Is(e, kafka.TopicAlreadyExists):
		default:
			return nil, fmt.Errorf("create topic %s: %w", n, e)
		}
	}
	parts, err := partitionCounts(ctx, c, names)
	if err != nil {
		return nil, err
	}
	out := make([]TopicReport, 0, len(names))
	for _, n := range names {
		r := TopicReport{Topic: n, Created: created[n], Partitions: parts[n]}
		want := spec.Partitions
		if o := spec.Overrides[n]; o.Partitions > 0 {
			want = o.Partitions
		}
		if r.Partitions != want {
			r.Mismatch = fmt.Sprintf("has %d partitions, configured %d", r.Partitions, want)
		}
		out = append(out, r)
	}
	return out, nil
}

// WaitTopics waits until every topic has a leader for each partition.
func WaitTopics(ctx context.Context, brokers []string, names []string) error {
	c, done := newClient(brokers, 5*time.Second)
	defer done()
	for {
		parts, err := partitionCounts(ctx, c, names)
		if err == nil {
			ok := true
			for _, n := range names {
				if parts[n] == 0 {
					ok = false
				}
			}
			if ok {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for topics %v: %w (last error: %v)", names, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func partitionCounts(ctx context.Context, c *kafka.Client, names []string) (map[string]int, error) {
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: names})
	if err != nil {
		return nil, fmt.Errorf("read metadata: %w", err)
	}
	out := make(map[string]int, len(names))
	for _, t := range md.Topics {
		if t.Error != nil {
			continue
		}
		out[t.Name] = len(t.Partitions)
	}
	return out, nil
}

// PartitionLag is the lag of one group on one partition.
type PartitionLag struct {
	Topic     string `json:"topic"`
	Partition int    `json:"partition"`
	Committed int64  `json:"committed"` // -1 when the group has committed nothing
	End       int64  `json:"end"`
	Lag       int64  `json:"lag"`
	// The group member that owns the partition now, when the group is
	// stable and has one: its member id, client id and host as the
	// coordinator reports them.
	MemberID string `json:"member_id,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	Host     string `json:"host,omitempty"`
}

// Lag computes a group's lag per partition from its committed offsets and
// the partitions' end offsets. (A kafka-go group reader cannot report lag
// itself.) A partition with nothing committed lags by its whole length
// from the first offset.
func Lag(ctx context.Context, brokers []string, group, topic string) ([]PartitionLag, error) {
	c, done := newClient(brokers, 10*time.Second)
	defer done()
	ids, first, end, err := topicOffsets(ctx, c, topic)
	if err != nil {
		return nil, err
	}
	of, err := c.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: ids}})
	if err != nil {
		return nil, fmt.Errorf("fetch offsets of group %s: %w", group, err)
	}
	if of.Error != nil {
		return nil, fmt.Errorf("fetch offsets of group %s: %w", group, of.Error)
	}
	committed := map[int]int64{}
	for _, p := range of.Topics[topic] {
		committed[p.Partition] = p.CommittedOffset
	}
	owners, err := partitionOwners(ctx, c, group, topic)
	if err != nil {
		return nil, err
	}
	out := make([]PartitionLag, 0, len(ids))
	for _, id := range ids {
		pl := PartitionLag{Topic: topic, Partition: id, Committed: -1, End: end[id]}
		if m, ok := owners[id]; ok {
			pl.MemberID, pl.ClientID, pl.Host = m.MemberID, m.ClientID, m.ClientHost
		}
		if c, ok := committed[id]; ok && c >= 0 {
			pl.Committed = c
			pl.Lag = max(0, end[id]-c)
		} else {
			pl.Lag = max(0, end[id]-first[id])
		}
		out = append(out, pl)
	}
	return out, nil
}

// partitionOwners asks the group coordinator which member owns each
// partition of topic. A group without members (or one being rebalanced)
// owns nothing: the map is empty, not an error.
func partitionOwners(ctx context.Context, c *kafka.Client, group, topic string) (map[int]kafka.DescribeGroupsResponseMember, error) {
	res, err := c.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil {
		return nil, fmt.Errorf("describe group %s: %w", group, err)
	}
	owners := map[int]kafka.DescribeGroupsResponseMember{}
	for _, g := range res.Groups {
		if g.GroupID != group {
			continue
		}
		if g.Error != nil {
			return nil, fmt.Errorf("describe group %s: %w", group, g.Error)
		}
		for _, m := range g.Members {
			for _, t := range m.MemberAssignments.Topics {
				if t.Topic != topic {
					continue
				}
				for _, p := range t.Partitions {
					owners[p] = m
				}
			}
		}
	}
	return owners, nil
}

// SumLag is the total lag over partitions.
func SumLag(lags []PartitionLag) int64 {
	var n int64
	for _, l := range lags {
		n += l.Lag
	}
	return n
}

// WatchLag updates the lag gauges of a group every interval until ctx is
// done.
func WatchLag(ctx context.Context, brokers []string, group, topic string, every time.Duration, m *Metrics) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if lags, err := Lag(ctx, brokers, group, topic); err == nil {
			for _, l := range lags {
				m.lag.WithLabelValues(group, l.Topic, partLabel(l.Partition)).Set(float64(l.Lag))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// newClient returns a client with its own transport and the function that
// closes its connections (the default transport would keep them forever).
func newClient(brokers []string, timeout time.Duration) (*kafka.Client, func()) {
	tr := &kafka.Transport{}
	return &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: timeout, Transport: tr}, tr.CloseIdleConnections
}
