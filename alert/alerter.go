package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/consumers"
)

// ArticleMatcher matches one enriched article against the rules in force.
// *Service and *match.Matcher implement it.
type ArticleMatcher interface {
	Match(e *article.Enriched) []match.Match
}

// DefaultFresh is how long a partition may go unseen before the alerter
// treats it as newly assigned (see AlerterConfig.Fresh).
const DefaultFresh = 10 * time.Second

// AlerterConfig configures the alerter stage.
type AlerterConfig struct {
	Topic      string         // alerts topic, required
	StateTopic string         // alert-state changelog topic, required
	Limits     article.Limits // of decoded enriched articles
	// MaxAge, when set, skips articles whose version time (updated, else
	// published, else ingested) is older, so that replaying an old backlog
	// does not alert on old news with new rules.
	MaxAge time.Duration
	// Barrier, when set, waits until Once has read the changelog up to its
	// current end in the given partitions. The alerter calls it before it
	// works on a partition it has not seen for Fresh: after a rebalance,
	// the pairs the previous owner wrote are then known before any of its
	// uncommitted records are redone.
	Barrier func(ctx context.Context, partitions []int) error
	Fresh   time.Duration // default DefaultFresh
	Now     func() time.Time
}

// Alerter is the stage news.enriched → news.alerts. For each enriched
// article it finds the matching rules and writes one Alert record per
// (rule, article) pair never alerted before, keyed by AlertID, plus one
// alert-state record for the article (key = article id, value = every
// rule that alerted on it) in the same produce batch. Scale it out by
// running more processes in one consumer group ("newswire-alert").
//
// "Once per (rule, article)" rests on Once, which follows the alert-state
// topic: partitioned like the enriched topic, it travels with the
// partition when the group rebalances, and survives the loss of any
// process and its disk. A batch's pairs are also added to Once directly
// when the runner reports the batch committed (consumers.CommitObserver);
// an abandoned batch adds nothing. A process killed after its alerts and
// state records were written but before the commit leaves them in the
// topics: the next owner reads the state first (Barrier) and does not
// repeat them. Article updates keep their id, so they never alert again.
// Undecodable articles are poison.
type Alerter struct {
	m    ArticleMatcher
	once *Once
	cfg  AlerterConfig
	met  *Metrics
	log  *zap.Logger
	gate *gate
}

