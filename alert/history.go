package alert

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/newswire/newswire/internal/httpjson"
)

// Defaults of History.
const (
	// DefaultHistoryPerRule is how many recent alerts are kept per rule
	// (and the most GET …/history returns).
	DefaultHistoryPerRule = 100
	// DefaultHistoryRules bounds how many rules have a history; past it,
	// the rule whose last alert is oldest loses its history.
	DefaultHistoryRules = 2 * DefaultMaxRules
)

// HistoryEntry is one alert of a rule's history with its place in the
// alerts topic.
type HistoryEntry struct {
	Alert
	Partition int   `json:"partition"`
	Offset    int64 `json:"offset"`
}

// History keeps the recent alerts of every rule, fed from the alerts
// topic (the records the live stream follows): at most PerRule per rule,
// for at most MaxRules rules. It is safe for concurrent use. Nothing of
// it is kept on disk: a serve rebuilds it by reading the alerts topic
// from the start, so it reaches back as far as the topic's retention.
type History struct {
	perRule, maxRules int

	mu    sync.Mutex
	rules map[string]*ruleHistory
	pos   map[int]int64 // last offset added per partition
	clock uint64
}

type ruleHistory struct {
	ring []HistoryEntry // circular once full
	next int
	last uint64 // clock of the latest add
}

// NewHistory builds a history keeping perRule alerts per rule for at most
// maxRules rules; zero or negative values take the defaults.
func NewHistory(perRule, maxRules int) *History {
	if perRule <= 0 {
		perRule = DefaultHistoryPerRule
	}
	if maxRules <= 0 {
		maxRules = DefaultHistoryRules
	}
	return &History{perRule: perRule, maxRules: maxRules, rules: map[string]*ruleHistory{}, pos: map[int]int64{}}
}

// PerRule is how many alerts a rule's history holds at most.
func (h *History) PerRule() int { return h.perRule }

// Add records alert a, read at partition:offset of the alerts topic. A
// record at or before the last offset added for its partition (read again
// after a reader retry) is ignored.
func (h *History) Add(a Alert, partition int, offset int64) {
	if a.RuleID == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if last, ok := h.pos[partition]; ok && offset <= last {
		return
	}
	h.pos[partition] = offset
	h.clock++
	rh := h.rules[a.RuleID]
	if rh == nil {
		if len(h.rules) >= h.maxRules {
			h.evictLocked()
		}
		rh = &ruleHistory{}
		h.rules[a.RuleID] = rh
	}
	rh.last = h.clock
	e := HistoryEntry{Alert: a, Partition: partition, Offset: offset}
	if len(rh.ring) < h.perRule {
		rh.ring = append(rh.ring, e)
		return
	}
	rh.ring[rh.next] = e
	rh.next = (rh.next + 1) % len(rh.ring)
}

// addRecord decodes one record of the alerts topic and adds it when it
// is an alert.
func (h *History) addRecord(value []byte, partition int, offset int64) {
	var a Alert
	if json.Unmarshal(value, &a) != nil || a.Type != TypeAlert {
		return
	}
	h.Add(a, partition, offset)
}

// evictLocked drops the history of the rule whose last alert is oldest.
func (h *History) evictLocked() {
	var victim string
	var oldest uint64
	for id, rh := range h.rules {
		if victim == "" || rh.last < oldest {
			victim, oldest = id, rh.last
		}
	}
	delete(h.rules, victim)
}

// Recent returns up to limit of the rule's alerts, newest first (by match
// time, then by place in the topic).
func (h *History) Recent(ruleID string, limit int) []HistoryEntry {
	h.mu.Lock()
	rh := h.rules[ruleID]
	var out []HistoryEntry
	if rh != nil {
		out = slices.Clone(rh.ring)
	}
	h.mu.Unlock()
	slices.SortFunc(out, func(a, b HistoryEntry) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Partition, a.Partition); c != 0 {
			return c
		}
		return cmp.Compare(b.Offset, a.Offset)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// HistoryAnswer is the body of GET /api/v1/alerts/rules/{id}/history.
type HistoryAnswer struct {
	RuleID string         `json:"rule_id"`
	Alerts []HistoryEntry `json:"alerts"`
	// Kept is the most alerts kept per rule.
	Kept int `json:"kept"`
}

// history answers GET /api/v1/alerts/rules/{id}/history[?limit=N]: the
// rule's recent alerts, newest first. A rule deleted since still has
// its history until it is evicted; an unknown id with no history is 404.
func (s *Service) history(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	limit := s.hist.PerRule()
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > s.hist.PerRule() {
			httpjson.Write(w, http.StatusBadRequest, errorBody{Error: "limit must be a number from 1 to " + strconv.Itoa(s.hist.PerRule())})
			return
		}
		limit = n
	}
	out := HistoryAnswer{RuleID: id, Alerts: s.hist.Recent(id, limit), Kept: s.hist.PerRule()}
	if _, known := s.Rule(id); !known && len(out.Alerts) == 0 {
		writeErr(w, ErrNotFound)
		return
	}
	if out.Alerts == nil {
		out.Alerts = []HistoryEntry{}
	}
	httpjson.Write(w, http.StatusOK, out)
}
