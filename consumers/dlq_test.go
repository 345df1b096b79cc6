package consumers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/testsvc"
	"go.uber.org/zap"
)

func TestReplayAndList(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { replayScenario(t, startBroker(t), "replay") })
	t.Run("kafka", func(t *testing.T) {
		brokers := testsvc.KafkaBrokers(t)
		replayScenario(t, brokers, testsvc.UniqueName(t, "replay"))
	})
}

// replayScenario covers row 10 of the hardening issue: a replay from a
// time after every dead letter ends at once and says so; --stage is
// validated; a record that keeps failing is re-driven at most MaxAttempts
// times. It also covers ListDeadLetters and ReadDeadLetter.
func replayScenario(t *testing.T, brokers []string, prefix string) {
	tp := testTopics(t, brokers, prefix, 3)
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	var dls []Record
	for i := 0; i < 12; i++ {
		stage := []string{"enrich", "index", "alert"}[i%3]
		src := Record{Topic: tp.Raw, Partition: i % 3, Offset: int64(100 + i), Key: []byte(fmt.Sprintf("k%02d", i)), Value: []byte(fmt.Sprintf(`{"n":%d}`, i))}
		dls = append(dls, DeadLetter(src, tp.DLQ, stage, fmt.Errorf("poison %d", i), 2, at.Add(time.Duration(i)*time.Minute), 0))
	}
	produce(t, brokers, tp.DLQ, dls)
	w := NewWriter(brokers, zap.NewNop())
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Nothing newer than now: ends, replays nothing.
	st, err := Replay(ctx, brokers, w, ReplayOptions{DLQTopic: tp.DLQ, FromTime: time.Now().Add(time.Second)}, zap.NewNop())
	if err != nil || st.Read != 0 || st.Replayed != 0 {
		t.Fatalf("replay from now: %+v, %v", st, err)
	}
	// An unknown stage is refused before anything is read.
	if _, err := Replay(ctx, brokers, w, ReplayOptions{DLQTopic: tp.DLQ, Stage: "enrichh"}, zap.NewNop()); err == nil || !strings.Contains(err.Error(), `stage "enrichh" is not one of enrich, index`) {
		t.Fatalf("unknown stage: %v", err)
	}

	// List: all, by stage, by time window; show one.
	var all []DeadLetterInfo
	if err := ListDeadLetters(ctx, brokers, ListOptions{DLQTopic: tp.DLQ}, func(d DeadLetterInfo) error { all = append(all, d); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) != 12 {
		t.Fatalf("listed %d dead letters, want 12", len(all))
	}
	for _, d := range all {
		n, _ := strconv.Atoi(strings.TrimPrefix(d.Key, "k"))
		if d.Error != fmt.Sprintf("poison %d", n) || d.SourceTopic != tp.Raw || d.SourcePartition != n%3 || d.SourceOffset != int64(100+n) ||
			!d.At.Equal(at.Add(time.Duration(n)*time.Minute)) || d.Size != len(fmt.Sprintf(`{"n":%d}`, n)) || d.Attempts != 2 || d.Replays != 0 {
			t.Errorf("dead letter %+v", d)
		}
	}
	var picked []string
	lo := ListOptions{DLQTopic: tp.DLQ, Stage: "index", Since: at.Add(2 * time.Minute), Until: at.Add(7 * time.Minute)}
	if err := ListDeadLetters(ctx, brokers, lo, func(d DeadLetterInfo) error { picked = append(picked, d.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(picked, ",") != "k04" {
		t.Fatalf("stage index in [2m, 7m): %v, want k04", picked)
	}
	m, err := ReadDeadLetter(ctx, brokers, tp.DLQ, all[0].Partition, all[0].Offset)
	if err != nil || string(m.Key) != all[0].Key {
		t.Fatalf("read %d/%d: %s, %v", all[0].Partition, all[0].Offset, m.Key, err)
	}
	if _, err := ReadDeadLetter(ctx, brokers, tp.DLQ, 0, 1000); err == nil || !strings.Contains(err.Error(), "no record") {
		t.Fatalf("read past the end: %v", err)
	}

	// Replay the enrich ones: they land in the raw topic with replays=1.
	st, err = Replay(ctx, brokers, w, ReplayOptions{DLQTopic: tp.DLQ, Stage: "enrich"}, zap.NewNop())
	if err != nil || st.Read != 12 || st.Replayed != 4 || st.Skipped != 8 || st.ByTopic[tp.Raw] != 4 {
		t.Fatalf("replay enrich: %+v, %v", st, err)
	}
	raw := readAll(t, brokers, tp.Raw)
	if len(raw) != 4 {
		t.Fatalf("raw topic holds %d records, want 4", len(raw))
	}
	// They fail again: the stage dead-letters them again, keeping the
	// replay count; the next replay with MaxAttempts 1 reports them.
	var again []Record
	for _, r := range raw {
		n, _ := r.Header(HeaderReplays)
		from, _ := r.Header(HeaderReplayedFrom)
		if string(n) != "1" || !strings.HasPrefix(string(from), tp.DLQ+"/") {
			t.Errorf("replayed record headers %v", r.Headers)
		}
		again = append(again, DeadLetter(r, tp.DLQ, "enrich", errors.New("still poison"), 1, time.Now(), 0))
	}
	// A truncated copy (over the size limit) is never replayed.
	big := Record{Topic: tp.Raw, Key: []byte("big"), Value: []byte(strings.Repeat("x", 500))}
	again = append(again, DeadLetter(big, tp.DLQ, "enrich", errors.New("too big"), 1, time.Now(), 300))
	produce(t, brokers, tp.DLQ, again)
	st, err = Replay(ctx, brokers, w, ReplayOptions{DLQTopic: tp.DLQ, Stage: "enrich", MaxAttempts: 1}, zap.NewNop())
	if err != nil || st.Replayed != 4 || st.ExhaustedCount != 4 || len(st.Exhausted) != 4 || st.Exhausted[0].Replays != 1 || st.TruncatedCount != 1 {
		t.Fatalf("replay with max attempts 1: %+v, %v", st, err)
	}
}