// NewAlerterStage builds the alerter stage. met may be nil.
func NewAlerterStage(m ArticleMatcher, once *Once, cfg AlerterConfig, met *Metrics, log *zap.Logger) (*Alerter, error) {
	var errs []error
	if m == nil || once == nil {
		errs = append(errs, errors.New("a matcher and the once-only state are required"))
	}
	if cfg.Topic == "" {
		errs = append(errs, errors.New("alerts topic required"))
	}
	if cfg.StateTopic == "" {
		errs = append(errs, errors.New("alert-state topic required"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("alerter stage: %w", errors.Join(errs...))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Fresh <= 0 {
		cfg.Fresh = DefaultFresh
	}
	if met == nil {
		met = NewMetrics(nil)
	}
	log = log.With(zap.String("component", "alerter"))
	return &Alerter{m: m, once: once, cfg: cfg, met: met, log: log, gate: newGate(cfg.Barrier, cfg.Fresh, log)}, nil
}

// gate runs a read barrier before a stage works on a partition it has
// not seen for fresh: after a rebalance, whatever the previous owner wrote
// to the state topic is then known.
type gate struct {
	barrier func(ctx context.Context, partitions []int) error
	fresh   time.Duration
	log     *zap.Logger

	mu       sync.Mutex
	lastSeen map[int]time.Time // partition → last batch that held it
}

func newGate(barrier func(context.Context, []int) error, fresh time.Duration, log *zap.Logger) *gate {
	if fresh <= 0 {
		fresh = DefaultFresh
	}
	return &gate{barrier: barrier, fresh: fresh, log: log, lastSeen: map[int]time.Time{}}
}

func (g *gate) pass(ctx context.Context, batch []consumers.Record) error {
	if g.barrier == nil {
		return nil
	}
	now := time.Now()
	g.mu.Lock()
	var fresh []int
	seen := map[int]bool{}
	for _, r := range batch {
		if seen[r.Partition] {
			continue
		}
		seen[r.Partition] = true
		if t, ok := g.lastSeen[r.Partition]; !ok || now.Sub(t) > g.fresh {
			fresh = append(fresh, r.Partition)
		}
	}
	g.mu.Unlock()
	if len(fresh) > 0 {
		if err := g.barrier(ctx, fresh); err != nil {
			return fmt.Errorf("read alert state before partitions %v: %w", fresh, err)
		}
		g.log.Debug("alert state read for new partitions", zap.Ints("partitions", fresh))
	}
	g.mu.Lock()
	for p := range seen {
		g.lastSeen[p] = now
	}
	g.mu.Unlock()
	return nil
}

// Process implements consumers.Stage.
func (s *Alerter) Process(ctx context.Context, batch []consumers.Record) ([]consumers.Result, error) {
	if err := s.gate.pass(ctx, batch); err != nil {
		return nil, err
	}
	res := make([]consumers.Result, len(batch))
	now := s.cfg.Now()
	// new pairs of this batch per article, so that an article twice in
	// one batch alerts once
	fresh := map[string][]string{}
	for i, msg := range batch {
		e, err := article.DecodeEnriched(msg.Value, s.cfg.Limits)
		if err != nil {
			res[i].Err = fmt.Errorf("%w: decode enriched article: %w", consumers.ErrPoison, err)
			continue
		}
		if s.cfg.MaxAge > 0 {
			if vt := e.VersionTime(); !vt.IsZero() && now.Sub(vt) > s.cfg.MaxAge {
				continue
			}
		}
		start := time.Now()
		ms := s.m.Match(&e)
		s.met.matchSeconds.Observe(time.Since(start).Seconds())
		s.met.matches.Add(float64(len(ms)))
		var newRules []string
		for _, m := range ms {
			if s.once.has(m.RuleID, e.ID) || slices.Contains(fresh[e.ID], m.RuleID) {
				s.met.duplicates.Inc()
				continue
			}
			a := NewAlert(m, &e, now)
			b, err := json.Marshal(&a)
			if err != nil {
				return nil, fmt.Errorf("encode alert %s: %w", a.ID, err)
			}
			res[i].Out = append(res[i].Out, consumers.Record{Topic: s.cfg.Topic, Key: []byte(a.ID), Value: b})
			newRules = append(newRules, m.RuleID)
		}
		if len(newRules) == 0 {
			continue
		}
		fresh[e.ID] = append(fresh[e.ID], newRules...)
		st := stateValue{Rules: append(s.once.rules(e.ID), fresh[e.ID]...)}
		b, err := json.Marshal(&st)
		if err != nil {
			return nil, fmt.Errorf("encode alert state of %s: %w", e.ID, err)
		}
		res[i].Out = append(res[i].Out, consumers.Record{Topic: s.cfg.StateTopic, Key: []byte(e.ID), Value: b})
		s.met.emitted.Add(float64(len(newRules)))
	}
	return res, nil
}

// Committed implements consumers.CommitObserver: the batch's alerts and
// state records are acknowledged and its offsets committed, so its pairs
// are known at once (the follower of the state topic will see them too).
func (s *Alerter) Committed(_ []consumers.Record, results []consumers.Result) {
	for _, r := range results {
		for _, o := range r.Out {
			if o.Topic != s.cfg.StateTopic {
				continue
			}
			var v stateValue
			if err := json.Unmarshal(o.Value, &v); err == nil {
				s.once.add(string(o.Key), v.Rules)
			}
		}
	}
}
