package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/newswire/newswire/internal/httpjson"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"

	"github.com/newswire/newswire/api/scope"
)

// Route is one entry of the route table (see package scope).
type Route = scope.Route

// Token is one configured API token. Only the SHA-256 of the secret is
// kept; the secret itself is never stored, logged or returned.
type Token struct {
	Name   string        `yaml:"name" json:"name"`
	Scopes []scope.Scope `yaml:"scopes" json:"scopes"`
	// SHA256 is the lower-case hex SHA-256 of the token's secret.
	SHA256 string `yaml:"sha256" json:"sha256"`
}

// TokenPrefix starts every token NewSecret makes, so secret scanners
// and people recognise one.
const TokenPrefix = "nw_"

// MinSecretLen is the shortest secret accepted from NEWSWIRE_TOKENS.
const MinSecretLen = 16

// NewSecret returns a fresh random token secret: TokenPrefix and 32
// random bytes in unpadded base64url (no ',' or ':', so it fits
// NEWSWIRE_TOKENS as it is).
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// HashSecret returns the lower-case hex SHA-256 of a token secret, as
// stored in a tokens file.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// NewToken builds a token from its secret, which is hashed and dropped.
func NewToken(name, secret string, scopes ...scope.Scope) Token {
	return Token{Name: name, Scopes: scopes, SHA256: HashSecret(secret)}
}

var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// validate reports every problem of one token.
func (t Token) validate() error {
	var errs []error
	if !tokenName.MatchString(t.Name) {
		errs = append(errs, fmt.Errorf("token name %q: want 1 to 64 letters, digits, '.', '_' or '-'", t.Name))
	}
	if len(t.Scopes) == 0 {
		errs = append(errs, fmt.Errorf("token %q: no scopes", t.Name))
	}
	for _, s := range t.Scopes {
		if _, err := scope.Parse(string(s)); err != nil {
			errs = append(errs, fmt.Errorf("token %q: %w", t.Name, err))
		}
	}
	if b, err := hex.DecodeString(t.SHA256); err != nil || len(b) != sha256.Size {
		errs = append(errs, fmt.Errorf("token %q: sha256 must be 64 hex digits (the hash, never the token itself)", t.Name))
	}
	return errors.Join(errs...)
}

// tokensFile is the layout of --tokens-file (YAML, or JSON which is
// read the same way):
//
//	tokens:
//	  - name: newsroom-page
//	    scopes: [read]
//	    sha256: 3b7c…   # newswire token new prints this line
type tokensFile struct {
	Tokens []Token `yaml:"tokens"`
}

// ParseTokensFile reads a tokens file's content.
func ParseTokensFile(b []byte) ([]Token, error) {
	var f tokensFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("decode tokens: %w", err)
	}
	for i := range f.Tokens {
		t := &f.Tokens[i]
		t.SHA256 = strings.ToLower(strings.TrimSpace(t.SHA256))
		for j, s := range t.Scopes {
			t.Scopes[j] = scope.Scope(strings.ToLower(string(s)))
		}
	}
	return f.Tokens, nil
}

// ParseTokensEnv reads NEWSWIRE_TOKENS: comma-separated entries
// "name:scope+scope:secret". The secret is hashed at once and never kept.
// An entry "name:scope+scope:sha256:<64 hex>" gives the hash instead of
// the secret, so a deployment's environment need not hold secrets.
// Errors never quote a secret.
func ParseTokensEnv(s string) ([]Token, error) {
	var out []Token
	var errs []error
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		parts := strings.SplitN(entry, ":", 3)
		if len(parts) != 3 || parts[2] == "" {
			errs = append(errs, fmt.Errorf("NEWSWIRE_TOKENS entry %d: want name:scope+scope:token", i+1))
			continue
		}
		t := Token{Name: parts[0]}
		for _, sc := range strings.Split(parts[1], "+") {
			t.Scopes = append(t.Scopes, scope.Scope(strings.ToLower(strings.TrimSpace(sc))))
		}
		if h, ok := strings.CutPrefix(parts[2], "sha256:"); ok {
			t.SHA256 = strings.ToLower(h)
		} else {
			if len(parts[2]) < MinSecretLen {
				errs = append(errs, fmt.Errorf("NEWSWIRE_TOKENS entry %d (%s): token shorter than %d characters; make one with newswire token new", i+1, t.Name, MinSecretLen))
			}
			t.SHA256 = HashSecret(parts[2])
		}
		out = append(out, t)
	}
	return out, errors.Join(errs...)
}

