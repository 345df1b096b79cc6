package api

import (
	"context"
	"errors"
	"github.com/newswire/newswire/internal/httpjson"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"

	"github.com/newswire/newswire/alert"
	"github.com/newswire/newswire/api/authtest"
	"github.com/newswire/newswire/api/scope"
)

func TestHashSecret(t *testing.T) {
	// FIPS 180-2 test vector.
	if got := HashSecret("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("HashSecret(abc) = %s", got)
	}
	tok := NewToken("page", "nw_secret-value-1234", scope.Read)
	if tok.SHA256 != HashSecret("nw_secret-value-1234") || strings.Contains(tok.SHA256, "secret") {
		t.Fatalf("token %+v", tok)
	}
}

func TestNewSecret(t *testing.T) {
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSecret()
	if a == b || !strings.HasPrefix(a, TokenPrefix) || len(a) != len(TokenPrefix)+43 || strings.ContainsAny(a, ",:+ ") {
		t.Fatalf("secrets %q %q", a, b)
	}
	// A fresh secret fits NEWSWIRE_TOKENS as it is.
	ts, err := ParseTokensEnv("x:read:" + a)
	if err != nil || len(ts) != 1 || ts[0].SHA256 != HashSecret(a) {
		t.Fatalf("%v %+v", err, ts)
	}
}

func TestParseTokensFile(t *testing.T) {
	h := HashSecret("nw_0123456789abcdef")
	tests := []struct {
		name    string
		in      string
		want    []Token
		wantErr string
	}{
		{"yaml", "tokens:\n  - name: page\n    scopes: [read, Metrics]\n    sha256: " + strings.ToUpper(h) + "\n",
			[]Token{{Name: "page", Scopes: []scope.Scope{scope.Read, scope.Metrics}, SHA256: h}}, ""},
		{"json", `{"tokens":[{"name":"ops","scopes":["admin"],"sha256":"` + h + `"}]}`,
			[]Token{{Name: "ops", Scopes: []scope.Scope{scope.Admin}, SHA256: h}}, ""},
		{"empty", "", nil, ""},
		{"unknown field (a plaintext token)", "tokens:\n  - name: page\n    scopes: [read]\n    token: nw_abc\n", nil, "field token not found"},
		{"not yaml", "tokens: [", nil, "decode tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTokensFile([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i].Name != tt.want[i].Name || got[i].SHA256 != tt.want[i].SHA256 || strings.Join(scopeNames(got[i].Scopes), ",") != strings.Join(scopeNames(tt.want[i].Scopes), ",") {
					t.Fatalf("got %+v, want %+v", got[i], tt.want[i])
				}
			}
		})
	}
}

func scopeNames(s []scope.Scope) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = string(s[i])
	}
	return out
}

func TestParseTokensEnv(t *testing.T) {
	const secret = "nw_plaintext-secret-42"
	h := HashSecret("nw_other-secret-000000")
	got, err := ParseTokensEnv(" page:read+metrics:" + secret + " , ops:ADMIN:sha256:" + h + ",, odd:ingest:nw_with:colon-0123456")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Name != "page" || got[0].SHA256 != HashSecret(secret) ||
		strings.Join(scopeNames(got[0].Scopes), "+") != "read+metrics" ||
		got[1].SHA256 != h || got[1].Scopes[0] != scope.Admin ||
		got[2].SHA256 != HashSecret("nw_with:colon-0123456") {
		t.Fatalf("%+v", got)
	}
	if err := ValidateTokens(got); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ in, want string }{
		{"page:read", "want name:scope+scope:token"},
		{"page:read:short", "shorter than 16"},
		{"page:read:", "want name:scope+scope:token"},
	} {
		_, err := ParseTokensEnv(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.in, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "short:") {
			t.Errorf("error quotes the token: %v", err)
		}
	}
}

func TestValidateTokens(t *testing.T) {
	h1, h2 := HashSecret("nw_one-0123456789ab"), HashSecret("nw_two-0123456789ab")
	err := ValidateTokens([]Token{
		{Name: "a", Scopes: []scope.Scope{scope.Read}, SHA256: h1},
		{Name: "a", Scopes: []scope.Scope{scope.Read}, SHA256: h2},
		{Name: "b", Scopes: []scope.Scope{scope.Read}, SHA256: h1},
		{Name: "bad name", Scopes: nil, SHA256: "nw_plaintext"},
		{Name: "c", Scopes: []scope.Scope{"public"}, SHA256: h2[:10]},
	})
	for _, want := range []string{`"a" used twice`, `"a" and "b" have the same secret`, `token name "bad name"`, `"bad name": no scopes`, `"bad name": sha256 must be 64 hex digits`, `unknown scope "public"`, `"c": sha256`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "nw_plaintext") {
		t.Errorf("error quotes a secret: %v", err)
	}
}

