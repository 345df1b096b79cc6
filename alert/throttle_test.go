package alert

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/consumers"
)

// recWriter records what the digest sender writes (a RecordWriter).
type recWriter struct {
	mu   sync.Mutex
	recs []consumers.Record
}

func (w *recWriter) Write(_ context.Context, recs ...consumers.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.recs = append(w.recs, recs...)
	return nil
}

func (w *recWriter) all() []consumers.Record {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.recs)
}

// throttleOut returns the throttle records among a batch's outputs.
func throttleOut(t *testing.T, res []consumers.Result) []consumers.Record {
	t.Helper()
	var out []consumers.Record
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("poison result: %v", r.Err)
		}
		for _, o := range r.Out {
			if _, ok := throttleRule(string(o.Key)); ok {
				out = append(out, o)
			}
		}
	}
	return out
}

func decodeRecord(t *testing.T, v []byte) throttleRecord {
	t.Helper()
	var r throttleRecord
	if err := json.Unmarshal(v, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func pendingIDs(r throttleRecord) string {
	var ids []string
	for _, e := range r.Pending {
		ids = append(ids, e.ArticleID)
	}
	return strings.Join(ids, ",")
}

func TestThrottleKey(t *testing.T) {
	for _, tc := range []struct {
		key, rule string
		ok        bool
	}{
		{"r1/#throttle", "r1", true},
		{"kp-ru.treaty_2/#throttle", "kp-ru.treaty_2", true},
		{"r1/a1", "", false},
		{"r1", "", false},
		{"/#throttle", "", false},
		{"a/b/#throttle", "", false},
	} {
		rule, ok := throttleRule(tc.key)
		if ok != tc.ok || (ok && rule != tc.rule) {
			t.Errorf("throttleRule(%q) = %q, %v", tc.key, rule, ok)
		}
	}
	if throttleKey("r1") != "r1/#throttle" {
		t.Error(throttleKey("r1"))
	}
}

// TestThrottleSeqOrder: a record with a lower seq read after a higher one
// (two batches in flight landed out of order) does not win; at one seq
// the greater owner wins everywhere; a tombstone forgets the rule.
func TestThrottleSeqOrder(t *testing.T) {
	enc := func(seq uint64, owner string, pending ...string) []byte {
		r := throttleRecord{Seq: seq, Owner: owner, throttleState: throttleState{LastSent: t0}}
		for _, p := range pending {
			r.Pending = append(r.Pending, DigestEntry{ID: "r1/" + p, ArticleID: p})
		}
		v, err := r.encode()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tb := NewThrottles()
	steps := []struct {
		value   []byte
		pending string
		owner   string
	}{
		{enc(3, "a", "x", "y"), "x,y", "a"},
		{enc(2, "a", "x"), "x,y", "a"}, // older, written after: ignored
		{enc(1, "b"), "x,y", "a"},
		{enc(3, "b", "z"), "z", "b"}, // same seq, greater owner
		{enc(3, "a", "x", "y"), "z", "b"},
		{enc(4, "a", "x", "y", "w"), "x,y,w", "a"},
	}
	for i, s := range steps {
		if err := tb.apply("r1", s.value); err != nil {
			t.Fatal(err)
		}
		r, ok := tb.get("r1")
		if !ok || pendingIDs(r) != s.pending || r.Owner != s.owner {
			t.Fatalf("step %d: pending %q owner %q, want %q %q", i, pendingIDs(r), r.Owner, s.pending, s.owner)
		}
	}
	if err := tb.apply("r1", []byte("{bad")); err == nil {
		t.Error("a broken record was accepted")
	}
	if err := tb.apply("r1", nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := tb.get("r1"); ok {
		t.Error("tombstone did not forget the rule")
	}
}

func throttledRule(url string) rulesMap {
	return rulesMap{"r1": {ID: "r1", Name: "Summits", Throttle: "10m", Channels: []match.Channel{
		{Type: match.ChannelWebhook, URL: url, Secret: "k"}}}}
}

// TestThrottleRecordWithBatch: the batch returns the rule's record, and a
// retried batch neither holds an alert twice nor pushes again.
func TestThrottleRecordWithBatch(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	st, _ := openState(t)
	clk := &fakeClock{t: t0}
	cfg := fastCfg(clk.Now)
	cfg.StateTopic, cfg.StateWriter, cfg.Owner = "news.alerts.state", &recWriter{}, "p1"
	d, err := NewDeliveryStage(throttledRule(srv.URL), st, nil, cfg, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	batch := []consumers.Record{alertMsg(t, "r1", "a1"), alertMsg(t, "r1", "a2"), alertMsg(t, "r1", "a3")}
	res, err := d.Process(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	out := throttleOut(t, res)
	if len(out) != 1 || out[0].Topic != "news.alerts.state" || string(out[0].Key) != "r1/#throttle" || len(res[2].Out) != 1 {
		t.Fatalf("throttle records %+v, want one with the rule's last alert", out)
	}
	first := decodeRecord(t, out[0].Value)
	if pendingIDs(first) != "a2,a3" || first.Opened != "r1/a1" || first.Owner != "p1" || first.Seq == 0 || !first.LastSent.Equal(t0) {
		t.Fatalf("record %+v", first)
	}
	if rc.count() != 1 {
		t.Fatalf("%d posts, want 1", rc.count())
	}
	// The batch again (its commit was lost): nothing new.
	clk.Add(time.Minute)
	res, err = d.Process(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	again := decodeRecord(t, throttleOut(t, res)[0].Value)
	if pendingIDs(again) != "a2,a3" || again.Seq != first.Seq || rc.count() != 1 {
		t.Errorf("retried batch: record %+v, %d posts", again, rc.count())
	}
	// A process that read the record (a new owner) holds the next one.
	st2, _ := openState(t)
	tb := NewThrottles()
	if err := tb.apply("r1", out[0].Value); err != nil {
		t.Fatal(err)
	}
	cfg.Throttles, cfg.Owner = tb, "p2"
	d2, err := NewDeliveryStage(throttledRule(srv.URL), st2, nil, cfg, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	res, err = d2.Process(context.Background(), []consumers.Record{alertMsg(t, "r1", "a3"), alertMsg(t, "r1", "a4")})
	if err != nil {
		t.Fatal(err)
	}
	next := decodeRecord(t, throttleOut(t, res)[0].Value)
	if pendingIDs(next) != "a2,a3,a4" || next.Seq != first.Seq+1 || next.Owner != "p2" || rc.count() != 1 {
		t.Errorf("new owner: record %+v, %d posts", next, rc.count())
	}
}

// TestDigestTakeover: the owner of a pending digest is gone (its process
// and its state file); another process, which only read the rule's
// record, sends the digest once it is overdue by TakeoverAfter, not
// before, and without any new alert of the rule.
func TestDigestTakeover(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	clk := &fakeClock{t: t0}
	cfg := fastCfg(clk.Now)
	cfg.StateTopic, cfg.FlushEvery, cfg.TakeoverAfter = "news.alerts.state", 10*time.Millisecond, time.Minute
	cfgA := cfg
	cfgA.StateWriter, cfgA.Owner = &recWriter{}, "pod-a"
	stA, _ := openState(t)
	a, err := NewDeliveryStage(throttledRule(srv.URL), stA, nil, cfgA, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Process(context.Background(), []consumers.Record{alertMsg(t, "r1", "a1"), alertMsg(t, "r1", "a2"), alertMsg(t, "r1", "a3")})
	if err != nil {
		t.Fatal(err)
	}
	a.Close() // pod a is lost

	wB := &recWriter{}
	cfgB := cfg
	cfgB.StateWriter, cfgB.Owner, cfgB.Throttles = wB, "pod-b", NewThrottles()
	for _, o := range throttleOut(t, res) {
		if err := cfgB.Throttles.apply("r1", o.Value); err != nil {
			t.Fatal(err)
		}
	}
	stB, _ := openState(t)
	rules := throttledRule(srv.URL)
	b, err := NewDeliveryStage(rules, stB, nil, cfgB, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	for _, step := range []time.Duration{10*time.Minute + 30*time.Second, 20 * time.Second} {
		clk.Add(step)
		if err := b.FlushDigests(ctx); err != nil {
			t.Fatal(err)
		}
		if rc.count() != 1 {
			t.Fatalf("at +%s: %d posts; the digest of pod a went out before the takeover grace", clk.Now().Sub(t0), rc.count())
		}
	}
	clk.Add(11 * time.Second) // overdue by 61 s
	if err := b.FlushDigests(ctx); err != nil {
		t.Fatal(err)
	}
	if rc.count() != 2 {
		t.Fatalf("%d posts, want the digest taken over", rc.count())
	}
	var dg Digest
	if err := json.Unmarshal(rc.bodies[1], &dg); err != nil {
		t.Fatal(err)
	}
	if dg.Count != 2 || dg.ID != "r1/digest/"+itoa(t0.UnixNano()) || rc.headers[1].Get(HeaderDelivery) != dg.ID {
		t.Errorf("digest %+v", dg)
	}
	recs := wB.all()
	if len(recs) != 1 || string(recs[0].Key) != "r1/#throttle" {
		t.Fatalf("state writes %+v", recs)
	}
	after := decodeRecord(t, recs[0].Value)
	if after.Owner != "pod-b" || after.pending() || strings.Join(after.Listed, ",") != "r1/a2,r1/a3" || !after.LastSent.Equal(clk.Now()) {
		t.Errorf("record after the digest %+v", after)
	}
	// Nothing pending: the next flush sends nothing.
	clk.Add(time.Hour)
	if err := b.FlushDigests(ctx); err != nil || rc.count() != 2 {
		t.Errorf("flush after the digest: %v, %d posts", err, rc.count())
	}
	if n := len(wB.all()); n != 1 {
		t.Errorf("%d state writes, want none for an idle rule", n)
	}
	// The rule is deleted: its idle record is removed, with a tombstone.
	delete(rules, "r1")
	if err := b.FlushDigests(ctx); err != nil {
		t.Fatal(err)
	}
	recs = wB.all()
	if len(recs) != 2 || string(recs[1].Key) != "r1/#throttle" || recs[1].Value != nil {
		t.Errorf("state writes after the rule's deletion %+v, want a tombstone", recs)
	}
	if _, ok := cfgB.Throttles.get("r1"); ok {
		t.Error("deleted rule's record kept")
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestLegacyThrottlesMoved: pending digests an earlier version kept in
// the state file become throttle records on the first flush, and the
// file's copy is dropped.
func TestLegacyThrottlesMoved(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	st, _ := openState(t)
	old := throttleState{LastSent: t0, Pending: []DigestEntry{{ID: "r1/a2", ArticleID: "a2"}, {ID: "r1/a3", ArticleID: "a3"}}}
	v, _ := json.Marshal(&old)
	err := st.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketLegacyThrottle)
		if err != nil {
			return err
		}
		return b.Put([]byte("r1"), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{t: t0.Add(time.Minute)}
	w := &recWriter{}
	cfg := fastCfg(clk.Now)
	cfg.StateTopic, cfg.StateWriter, cfg.Owner = "news.alerts.state", w, "p1"
	d, err := NewDeliveryStage(throttledRule(srv.URL), st, nil, cfg, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.FlushDigests(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs := w.all()
	if len(recs) != 1 {
		t.Fatalf("state writes %+v", recs)
	}
	if r := decodeRecord(t, recs[0].Value); pendingIDs(r) != "a2,a3" || !r.LastSent.Equal(t0) || r.Owner != "p1" {
		t.Errorf("moved record %+v", r)
	}
	if left, err := st.legacyThrottles(); err != nil || len(left) != 0 {
		t.Errorf("legacy state left: %v %v", left, err)
	}
	clk.Add(10 * time.Minute)
	if err := d.FlushDigests(context.Background()); err != nil || rc.count() != 1 {
		t.Errorf("moved digest: %v, %d posts", err, rc.count())
	}
}

// TestRestartKeepsOwner: a process restarted on the same disk is still the
// owner of the digests it held, and sends them when due, without the
// takeover grace; a process on another disk is not.
func TestRestartKeepsOwner(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	st, path := openState(t)
	clk := &fakeClock{t: t0}
	cfg := fastCfg(clk.Now)
	cfg.StateTopic, cfg.StateWriter, cfg.TakeoverAfter = "news.alerts.state", &recWriter{}, time.Hour
	d, err := NewDeliveryStage(throttledRule(srv.URL), st, nil, cfg, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Process(context.Background(), []consumers.Record{alertMsg(t, "r1", "a1"), alertMsg(t, "r1", "a2")})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	restart := func(path string) (*Delivery, error) {
		st, err := OpenState(path)
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { _ = st.Close() })
		c := cfg
		c.Throttles = NewThrottles()
		for _, o := range throttleOut(t, res) {
			if err := c.Throttles.apply("r1", o.Value); err != nil {
				return nil, err
			}
		}
		return NewDeliveryStage(throttledRule(srv.URL), st, nil, c, nil, zap.NewNop())
	}
	other, err := restart(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	same, err := restart(path)
	if err != nil {
		t.Fatal(err)
	}
	defer same.Close()
	clk.Add(10 * time.Minute)
	if err := other.FlushDigests(context.Background()); err != nil || rc.count() != 1 {
		t.Fatalf("another disk's process sent the digest before the grace: %v, %d posts", err, rc.count())
	}
	if err := same.FlushDigests(context.Background()); err != nil || rc.count() != 2 {
		t.Fatalf("restarted owner: %v, %d posts, want the digest", err, rc.count())
	}
}
