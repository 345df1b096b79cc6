package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/newswire/newswire/api"
	"github.com/newswire/newswire/api/scope"
)

func TestTokenCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"token", "new", "--name", "page", "--scopes", "read,Metrics"}, nil, &out, &errb); code != 0 {
		t.Fatalf("token new: %d %s", code, errb.String())
	}
	secret := regexp.MustCompile(`(?m)^token: (nw_[A-Za-z0-9_-]{43})$`).FindStringSubmatch(out.String())
	if secret == nil {
		t.Fatalf("no token line:\n%s", out.String())
	}
	checkEntries(t, out.String(), "page", secret[1], []scope.Scope{scope.Read, scope.Metrics})

	// hash reads the token from stdin and never prints it.
	out.Reset()
	const given = "nw_given-token-0123456789"
	if code := run([]string{"token", "hash", "--name", "ops", "--scopes", "admin"}, strings.NewReader(given+"\n"), &out, &errb); code != 0 {
		t.Fatalf("token hash: %d %s", code, errb.String())
	}
	if strings.Contains(out.String(), given) {
		t.Fatalf("token hash printed the token:\n%s", out.String())
	}
	checkEntries(t, out.String(), "ops", given, []scope.Scope{scope.Admin})

	for _, tt := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"token"}, "", "want new or hash"},
		{[]string{"token", "new", "--name", "x"}, "", "--scopes required"},
		{[]string{"token", "new", "--name", "x", "--scopes", "read,root"}, "", `unknown scope "root"`},
		{[]string{"token", "new", "--name", "bad name", "--scopes", "read"}, "", `token name "bad name"`},
		{[]string{"token", "hash", "--name", "x", "--scopes", "read"}, "\n", "no token on stdin"},
	} {
		errb.Reset()
		if code := run(tt.args, strings.NewReader(tt.stdin), &out, &errb); code != 1 || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("%v: %d %q, want %q", tt.args, code, errb.String(), tt.want)
		}
	}
}

// checkEntries checks that both printed entries load as the token.
func checkEntries(t *testing.T, out, name, secret string, scopes []scope.Scope) {
	t.Helper()
	var block, env string
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "  - name: ") {
			block = strings.Join(lines[i:i+3], "\n")
		}
		if strings.HasPrefix(l, name+":") {
			env = l
		}
	}
	fromFile, err := api.ParseTokensFile([]byte("tokens:\n" + block + "\n"))
	if err != nil || len(fromFile) != 1 {
		t.Fatalf("file entry %q: %v", block, err)
	}
	fromEnv, err := api.ParseTokensEnv(env)
	if err != nil || len(fromEnv) != 1 {
		t.Fatalf("env entry %q: %v", env, err)
	}
	for _, tok := range []api.Token{fromFile[0], fromEnv[0]} {
		if tok.Name != name || tok.SHA256 != api.HashSecret(secret) || len(tok.Scopes) != len(scopes) {
			t.Fatalf("entry %+v, want %s %v with the hash of the token", tok, name, scopes)
		}
		for i := range scopes {
			if tok.Scopes[i] != scopes[i] {
				t.Fatalf("entry scopes %v, want %v", tok.Scopes, scopes)
			}
		}
	}
}

// TestServeRefusesOpenExposedServer: the all-in-one on a wildcard address
// with no tokens exits with a message naming the flags; a malformed
// NEWSWIRE_TOKENS stops it too, without echoing the token.
func TestServeRefusesOpenExposedServer(t *testing.T) {
	dir := t.TempDir()
	args := []string{"run", "--http", "0.0.0.0:0", "--embedded-broker", "127.0.0.1:0", "--data-dir", dir}
	var out, errb bytes.Buffer
	if code := run(args, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--insecure-no-auth") || !strings.Contains(errb.String(), "--tokens-file") {
		t.Fatalf("open on 0.0.0.0: %d %s", code, errb.String())
	}
	errb.Reset()
	t.Setenv("NEWSWIRE_TOKENS", "page:read:tooshort")
	if code := run(args, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), "shorter than") || strings.Contains(errb.String(), "tooshort") {
		t.Fatalf("short NEWSWIRE_TOKENS: %d %s", code, errb.String())
	}
}
