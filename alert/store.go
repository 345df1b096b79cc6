package alert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/consumers"
)

// Errors of the rule store.
var (
	ErrNotFound = errors.New("rule not found")
	// ErrReadOnly: the rule comes from the rule file; change it there.
	ErrReadOnly = errors.New("rule comes from the rule file and is read-only through the API")
	// ErrConflict: the id is taken.
	ErrConflict = errors.New("rule id already exists")
)

// ErrDuplicate: a rule with the same query and channels exists.
var ErrDuplicate = errors.New("a rule with the same query and channels exists")

// ErrTooMany: the store holds MaxRules rules created through the API.
var ErrTooMany = errors.New("too many rules")

// DuplicateError names the existing rule a create duplicates.
type DuplicateError struct{ ExistingID string }

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("%v: %s", ErrDuplicate, e.ExistingID)
}

func (e *DuplicateError) Unwrap() error { return ErrDuplicate }

// RuleLog is where rules created through the API live: the compacted
// rules topic (key = rule id, value = rule JSON, nil value = tombstone).
// Append returns once the write is acknowledged.
type RuleLog interface {
	Append(ctx context.Context, key string, value []byte) error
}

// Defaults of StoreConfig.
const (
	// DefaultMaxRules bounds the rules created through the API. A create
	// costs one topic write whatever the count; the limit bounds the
	// matcher's memory and compile time (10 000 rules compile in well
	// under a second and match in microseconds per article).
	DefaultMaxRules = 10000
	// DefaultWriteTimeout is how long a write waits to see itself applied
	// from the topic before it reports an error.
	DefaultWriteTimeout = 10 * time.Second
)