func TestLoadTokens(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens.yaml")
	writeFile(t, path, "tokens:\n  - name: page\n    scopes: [read]\n    sha256: "+HashSecret("nw_page-0123456789ab")+"\n")
	ts, err := LoadTokens(path, "ops:admin:nw_ops-0123456789abcd")
	if err != nil || len(ts) != 2 {
		t.Fatalf("%v %+v", err, ts)
	}
	if _, err := LoadTokens(path, "page:admin:nw_other-0123456789"); err == nil || !strings.Contains(err.Error(), "used twice") {
		t.Fatalf("a name in both sources: %v", err)
	}
	empty := filepath.Join(dir, "empty.yaml")
	writeFile(t, empty, "# nothing yet\n")
	if _, err := LoadTokens(empty, ""); err == nil || !strings.Contains(err.Error(), "no tokens") {
		t.Fatalf("empty file: %v", err)
	}
	if _, err := LoadTokens(filepath.Join(dir, "missing.yaml"), ""); err == nil {
		t.Fatal("missing file accepted")
	}
	if ts, err := LoadTokens("", ""); err != nil || len(ts) != 0 {
		t.Fatalf("no sources: %v %v", ts, err)
	}
}

func TestBearer(t *testing.T) {
	for _, tt := range []struct {
		header, want string
		ok           bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER   abc  ", "abc", true},
		{"Basic abc", "", false},
		{"Bearerabc", "", false},
		{"Bearer ", "", false},
		{"", "", false},
		{"abc", "", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		got, ok := bearer(r)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q: got %q %v, want %q %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

func TestLookup(t *testing.T) {
	var tokens []Token
	for _, n := range []string{"a", "b", "c"} {
		tokens = append(tokens, NewToken(n, "nw_secret-of-"+n+"-0123456789", scope.Read))
	}
	a, err := NewAuth(tokens, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "c"} {
		if got := a.lookup("nw_secret-of-" + n + "-0123456789"); got == nil || got.name != n {
			t.Errorf("lookup %s: %+v", n, got)
		}
	}
	// Near misses: a prefix, an extension, one byte changed, the hash itself.
	for _, s := range []string{"nw_secret-of-a-012345678", "nw_secret-of-a-01234567890", "nw_secret-of-a-0123456788", tokens[0].SHA256, ""} {
		if got := a.lookup(s); got != nil {
			t.Errorf("lookup %q found %s", s, got.name)
		}
	}
}

func TestCheckExposure(t *testing.T) {
	open, _ := NewAuth(nil, zap.NewNop())
	closed, _ := NewAuth([]Token{NewToken("x", "nw_0123456789abcdef", scope.Read)}, zap.NewNop())
	for _, tt := range []struct {
		addr     string
		auth     *Auth
		insecure bool
		refuse   bool
	}{
		{"127.0.0.1:8080", open, false, false},
		{"127.0.0.2:8080", open, false, false},
		{"[::1]:8080", open, false, false},
		{"localhost:8080", open, false, false},
		{"0.0.0.0:8080", open, false, true},
		{"[::]:8080", open, false, true},
		{":8080", open, false, true},
		{"10.1.2.3:8080", open, false, true},
		{"0.0.0.0:8080", nil, false, true},
		{"0.0.0.0:8080", open, true, false},
		{"0.0.0.0:8080", closed, false, false},
	} {
		err := CheckExposure(context.Background(), tt.addr, tt.auth, tt.insecure)
		if (err != nil) != tt.refuse || (err != nil && !errors.Is(err, ErrOpenExposed)) {
			t.Errorf("%s open=%v insecure=%v: %v, want refused=%v", tt.addr, tt.auth.Open(), tt.insecure, err, tt.refuse)
		}
	}
	if err := CheckExposure(context.Background(), "no-port", open, false); err == nil || errors.Is(err, ErrOpenExposed) {
		t.Errorf("address without a port: %v", err)
	}
}

// matrixServer is the HTTP surface with the real alert routes and one
// token per scope.
func matrixServer(t *testing.T, tokens []Token) (*Server, *alert.Hub) {
	t.Helper()
	store, err := alert.OpenRuleStore(alert.StoreConfig{}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	hub := alert.NewHub(alert.HubConfig{}, nil, zap.NewNop())
	svc, err := alert.NewService(alert.ServiceConfig{Store: store, Hub: hub, History: alert.NewHistory(0, 0)}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	auth, err := NewAuth(tokens, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ingest := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusAccepted, map[string]int{"accepted": 0})
	})
	s := New(Config{
		Searcher: &fakeSearcher{}, Ingest: ingest, Gatherer: prometheus.NewRegistry(),
		Extra: svc.Routes(), Auth: auth,
	}, zap.NewNop())
	return s, hub
}

func scopeTokens() ([]Token, authtest.Secrets) {
	sec := authtest.Secrets{Read: "nw_read-0123456789abcdef", Ingest: "nw_ingest-0123456789abcdef", Metrics: "nw_metrics-0123456789abcdef", Admin: "nw_admin-0123456789abcdef"}
	return []Token{
		NewToken("reader", sec.Read, scope.Read),
		NewToken("ingester", sec.Ingest, scope.Ingest),
		NewToken("scraper", sec.Metrics, scope.Metrics),
		NewToken("ops", sec.Admin, scope.Admin),
	}, sec
}

func TestAuthMatrix(t *testing.T) {
	tokens, sec := scopeTokens()
	s, hub := matrixServer(t, tokens)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	defer hub.Close()
	routes := s.Routes()
	// The table holds the built-in, ingest, metrics, page and alert routes.
	for _, p := range []string{"GET /api/v1/search", "POST /api/v1/articles", "GET /metrics", "GET /healthz", "GET /readyz", "/", "POST /api/v1/alerts/rules", "GET /api/v1/alerts/stream", "GET /api/v1/alerts/rules/{id}/history", "GET /api/v1/entities"} {
		found := false
		for _, r := range routes {
			found = found || r.Pattern == p
		}
		if !found {
			t.Errorf("route table lacks %q", p)
		}
	}
	authtest.Matrix(t, srv.Client(), srv.URL, routes, sec, false)
	authtest.AdminWritesNeedJSON(t, srv.Client(), srv.URL, routes, sec.Admin)

	// The page and its assets load without a token.
	for _, p := range []string{"/", "/app.js", "/style.css", "/auth.js"} {
		if rec, _ := get(t, s.Handler(), p); rec.Code != http.StatusOK {
			t.Errorf("GET %s without a token: %d", p, rec.Code)
		}
	}
	// The caller's name reaches the handler; the secret does not.
	var caller string
	probe := New(Config{Auth: s.cfg.Auth, Extra: []Route{{Pattern: "GET /probe", Scope: scope.Read, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller = Caller(r.Context())
	})}}}, zap.NewNop())
	req := httptest.NewRequest(http.MethodGet, "/probe", nil)
	req.Header.Set("Authorization", "Bearer "+sec.Admin)
	probe.Handler().ServeHTTP(httptest.NewRecorder(), req)
	if caller != "ops" {
		t.Errorf("caller %q, want ops", caller)
	}
}

func TestAuthMatrixOpen(t *testing.T) {
	_, sec := scopeTokens()
	s, hub := matrixServer(t, nil)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	defer hub.Close()
	authtest.Matrix(t, srv.Client(), srv.URL, s.Routes(), sec, true)
	// Open on loopback still refuses cross-site-sendable rule writes.
	authtest.AdminWritesNeedJSON(t, srv.Client(), srv.URL, s.Routes(), "")
}

func TestRouteWithoutScopeRefused(t *testing.T) {
	for _, sc := range []scope.Scope{"", "superuser"} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "/api/v1/new") {
					t.Errorf("scope %q: recovered %v, want a panic naming the route", sc, r)
				}
			}()
			New(Config{Extra: []Route{{Pattern: "GET /api/v1/new", Scope: sc, Handler: http.NotFoundHandler()}}}, zap.NewNop())
		}()
	}
}

