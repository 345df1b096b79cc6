package consumers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/newswire/newswire/testsvc"
	"go.uber.org/zap"
)

func TestTailerReadsAllPartitionsAndReportsCaughtUp(t *testing.T) {
	tailScenario(t, startBroker(t), "tail")
}

func TestTailerRealKafka(t *testing.T) {
	tailScenario(t, testsvc.KafkaBrokers(t), testsvc.UniqueName(t, "tail"))
}

func tailScenario(t *testing.T, brokers []string, prefix string) {
	tp := testTopics(t, brokers, prefix, 3)
	var before []Record
	for i := range 30 {
		before = append(before, Record{Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte("v")})
	}
	produce(t, brokers, tp.Alerts, before)

	tl, err := NewTailer(TailConfig{Brokers: brokers, Topic: tp.Alerts}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	seenAtCatchUp := -1
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- tl.Run(ctx, func(r Record) error {
			mu.Lock()
			seen[string(r.Key)]++
			mu.Unlock()
			return nil
		})
	}()
	select {
	case <-tl.CaughtUp():
		mu.Lock()
		seenAtCatchUp = len(seen)
		mu.Unlock()
	case <-time.After(30 * time.Second):
		t.Fatal("never caught up")
	}
	if seenAtCatchUp != 30 {
		t.Fatalf("caught up after %d of 30 records written before start", seenAtCatchUp)
	}
	produce(t, brokers, tp.Alerts, []Record{{Key: []byte("late"), Value: []byte("v")}})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := seen["late"]
		mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen["late"] != 1 || len(seen) != 31 {
		t.Fatalf("late seen %d times, %d keys", seen["late"], len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", k, n)
		}
	}

	// An empty topic is caught up at once; StartLast skips the backlog.
	tl2, _ := NewTailer(TailConfig{Brokers: brokers, Topic: tp.Alerts, From: StartLast}, zap.NewNop())
	ctx2, cancel2 := context.WithCancel(context.Background())
	n := 0
	go func() { done <- tl2.Run(ctx2, func(Record) error { n++; return nil }) }()
	select {
	case <-tl2.CaughtUp():
	case <-time.After(20 * time.Second):
		t.Fatal("StartLast tailer never caught up")
	}
	cancel2()
	if err := <-done; err != nil || n != 0 {
		t.Fatalf("StartLast read %d old records, err %v", n, err)
	}
}

// TestTailerWaitForEndsWhenStopped: a read barrier on a tailer that has
// stopped fails at once instead of waiting for its context.
func TestTailerWaitForEndsWhenStopped(t *testing.T) {
	brokers := startBroker(t)
	tp := testTopics(t, brokers, "tailstop", 1)
	tl, err := NewTailer(TailConfig{Brokers: brokers, Topic: tp.Alerts}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = tl.Run(ctx, func(Record) error { return nil })
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	// Waiting for the context instead would end in DeadlineExceeded.
	if err := tl.WaitFor(wctx, map[int]int64{0: 5}); !errors.Is(err, errTailStopped) {
		t.Fatalf("WaitFor on a stopped tailer: %v", err)
	}
}
