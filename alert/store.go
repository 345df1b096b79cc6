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
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/internal/fsutil"
)

// Errors of the rule store.
var (
	ErrNotFound = errors.New("rule not found")
	// ErrReadOnly: the rule comes from the rule file; change it there.
	ErrReadOnly = errors.New("rule comes from the rule file and is read-only through the API")
	// ErrConflict: the id is taken.
	ErrConflict = errors.New("rule id already exists")
)

// StoreConfig configures a RuleStore.
type StoreConfig struct {
	// APIPath is the JSON file that keeps rules created through the API
	// (required), e.g. <data-dir>/alerts/rules.json.
	APIPath string
	// FilePath is the YAML rule file (--rules); empty for none.
	FilePath string
	// AllowPrivate accepts webhook targets on loopback and private
	// networks (--alerts-allow-private).
	AllowPrivate bool
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// RuleStore holds the rules: read-only rules from the YAML rule file and
// rules created through the API, persisted in a JSON file (written to a
// temporary file, synced and renamed over the old one). Ids are unique
// across both. It is safe for concurrent use.
type RuleStore struct {
	cfg StoreConfig
	log *zap.Logger

	mu        sync.Mutex
	api       map[string]match.Rule
	file      []match.Rule
	fileStamp fileStamp
	fileErr   error
	onChange  []func()
}

type fileStamp struct {
	mod  time.Time
	size int64
	ok   bool
}

type apiFile struct {
	Rules []match.Rule `json:"rules"`
}

// OpenRuleStore loads the API rules and the rule file. A missing API file
// is an empty one; an unreadable API file or a broken rule file is an
// error (later reloads of a broken rule file keep the previous rules).
func OpenRuleStore(cfg StoreConfig, log *zap.Logger) (*RuleStore, error) {
	if cfg.APIPath == "" {
		return nil, errors.New("rule store: APIPath required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &RuleStore{cfg: cfg, log: log.With(zap.String("component", "alert-rules")), api: map[string]match.Rule{}}
	b, err := os.ReadFile(cfg.APIPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read alert rules %s: %w", cfg.APIPath, err)
	default:
		var f apiFile
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("decode alert rules %s: %w", cfg.APIPath, err)
		}
		for _, r := range f.Rules {
			match.Normalize(&r)
			if err := match.Validate(&r, match.ValidateOptions{RequireID: true, AllowPrivate: true}); err != nil {
				return nil, fmt.Errorf("alert rules %s: rule %q: %w", cfg.APIPath, r.ID, err)
			}
			r.Origin = match.OriginAPI
			s.api[r.ID] = r
		}
	}
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

func (s *RuleStore) changed() {
	s.mu.Lock()
	fns := append([]func(){}, s.onChange...)
	s.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// Rules returns every rule, sorted by id.
func (s *RuleStore) Rules() []match.Rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]match.Rule, 0, len(s.api)+len(s.file))
	out = append(out, s.file...)
	for _, r := range s.api {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Get returns one rule.
func (s *RuleStore) Get(id string) (match.Rule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.api[id]; ok {
		return r, nil
	}
	for _, r := range s.file {
		if r.ID == id {
			return r, nil
		}
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

// Create adds a validated rule through the API, generating its id when
// empty. It fails with ErrConflict when the id is taken.
func (s *RuleStore) Create(r match.Rule) (match.Rule, error) {
	s.mu.Lock()
	if r.ID == "" {
		for r.ID == "" || s.api[r.ID].ID != "" || s.fileHasLocked(r.ID) {
			r.ID = newRuleID()
		}
	} else if _, ok := s.api[r.ID]; ok || s.fileHasLocked(r.ID) {
		s.mu.Unlock()
		return match.Rule{}, fmt.Errorf("create rule %q: %w", r.ID, ErrConflict)
	}
	now := s.cfg.Now().UTC()
	r.Origin, r.Created, r.Updated = match.OriginAPI, now, now
	s.api[r.ID] = r
	if err := s.saveLocked(); err != nil {
		delete(s.api, r.ID)
		s.mu.Unlock()
		return match.Rule{}, err
	}
	s.mu.Unlock()
	s.changed()
	return r, nil
}

// Update replaces an API rule. File rules fail with ErrReadOnly. A
// webhook channel given without a secret keeps the secret of the channel
// with the same URL.
func (s *RuleStore) Update(id string, r match.Rule) (match.Rule, error) {
	s.mu.Lock()
	old, ok := s.api[id]
	switch {
	case !ok && s.fileHasLocked(id):
		s.mu.Unlock()
		return match.Rule{}, fmt.Errorf("update rule %q: %w", id, ErrReadOnly)
	case !ok:
		s.mu.Unlock()
		return match.Rule{}, fmt.Errorf("update rule %q: %w", id, ErrNotFound)
	}
	r.ID, r.Origin, r.Created, r.Updated = id, match.OriginAPI, old.Created, s.cfg.Now().UTC()
	s.api[id] = r
	if err := s.saveLocked(); err != nil {
		s.api[id] = old
		s.mu.Unlock()
		return match.Rule{}, err
	}
	s.mu.Unlock()
	s.changed()
	return r, nil
}

// Delete removes an API rule. File rules fail with ErrReadOnly.
func (s *RuleStore) Delete(id string) error {
	s.mu.Lock()
	old, ok := s.api[id]
	switch {
	case !ok && s.fileHasLocked(id):
		s.mu.Unlock()
		return fmt.Errorf("delete rule %q: %w", id, ErrReadOnly)
	case !ok:
		s.mu.Unlock()
		return fmt.Errorf("delete rule %q: %w", id, ErrNotFound)
	}
	delete(s.api, id)
	if err := s.saveLocked(); err != nil {
		s.api[id] = old
		s.mu.Unlock()
		return err
	}
	s.mu.Unlock()
	s.changed()
	return nil
}

// saveLocked writes the API rules atomically: temporary file, fsync,
// rename, fsync of the directory.
func (s *RuleStore) saveLocked() error {
	f := apiFile{Rules: make([]match.Rule, 0, len(s.api))}
	for _, r := range s.api {
		r.Origin = ""
		f.Rules = append(f.Rules, r)
	}
	sort.Slice(f.Rules, func(i, j int) bool { return f.Rules[i].ID < f.Rules[j].ID })
	b, err := json.MarshalIndent(&f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode alert rules: %w", err)
	}
	if err := fsutil.WriteFileAtomic(s.cfg.APIPath, append(b, '\n')); err != nil {
		return fmt.Errorf("save alert rules: %w", err)
	}
	return nil
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
	if err == nil {
		for _, r := range rules {
			if _, ok := s.api[r.ID]; ok {
				err = fmt.Errorf("rule file %s: id %q is taken by a rule created through the API", s.cfg.FilePath, r.ID)
				break
			}
		}
	}
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
	rules, err := match.ParseRulesYAML(b, match.ValidateOptions{AllowPrivate: s.cfg.AllowPrivate})
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
