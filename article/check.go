package article

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// MaxIDBytes is the longest article id accepted.
const MaxIDBytes = 128

// IDChars lists the characters an article id may hold besides ASCII
// letters and digits. Derived ids are lower-case hex; ids given by a
// source (a URN, a wire-service code) may also use these. Everything else
// (spaces, control characters, slashes, quotes, non-ASCII) is refused, so
// an id is safe in a URL path, a Kafka key, a log line and a document id.
// The ids "." and ".." are refused too.
const IDChars = "-_.:@~+=,"

// The range of times (published, updated, ingested, and search bounds)
// newswire accepts: the embedded index stores times as int64 Unix
// nanoseconds (1677-09-21 to 2262-04-11), and Elasticsearch as Unix
// milliseconds; MinTime is inclusive, MaxTime exclusive. A time outside
// could be accepted at the door and then never become searchable.
var (
	MinTime = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// TimeInRange reports whether t lies in [MinTime, MaxTime).
func TimeInRange(t time.Time) bool {
	return !t.Before(MinTime) && t.Before(MaxTime)
}

// checkID returns why id is not acceptable, or "" (an empty id is checked
// elsewhere).
func checkID(id string) string {
	if id == "." || id == ".." {
		return fmt.Sprintf("%q is not an id", id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(IDChars, c) >= 0 {
			continue
		}
		return fmt.Sprintf("byte %d is %q: ids hold ASCII letters, digits and %s only", i, c, IDChars)
	}
	return ""
}

// checkScheme returns why raw (a URL that parsed) is not an http or https
// URL, or "".
func checkScheme(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return err.Error()
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return fmt.Sprintf("scheme %q is not allowed: http or https only", u.Scheme)
	}
	return ""
}
