package archtest

// Import paths the rules name.
const (
	kafkaGo       = "github.com/segmentio/kafka-go/..."
	elasticsearch = "github.com/elastic/go-elasticsearch/..."
)

// Rules are the "must not import" table of ARCHITECTURE.md. The rows for
// producers (no Elasticsearch), index (no kafka-go), alert (no
// Elasticsearch) and api (no kafka-go) follow from the two "only …
// imports …" rules.
//
// Test files count too, except in testsvc (the helpers and tests that
// talk to the real Kafka and Elasticsearch of deploy/local) and in deploy/
// (tools of the local services, such as the Kafka readiness probe): a
// test that builds kafka-go values ties its package to the client library
// as much as its code would.
var Rules = []Rule{
	{
		Name:     "article imports nothing of the project",
		Packages: []string{"article/..."},
		Forbid:   []string{Module + "/..."},
		Allow:    []string{Module + "/article/..."},
		Tests:    true,
	},
	{
		// Pure: not even through another package.
		Name:     "enrich is pure: no kafka-go, Elasticsearch or net/http",
		Packages: []string{"enrich/..."},
		Forbid:   []string{kafkaGo, elasticsearch, "net/http/..."},
		Tests:    true,
		Deps:     true,
	},
	{
		Name:     "only index/elastic imports go-elasticsearch",
		Packages: []string{"..."},
		Except:   []string{"index/elastic/...", "testsvc/...", "deploy/..."},
		Forbid:   []string{elasticsearch},
		Tests:    true,
	},
	{
		Name:     "only consumers, producers, broker and cmd import kafka-go",
		Packages: []string{"..."},
		Except:   []string{"consumers/...", "producers/...", "broker/...", "cmd/...", "testsvc/...", "deploy/..."},
		Forbid:   []string{kafkaGo},
		Tests:    true,
	},
}

// Exceptions are the known violations. Each one goes when its reason
// does; the test fails on an exception that no longer matches anything,
// so that the list only shrinks.
var Exceptions = []Exception{
	{
		Rule: "only consumers, producers, broker and cmd import kafka-go", Package: "app", Where: InTests,
		Reason: "the indexer-stage benchmark seeds its topic with kafka.Message values; removed when the stage contract drops kafka-go",
	},
}
