package scope

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSatisfies(t *testing.T) {
	all := []Scope{Public, Read, Ingest, Metrics, Admin}
	// want[token] lists the route scopes a token with that scope may call.
	want := map[Scope][]Scope{
		Read:    {Public, Read},
		Ingest:  {Public, Ingest},
		Metrics: {Public, Metrics},
		Admin:   {Public, Read, Ingest, Metrics, Admin},
	}
	for tok, ok := range want {
		for _, need := range all {
			exp := false
			for _, o := range ok {
				exp = exp || o == need
			}
			if got := tok.Satisfies(need); got != exp {
				t.Errorf("%s satisfies %s = %v, want %v", tok, need, got, exp)
			}
		}
		if tok.Satisfies("") || tok.Satisfies("root") {
			t.Errorf("%s satisfies an unknown scope", tok)
		}
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]Scope{"read": Read, " Admin ": Admin, "METRICS": Metrics, "ingest": Ingest} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"public", "", "write", "read+admin"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
}
