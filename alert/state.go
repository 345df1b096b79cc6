package alert

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// State is the delivery stage's local memory, one bbolt file: which alert
// deliveries have been made, and each throttled rule's window and pending
// digest. It is a cache: losing it can repeat a delivery (with the same
// delivery id, so receivers drop it) but never lose one. It is safe for
// concurrent use; one process at a time may open a file.
type State struct {
	db *bolt.DB
}

var (
	bucketDelivered = []byte("delivered")
	bucketThrottle  = []byte("throttle")
)

// OpenState opens (creating if needed) the state file at path. It fails
// after a few seconds if another process holds the file.
func OpenState(path string) (*State, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create alert state dir: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open alert state %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketDelivered, bucketThrottle} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("init alert state %s: %w", path, err), db.Close())
	}
	return &State{db: db}, nil
}

// Close closes the file.
func (s *State) Close() error { return s.db.Close() }

func (s *State) delivered(key string) (bool, error) {
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketDelivered).Get([]byte(key)) != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("read delivery state: %w", err)
	}
	return ok, nil
}

func (s *State) markDelivered(key string, at time.Time) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDelivered).Put([]byte(key), []byte(at.UTC().Format(time.RFC3339)))
	})
	if err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	return nil
}

// throttleState is one throttled rule's window and suppressed alerts.
type throttleState struct {
	LastSent time.Time     `json:"last_sent"`
	Pending  []DigestEntry `json:"pending,omitempty"`
	More     int           `json:"more,omitempty"` // suppressed beyond maxDigestEntries
	Failures int           `json:"failures,omitempty"`
}

// updateThrottle runs fn on a rule's throttle state in one transaction
// with the delivery set: has reports whether a delivery key is recorded,
// and fn returns keys to record.
func (s *State) updateThrottle(ruleID string, at time.Time, fn func(st *throttleState, has func(key string) bool) (record []string)) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		tb, db := tx.Bucket(bucketThrottle), tx.Bucket(bucketDelivered)
		var st throttleState
		if v := tb.Get([]byte(ruleID)); v != nil {
			if err := json.Unmarshal(v, &st); err != nil {
				st = throttleState{} // unreadable: start afresh
			}
		}
		has := func(key string) bool { return db.Get([]byte(key)) != nil }
		stamp := []byte(at.UTC().Format(time.RFC3339))
		for _, k := range fn(&st, has) {
			if err := db.Put([]byte(k), stamp); err != nil {
				return err
			}
		}
		if st.LastSent.IsZero() && len(st.Pending) == 0 && st.More == 0 {
			return tb.Delete([]byte(ruleID))
		}
		v, err := json.Marshal(&st)
		if err != nil {
			return err
		}
		return tb.Put([]byte(ruleID), v)
	})
	if err != nil {
		return fmt.Errorf("update throttle of rule %s: %w", ruleID, err)
	}
	return nil
}

// throttled lists the rules with pending digests.
func (s *State) throttled() (map[string]throttleState, error) {
	out := map[string]throttleState{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketThrottle).ForEach(func(k, v []byte) error {
			var st throttleState
			if json.Unmarshal(v, &st) == nil && (len(st.Pending) > 0 || st.More > 0) {
				out[string(k)] = st
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read throttle state: %w", err)
	}
	return out, nil
}
