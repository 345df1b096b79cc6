package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// AlerterConfig configures the alerter stage.
type AlerterConfig struct {
	Topic  string         // alerts topic, required
	Limits article.Limits // of decoded enriched articles
	// MaxAge, when set, skips articles whose version time (updated, else
	// published, else ingested) is older, so that replaying an old backlog
	// does not alert on old news with new rules.
	MaxAge time.Duration
	Now    func() time.Time
}

// Alerter is the stage news.enriched → news.alerts. For each enriched
// article it finds the matching rules and writes one Alert record per
// (rule, article) pair never alerted before, keyed by AlertID. Run it
// with its own consumer group ("newswire-alert"); one Alerter serves one
// consumers.Runner.
//
// "Once per (rule, article) ever" rests on State: a pair is recorded only
// once the runner reports the batch that emitted it as committed (its
// alert acknowledged by the alerts topic and the input offsets committed;
// see consumers.CommitObserver). A batch abandoned at shutdown records
// nothing, so its records are redone by the partition's next owner.
// Article updates keep their id, so they never alert again. Undecodable
// articles are poison; a state store failure is transient.
type Alerter struct {
	m   ArticleMatcher
	st  *State
	cfg AlerterConfig
	met *Metrics
	log *zap.Logger
}

// NewAlerterStage builds the alerter stage. met may be nil.
func NewAlerterStage(m ArticleMatcher, st *State, cfg AlerterConfig, met *Metrics, log *zap.Logger) (*Alerter, error) {
	if m == nil || st == nil {
		return nil, errors.New("alerter stage needs a matcher and state")
	}
	if cfg.Topic == "" {
		return nil, errors.New("alerter stage: alerts topic required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if met == nil {
		met = NewMetrics(nil)
	}
	return &Alerter{m: m, st: st, cfg: cfg, met: met, log: log.With(zap.String("component", "alerter"))}, nil
}

// Process implements consumers.Stage.
func (s *Alerter) Process(ctx context.Context, batch []consumers.Record) ([]consumers.Result, error) {
	type found struct {
		e       article.Enriched
		matches []match.Match
	}
	res := make([]consumers.Result, len(batch))
	arts := make([]*found, len(batch))
	var keys []string
	now := s.cfg.Now()
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
		arts[i] = &found{e: e, matches: ms}
		for _, m := range ms {
			keys = append(keys, AlertID(m.RuleID, e.ID))
		}
	}
	seen, err := s.st.alerted(keys)
	if err != nil {
		return nil, err
	}
	emitted := 0
	for i, f := range arts {
		if f == nil {
			continue
		}
		for _, m := range f.matches {
			id := AlertID(m.RuleID, f.e.ID)
			if seen[id] {
				s.met.duplicates.Inc()
				continue
			}
			seen[id] = true // an article twice in one batch alerts once
			a := NewAlert(m, &f.e, now)
			b, err := json.Marshal(&a)
			if err != nil {
				return nil, fmt.Errorf("encode alert %s: %w", id, err)
			}
			res[i].Out = append(res[i].Out, consumers.Record{Topic: s.cfg.Topic, Key: []byte(id), Value: b})
			emitted++
		}
	}
	s.met.emitted.Add(float64(emitted))
	return res, nil
}

// Committed implements consumers.CommitObserver: the batch's alerts are
// acknowledged and its offsets committed, so its pairs are recorded. A
// failure to record is logged: the pairs stay unrecorded and a replay of
// those articles would alert again (the delivery id lets receivers drop
// the repeat).
func (s *Alerter) Committed(_ []consumers.Record, results []consumers.Result) {
	var keys []string
	for _, r := range results {
		for _, o := range r.Out {
			if o.Topic == s.cfg.Topic {
				keys = append(keys, string(o.Key))
			}
		}
	}
	if err := s.st.markAlerted(keys, s.cfg.Now()); err != nil {
		s.log.Error("record alerted pairs", zap.Error(err), zap.Int("pairs", len(keys)))
	}
}
