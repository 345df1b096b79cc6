// Package consumers is newswire's consumer runtime and the stages built on
// it: the enricher (news.raw → news.enriched), the indexer (news.enriched →
// search store) and the alerter.
//
// Every stage runs the same loop (Runner): fetch records from its consumer
// group with FetchMessage, hand a batch to the stage, make the outcome
// durable (output records acknowledged by all in-sync replicas, or the
// store write acknowledged), and only then commit the offsets. Delivery is
// therefore at-least-once: a crash at any moment loses nothing, it only
// redoes uncommitted work, and the writes downstream are idempotent.
//
// Stages see the runtime's own Record type, never the client library's;
// kafka.go holds the only conversions. A batch goes through a chain of
// small steps (steps.go), each testable alone: process (retrying transient
// errors), guard output sizes, dead-letter poison, produce, commit in
// order, tell a CommitObserver stage, record metrics. The Writer is built
// here with acknowledgements from all in-sync replicas, by construction.
// The records buffered ahead of processing are bounded in count and bytes.
//
// Errors are sorted. A record the stage can never handle (undecodable,
// invalid, rejected by the store) is poison: it is copied with its key,
// bytes and headers to the dead-letter topic, with headers naming the
// error, the stage, its source topic, partition and offset and the number
// of attempts, and the stream moves on. Any other error is transient: the
// batch is retried with capped, jittered backoff while its offsets are
// held, until it succeeds or shutdown abandons it (uncommitted). A panic
// while handling one record makes that record poison, with the panic's
// message. A dead-letter copy too large to write is truncated, with
// headers naming the original size and SHA-256, so one record can never
// stop a partition.
package consumers
