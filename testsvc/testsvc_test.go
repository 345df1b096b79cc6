package testsvc_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/newswire/newswire/testsvc"
)

// recorder stands in for the testing.TB handed to a helper, so that a
// test can observe Skip and Fatal without being skipped or failed itself.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// observe runs f with a recorder in its own goroutine, since Skipf and
// Fatalf end the goroutine that calls them.
func observe(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

// closedAddr returns a loopback address on which nothing listens.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("close listener: %v", err)
	}
	return addr
}

func TestKafkaBrokers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	live, dead := ln.Addr().String(), closedAddr(t)

	tests := []struct {
		name     string
		env      string
		want     []string
		skip     bool
		fail     bool
		wantText string
	}{
		{name: "unset", env: "", skip: true, wantText: "make test"},
		{name: "only separators", env: " , ", skip: true, wantText: testsvc.EnvKafka},
		{name: "one live broker", env: live, want: []string{live}},
		{name: "list with spaces", env: " " + live + " , " + live + " ", want: []string{live, live}},
		{name: "unreachable", env: dead, fail: true, wantText: dead},
		{name: "one of two unreachable", env: live + "," + dead, fail: true, wantText: dead},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(testsvc.EnvKafka, tc.env)
			var got []string
			r := observe(t, func(tb testing.TB) { got = testsvc.KafkaBrokers(tb) })
			if r.skipped != tc.skip || r.failed != tc.fail {
				t.Fatalf("skipped=%v failed=%v (%q), want skipped=%v failed=%v",
					r.skipped, r.failed, r.msg, tc.skip, tc.fail)
			}
			if !strings.Contains(r.msg, tc.wantText) {
				t.Errorf("message %q does not mention %q", r.msg, tc.wantText)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("brokers = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestESURL(t *testing.T) {
	health := func(status int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/_cluster/health" {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	green := health(http.StatusOK, `{"cluster_name":"x","status":"green"}`)
	yellow := health(http.StatusOK, `{"status":"yellow"}`)
	red := health(http.StatusOK, `{"status":"red"}`)
	broken := health(http.StatusInternalServerError, `{"error":"boom"}`)
	notJSON := health(http.StatusOK, `<html>`)
	dead := "http://" + closedAddr(t)

	tests := []struct {
		name     string
		env      string
		want     string
		skip     bool
		fail     bool
		wantText string
	}{
		{name: "unset", env: "", skip: true, wantText: "make test"},
		{name: "green", env: green, want: green},
		{name: "yellow with trailing slash", env: yellow + "/", want: yellow},
		{name: "red", env: red, fail: true, wantText: `"red"`},
		{name: "server error", env: broken, fail: true, wantText: "500"},
		{name: "not json", env: notJSON, fail: true, wantText: "decode"},
		{name: "unreachable", env: dead, fail: true, wantText: dead},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(testsvc.EnvES, tc.env)
			var got string
			r := observe(t, func(tb testing.TB) { got = testsvc.ESURL(tb) })
			if r.skipped != tc.skip || r.failed != tc.fail {
				t.Fatalf("skipped=%v failed=%v (%q), want skipped=%v failed=%v",
					r.skipped, r.failed, r.msg, tc.skip, tc.fail)
			}
			if !strings.Contains(r.msg, tc.wantText) {
				t.Errorf("message %q does not mention %q", r.msg, tc.wantText)
			}
			if got != tc.want {
				t.Errorf("url = %q, want %q", got, tc.want)
			}
		})
	}
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`)

func TestUniqueName(t *testing.T) {
	tests := []struct {
		name     string
		prefix   string
		wantHead string
	}{
		{name: "plain", prefix: "news.raw", wantHead: "news.raw-testuniquename-plain-"},
		{name: "upper and symbols", prefix: "My_Topic/*?", wantHead: "my-topic-testuniquename-upper-and-symbols-"},
		{name: "leading dot and dash", prefix: ".-_idx", wantHead: "idx-testuniquename-leading-dot-and-dash-"},
		{name: "empty prefix", prefix: "", wantHead: "testuniquename-empty-prefix-"},
		{name: "long", prefix: strings.Repeat("a", 300), wantHead: "aaaa"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := testsvc.UniqueName(t, tc.prefix)
			b := testsvc.UniqueName(t, tc.prefix)
			for _, n := range []string{a, b} {
				if !validName.MatchString(n) {
					t.Errorf("%q is not a valid topic and index name", n)
				}
				if len(n) > 120 {
					t.Errorf("%q is %d bytes, want at most 120", n, len(n))
				}
				if !strings.HasPrefix(n, tc.wantHead) {
					t.Errorf("%q does not start with %q", n, tc.wantHead)
				}
			}
			if a == b {
				t.Errorf("two calls returned the same name %q", a)
			}
		})
	}
}