// LoadTokens reads the tokens of a tokens file (path may be empty) and of
// NEWSWIRE_TOKENS (env may be empty) and validates them together.
func LoadTokens(path, env string) ([]Token, error) {
	var tokens []Token
	var errs []error
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read tokens file: %w", err)
		}
		ts, err := ParseTokensFile(b)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("tokens file %s: %w", path, err))
		case len(ts) == 0:
			errs = append(errs, fmt.Errorf("tokens file %s: no tokens (want a tokens: list)", path))
		}
		tokens = append(tokens, ts...)
	}
	ts, err := ParseTokensEnv(env)
	errs = append(errs, err)
	tokens = append(tokens, ts...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := ValidateTokens(tokens); err != nil {
		return nil, err
	}
	return tokens, nil
}

// ValidateTokens reports every problem of a token set: bad names, scopes
// or hashes, a name used twice, and one secret under two names.
func ValidateTokens(tokens []Token) error {
	var errs []error
	names := map[string]bool{}
	hashes := map[string]string{}
	for _, t := range tokens {
		if err := t.validate(); err != nil {
			errs = append(errs, err)
		}
		if names[t.Name] {
			errs = append(errs, fmt.Errorf("token name %q used twice", t.Name))
		}
		names[t.Name] = true
		if other, ok := hashes[t.SHA256]; ok && t.SHA256 != "" {
			errs = append(errs, fmt.Errorf("tokens %q and %q have the same secret", other, t.Name))
		}
		hashes[t.SHA256] = t.Name
	}
	return errors.Join(errs...)
}

// Auth checks bearer tokens against the configured ones. With no token
// configured it is open: every route answers without a token (allowed
// only on loopback, see CheckExposure).
type Auth struct {
	tokens []authToken
	log    *zap.Logger
}

type authToken struct {
	name   string
	scopes []scope.Scope
	hash   [sha256.Size]byte
}

// NewAuth builds the checker. tokens are validated again.
func NewAuth(tokens []Token, log *zap.Logger) (*Auth, error) {
	if err := ValidateTokens(tokens); err != nil {
		return nil, err
	}
	a := &Auth{log: log.With(zap.String("component", "auth"))}
	for _, t := range tokens {
		at := authToken{name: t.Name, scopes: slices.Clone(t.Scopes)}
		if _, err := hex.Decode(at.hash[:], []byte(t.SHA256)); err != nil {
			return nil, fmt.Errorf("token %q: %w", t.Name, err)
		}
		a.tokens = append(a.tokens, at)
	}
	return a, nil
}

// Open reports whether no token is configured (every route is public).
func (a *Auth) Open() bool { return a == nil || len(a.tokens) == 0 }

// Names returns the configured token names (never secrets or hashes).
func (a *Auth) Names() []string {
	if a == nil {
		return nil
	}
	out := make([]string, len(a.tokens))
	for i, t := range a.tokens {
		out[i] = t.name
	}
	return out
}

// lookup finds the token whose hash matches the secret. It hashes the
// secret and compares it with every stored hash in constant time,
// without stopping at a match, so timing tells nothing about which
// token or how many bytes matched.
func (a *Auth) lookup(secret string) *authToken {
	h := sha256.Sum256([]byte(secret))
	var found *authToken
	for i := range a.tokens {
		if subtle.ConstantTimeCompare(h[:], a.tokens[i].hash[:]) == 1 {
			found = &a.tokens[i]
		}
	}
	return found
}

