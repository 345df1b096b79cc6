package testsvc_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind. No
// ignore list is needed: the Kafka tests close their readers and writers
// and the idle connections of their own transports, and the Elasticsearch
// test closes the idle connections of its HTTP transport.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