// BenchmarkGuard measures the cost of the token check on one request:
// the same handler behind no guard (baseline), an open guard, and a
// guard with 4 tokens (first and last match, unknown token).
func BenchmarkGuard(b *testing.B) {
	tokens, sec := scopeTokens()
	auth, _ := NewAuth(tokens, zap.NewNop())
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	open, _ := NewAuth(nil, zap.NewNop())
	for _, bc := range []struct {
		name   string
		h      http.Handler
		header string
	}{
		{"baseline_no_guard", ok, ""},
		{"open", open.guard(scope.Read, ok), ""},
		{"first_token", auth.guard(scope.Read, ok), "Bearer " + sec.Read},
		{"last_token", auth.guard(scope.Read, ok), "Bearer " + sec.Admin},
		{"unknown_token", auth.guard(scope.Read, ok), "Bearer nw_unknown-0123456789abcd"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/api/v1/search", nil).WithContext(context.Background())
			if bc.header != "" {
				req.Header.Set("Authorization", bc.header)
			}
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				bc.h.ServeHTTP(w, req)
			}
		})
	}
}

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDeployTokenPlaceholders: the token files shipped in deploy/ load,
// and hold hashes only.
func TestDeployTokenPlaceholders(t *testing.T) {
	compose, err := LoadTokens(filepath.Join("..", "deploy", "compose", "tokens.yaml"), "")
	if err != nil {
		t.Fatalf("compose tokens.yaml: %v", err)
	}
	b, err := os.ReadFile(filepath.Join("..", "deploy", "k8s", "tokens-secret.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var secret struct {
		StringData map[string]string `yaml:"stringData"`
	}
	if err := yaml.Unmarshal(b, &secret); err != nil {
		t.Fatal(err)
	}
	k8s, err := LoadTokens("", secret.StringData["NEWSWIRE_TOKENS"])
	if err != nil {
		t.Fatalf("k8s tokens-secret.yaml: %v", err)
	}
	if len(k8s) != 4 || len(compose) != len(k8s) {
		t.Fatalf("compose %d tokens, k8s %d, want 4 each", len(compose), len(k8s))
	}
	for i := range k8s {
		if k8s[i].Name != compose[i].Name || k8s[i].SHA256 != compose[i].SHA256 {
			t.Errorf("token %d: k8s %+v, compose %+v", i, k8s[i], compose[i])
		}
	}
	if !strings.Contains(secret.StringData["NEWSWIRE_TOKENS"], ":sha256:") {
		t.Error("the k8s Secret must hold hashes, not tokens")
	}
}
