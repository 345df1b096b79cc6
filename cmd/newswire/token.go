package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/newswire/newswire/api"
	"github.com/newswire/newswire/api/scope"
)

const tokenUsage = `usage:
  newswire token new  --name NAME --scopes read[,ingest,metrics,admin]   a fresh random token and its entries
  newswire token hash --name NAME --scopes …  < token                    the entries of an existing token read from stdin`

// cmdToken makes API tokens: "new" prints a fresh random token with its
// tokens-file entry and NEWSWIRE_TOKENS entry (both hashed); "hash" does
// the same for a token read from stdin (never from the command line,
// which other users and the shell history can see).
func cmdToken(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "new" && args[0] != "hash") {
		fmt.Fprintln(stderr, tokenUsage)
		return errors.New("token: want new or hash")
	}
	sub := args[0]
	fs := flag.NewFlagSet("newswire token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "token name, shown in logs and errors (letters, digits, . _ -)")
	scopes := fs.String("scopes", "", "scopes, comma separated: read, ingest, metrics, admin (admin implies the others)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var sc []scope.Scope
	var errs []error
	for _, s := range strings.FieldsFunc(*scopes, func(r rune) bool { return r == ',' || r == '+' || r == ' ' }) {
		p, err := scope.Parse(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sc = append(sc, p)
	}
	if len(sc) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("--scopes required"))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var secret string
	if sub == "new" {
		var err error
		if secret, err = api.NewSecret(); err != nil {
			return err
		}
	} else {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read token from stdin: %w", err)
		}
		if secret = strings.TrimSpace(line); secret == "" {
			return errors.New("token hash: no token on stdin")
		}
	}
	t := api.NewToken(*name, secret, sc...)
	if err := api.ValidateTokens([]api.Token{t}); err != nil {
		return err
	}
	names := make([]string, len(sc))
	for i, s := range sc {
		names[i] = string(s)
	}
	var b strings.Builder
	if sub == "new" {
		fmt.Fprintf(&b, "token: %s\n# Give the token to its user; it is shown only this once. Store only the hash:\n\n", secret)
	}
	fmt.Fprintf(&b, "# --tokens-file entry (under \"tokens:\")\n  - name: %s\n    scopes: [%s]\n    sha256: %s\n\n", t.Name, strings.Join(names, ", "), t.SHA256)
	fmt.Fprintf(&b, "# or a NEWSWIRE_TOKENS entry (comma-separated)\n%s:%s:sha256:%s\n", t.Name, strings.Join(names, "+"), t.SHA256)
	_, err := io.WriteString(stdout, b.String())
	return err
}
