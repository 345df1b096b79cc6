package app

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"go.uber.org/zap"
)

// TestShutdownWithHalfSentRequest is the regression test for a client
// that holds a half-sent POST at SIGTERM: HTTP shutdown used to take the
// whole deadline and the stages then "did not stop in time". Now open
// requests get HTTPShutdownTimeout and the stages keep their deadline.
func TestShutdownWithHalfSentRequest(t *testing.T) {
	a := newTestApp(t, Config{DataDir: t.TempDir()})
	conn, err := net.Dial("tcp", a.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"title\":")
	time.Sleep(100 * time.Millisecond) // the server is now reading the body
	stopAppWithin(t, a, HTTPShutdownTimeout+10*time.Second)
}

// TestShutdownWithStalledStreamClient: a live-stream client that never
// reads must not keep the process from stopping.
func TestShutdownWithStalledStreamClient(t *testing.T) {
	a := newTestApp(t, Config{DataDir: t.TempDir()})
	conn, err := net.Dial("tcp", a.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api/v1/alerts/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
	// Never read from conn.
	time.Sleep(100 * time.Millisecond)
	stopAppWithin(t, a, HTTPShutdownTimeout+10*time.Second)
}

// stopAppWithin shuts a down under a deadline and fails on any error, in
// particular "stages did not stop in time".
func stopAppWithin(t *testing.T, a *App, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

type fakeRetainer struct {
	cutoffs []time.Time
	cancel  context.CancelFunc
}

func (f *fakeRetainer) DeleteOlderThan(_ context.Context, cutoff time.Time) (int, error) {
	f.cutoffs = append(f.cutoffs, cutoff)
	f.cancel()
	return 3, nil
}

// TestRetainAppliesRetentionAtStart: the embedded index's retention runs
// at once with the cutoff now minus Retention (then hourly).
func TestRetainAppliesRetentionAtStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeRetainer{cancel: cancel}
	a := &App{cfg: Config{Retention: 48 * time.Hour}, log: zap.NewNop()}
	a.retain(ctx, f)
	if len(f.cutoffs) != 1 {
		t.Fatalf("%d retention passes before the stop, want 1", len(f.cutoffs))
	}
	if d := time.Since(f.cutoffs[0]) - 48*time.Hour; d < 0 || d > time.Minute {
		t.Errorf("cutoff %v is not now minus 48h", f.cutoffs[0])
	}
}
