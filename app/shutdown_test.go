package app

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"
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
