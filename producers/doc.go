// Package producers turns incoming news into normalised articles on the raw
// topic: JSON-lines files, the HTTP ingest endpoint and RSS/Atom feeds.
//
// Every source goes through the same steps: decode, normalise (derive the
// id, set the ingest time), validate, then write keyed by article id with a
// writer that waits for acknowledgement by all in-sync replicas. A
// producer reports success only after Kafka has acknowledged every record.
package producers
