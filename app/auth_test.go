package app

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/newswire/newswire/api"
	"github.com/newswire/newswire/api/authtest"
	"github.com/newswire/newswire/api/scope"
)

func authTokens() ([]api.Token, authtest.Secrets) {
	sec := authtest.Secrets{Read: "nw_app-read-0123456789abc", Ingest: "nw_app-ingest-0123456789abc", Metrics: "nw_app-metrics-0123456789abc", Admin: "nw_app-admin-0123456789abc"}
	return []api.Token{
		api.NewToken("reader", sec.Read, scope.Read),
		api.NewToken("ingester", sec.Ingest, scope.Ingest),
		api.NewToken("scraper", sec.Metrics, scope.Metrics),
		api.NewToken("ops", sec.Admin, scope.Admin),
	}, sec
}

// TestAuthMatrixAllRoles runs the auth matrix over HTTP against the whole
// all-in-one process, with every route it actually mounts.
func TestAuthMatrixAllRoles(t *testing.T) {
	tokens, sec := authTokens()
	a := newTestApp(t, Config{DataDir: t.TempDir(), Tokens: tokens})
	defer stopApp(t, a)
	routes := a.server.Routes()
	if len(routes) < 10 {
		t.Fatalf("route table of the all-in-one has %d routes: %v", len(routes), routes)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	base := "http://" + a.HTTPAddr()
	authtest.Matrix(t, client, base, routes, sec, false)
	authtest.AdminWritesNeedJSON(t, client, base, routes, sec.Admin)

	// With the right tokens the real work happens: ingest, then a rule.
	if st, body := send(t, "POST", base+"/api/v1/articles", sec.Ingest, "application/json", pyongyang); st != http.StatusAccepted {
		t.Fatalf("ingest with the ingest token: %d %s", st, body)
	}
	if st, body := send(t, "POST", base+"/api/v1/alerts/rules", sec.Admin, "application/json", `{"name":"t","query":{"text":"treaty"}}`); st != http.StatusCreated {
		t.Fatalf("rule with the admin token: %d %s", st, body)
	}
	// A cross-site-style rule write (text/plain) is refused even for admin.
	if st, _ := send(t, "POST", base+"/api/v1/alerts/rules", sec.Admin, "text/plain", `{"name":"t2","query":{"text":"treaty"}}`); st != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain rule: %d, want 415", st)
	}
}

// TestIngestTokenMigration: --ingest-token still authorises ingest, as the
// token "ingest-token" with the ingest scope, and (like any token) turns
// authentication on for every other route.
func TestIngestTokenMigration(t *testing.T) {
	const legacy = "legacy-s3cret" // short, as old deployments may have
	a := newTestApp(t, Config{DataDir: t.TempDir(), Roles: []string{RoleServe}, IngestToken: legacy})
	defer stopApp(t, a)
	base := "http://" + a.HTTPAddr()
	for _, tt := range []struct {
		method, path, token, ct, body string
		want                          int
	}{
		{"POST", "/api/v1/articles", legacy, "application/json", pyongyang, http.StatusAccepted},
		{"POST", "/api/v1/articles", "", "application/json", pyongyang, http.StatusUnauthorized},
		{"POST", "/api/v1/articles", "wrong-token", "application/json", pyongyang, http.StatusUnauthorized},
		{"GET", "/api/v1/search?q=treaty", legacy, "", "", http.StatusForbidden},
		{"GET", "/api/v1/search?q=treaty", "", "", "", http.StatusUnauthorized},
		{"GET", "/metrics", "", "", "", http.StatusUnauthorized},
		{"GET", "/healthz", "", "", "", http.StatusOK},
	} {
		if st, body := send(t, tt.method, base+tt.path, tt.token, tt.ct, tt.body); st != tt.want {
			t.Errorf("%s %s token=%v: %d, want %d: %s", tt.method, tt.path, tt.token != "", st, tt.want, body)
		}
	}
}

// TestOpenServerRefusedOffLoopback: no tokens on a wildcard address does
// not start and says which flags fix it; --insecure-no-auth or a token
// lets it start.
func TestOpenServerRefusedOffLoopback(t *testing.T) {
	tokens, _ := authTokens()
	for _, tt := range []struct {
		name    string
		cfg     Config
		refused bool
	}{
		{"no tokens", Config{}, true},
		{"opt-out", Config{InsecureNoAuth: true}, false},
		{"tokens", Config{Tokens: tokens[:1]}, false},
		{"ingest token only", Config{IngestToken: "legacy-s3cret"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Roles = []string{RoleServe}
			cfg.DataDir = t.TempDir()
			cfg.EmbeddedBrokerAddr = "127.0.0.1:0"
			cfg.HTTPAddr = "0.0.0.0:0"
			a, err := New(cfg, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			err = a.Start(ctx)
			if !tt.refused {
				if err != nil {
					t.Fatalf("start: %v", err)
				}
				stopApp(t, a)
				return
			}
			if err == nil {
				stopApp(t, a)
				t.Fatal("an open server on 0.0.0.0 started")
			}
			if a.broker != nil || a.Brokers() != nil {
				t.Error("the refused process started its broker; the check must come first")
			}
			for _, want := range []string{"without authentication", "--tokens-file", "NEWSWIRE_TOKENS", "--insecure-no-auth"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %s", err, want)
				}
			}
		})
	}
}

func send(t *testing.T, method, url, token, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
