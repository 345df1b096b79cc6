// Package producers turns incoming news into normalised articles on the raw
// topic: JSON-lines files, the HTTP ingest endpoint, RSS/Atom feeds and
// article pages fetched by URL.
//
// Every source goes through the same steps: decode, normalise (derive the
// id, set the ingest time), validate, then write keyed by article id with a
// writer that waits for acknowledgement by all in-sync replicas. A
// producer reports success only after Kafka has acknowledged every record.
//
// Article pages (a feed's links with FetchFull, URLIngester for `produce
// --url` and POST /api/v1/articles/fetch) are fetched by a Crawler that
// obeys robots.txt, limits requests per host, backs off on 429/503 and
// refuses loopback, private and link-local addresses unless allowed.
// ExtractPage finds the article text (go-trafilatura) and ParsePageMeta
// the metadata (JSON-LD, OpenGraph, meta tags); the metadata fills only
// the fields the source left empty, and a canonical URL on the page's own
// site becomes the article's URL and so the source of its id. A page that
// cannot be fetched or extracted leaves the feed's text in place; every
// outcome is counted in newswire_fulltext_total{result}.
package producers
