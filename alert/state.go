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

// State is the delivery stage's local cache, one bbolt file: which
// deliveries (alert or digest, per channel) have been made. Losing it can
// repeat a delivery (with the same delivery id, so receivers drop it) but
// never lose one: throttle windows and pending digests live in the
// alert-state topic (see Throttles), and delivered alerts are marked there
// too (see OnceDelivery). It is kept for what the topic does not record:
// the channels of an alert already delivered when others failed, so that
// a replay from the dead-letter topic sends only the missing ones. It is
// safe for concurrent use; one process at a time may open a file.
type State struct {
	db *bolt.DB
}

var (
	bucketDelivered = []byte("delivered")
	bucketMeta      = []byte("meta")
	keyOwner        = []byte("owner")
	// bucketLegacyThrottle held throttle state before it moved to the
	// alert-state topic; read once, then dropped.
	bucketLegacyThrottle = []byte("throttle")
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
		for _, b := range [][]byte{bucketDelivered, bucketMeta} {
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

// owner returns the name this file gives its process in throttle
// records, made on first use: a process restarted on the same disk stays
// the owner of the digests it held, and sends them when due; one on a new
// disk is a new owner, which takes them over after the grace.
func (s *State) owner() (string, error) {
	var id string
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		if v := b.Get(keyOwner); len(v) > 0 {
			id = string(v)
			return nil
		}
		id = processOwner()
		return b.Put(keyOwner, []byte(id))
	})
	if err != nil {
		return "", fmt.Errorf("read process name from alert state: %w", err)
	}
	return id, nil
}

// legacyThrottles returns the throttle windows and pending digests an
// earlier version kept in this file (none once dropLegacyThrottles ran):
// the delivery stage moves them to the alert-state topic once.
func (s *State) legacyThrottles() (map[string]throttleState, error) {
	out := map[string]throttleState{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLegacyThrottle)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var st throttleState
			if json.Unmarshal(v, &st) == nil && (len(st.Pending) > 0 || st.More > 0) {
				out[string(k)] = st
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read legacy throttle state: %w", err)
	}
	return out, nil
}

// dropLegacyThrottles deletes the earlier version's throttle bucket.
func (s *State) dropLegacyThrottles() error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketLegacyThrottle) == nil {
			return nil
		}
		return tx.DeleteBucket(bucketLegacyThrottle)
	})
	if err != nil {
		return fmt.Errorf("drop legacy throttle state: %w", err)
	}
	return nil
}