// StoreConfig configures a RuleStore.
type StoreConfig struct {
	// Log receives the rules created, changed and deleted through the
	// API; nil makes the API rules read-only (ErrNoLog).
	Log RuleLog
	// FilePath is the YAML rule file (--rules); empty for none.
	FilePath string
	// AllowPrivate accepts webhook targets on loopback and private
	// networks (--alerts-allow-private).
	AllowPrivate bool
	// Entities lets the rule file name countries, leaders, treaties and
	// keywords by name: each is read as its id, and an unknown one fails
	// the load with the closest known entities. Nil: values are ids.
	Entities EntityResolver
	// MaxRules bounds the API rules (default DefaultMaxRules).
	MaxRules int
	// WriteTimeout (default DefaultWriteTimeout).
	WriteTimeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// ErrNoLog: this process has no rules topic to write to.
var ErrNoLog = errors.New("rules cannot be changed on this process (no rules topic)")

// RuleStore holds the rules: read-only rules from the YAML rule file and
// rules created through the API. API rules live in the rules topic: a
// write appends to the topic and returns once the store has read it back
// (Apply), so every process that follows the topic holds the same rules,
// in the topic's one order of changes. Ids are unique across both kinds;
// a file rule shadows an API rule of the same id. It is safe for
// concurrent use.
type RuleStore struct {
	cfg StoreConfig
	log *zap.Logger

	mu        sync.Mutex
	api       map[string]match.Rule
	file      []match.Rule
	fileStamp fileStamp
	fileErr   error
	onChange  []func()
	applied   chan struct{} // closed and replaced on every Apply
	version   atomic.Uint64 // bumped on every change
	writeMu   sync.Mutex    // one API write at a time per process
}

type fileStamp struct {
	mod  time.Time
	size int64
	ok   bool
}

// OpenRuleStore loads the rule file; API rules arrive through Apply (see
// Follow). A broken rule file is an error (later reloads of a broken rule
// file keep the previous rules).
func OpenRuleStore(cfg StoreConfig, log *zap.Logger) (*RuleStore, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxRules <= 0 {
		cfg.MaxRules = DefaultMaxRules
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	s := &RuleStore{cfg: cfg, log: log.With(zap.String("component", "alert-rules")), api: map[string]match.Rule{}, applied: make(chan struct{})}
	if cfg.FilePath != "" {
		if err := s.reload(true); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// OnChange registers fn, called (without locks held) after every change
// of the rule set.
func (s *RuleStore) OnChange(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onChange = append(s.onChange, fn)
}

// Version changes whenever the rule set changes.
func (s *RuleStore) Version() uint64 { return s.version.Load() }

func (s *RuleStore) changed() {
	s.version.Add(1)
	s.mu.Lock()
	fns := append([]func(){}, s.onChange...)
	s.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// Apply applies one record of the rules topic: a rule, or a tombstone
// (nil value) deleting it. A record that does not hold a valid rule is
// logged and skipped: it must never stop the rules from loading.
func (s *RuleStore) Apply(key, value []byte) {
	id := string(key)
	s.mu.Lock()
	if len(value) == 0 { // a tombstone (clients may read it as empty)
		delete(s.api, id)
	} else {
		var r match.Rule
		err := json.Unmarshal(value, &r)
		if err == nil {
			match.Normalize(&r)
			err = match.Validate(&r, match.ValidateOptions{RequireID: true, AllowPrivate: true})
		}
		if err == nil && r.ID != id {
			err = fmt.Errorf("rule id %q differs from the record key", r.ID)
		}
		if err != nil {
			s.mu.Unlock()
			s.log.Error("rule record skipped", zap.String("rule_id", id), zap.Error(err))
			return
		}
		if s.fileHasLocked(id) {
			s.log.Warn("rule of the rules topic shadowed by the rule file", zap.String("rule_id", id))
		}
		r.Origin = match.OriginAPI
		s.api[id] = r
	}
	close(s.applied)
	s.applied = make(chan struct{})
	s.mu.Unlock()
	s.changed()
}

// Follow applies the rules topic from its first record until ctx ends.
// The tailer's CaughtUp tells when every rule written before start is in.
func (s *RuleStore) Follow(ctx context.Context, t *consumers.Tailer) error {
	return t.Run(ctx, func(r consumers.Record) error {
		s.Apply(r.Key, r.Value)
		return nil
	})
}

// Rules returns every rule, sorted by id.
func (s *RuleStore) Rules() []match.Rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]match.Rule, 0, len(s.api)+len(s.file))
	out = append(out, s.file...)
	for id, r := range s.api {
		if !s.fileHasLocked(id) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Get returns one rule.
func (s *RuleStore) Get(id string) (match.Rule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.file {
		if r.ID == id {
			return r, nil
		}
	}
	if r, ok := s.api[id]; ok {
		return r, nil
	}
	return match.Rule{}, ErrNotFound
}

// FileStatus reports the rule file and the error of its last load, nil
// when it loaded.
func (s *RuleStore) FileStatus() (path string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.FilePath, s.fileErr
}

func (s *RuleStore) fileHasLocked(id string) bool {
	for _, r := range s.file {
		if r.ID == id {
			return true
		}
	}
	return false
}

// fingerprint identifies a rule's query and channels, for duplicates:
// the order of the entities a query lists does not matter (they are all
// required).
func fingerprint(r match.Rule) string {
	b, _ := json.Marshal(struct {
		Q match.Query     `json:"q"`
		C []match.Channel `json:"c"`
	}{canonical(r.Query), r.Channels})
	return string(b)
}

func canonical(q match.Query) match.Query {
	for _, l := range []*[]string{&q.Countries, &q.SubjectCountries, &q.Leaders, &q.Treaties, &q.Keywords, &q.Sources} {
		*l = append([]string(nil), *l...)
		sort.Strings(*l)
	}
	q.Any = append([]match.Query(nil), q.Any...)
	for i := range q.Any {
		q.Any[i] = canonical(q.Any[i])
	}
	q.Not = append([]match.Query(nil), q.Not...)
	for i := range q.Not {
		q.Not[i] = canonical(q.Not[i])
	}
	return q
}

// Create adds a validated rule through the API, generating its id when
// empty. It fails with ErrConflict when the id is taken, a DuplicateError
// when a rule with the same query and channels exists, and ErrTooMany at
// MaxRules.
func (s *RuleStore) Create(ctx context.Context, r match.Rule) (match.Rule, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	if r.ID == "" {
		for r.ID == "" || s.api[r.ID].ID != "" || s.fileHasLocked(r.ID) {
			r.ID = newRuleID()
		}
	} else if _, ok := s.api[r.ID]; ok || s.fileHasLocked(r.ID) {
		s.mu.Unlock()
		return match.Rule{}, fmt.Errorf("create rule %q: %w", r.ID, ErrConflict)
	}
	if len(s.api) >= s.cfg.MaxRules {
		s.mu.Unlock()
		return match.Rule{}, fmt.Errorf("create rule: %w: the limit is %d", ErrTooMany, s.cfg.MaxRules)
	}
	fp := fingerprint(r)
	for _, o := range s.rulesLocked() {
		if fingerprint(o) == fp {
			s.mu.Unlock()
			return match.Rule{}, &DuplicateError{ExistingID: o.ID}
		}
	}
	s.mu.Unlock()
	now := s.cfg.Now().UTC()
	r.Origin, r.Created, r.Updated = "", now, now
	if err := s.write(ctx, r.ID, &r); err != nil {
		return match.Rule{}, fmt.Errorf("create rule %q: %w", r.ID, err)
	}
	r.Origin = match.OriginAPI
	return r, nil
}

func (s *RuleStore) rulesLocked() []match.Rule {
	out := append([]match.Rule{}, s.file...)
	for _, r := range s.api {
		out = append(out, r)
	}
	return out
}

// Update replaces an API rule. File rules fail with ErrReadOnly.
func (s *RuleStore) Update(ctx context.Context, id string, r match.Rule) (match.Rule, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	old, ok := s.api[id]
	file := s.fileHasLocked(id)
	s.mu.Unlock()
	switch {
	case file:
		return match.Rule{}, fmt.Errorf("update rule %q: %w", id, ErrReadOnly)
	case !ok:
		return match.Rule{}, fmt.Errorf("update rule %q: %w", id, ErrNotFound)
	}
	r.ID, r.Origin, r.Created, r.Updated = id, "", old.Created, s.cfg.Now().UTC()
	if !r.Updated.After(old.Updated) {
		r.Updated = old.Updated.Add(time.Nanosecond)
	}
	if err := s.write(ctx, id, &r); err != nil {
		return match.Rule{}, fmt.Errorf("update rule %q: %w", id, err)
	}
	r.Origin = match.OriginAPI
	return r, nil
}

// Delete removes an API rule. File rules fail with ErrReadOnly.
func (s *RuleStore) Delete(ctx context.Context, id string) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	_, ok := s.api[id]
	file := s.fileHasLocked(id)
	s.mu.Unlock()
	switch {
	case file:
		return fmt.Errorf("delete rule %q: %w", id, ErrReadOnly)
	case !ok:
		return fmt.Errorf("delete rule %q: %w", id, ErrNotFound)
	}
	if err := s.write(ctx, id, nil); err != nil {
		return fmt.Errorf("delete rule %q: %w", id, err)
	}
	return nil
}

// write appends the rule (nil: a tombstone) to the log and waits until
// Apply has read it back, so the caller reads its own write.
func (s *RuleStore) write(ctx context.Context, id string, r *match.Rule) error {
	if s.cfg.Log == nil {
		return ErrNoLog
	}
	var value []byte
	if r != nil {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode rule: %w", err)
		}
		value = b
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()
	if err := s.cfg.Log.Append(ctx, id, value); err != nil {
		return fmt.Errorf("write rules topic: %w", err)
	}
	for {
		s.mu.Lock()
		cur, ok := s.api[id]
		wait := s.applied
		s.mu.Unlock()
		if (r == nil && !ok) || (r != nil && ok && cur.Updated.Equal(r.Updated)) {
			return nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return fmt.Errorf("written but not read back from the rules topic within %v: %w", s.cfg.WriteTimeout, ctx.Err())
		}
	}
}

// Import writes the rules of a JSON rules file of an earlier version
// ({"rules": [...]}) that the store does not hold yet, and returns how
// many it wrote.
func (s *RuleStore) Import(ctx context.Context, path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read rules file: %w", err)
	}
	var f struct {
		Rules []match.Rule `json:"rules"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return 0, fmt.Errorf("decode rules file %s: %w", path, err)
	}
	n := 0
	for _, r := range f.Rules {
		match.Normalize(&r)
		if err := match.Validate(&r, match.ValidateOptions{RequireID: true, AllowPrivate: true}); err != nil {
			return n, fmt.Errorf("rules file %s: rule %q: %w", path, r.ID, err)
		}
		if _, err := s.Get(r.ID); err == nil {
			continue
		}
		r.Origin = ""
		if err := func() error {
			s.writeMu.Lock()
			defer s.writeMu.Unlock()
			return s.write(ctx, r.ID, &r)
		}(); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// TopicLog is a RuleLog on the rules topic.
type TopicLog struct {
	W     RecordWriter
	Topic string
}

// Append implements RuleLog.
func (l TopicLog) Append(ctx context.Context, key string, value []byte) error {
	return l.W.Write(ctx, consumers.Record{Topic: l.Topic, Key: []byte(key), Value: value})
}

func newRuleID() string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported systems
	return "r-" + hex.EncodeToString(b[:])
}

// Reload re-reads the rule file (on SIGHUP, say). On error the previous
// file rules stay in force; the error is returned, logged and kept for
// FileStatus.
func (s *RuleStore) Reload() error { return s.reload(true) }

// reload reads the rule file when force is set or its modification time
// or size changed.
func (s *RuleStore) reload(force bool) error {
	if s.cfg.FilePath == "" {
		return nil
	}
	st, statErr := os.Stat(s.cfg.FilePath)
	stamp := fileStamp{}
	if statErr == nil {
		stamp = fileStamp{mod: st.ModTime(), size: st.Size(), ok: true}
	}
	s.mu.Lock()
	if !force && stamp == s.fileStamp {
		s.mu.Unlock()
		return nil
	}
	s.fileStamp = stamp
	s.mu.Unlock()

	rules, err := s.readFile()
	s.mu.Lock()
	if err != nil {
		s.fileErr = err
		s.mu.Unlock()
		s.log.Error("rule file not loaded; previous rules stay in force", zap.String("path", s.cfg.FilePath), zap.Error(err))
		return err
	}
	s.file, s.fileErr = rules, nil
	s.mu.Unlock()
	s.log.Info("rule file loaded", zap.String("path", s.cfg.FilePath), zap.Int("rules", len(rules)))
	s.changed()
	return nil
}

func (s *RuleStore) readFile() ([]match.Rule, error) {
	b, err := os.ReadFile(s.cfg.FilePath)
	if err != nil {
		return nil, fmt.Errorf("read rule file: %w", err)
	}
	rules, err := match.ParseRulesYAML(b, match.ValidateOptions{AllowPrivate: s.cfg.AllowPrivate, Resolver: resolverOf(s.cfg.Entities)})
	if err != nil {
		return nil, fmt.Errorf("rule file %s: %w", s.cfg.FilePath, err)
	}
	return rules, nil
}

// Watch polls the rule file's modification time and size every interval
// (default 2s) and reloads it when they change, until ctx is done.
func (s *RuleStore) Watch(ctx context.Context, every time.Duration) {
	if s.cfg.FilePath == "" {
		return
	}
	if every <= 0 {
		every = 2 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = s.reload(false) // logged and kept in FileStatus
		}
	}
}
