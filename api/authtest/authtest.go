// Package authtest is the auth matrix: every route of a route table ×
// every kind of caller → the answer the scope rules demand. The route
// list comes from the route table itself (api.Server.Routes), so a route
// added without a scope, or with one the matrix does not know, fails.
// api runs it against its own handler tree; app runs it against a whole
// running process.
package authtest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/api/scope"
)

// Secrets are the token secrets of one token per scope, as configured on
// the server under test.
type Secrets struct {
	Read, Ingest, Metrics, Admin string
}

// caller is one column of the matrix.
type caller struct {
	name   string
	header string      // Authorization header; "" sends none
	scope  scope.Scope // the scope the header grants; "" grants none
}

func callers(s Secrets) []caller {
	return []caller{
		{"no token", "", ""},
		{"read", "Bearer " + s.Read, scope.Read},
		{"ingest", "Bearer " + s.Ingest, scope.Ingest},
		{"metrics", "Bearer " + s.Metrics, scope.Metrics},
		{"admin", "Bearer " + s.Admin, scope.Admin},
		{"unknown token", "Bearer nw_" + strings.Repeat("x", 43), ""},
		{"admin token, Basic scheme", "Basic " + s.Admin, ""},
		{"admin token, scheme in odd case", "bEaReR " + s.Admin, scope.Admin},
		{"read token, lower-case scheme", "bearer " + s.Read, scope.Read},
		{"empty bearer", "Bearer ", ""},
	}
}

// grants is the rule the matrix checks, written out independently of
// scope.Satisfies: which token scopes may call a route of each scope.
var grants = map[scope.Scope][]scope.Scope{
	scope.Public:  nil, // anyone, with or without a token
	scope.Read:    {scope.Read, scope.Admin},
	scope.Ingest:  {scope.Ingest, scope.Admin},
	scope.Metrics: {scope.Metrics, scope.Admin},
	scope.Admin:   {scope.Admin},
}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// Request turns a route pattern into a request: the pattern's method
// (GET when it has none) and its path with every wildcard replaced by
// "x". Writes carry an empty JSON object as application/json.
func Request(ctx context.Context, base, pattern string) (*http.Request, error) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = http.MethodGet, pattern
	}
	path = wildcard.ReplaceAllString(path, "x")
	var body io.Reader
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// Matrix calls every route at base with every caller and checks the
// answer: public routes never answer 401 or 403; other routes answer 401
// with WWW-Authenticate: Bearer to a caller without a known bearer token,
// 403 to a token without the scope (admin holds every scope), and neither
// to a token with it. 401 and 403 bodies name the scope needed. open
// means the server has no tokens: nothing may answer 401 or 403.
func Matrix(t *testing.T, client *http.Client, base string, routes []scope.Route, s Secrets, open bool) {
	t.Helper()
	if len(routes) == 0 {
		t.Fatal("empty route table")
	}
	for _, rt := range routes {
		allowed, known := grants[rt.Scope]
		if !known {
			t.Errorf("route %q has scope %q, which the matrix does not know", rt.Pattern, rt.Scope)
			continue
		}
		for _, c := range callers(s) {
			want := "pass"
			switch {
			case open || rt.Scope == scope.Public:
			case c.scope == "":
				want = "401"
			case !slices.Contains(allowed, c.scope):
				want = "403"
			}
			t.Run(rt.Pattern+"/"+c.name, func(t *testing.T) {
				status, hdr, body := call(t, client, base, rt.Pattern, c.header)
				switch want {
				case "pass":
					if status == http.StatusUnauthorized || status == http.StatusForbidden {
						t.Fatalf("status %d, want neither 401 nor 403: %s", status, body)
					}
				case "401", "403":
					if want == "401" && status != http.StatusUnauthorized || want == "403" && status != http.StatusForbidden {
						t.Fatalf("status %d, want %s: %s", status, want, body)
					}
					if a := hdr.Get("WWW-Authenticate"); !strings.HasPrefix(a, "Bearer") {
						t.Errorf("WWW-Authenticate %q, want a Bearer challenge", a)
					}
					var e struct {
						Error string `json:"error"`
						Scope string `json:"scope"`
					}
					if err := json.Unmarshal(body, &e); err != nil || e.Error == "" || e.Scope != string(rt.Scope) {
						t.Errorf("body %s: want JSON naming the scope %q", body, rt.Scope)
					}
					if strings.Contains(string(body), s.Admin) || strings.Contains(string(body), s.Read) {
						t.Errorf("body echoes a token: %s", body)
					}
				}
			})
		}
	}
}

// AdminWritesNeedJSON checks that every POST, PUT and PATCH route of
// scope admin answers 415 to an admin token sending text/plain.
func AdminWritesNeedJSON(t *testing.T, client *http.Client, base string, routes []scope.Route, admin string) {
	t.Helper()
	n := 0
	for _, rt := range routes {
		method, _, _ := strings.Cut(rt.Pattern, " ")
		if rt.Scope != scope.Admin || (method != http.MethodPost && method != http.MethodPut && method != http.MethodPatch) {
			continue
		}
		n++
		t.Run(rt.Pattern, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, err := Request(ctx, base, rt.Pattern)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "text/plain")
			if admin != "" {
				req.Header.Set("Authorization", "Bearer "+admin)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusUnsupportedMediaType {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("text/plain body: status %d, want 415: %s", resp.StatusCode, b)
			}
		})
	}
	if n == 0 {
		t.Fatal("no admin write route in the table")
	}
}

// call sends one request and returns its status, headers and up to 4 KiB
// of body; a streaming answer is cut off after its headers.
func call(t *testing.T, client *http.Client, base, pattern, auth string) (int, http.Header, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := Request(ctx, base, pattern)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body []byte
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	}
	return resp.StatusCode, resp.Header, body
}
