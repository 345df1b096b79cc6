// Package testsvc holds helpers for integration tests against the real
// services started by deploy/local: a Kafka broker, an Elasticsearch node
// and an OpenSearch node listening on loopback.
//
// Contract: a test asks for an address with KafkaBrokers, ESURL,
// OpenSearchURL or SearchEngines. When the matching environment variable
// (EnvKafka, EnvES, EnvOpenSearch) is unset or empty, the
// test is skipped with a note on how to run it (`make test` starts the
// services and sets the variables). When the variable is set but the
// service does not answer within DialTimeout, the test fails: a broken
// environment must never pass as a skipped test.
//
// Every test that creates a topic, consumer group or index names it with
// UniqueName, so tests can run in parallel and re-run against the same
// long-lived services without cleaning up first.
package testsvc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	// EnvKafka names the variable holding the comma-separated bootstrap
	// brokers, for example "127.0.0.1:9092".
	EnvKafka = "NEWSWIRE_TEST_KAFKA"
	// EnvES names the variable holding the Elasticsearch base URL, for
	// example "http://127.0.0.1:9200".
	EnvES = "NEWSWIRE_TEST_ES"
	// EnvOpenSearch names the variable holding the OpenSearch base URL,
	// for example "http://127.0.0.1:9201".
	EnvOpenSearch = "NEWSWIRE_TEST_OPENSEARCH"

	// DialTimeout bounds the reachability check of KafkaBrokers and ESURL.
	DialTimeout = 5 * time.Second

	howToRun = "run `make test`, which starts deploy/local and sets it, " +
		"or start the services with deploy/local/services.sh up and " +
		"eval \"$(deploy/local/services.sh env)\""
)

// KafkaBrokers returns the bootstrap brokers named by EnvKafka. It skips
// the test when the variable is unset or empty, and fails it when any
// listed broker does not accept a TCP connection within DialTimeout.
func KafkaBrokers(t testing.TB) []string {
	t.Helper()
	raw := os.Getenv(EnvKafka)
	var brokers []string
	for _, b := range strings.Split(raw, ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	if len(brokers) == 0 {
		t.Skipf("%s is not set; this test needs a real Kafka broker: %s", EnvKafka, howToRun)
		return nil
	}

	ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
	defer cancel()
	var d net.Dialer
	var errs []error
	for _, b := range brokers {
		conn, err := d.DialContext(ctx, "tcp", b)
		if err != nil {
			errs = append(errs, fmt.Errorf("dial kafka broker %s: %w", b, err))
			continue
		}
		if err := conn.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close probe connection to %s: %w", b, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("%s=%q is set but the broker is unreachable within %s: %v "+
			"(is deploy/local running? check deploy/local/services.sh status)",
			EnvKafka, raw, DialTimeout, err)
	}
	return brokers
}

// ESURL returns the Elasticsearch base URL named by EnvES, without a
// trailing slash. It skips the test when the variable is unset or empty,
// and fails it when GET /_cluster/health does not answer 200 with status
// green or yellow within DialTimeout.
func ESURL(t testing.TB) string {
	t.Helper()
	return engineURL(t, EnvES, "Elasticsearch")
}

// OpenSearchURL is ESURL for the OpenSearch node named by EnvOpenSearch.
func OpenSearchURL(t testing.TB) string {
	t.Helper()
	return engineURL(t, EnvOpenSearch, "OpenSearch")
}

// Engine is one search engine under test.
type Engine struct {
	Name string // "elasticsearch" or "opensearch", usable as a subtest name
	URL  string
}

// SearchEngines returns every search engine whose variable (EnvES,
// EnvOpenSearch) is set, checked like ESURL. It skips the test when none
// is set and fails it when a named engine is not usable. Run the engine
// cases as subtests named by Engine.Name.
func SearchEngines(t testing.TB) []Engine {
	t.Helper()
	var out []Engine
	for _, e := range []struct{ env, name, label string }{
		{EnvES, "elasticsearch", "Elasticsearch"},
		{EnvOpenSearch, "opensearch", "OpenSearch"},
	} {
		if strings.TrimSpace(os.Getenv(e.env)) == "" {
			continue
		}
		out = append(out, Engine{Name: e.name, URL: engineURL(t, e.env, e.label)})
	}
	if len(out) == 0 {
		t.Skipf("neither %s nor %s is set; this test needs a real search engine: %s", EnvES, EnvOpenSearch, howToRun)
	}
	return out
}

func engineURL(t testing.TB, env, product string) string {
	t.Helper()
	raw := os.Getenv(env)
	base := strings.TrimRight(strings.TrimSpace(raw), "/")
	if base == "" {
		t.Skipf("%s is not set; this test needs a real %s node: %s", env, product, howToRun)
		return ""
	}
	status, err := clusterHealth(base)
	if err != nil {
		t.Fatalf("%s=%q is set but %s is not usable: %v "+
			"(is deploy/local running? check deploy/local/services.sh status)",
			env, raw, product, err)
	}
	if status != "green" && status != "yellow" {
		t.Fatalf("%s=%q: cluster health is %q, want green or yellow", env, raw, status)
	}
	return base
}

// clusterHealth returns the status field of GET base/_cluster/health. It
// uses its own transport without keep-alive so that no idle connection
// goroutine outlives the call (tests run goleak).
func clusterHealth(base string) (string, error) {
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: DialTimeout}

	url := base + "/_cluster/health"
	resp, err := client.Get(url)
	if err != nil {
		return "", fmt.Errorf("health check: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("get %s: status %s: %.200s", url, resp.Status, body)
	}
	var health struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &health); err != nil {
		return "", fmt.Errorf("decode %s: %w", url, err)
	}
	return health.Status, nil
}

// maxNameLen keeps names well under both limits: 249 bytes for a Kafka
// topic, 255 bytes for an Elasticsearch index.
const maxNameLen = 120

var nameSeq atomic.Uint64

// UniqueName returns a name for a topic, consumer group or index that no
// other test (in this or another process) will use: the prefix, the test
// name and a random suffix, joined by "-". It contains only lower-case
// ASCII letters, digits, '.' and '-', starts with a letter or digit and is
// at most 120 bytes long, so it is valid both as a Kafka topic and as an
// Elasticsearch index.
func UniqueName(t testing.TB, prefix string) string {
	t.Helper()
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatalf("read random suffix: %v", err)
	}
	suffix := fmt.Sprintf("%d%s", nameSeq.Add(1), hex.EncodeToString(rnd[:]))

	var parts []string
	for _, p := range []string{prefix, t.Name()} {
		if s := sanitize(p); s != "" {
			parts = append(parts, s)
		}
	}
	head := strings.Join(parts, "-")
	if limit := maxNameLen - len(suffix) - 1; len(head) > limit {
		head = strings.TrimRight(head[:limit], "-.")
	}
	if head == "" {
		head = "t"
	}
	return head + "-" + suffix
}

// sanitize lower-cases s, maps every byte outside [a-z0-9.] to '-',
// collapses runs of '-' and trims leading and trailing '-' and '.'.
func sanitize(s string) string {
	var b strings.Builder
	lastDash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.':
			b.WriteRune(r)
			lastDash = false
		default:
			if !lastDash {
				b.WriteByte('-')
				lastDash = true
			}
		}
	}
	return strings.Trim(b.String(), "-.")
}
