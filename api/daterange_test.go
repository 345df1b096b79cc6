package api

import (
	"errors"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// Row 5 of the hardening issue: a search bound the stores cannot hold is
// a 400 naming the parameter, not a 503 from the store. The store here
// fails as the engines did; the conformance suite (index/indextest) checks
// that both engines refuse such a query with ErrBadQuery themselves.
func TestSearchDateRange(t *testing.T) {
	fs := &fakeSearcher{err: errors.New("failed to parse date field [0000-01-01]")}
	h := New(Config{Searcher: fs}, zap.NewNop()).Handler()
	for _, tc := range []struct{ query, param string }{
		{"from=0000-01-01", "from: "},
		{"to=9999-12-31", "to: "},
		{"from=1600-01-01T00:00:00Z&to=2024-01-01", "from: "},
		{"from=2024-01-01&to=2262-01-01", "to: "},
	} {
		rec, m := get(t, h, "/api/v1/search?"+tc.query)
		msg, _ := m["error"].(string)
		if rec.Code != 400 || !strings.HasPrefix(msg, tc.param) || !strings.Contains(msg, "outside the range") {
			t.Errorf("%s: %d %s, want 400 naming %q", tc.query, rec.Code, rec.Body, tc.param)
		}
	}
	fs.err = nil
	if rec, _ := get(t, h, "/api/v1/search?from=1678-01-01&to=2261-12-31"); rec.Code != 200 {
		t.Errorf("the widest valid range: %d %s", rec.Code, rec.Body)
	}
}
