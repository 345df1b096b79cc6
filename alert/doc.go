// Package alert is newswire's alerting: standing queries (rules) matched
// against every enriched article as it flows past, one alert per (rule,
// article) ever, delivered to webhooks, Slack-compatible incoming
// webhooks, email, the alerts topic and a live browser stream.
//
// The pieces, and how they fit:
//
//   - match (subpackage, pure): the rule model, parsing and validation,
//     and the indexed Matcher.
//   - RuleStore: rules from the YAML rule file (read-only, reloaded on
//     change and on Reload) merged with rules created through the API,
//     which live in the compacted rules topic (news.rules) that every
//     alert and serve process follows.
//   - Service: the rules in force, compiled into a Matcher that is swapped
//     atomically on every change, and the HTTP API (Routes).
//   - Alerter: the consumer stage news.enriched → news.alerts. It writes
//     one Alert record per new (rule, article) pair, keyed
//     "<rule id>/<article id>" (the writer partitions such keys by the
//     rule id alone, so all alerts of a rule share one partition), and an
//     alert-state record (news.alerts.state) in the same produce batch;
//     Once follows that topic, so any process knows every pair (see
//     Alerter).
//   - OnceDelivery: wraps the delivery stage; each delivered alert is
//     marked in news.alerts.state, and a partition's next owner skips the
//     marked ones.
//   - Delivery: the consumer stage news.alerts → webhook, Slack and email
//     targets, with per-target queues, concurrency limits and circuit
//     breakers, retries with backoff, dead-lettering, and per-rule
//     throttles with digests, whose state (Throttles) is kept in
//     news.alerts.state.
//   - Hub: the Server-Sent Events stream, fed from news.alerts by Follow
//     in every serve process, with Last-Event-ID resume on any of them
//     (wire format in the Hub doc).
//   - History: each rule's recent alerts, fed by the Hub from the same
//     records (GET /api/v1/alerts/rules/{id}/history).
//   - Backtest: a rule run over the stored articles of the last days,
//     through any search store (ArticleSearcher): a superset search
//     (CandidateQuery) confirmed by the live matcher.
//   - EntityResolver: lets rules name countries, leaders, treaties and
//     keywords by name; the API and the rule file store their ids and
//     refuse unknown names with the closest known entities.
//
// # Delivery guarantee
//
// Every alert record read by the delivery stage ends, for each of its
// rule's webhook, Slack and email channels, in exactly one of these
// before its offset is committed:
//
//   - delivered: the target answered 2xx (the mail server accepted the
//     message), marked in news.alerts.state (and, per channel, in State,
//     a local cache);
//   - dead-lettered: the record is copied to the dead-letter topic with
//     the reason in its newswire.error header, naming the channel type
//     and why: failed after the last try or permanently (a 4xx, a refused
//     recipient), ErrCircuitOpen, ErrQueueFull, or ErrHandedOff;
//   - held for its rule's next digest (the rule has a throttle and its
//     period is running), recorded in the rule's throttle record in
//     news.alerts.state.
//
// So no alert is lost: `newswire dlq replay --stage alert-deliver`
// re-drives dead letters, and a replayed record skips the channels State
// records as delivered. A repeat is possible in three cases, and each
// carries the same X-Newswire-Delivery id (the alert id, or the digest
// id), so receivers drop it: a crash between a delivery and its mark in
// news.alerts.state (written with the batch, before its commit; a new
// owner reads the marks first, so a clean rebalance or SIGTERM repeats
// nothing already marked); a replay of an alert that was handed off and
// then delivered by the background attempt after the replay read State;
// and a digest sent by two processes (see Throttles across processes).
//
// No state that matters lives only on a process's disk: losing a pod's
// data directory, or adding replicas, loses and repeats nothing beyond
// the cases above. State, the local file, is a cache of the channels each
// delivery reached; losing it repeats at most a delivery, with its id.
//
// # Throttles across processes
//
// A throttled rule sends at most one message (the first alert of a
// period, pushed at once, or a digest of the alerts held since) per
// period, across all delivery processes:
//
//   - One owner per rule. news.alerts is partitioned by rule id, so one
//     delivery process at a time reads a rule's alerts and decides its
//     throttle. After a rebalance the partition's new owner reads
//     news.alerts.state to its end before its first batch (the same
//     barrier as for delivered marks).
//   - The rule's throttle record, key "<rule id>/#throttle" in
//     news.alerts.state (JSON: last_sent, pending, more, failures, opened,
//     listed, seq, owner, updated), is returned with each batch that
//     changed it, so it is durable before the batch's offsets are
//     committed; seq only grows, and readers keep the highest (seq,
//     owner), as batches in flight at once may land out of order. Every
//     alert process follows the topic (Once.Throttles). A re-read alert
//     is not held twice: the record lists it, pending or in the last
//     digest.
//   - Digests. The process that wrote a rule's latest record sends its
//     digest when the period ends, then writes the record of the new
//     period. Any other process takes the digest over once it is overdue
//     by TakeoverAfter (DefaultTakeoverAfter, at least twice FlushEvery)
//     and the record has not changed for as long: its owner is gone (a
//     lost pod), and no new alert of the rule may ever arrive to bring
//     the rule to another process. A process restarted on the same disk
//     keeps its name (State holds it), so it sends its own digests when
//     due; losing the file only delays them by the grace. A digest's id is
//     "<rule id>/digest/<period start, unix ns>", the same whoever sends
//     it, so when two processes send one digest (a takeover racing an
//     owner that was only slow) receivers drop the repeat by its
//     X-Newswire-Delivery id. While a rule's partition changes owner,
//     the old and new owner may each send one message for it, once.
//   - A digest that fails Attempts flushes in a row is dead-lettered
//     (stage "alert-digest"); a rule deleted with alerts still held has
//     its digest dropped (logged) and its record removed (a tombstone).
//
// Isolation. Each target (a webhook URL, a Slack URL, an email recipient
// list) has its own bounded queue (QueueSize), at most Concurrency
// deliveries at once, and a circuit breaker: BreakerFailures transient
// failures in a row open it, alerts for it are then dead-lettered at
// once, and after BreakerCooldown one probe decides. A batch waits for
// its deliveries only while their targets answer: once a target has an
// attempt in flight for longer than SlowAfter it is slow, and batches
// stop waiting for its alerts (ErrHandedOff: the dead letter is the
// durable copy, and the delivery goes on in the background, with its
// retries). MaxHold bounds the wait for any one alert. A slow or dead
// target therefore holds a batch for at most SlowAfter, once; run the
// stage with consumers.Config.MaxInFlight = DeliveryMaxInFlight so that
// even that wait does not hold later batches. Metrics carry the channel
// type and outcome or breaker state, never a URL.
//
// Webhook targets on loopback, private and link-local networks are
// refused (at rule validation for address literals, and at dial time
// after name resolution) unless explicitly allowed.
package alert
