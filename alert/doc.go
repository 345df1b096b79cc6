// Package alert is newswire's alerting: standing queries (rules) matched
// against every enriched article as it flows past, one alert per (rule,
// article) ever, delivered to webhooks, Slack-compatible incoming
// webhooks, the alerts topic and a live browser stream.
//
// The pieces, and how they fit:
//
//   - match (subpackage, pure): the rule model, parsing and validation,
//     and the indexed Matcher.
//   - RuleStore: rules from the YAML rule file (read-only, reloaded on
//     change and on Reload) merged with rules created through the API
//     (persisted in a JSON file, written atomically).
//   - Service: the rules in force, compiled into a Matcher that is swapped
//     atomically on every change, and the HTTP API (Routes).
//   - Alerter: the consumer stage news.enriched → news.alerts. It writes
//     one Alert record per new (rule, article) pair, keyed
//     "<rule id>/<article id>", and records the pair in State once the
//     record is acknowledged.
//   - Delivery: the consumer stage news.alerts → webhook, Slack and
//     stream, with per-channel delivery records in State, retries with
//     backoff, dead-lettering after the last try, and per-rule throttles
//     with digests.
//   - Hub: the Server-Sent Events stream with Last-Event-ID resume.
//
// Webhook targets on loopback, private and link-local networks are
// refused (at rule validation for address literals, and at dial time
// after name resolution) unless explicitly allowed.
package alert
