package alert

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// throttleSuffix ends the key of a rule's throttle record in the
// alert-state topic: "<rule id>/#throttle". "#" occurs in no article id
// (article.IDChars), so the key never names an alert; and it shares the
// alerts' "<rule id>/" prefix, so the writer puts it on the rule's
// partition, next to the rule's delivered marks.
const throttleSuffix = "/#throttle"

// throttleKey is the alert-state key of a rule's throttle record.
func throttleKey(ruleID string) string { return ruleID + throttleSuffix }

// throttleRule returns the rule of a throttle record's key.
func throttleRule(key string) (string, bool) {
	r, ok := strings.CutSuffix(key, throttleSuffix)
	return r, ok && r != "" && !strings.Contains(r, "/")
}

// throttleState is one throttled rule's window and suppressed alerts.
type throttleState struct {
	LastSent time.Time     `json:"last_sent"`
	Pending  []DigestEntry `json:"pending,omitempty"`
	More     int           `json:"more,omitempty"` // suppressed beyond maxDigestEntries
	Failures int           `json:"failures,omitempty"`
	// Opened is the alert that opened the current period (pushed at
	// once): a re-read of it finishes its sending instead of holding it.
	Opened string `json:"opened,omitempty"`
	// Listed are the alert ids of the last digest sent: a re-read of one
	// of them (a batch retried after the digest went out) is not held
	// again.
	Listed []string `json:"listed,omitempty"`
}

// throttleRecord is the value of a rule's throttle record: its state,
// and which write of which process it is. Seq only grows: a process
// bumps it on every change, and readers keep the record with the highest
// (seq, owner), since concurrent batches may land out of order.
type throttleRecord struct {
	throttleState
	Seq     uint64    `json:"seq"`
	Owner   string    `json:"owner"`
	Updated time.Time `json:"updated"`
}

// newer reports whether r wins over cur: a higher seq, or the same seq
// written by a greater owner (two processes that wrote one seq each,
// during an ownership change, settle the same way everywhere).
func (r *throttleRecord) newer(cur *throttleRecord) bool {
	if cur == nil {
		return true
	}
	if r.Seq != cur.Seq {
		return r.Seq > cur.Seq
	}
	return r.Owner > cur.Owner
}

func (r *throttleRecord) pending() bool { return len(r.Pending) > 0 || r.More > 0 }

// holds reports whether the alert id is held for the next digest or
// listed in the last one.
func (r *throttleRecord) holds(id string) bool {
	for _, e := range r.Pending {
		if e.ID == id {
			return true
		}
	}
	for _, l := range r.Listed {
		if l == id {
			return true
		}
	}
	return false
}

func (r *throttleRecord) clone() throttleRecord {
	c := *r
	c.Pending = append([]DigestEntry(nil), r.Pending...)
	c.Listed = append([]string(nil), r.Listed...)
	return c
}

// Throttles holds every throttled rule's window and pending digest as
// the alert-state topic records them (the follower applies the topic's
// records) and as this process changes them (the delivery stage). Its
// truth is the topic, not a local file: a process that lost its disk, or
// a new replica, learns every rule's throttle by reading the topic. It is
// safe for concurrent use.
type Throttles struct {
	mu    sync.Mutex
	rules map[string]*throttleRecord
}

// NewThrottles returns an empty table.
func NewThrottles() *Throttles { return &Throttles{rules: map[string]*throttleRecord{}} }

// apply takes a record read from the alert-state topic: a nil value (a
// tombstone) forgets the rule, any other value wins if it is newer than
// the rule's current record.
func (t *Throttles) apply(ruleID string, value []byte) error {
	if len(value) == 0 {
		t.mu.Lock()
		delete(t.rules, ruleID)
		t.mu.Unlock()
		return nil
	}
	var rec throttleRecord
	if err := json.Unmarshal(value, &rec); err != nil {
		return fmt.Errorf("decode throttle of rule %s: %w", ruleID, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if rec.newer(t.rules[ruleID]) {
		t.rules[ruleID] = &rec
	}
	return nil
}

// get returns a copy of a rule's record.
func (t *Throttles) get(ruleID string) (throttleRecord, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.rules[ruleID]
	if !ok {
		return throttleRecord{}, false
	}
	return r.clone(), true
}

// update runs fn on a rule's record under the table's lock; when fn
// reports a change, the record gets the next seq, owner and time. It
// returns the record as it is afterwards.
func (t *Throttles) update(ruleID, owner string, now time.Time, fn func(r *throttleRecord) bool) throttleRecord {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.rules[ruleID]
	if !ok {
		r = &throttleRecord{}
	}
	if fn(r) {
		r.Seq++
		r.Owner = owner
		r.Updated = now.UTC()
		t.rules[ruleID] = r
	}
	return r.clone()
}

// remove forgets a rule if its record is still seq.
func (t *Throttles) remove(ruleID string, seq uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r, ok := t.rules[ruleID]; ok && r.Seq == seq {
		delete(t.rules, ruleID)
		return true
	}
	return false
}

// snapshot returns a copy of every record.
func (t *Throttles) snapshot() map[string]throttleRecord {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]throttleRecord, len(t.rules))
	for id, r := range t.rules {
		out[id] = r.clone()
	}
	return out
}

// encode returns the record's value for the alert-state topic.
func (r *throttleRecord) encode() ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode throttle record: %w", err)
	}
	return b, nil
}

// processOwner names this process in throttle records: host name,
// process id, and a random part that tells two stages of one process, or
// a restarted process with the same pid, apart.
func processOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}
