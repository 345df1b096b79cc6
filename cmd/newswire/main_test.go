package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain lets the test binary act as the newswire command when
// NEWSWIRE_TEST_AS_MAIN is set, so process-level tests can start real
// newswire processes (and kill them) without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("NEWSWIRE_TEST_AS_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(m,
		// Bleve starts its analysis workers once per process, at package
		// init; they are shared by every index and never stop.
		goleak.IgnoreTopFunction("github.com/blevesearch/bleve_index_api.AnalysisWorker"),
	)
}
