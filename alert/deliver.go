package alert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"net/http"

	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/internal/workpool"
)

// RuleSource looks rules up by id. *Service implements it.
type RuleSource interface {
	Rule(id string) (match.Rule, bool)
}

// RecordWriter writes records durably (consumers.Writer does).
type RecordWriter interface {
	Write(ctx context.Context, recs ...consumers.Record) error
}

// DeliveryConfig configures the delivery stage. Zero fields take the
// defaults.
type DeliveryConfig struct {
	// AllowPrivate lets webhooks reach loopback and private networks.
	AllowPrivate bool
	Timeout      time.Duration     // per HTTP attempt (default 5s)
	Attempts     int               // tries per channel, and digest flushes before giving up (default 4)
	Backoff      consumers.Backoff // between tries (default 500ms to 10s)
	Workers      int               // alerts delivered at once within a batch (default 8)
	FlushEvery   time.Duration     // how often due digests are sent (default 1s)
	// DeadLetters and DLQTopic, when set, receive digests that could not
	// be delivered (failed alerts go to the dead-letter topic through the
	// runner).
	DeadLetters RecordWriter
	DLQTopic    string
	Now         func() time.Time
}

func (c *DeliveryConfig) defaults() {
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Attempts <= 0 {
		c.Attempts = 4
	}
	if c.Backoff.Min <= 0 {
		c.Backoff.Min = 500 * time.Millisecond
	}
	if c.Backoff.Max <= 0 {
		c.Backoff.Max = 10 * time.Second
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.FlushEvery <= 0 {
		c.FlushEvery = time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Delivery is the stage news.alerts → channels: it posts each alert to
// its rule's webhook and Slack channels and publishes it to the browser
// stream. Run it with its own consumer group ("newswire-alert-deliver").
//
// Each (alert, channel) delivery is recorded in State once made, so a
// redelivered or replayed alert record is not sent again to channels that
// already have it. A webhook is tried Attempts times with backoff; if a
// channel still fails, the record is poison (consumers.ErrPoison) and the
// runner copies it to the dead-letter topic; replaying it later retries
// only the channels that failed. Webhook receivers should dedup on the
// X-Newswire-Delivery header, because a crash between a successful POST
// and its record repeats that one POST.
//
// A rule with a throttle pushes at most one message per throttle period
// to its webhook and Slack channels; alerts inside the period are held
// (durably, in State) and sent as one Digest when it ends, by Run. The
// stream always gets every alert at once.
type Delivery struct {
	rules  RuleSource
	st     *State
	hub    *Hub
	cfg    DeliveryConfig
	client *http.Client
	m      *Metrics
	log    *zap.Logger
}

// NewDeliveryStage builds the delivery stage. hub may be nil (no stream in
// this process); m may be nil.
func NewDeliveryStage(rules RuleSource, st *State, hub *Hub, cfg DeliveryConfig, m *Metrics, log *zap.Logger) (*Delivery, error) {
	if rules == nil || st == nil {
		return nil, errors.New("delivery stage needs rules and state")
	}
	cfg.defaults()
	if m == nil {
		m = NewMetrics(nil)
	}
	return &Delivery{rules: rules, st: st, hub: hub, cfg: cfg, client: newHTTPClient(cfg.Timeout, cfg.AllowPrivate), m: m,
		log: log.With(zap.String("component", "alert-deliver"))}, nil
}

// pushChannel reports whether a channel type is pushed over HTTP.
func pushChannel(t string) bool { return t == match.ChannelWebhook || t == match.ChannelSlack }

func hasChannel(r match.Rule, t string) bool {
	for _, c := range r.Channels {
		if c.Type == t {
			return true
		}
	}
	return false
}

func hasPush(r match.Rule) bool {
	return hasChannel(r, match.ChannelWebhook) || hasChannel(r, match.ChannelSlack)
}

// channelKey names one delivery of one event to one channel.
func channelKey(eventID string, c match.Channel) string {
	sum := sha256.Sum256([]byte(c.Type + "\x00" + c.URL))
	return eventID + "#" + c.Type + ":" + hex.EncodeToString(sum[:8])
}

type deliveryJob struct {
	i    int
	a    Alert
	raw  []byte
	rule match.Rule
}

// Process implements consumers.Stage.
func (d *Delivery) Process(ctx context.Context, batch []consumers.Record) ([]consumers.Result, error) {
	res := make([]consumers.Result, len(batch))
	var jobs []deliveryJob
	for i, msg := range batch {
		var a Alert
		if err := json.Unmarshal(msg.Value, &a); err != nil || a.Type != TypeAlert || a.ID == "" || a.RuleID == "" {
			if err == nil {
				err = errors.New("not an alert event")
			}
			res[i].Err = fmt.Errorf("%w: decode alert: %w", consumers.ErrPoison, err)
			continue
		}
		rule, ok := d.rules.Rule(a.RuleID)
		if !ok {
			d.log.Debug("alert of a rule that no longer exists", zap.String("rule_id", a.RuleID), zap.String("article_id", a.ArticleID))
			continue
		}
		if d.hub != nil && hasChannel(rule, match.ChannelStream) {
			if err := d.once(a.ID+"#stream", func() error {
				d.hub.Publish(TypeAlert, msg.Value)
				d.m.deliveries.WithLabelValues(match.ChannelStream, "ok").Inc()
				return nil
			}); err != nil {
				return nil, err
			}
		}
		if !hasPush(rule) {
			continue
		}
		send, err := d.decide(rule, a)
		if err != nil {
			return nil, err
		}
		if send {
			jobs = append(jobs, deliveryJob{i: i, a: a, raw: msg.Value, rule: rule})
		}
	}
	if len(jobs) == 0 {
		return res, nil
	}
	errs := make([]error, len(jobs))
	workpool.Run(len(jobs), d.cfg.Workers, func(j int) { errs[j] = d.deliverAlert(ctx, jobs[j]) })
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("deliver alerts: %w", err)
	}
	for j, err := range errs {
		if err == nil {
			continue
		}
		var se *stateError
		if errors.As(err, &se) {
			return nil, err // the state store failed: retry the batch
		}
		res[jobs[j].i].Err = fmt.Errorf("%w: deliver alert %s: %w", consumers.ErrPoison, jobs[j].a.ID, err)
	}
	return res, nil
}

// stateError marks a failure of the state store (transient for the batch).
type stateError struct{ err error }

func (e *stateError) Error() string { return e.err.Error() }
func (e *stateError) Unwrap() error { return e.err }

// once runs fn unless key is recorded, and records it after fn succeeds.
func (d *Delivery) once(key string, fn func() error) error {
	done, err := d.st.delivered(key)
	if err != nil {
		return &stateError{err}
	}
	if done {
		return nil
	}
	if err := fn(); err != nil {
		return err
	}
	if err := d.st.markDelivered(key, d.cfg.Now()); err != nil {
		return &stateError{err}
	}
	return nil
}

// decide applies the rule's throttle: it reports whether to push the
// alert now, or holds it for the next digest.
func (d *Delivery) decide(rule match.Rule, a Alert) (bool, error) {
	thr := rule.ThrottleDuration()
	if thr <= 0 {
		return true, nil
	}
	now := d.cfg.Now()
	heldKey, sendKey := a.ID+"#held", a.ID+"#send"
	send := false
	err := d.st.updateThrottle(rule.ID, now, func(st *throttleState, has func(string) bool) []string {
		switch {
		case has(heldKey):
			return nil // held earlier: it is in the digest
		case has(sendKey):
			send = true // decided earlier (a retried batch): finish sending
			return nil
		case len(st.Pending) == 0 && st.More == 0 && (st.LastSent.IsZero() || !now.Before(st.LastSent.Add(thr))):
			st.LastSent = now
			send = true
			return []string{sendKey}
		}
		if len(st.Pending) < maxDigestEntries {
			st.Pending = append(st.Pending, DigestEntry{ID: a.ID, ArticleID: a.ArticleID, Title: a.Title, URL: a.URL, Published: a.Published, At: a.At})
		} else {
			st.More++
		}
		d.m.suppressed.Inc()
		return []string{heldKey}
	})
	if err != nil {
		return false, err
	}
	return send, nil
}

func (d *Delivery) deliverAlert(ctx context.Context, j deliveryJob) error {
	var errs []error
	for _, c := range j.rule.Channels {
		if !pushChannel(c.Type) {
			continue
		}
		err := d.once(channelKey(j.a.ID, c), func() error {
			body := j.raw
			if c.Type == match.ChannelSlack {
				body = slackAlert(j.a)
			}
			return d.send(ctx, c, j.a.ID, TypeAlert, body)
		})
		if err != nil {
			var se *stateError
			if errors.As(err, &se) || ctx.Err() != nil {
				return err
			}
			errs = append(errs, fmt.Errorf("%s channel: %w", c.Type, err))
		}
	}
	return errors.Join(errs...)
}

// send posts body to one channel, retrying transient failures with
// backoff up to Attempts tries.
func (d *Delivery) send(ctx context.Context, c match.Channel, id, typ string, body []byte) error {
	headers := map[string]string{HeaderDelivery: id, HeaderEvent: typ}
	if c.Type == match.ChannelWebhook && c.Secret != "" {
		headers[HeaderSignature] = Sign(c.Secret, body)
	}
	if c.Type == match.ChannelSlack {
		headers = nil
	}
	for attempt := 1; ; attempt++ {
		err := post(ctx, d.client, c.URL, body, headers)
		if err == nil {
			d.m.deliveries.WithLabelValues(c.Type, "ok").Inc()
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var pe *postError
		permanent := errors.As(err, &pe) && pe.permanent
		if permanent || attempt >= d.cfg.Attempts {
			d.m.deliveries.WithLabelValues(c.Type, "failed").Inc()
			d.log.Warn("delivery failed", zap.String("channel", c.Type), zap.String("event_id", id),
				zap.Int("attempts", attempt), zap.Bool("permanent", permanent), zap.Error(err))
			return fmt.Errorf("after %d tries: %w", attempt, err)
		}
		d.m.deliveries.WithLabelValues(c.Type, "retry").Inc()
		if !d.cfg.Backoff.Sleep(ctx, attempt) {
			return ctx.Err()
		}
	}
}

// Run sends due digests every FlushEvery until ctx is done. Run it next
// to the delivery runner when any rule may have a throttle.
func (d *Delivery) Run(ctx context.Context) error {
	t := time.NewTicker(d.cfg.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := d.FlushDigests(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("digest flush failed", zap.Error(err))
			}
		}
	}
}

// maxDigestEntries bounds the alerts listed in one digest; more are
// counted.
const maxDigestEntries = 100

// DigestEntry is one held alert listed in a digest.
type DigestEntry struct {
	ID        string    `json:"id"`
	ArticleID string    `json:"article_id"`
	Title     string    `json:"title"`
	URL       string    `json:"url,omitempty"`
	Published time.Time `json:"published,omitzero"`
	At        time.Time `json:"at"`
}

// Digest is the message a throttled rule sends at the end of its period:
// the alerts held back since the last message.
type Digest struct {
	Schema   int           `json:"schema"`
	Type     string        `json:"type"` // TypeDigest
	ID       string        `json:"id"`   // "<rule id>/digest/<period start, unix ns>"
	RuleID   string        `json:"rule_id"`
	RuleName string        `json:"rule_name"`
	Count    int           `json:"count"` // alerts held, listed or not
	Alerts   []DigestEntry `json:"alerts"`
	Since    time.Time     `json:"since"`
	At       time.Time     `json:"at"`
}

// FlushDigests sends the digest of every throttled rule whose period has
// ended. A digest that fails Attempts flushes in a row goes to the
// dead-letter topic when one is configured, else it is logged and
// dropped.
func (d *Delivery) FlushDigests(ctx context.Context) error {
	pending, err := d.st.throttled()
	if err != nil {
		return err
	}
	now := d.cfg.Now()
	var errs []error
	for ruleID, ts := range pending {
		rule, ok := d.rules.Rule(ruleID)
		if ok && hasPush(rule) {
			if thr := rule.ThrottleDuration(); thr > 0 && now.Before(ts.LastSent.Add(thr)) {
				continue
			}
		}
		dg := Digest{Schema: EventSchema, Type: TypeDigest, ID: ruleID + "/digest/" + strconv.FormatInt(ts.LastSent.UnixNano(), 10),
			RuleID: ruleID, RuleName: rule.Name, Count: len(ts.Pending) + ts.More, Alerts: ts.Pending, Since: ts.LastSent.UTC(), At: now.UTC()}
		var sendErr error
		if !ok || !hasPush(rule) {
			d.log.Info("digest dropped: rule gone or without push channels", zap.String("rule_id", ruleID), zap.Int("alerts", dg.Count))
		} else {
			sendErr = d.sendDigest(ctx, rule, dg)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		sent := len(ts.Pending)
		giveUp := false
		err := d.st.updateThrottle(ruleID, now, func(st *throttleState, _ func(string) bool) []string {
			if sendErr != nil {
				st.Failures++
				if st.Failures < d.cfg.Attempts {
					return nil
				}
				giveUp = true
			}
			// Drop what this digest listed; alerts held meanwhile stay.
			st.Pending = st.Pending[min(sent, len(st.Pending)):]
			st.More = max(0, st.More-ts.More)
			st.Failures = 0
			st.LastSent = now
			return nil
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch {
		case sendErr == nil:
			d.m.digests.WithLabelValues("sent").Inc()
		case giveUp:
			d.m.digests.WithLabelValues("failed").Inc()
			errs = append(errs, d.deadLetterDigest(ctx, dg, sendErr))
		default:
			errs = append(errs, sendErr)
		}
	}
	return errors.Join(errs...)
}

func (d *Delivery) sendDigest(ctx context.Context, rule match.Rule, dg Digest) error {
	body, err := json.Marshal(&dg)
	if err != nil {
		return fmt.Errorf("encode digest: %w", err)
	}
	var errs []error
	for _, c := range rule.Channels {
		if !pushChannel(c.Type) {
			continue
		}
		err := d.once(channelKey(dg.ID, c), func() error {
			b := body
			if c.Type == match.ChannelSlack {
				b = slackDigest(dg)
			}
			return d.send(ctx, c, dg.ID, TypeDigest, b)
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("digest %s to %s channel: %w", dg.ID, c.Type, err))
		}
	}
	return errors.Join(errs...)
}

func (d *Delivery) deadLetterDigest(ctx context.Context, dg Digest, reason error) error {
	if d.cfg.DeadLetters == nil || d.cfg.DLQTopic == "" {
		d.log.Error("digest not delivered and dropped", zap.String("rule_id", dg.RuleID), zap.Int("alerts", dg.Count), zap.Error(reason))
		return nil
	}
	body, err := json.Marshal(&dg)
	if err != nil {
		return fmt.Errorf("encode digest: %w", err)
	}
	msg := consumers.DeadLetter(consumers.Record{Key: []byte(dg.ID), Value: body}, d.cfg.DLQTopic, "alert-digest", reason, d.cfg.Attempts, d.cfg.Now(), consumers.DefaultMaxDeadLetterBytes)
	if err := d.cfg.DeadLetters.Write(ctx, msg); err != nil {
		d.log.Error("digest not delivered nor dead-lettered", zap.String("rule_id", dg.RuleID), zap.Error(err))
		return fmt.Errorf("dead-letter digest %s: %w", dg.ID, err)
	}
	d.log.Warn("digest dead-lettered", zap.String("rule_id", dg.RuleID), zap.Int("alerts", dg.Count), zap.Error(reason))
	return nil
}

// Slack-compatible messages: mrkdwn text, with &, < and > escaped and
// links written <url|text>.

func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func slackLink(url, text string) string {
	if url == "" {
		return "*" + slackEscape(text) + "*"
	}
	u := strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C", " ", "%20").Replace(url)
	return "<" + u + "|" + slackEscape(text) + ">"
}

func slackAlert(a Alert) []byte {
	var b strings.Builder
	title := a.Title
	if title == "" {
		title = "(untitled)"
	}
	b.WriteString("*" + slackLink(a.URL, title) + "*\n")
	b.WriteString("Alert “" + slackEscape(a.RuleName) + "”")
	if a.Source != "" {
		b.WriteString(" · " + slackEscape(a.Source))
	}
	var tags []string
	for _, e := range a.Entities {
		v := e.ID
		if e.Name != "" && e.Name != e.ID {
			v = e.Name
		}
		tags = append(tags, e.Kind+": "+v)
	}
	for _, t := range a.Terms {
		tags = append(tags, "“"+t.Text+"”")
	}
	if len(tags) > 0 {
		b.WriteString("\nMatched: " + slackEscape(strings.Join(tags, ", ")))
	}
	if a.Snippet != "" {
		b.WriteString("\n> " + slackEscape(a.Snippet))
	}
	out, _ := json.Marshal(map[string]any{"text": b.String(), "unfurl_links": false})
	return out
}

func slackDigest(dg Digest) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Alert “%s”: %d more %s since %s\n", slackEscape(dg.RuleName), dg.Count, plural(dg.Count, "article", "articles"), dg.Since.Format("15:04 MST"))
	for _, e := range dg.Alerts {
		title := e.Title
		if title == "" {
			title = "(untitled)"
		}
		b.WriteString("• " + slackLink(e.URL, title) + "\n")
	}
	if more := dg.Count - len(dg.Alerts); more > 0 {
		fmt.Fprintf(&b, "…and %d more\n", more)
	}
	out, _ := json.Marshal(map[string]any{"text": strings.TrimRight(b.String(), "\n"), "unfurl_links": false})
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