// bearer returns the credentials of an "Authorization: Bearer <token>"
// header; the scheme is case-insensitive (RFC 7235).
func bearer(r *http.Request) (secret string, ok bool) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, rest, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	return rest, rest != ""
}

type callerKey struct{}

// Caller returns the name of the token that authenticated the request, or
// "" on a public route or an open server.
func Caller(ctx context.Context) string {
	s, _ := ctx.Value(callerKey{}).(string)
	return s
}

// authError is the JSON body of 401, 403 and 415 answers from the guard.
type authError struct {
	Error string      `json:"error"`
	Scope scope.Scope `json:"scope,omitempty"`
}

const realm = `Bearer realm="newswire"`

// guard wraps a route's handler: it checks the token for the route's
// scope, then requires a JSON body on admin writes.
//
//   - no token, another scheme, or an unknown token: 401 with
//     WWW-Authenticate: Bearer (error="invalid_token" for an unknown one);
//   - a known token without the scope: 403 (error="insufficient_scope");
//   - POST, PUT or PATCH on an admin route without Content-Type
//     application/json: 415. A browser cannot send that cross-site without
//     a CORS preflight, which this server never grants — this also guards
//     an open server on loopback from web pages.
//
// The body names the scope needed. Tokens are never logged.
func (a *Auth) guard(need scope.Scope, h http.Handler) http.Handler {
	if need == scope.Public {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.Open() {
			secret, ok := bearer(r)
			if !ok {
				w.Header().Set("WWW-Authenticate", realm)
				httpjson.Write(w, http.StatusUnauthorized, authError{Error: fmt.Sprintf("this endpoint needs a bearer token with the %s scope", need), Scope: need})
				return
			}
			t := a.lookup(secret)
			if t == nil {
				a.log.Debug("unknown bearer token", zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.String("remote", r.RemoteAddr))
				w.Header().Set("WWW-Authenticate", realm+`, error="invalid_token"`)
				httpjson.Write(w, http.StatusUnauthorized, authError{Error: "unknown bearer token", Scope: need})
				return
			}
			if !slices.ContainsFunc(t.scopes, func(s scope.Scope) bool { return s.Satisfies(need) }) {
				a.log.Debug("token lacks scope", zap.String("token", t.name), zap.String("scope", string(need)), zap.String("path", r.URL.Path))
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`%s, error="insufficient_scope", scope="%s"`, realm, need))
				httpjson.Write(w, http.StatusForbidden, authError{Error: fmt.Sprintf("token %q lacks the %s scope", t.name, need), Scope: need})
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), callerKey{}, t.name))
		}
		if need == scope.Admin && (r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch) {
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != "application/json" {
				httpjson.Write(w, http.StatusUnsupportedMediaType, authError{Error: "send the body as Content-Type: application/json"})
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// ErrOpenExposed is returned by CheckExposure.
var ErrOpenExposed = errors.New("refusing to serve the HTTP API without authentication on a non-loopback address")

// CheckExposure refuses an open server (no tokens) that would listen on
// addr ("host:port") anywhere but loopback, unless insecure is set. An
// empty or wildcard host (":8080", "0.0.0.0", "::") is exposed; a host
// name must resolve to loopback addresses only. Call it before starting
// anything, so a refused process does no work.
func CheckExposure(ctx context.Context, addr string, a *Auth, insecure bool) error {
	if !a.Open() || insecure {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("http address %q: %w", addr, err)
	}
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else if host != "" {
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return fmt.Errorf("http address %q: %w", addr, err)
		}
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	if len(ips) == 0 || slices.ContainsFunc(ips, func(ip net.IP) bool { return !ip.IsLoopback() }) {
		return fmt.Errorf("%w (%s)", ErrOpenExposed, addr)
	}
	return nil
}
