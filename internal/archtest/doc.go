// Package archtest enforces the import rules of newswire's architecture
// (the "must not import" table of ARCHITECTURE.md) with a test over the
// output of go list, so that `go test ./...` and `make lint` fail when a
// package reaches across a boundary. It has no code of its own besides
// the rules and their checker.
package archtest
