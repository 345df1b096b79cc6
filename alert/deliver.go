package alert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"net/http"

	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/consumers"
)

// RuleSource looks rules up by id. *Service implements it.
type RuleSource interface {
	Rule(id string) (match.Rule, bool)
}

// RecordWriter writes records durably (consumers.Writer does).
type RecordWriter interface {
	Write(ctx context.Context, recs ...consumers.Record) error
}

// Defaults of DeliveryConfig.
const (
	DefaultDeliveryTimeout    = 5 * time.Second
	DefaultDeliveryAttempts   = 4
	DefaultDeliveryBackoffMin = 500 * time.Millisecond
	DefaultDeliveryBackoffMax = 10 * time.Second
	DefaultTargetConcurrency  = 4
	DefaultTargetQueue        = 1000
	DefaultSlowAfter          = time.Second
	DefaultMaxHold            = 30 * time.Second
	DefaultBreakerFailures    = 5
	DefaultBreakerCooldown    = 30 * time.Second
	DefaultFlushEvery         = time.Second
	DefaultTakeoverAfter      = 10 * time.Second
)

// DeliveryMaxInFlight is the consumers.Config MaxInFlight to run the
// delivery stage with: batches overlap, so one batch waiting (at most
// SlowAfter) for a target that has just turned slow does not hold the
// next ones; commits stay in order. Alerts are independent of each
// other, so their order across batches does not matter.
const DeliveryMaxInFlight = 8

// DeliveryConfig configures the delivery stage. Zero fields take the
// Default* constants.
type DeliveryConfig struct {
	// AllowPrivate lets webhooks reach loopback and private networks.
	AllowPrivate bool
	Timeout      time.Duration     // per HTTP attempt
	Attempts     int               // tries per target, and digest flushes before giving up
	Backoff      consumers.Backoff // between tries
	// Concurrency is how many deliveries to one target run at once, and
	// QueueSize how many may wait for it; a full queue dead-letters.
	Concurrency int
	QueueSize   int
	// SlowAfter: a target with an attempt in flight for longer is slow,
	// and batches stop waiting for its alerts (handed off, see the package
	// doc) until one of its attempts succeeds. MaxHold bounds how long a
	// batch waits for any one alert.
	SlowAfter time.Duration
	MaxHold   time.Duration
	// BreakerFailures transient failures in a row open a target's circuit
	// for BreakerCooldown; then one probe decides.
	BreakerFailures int
	BreakerCooldown time.Duration
	FlushEvery      time.Duration // how often due digests are sent
	// Throttles is the table of throttle windows and pending digests fed
	// from the alert-state topic (the follower's Once.Throttles); nil: a
	// table of this stage's own, in memory only.
	Throttles *Throttles
	// StateTopic and StateWriter, when set, receive each throttled rule's
	// record ("<rule id>/#throttle"): Process returns it in its results,
	// so it is durable before the offset commit, and the digest sender
	// writes it through StateWriter after each digest.
	StateTopic  string
	StateWriter RecordWriter
	// Ready, when set, holds Process and the digest sender until it is
	// closed: the rules and the alert-state topic written before start
	// are read. Without it a fresh process could take an alert's or a
	// digest's rule for deleted, and drop it.
	Ready <-chan struct{}
	// Owner names this process in throttle records; default: the name
	// kept in State, made once from the host name, process id and a
	// random part (so a restart on the same disk keeps it).
	Owner string
	// TakeoverAfter: a due digest whose record another process wrote is
	// sent by this one once it is overdue by TakeoverAfter and its record
	// has not changed for as long (its owner is gone: a lost pod). At
	// least 2 × FlushEvery.
	TakeoverAfter time.Duration
	// Email is the mail server for email channels; nil: email channels
	// fail (and are dead-lettered) with a clear reason.
	Email *EmailConfig
	// DeadLetters and DLQTopic, when set, receive digests that could not
	// be delivered (failed alerts go to the dead-letter topic through the
	// runner).
	DeadLetters RecordWriter
	DLQTopic    string
	Now         func() time.Time
}

// WithDefaults returns c with every zero field set to its default.
func (c DeliveryConfig) WithDefaults() DeliveryConfig {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Timeout, DefaultDeliveryTimeout)
	defInt(&c.Attempts, DefaultDeliveryAttempts)
	def(&c.Backoff.Min, DefaultDeliveryBackoffMin)
	def(&c.Backoff.Max, DefaultDeliveryBackoffMax)
	defInt(&c.Concurrency, DefaultTargetConcurrency)
	defInt(&c.QueueSize, DefaultTargetQueue)
	def(&c.SlowAfter, DefaultSlowAfter)
	def(&c.MaxHold, DefaultMaxHold)
	defInt(&c.BreakerFailures, DefaultBreakerFailures)
	def(&c.BreakerCooldown, DefaultBreakerCooldown)
	def(&c.FlushEvery, DefaultFlushEvery)
	def(&c.TakeoverAfter, max(DefaultTakeoverAfter, 2*c.FlushEvery))
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Email != nil {
		e := c.Email.WithDefaults()
		c.Email = &e
	}
	return c
}

// Validate reports every problem of a configuration with defaults
// applied.
func (c DeliveryConfig) Validate() error {
	var errs []error
	if c.Backoff.Max < c.Backoff.Min {
		errs = append(errs, fmt.Errorf("backoff max %s is below backoff min %s", c.Backoff.Max, c.Backoff.Min))
	}
	if c.SlowAfter > c.MaxHold {
		errs = append(errs, fmt.Errorf("slow-after %s is over max hold %s", c.SlowAfter, c.MaxHold))
	}
	if (c.DeadLetters == nil) != (c.DLQTopic == "") {
		errs = append(errs, errors.New("dead letters and dlq topic go together"))
	}
	if (c.StateWriter == nil) != (c.StateTopic == "") {
		errs = append(errs, errors.New("state writer and state topic go together"))
	}
	if c.TakeoverAfter < 2*c.FlushEvery {
		errs = append(errs, fmt.Errorf("takeover-after %s is under twice flush-every %s", c.TakeoverAfter, c.FlushEvery))
	}
	if c.Email != nil {
		if err := c.Email.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("delivery config: %w", errors.Join(errs...))
	}
	return nil
}

// Delivery is the stage news.alerts → webhook, Slack and email targets.
// Run it with its own consumer group and MaxInFlight =
// DeliveryMaxInFlight; see the package doc for its guarantee. Start Run
// next to its runner (digests), and call Close after the runner has
// stopped (idle target workers exit on their own; Close also ends the
// background deliveries of handed-off alerts, which are dead-lettered
// already).
type Delivery struct {
	rules  RuleSource
	st     *State
	cfg    DeliveryConfig
	client *http.Client
	mail   *mailer
	pool   *pool
	m      *Metrics
	log    *zap.Logger

	thr *Throttles

	digestMu   sync.Mutex
	digestBusy map[string]bool // rules whose digest is being sent
	unwritten  map[string]bool // rules whose last record the state writer failed to write
	legacyDone bool            // the state file's throttles of an earlier version are moved
	digestWG   sync.WaitGroup
	closeOnce  sync.Once
}

// NewDeliveryStage builds the delivery stage; m may be nil. The *Hub
// argument is ignored: the live stream is fed from the alerts topic by
// Hub.Follow, not by this stage (the parameter stays until callers stop
// passing it).
func NewDeliveryStage(rules RuleSource, st *State, _ *Hub, cfg DeliveryConfig, m *Metrics, log *zap.Logger) (*Delivery, error) {
	if rules == nil || st == nil {
		return nil, errors.New("delivery stage needs rules and state")
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Owner == "" {
		var err error
		if cfg.Owner, err = st.owner(); err != nil {
			return nil, err
		}
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	log = log.With(zap.String("component", "alert-deliver"))
	d := &Delivery{rules: rules, st: st, cfg: cfg, client: newHTTPClient(cfg.Timeout, cfg.AllowPrivate, cfg.Concurrency), m: m, log: log,
		pool: newPool(cfg, st, m, log), thr: cfg.Throttles, digestBusy: map[string]bool{}, unwritten: map[string]bool{}}
	if d.thr == nil {
		d.thr = NewThrottles()
	}
	if cfg.Email != nil {
		d.mail = newMailer(*cfg.Email)
	}
	return d, nil
}

// Close stops the target queues and waits for their workers and for
// digests being sent. Alerts handed off and not yet delivered stay in
// the dead-letter topic; Process fails (transient) after Close.
func (d *Delivery) Close() {
	d.closeOnce.Do(func() {
		d.pool.stop()
		d.digestWG.Wait()
	})
}

// pushChannel reports whether a channel type is delivered by this stage.
func pushChannel(t string) bool {
	return t == match.ChannelWebhook || t == match.ChannelSlack || t == match.ChannelEmail
}

func hasPush(r match.Rule) bool {
	return slices.ContainsFunc(r.Channels, func(c match.Channel) bool { return pushChannel(c.Type) })
}

// targetName names a channel's target for its queue and breaker: the URL,
// or the sorted recipient list. It never appears in metrics.
func targetName(c match.Channel) string {
	if c.Type == match.ChannelEmail {
		to := slices.Clone(c.To)
		slices.Sort(to)
		return strings.Join(to, ",")
	}
	return c.URL
}

// channelKey names one delivery of one event to one channel.
func channelKey(eventID string, c match.Channel) string {
	sum := sha256.Sum256([]byte(c.Type + "\x00" + targetName(c)))
	return eventID + "#" + c.Type + ":" + hex.EncodeToString(sum[:8])
}

// waiting is one job a batch waits for.
type waiting struct {
	i   int
	ch  match.Channel
	j   *job
	tgt *target
}

// Process implements consumers.Stage. It hands every push delivery of
// the batch to its target's queue and returns once each is delivered,
// failed, or handed off; a record with any channel not delivered is
// poison (dead-lettered by the runner, with the reasons).
func (d *Delivery) Process(ctx context.Context, batch []consumers.Record) ([]consumers.Result, error) {
	if d.cfg.Ready != nil {
		select {
		case <-d.cfg.Ready:
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for rules and alert state: %w", ctx.Err())
		}
	}
	res := make([]consumers.Result, len(batch))
	var waits []waiting
	throttled := map[string][]int{} // rule → its alerts in the batch
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
		if !hasPush(rule) {
			continue
		}
		if rule.ThrottleDuration() > 0 {
			throttled[rule.ID] = append(throttled[rule.ID], i)
		}
		if !d.decide(rule, a) {
			continue
		}
		for _, c := range rule.Channels {
			if !pushChannel(c.Type) {
				continue
			}
			key := channelKey(a.ID, c)
			done, err := d.st.delivered(key)
			if err != nil {
				return nil, err
			}
			if done {
				continue
			}
			j, tgt := d.pool.submit(c.Type, targetName(c), &job{key: key, id: a.ID, kind: c.Type, send: d.alertSender(c, a, msg.Value)})
			waits = append(waits, waiting{i: i, ch: c, j: j, tgt: tgt})
		}
	}
	if len(waits) == 0 {
		return res, d.throttleRecords(res, throttled)
	}
	hold, cancel := context.WithTimeout(context.Background(), d.cfg.MaxHold)
	defer cancel()
	failed := map[int][]error{}
	for _, w := range waits {
		err := waitJob(ctx, w.j, w.tgt, hold.Done())
		switch {
		case err == nil:
		case errors.Is(err, errStopping):
			return nil, fmt.Errorf("deliver alerts: %w", err)
		case ctx.Err() != nil:
			return nil, fmt.Errorf("deliver alerts: %w", ctx.Err())
		default:
			if errors.Is(err, ErrHandedOff) {
				d.m.deliveries.WithLabelValues(w.ch.Type, "handed_off").Inc()
				err = fmt.Errorf("%w: no outcome within %s; delivery goes on in the background and a replay skips it once made", err, min(d.cfg.SlowAfter, d.cfg.MaxHold))
			}
			failed[w.i] = append(failed[w.i], fmt.Errorf("%s channel: %w", w.ch.Type, err))
		}
	}
	for i, errs := range failed {
		res[i].Err = fmt.Errorf("%w: deliver alert: %w", consumers.ErrPoison, errors.Join(errs...))
	}
	return res, d.throttleRecords(res, throttled)
}

// throttleRecords adds, for each throttled rule of the batch, the rule's
// current throttle record to the result of its last alert that is not
// poison (a poison result's outputs are not written), so the batch's
// decisions are durable before its commit. The current record covers
// every decision made so far, this batch's included; records of batches
// in flight at once may land in any order, and readers keep the highest
// seq.
func (d *Delivery) throttleRecords(res []consumers.Result, throttled map[string][]int) error {
	if d.cfg.StateTopic == "" {
		return nil
	}
	for ruleID, idx := range throttled {
		last := -1
		for _, i := range idx {
			if res[i].Err == nil {
				last = i
			}
		}
		if last < 0 {
			continue // every alert of the rule is dead-lettered: a replay decides again
		}
		rec, ok := d.thr.get(ruleID)
		if !ok {
			continue
		}
		v, err := rec.encode()
		if err != nil {
			return err
		}
		res[last].Out = append(res[last].Out, consumers.Record{Topic: d.cfg.StateTopic, Key: []byte(throttleKey(ruleID)), Value: v})
	}
	return nil
}

// alertSender returns one attempt of delivering alert a to channel c.
func (d *Delivery) alertSender(c match.Channel, a Alert, raw []byte) func(context.Context) error {
	switch c.Type {
	case match.ChannelSlack:
		body := slackAlert(a)
		return func(ctx context.Context) error { return post(ctx, d.client, c.URL, body, nil) }
	case match.ChannelEmail:
		return func(ctx context.Context) error { return d.sendMail(ctx, c.To, alertMail(a)) }
	default:
		headers := map[string]string{HeaderDelivery: a.ID, HeaderEvent: TypeAlert}
		if c.Secret != "" {
			headers[HeaderSignature] = Sign(c.Secret, raw)
		}
		return func(ctx context.Context) error { return post(ctx, d.client, c.URL, raw, headers) }
	}
}

func (d *Delivery) sendMail(ctx context.Context, to []string, msg mailMessage) error {
	if d.mail == nil {
		return &permanentError{errors.New("no mail server configured for email channels")}
	}
	return d.mail.send(ctx, to, msg)
}

// decide applies the rule's throttle: it reports whether to push the
// alert now, or holds it for the next digest. It works on the rule's
// record in Throttles (as read from the alert-state topic, and as this
// process changed it since); Process returns the record in its results.
// A re-read alert is not held twice (the record lists it, pending or in
// the last digest), and the alert that opened the period is pushed again
// (the per-channel delivered keys skip what was made).
func (d *Delivery) decide(rule match.Rule, a Alert) bool {
	thr := rule.ThrottleDuration()
	if thr <= 0 {
		return true
	}
	now := d.cfg.Now()
	send, held := false, false
	d.thr.update(rule.ID, d.cfg.Owner, now, func(r *throttleRecord) bool {
		switch {
		case r.holds(a.ID):
			return false
		case r.Opened == a.ID:
			send = true
			return false
		case !r.pending() && (r.LastSent.IsZero() || !now.Before(r.LastSent.Add(thr))):
			r.LastSent, r.Opened, r.Listed = now.UTC(), a.ID, nil
			send = true
			return true
		}
		if len(r.Pending) < maxDigestEntries {
			r.Pending = append(r.Pending, DigestEntry{ID: a.ID, ArticleID: a.ArticleID, Title: a.Title, URL: a.URL, Published: a.Published, At: a.At})
		} else {
			r.More++
		}
		held = true
		return true
	})
	if held {
		d.m.suppressed.Inc()
	}
	return send
}

// Run sends due digests every FlushEvery until ctx is done, each rule's
// on its own so that a slow target delays no other rule's digest. It
// leaves the target queues running, so that the runner's last batches
// can finish during shutdown; call Close once the runner has stopped.
func (d *Delivery) Run(ctx context.Context) error {
	t := time.NewTicker(d.cfg.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := d.flush(ctx, false); err != nil && ctx.Err() == nil {
				d.log.Warn("read digest state", zap.Error(err))
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
// ended and that this process owns (it wrote the rule's latest throttle
// record) or takes over (overdue by TakeoverAfter, see DeliveryConfig),
// and waits for them. A digest that fails Attempts flushes in a row goes
// to the dead-letter topic when one is configured, else it is logged and
// dropped.
func (d *Delivery) FlushDigests(ctx context.Context) error { return d.flush(ctx, true) }

func (d *Delivery) flush(ctx context.Context, wait bool) error {
	if d.cfg.Ready != nil {
		select {
		case <-d.cfg.Ready:
		default:
			return nil // the rules or the alert-state topic are not read yet
		}
	}
	d.adoptLegacy(ctx)
	d.rewrite(ctx)
	now := d.cfg.Now()
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for ruleID, rec := range d.thr.snapshot() {
		rule, ok := d.rules.Rule(ruleID)
		mine := rec.Owner == d.cfg.Owner
		if !rec.pending() {
			// A deleted rule's idle record: forget it (its owner, or
			// anyone once the owner is quiet for the grace).
			if !ok && (mine || now.Sub(rec.Updated) >= d.cfg.TakeoverAfter) && d.thr.remove(ruleID, rec.Seq) {
				d.writeRecord(ctx, ruleID, nil)
			}
			continue
		}
		due := rec.LastSent
		if ok && hasPush(rule) {
			due = rec.LastSent.Add(max(0, rule.ThrottleDuration()))
		}
		if now.Before(due) {
			continue
		}
		// Another process's digest is its owner's to send, unless the
		// owner is gone.
		if !mine && (now.Sub(due) < d.cfg.TakeoverAfter || now.Sub(rec.Updated) < d.cfg.TakeoverAfter) {
			continue
		}
		d.digestMu.Lock()
		busy := d.digestBusy[ruleID]
		d.digestBusy[ruleID] = true
		d.digestMu.Unlock()
		if busy {
			continue
		}
		if !mine {
			d.m.takeovers.Inc()
			d.log.Info("digest taken over", zap.String("rule_id", ruleID), zap.String("owner", rec.Owner),
				zap.Duration("overdue", now.Sub(due)), zap.Int("alerts", len(rec.Pending)+rec.More))
		}
		d.digestWG.Add(1)
		wg.Go(func() {
			defer d.digestWG.Done()
			defer func() { d.digestMu.Lock(); delete(d.digestBusy, ruleID); d.digestMu.Unlock() }()
			if err := d.flushRule(ctx, ruleID, rule, ok, rec, now); err != nil {
				if !wait {
					d.log.Warn("digest flush failed", zap.String("rule_id", ruleID), zap.Error(err))
					return
				}
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	if wait {
		wg.Wait()
	}
	return errors.Join(errs...)
}

// flushRule sends the digest of snap, the rule's record when the flush
// began, and records the outcome: a new period with what was held
// meanwhile, or one more failure.
func (d *Delivery) flushRule(ctx context.Context, ruleID string, rule match.Rule, ok bool, snap throttleRecord, now time.Time) error {
	dg := Digest{Schema: EventSchema, Type: TypeDigest, ID: digestID(ruleID, snap.LastSent),
		RuleID: ruleID, RuleName: rule.Name, Count: len(snap.Pending) + snap.More, Alerts: snap.Pending, Since: snap.LastSent.UTC(), At: now.UTC()}
	var sendErr error
	if !ok || !hasPush(rule) {
		d.log.Info("digest dropped: rule gone or without push channels", zap.String("rule_id", ruleID), zap.Int("alerts", dg.Count))
	} else {
		sendErr = d.sendDigest(ctx, rule, dg)
	}
	if ctx.Err() != nil || errors.Is(sendErr, errStopping) {
		return nil // the digest stays pending, for this process or the next owner
	}
	sent := len(snap.Pending)
	giveUp, stale := false, false
	rec := d.thr.update(ruleID, d.cfg.Owner, now, func(r *throttleRecord) bool {
		if !r.LastSent.Equal(snap.LastSent) {
			stale = true // another process sent this digest meanwhile and opened a new period
			return false
		}
		if sendErr != nil {
			r.Failures++
			if r.Failures < d.cfg.Attempts {
				return true
			}
			giveUp = true
		}
		// Drop what this digest listed; alerts held meanwhile stay.
		n := min(sent, len(r.Pending))
		listed := make([]string, n)
		for i, e := range r.Pending[:n] {
			listed[i] = e.ID
		}
		r.Pending = slices.Clone(r.Pending[n:])
		r.More = max(0, r.More-snap.More)
		r.Failures = 0
		r.LastSent, r.Opened, r.Listed = now.UTC(), "", listed
		return true
	})
	if stale {
		return nil
	}
	// The digest is out: record it even if shutdown has begun, or the next
	// owner sends it again.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stateWriteTimeout)
	defer cancel()
	if !ok && !rec.pending() && d.thr.remove(ruleID, rec.Seq) {
		d.writeRecord(wctx, ruleID, nil) // the rule is gone: forget its throttle
	} else {
		d.writeRecord(wctx, ruleID, &rec)
	}
	switch {
	case sendErr == nil:
		d.m.digests.WithLabelValues("sent").Inc()
		return nil
	case giveUp:
		d.m.digests.WithLabelValues("failed").Inc()
		return d.deadLetterDigest(ctx, dg, sendErr)
	default:
		return sendErr
	}
}

// stateWriteTimeout bounds the write of a throttle record after a digest.
const stateWriteTimeout = 10 * time.Second

// digestID is the delivery id of a rule's digest of the period that
// began at start: any process that sends that digest sends the same id.
func digestID(ruleID string, start time.Time) string {
	return ruleID + "/digest/" + strconv.FormatInt(start.UnixNano(), 10)
}

// writeRecord writes a rule's throttle record (nil: a tombstone) to the
// alert-state topic. A failed write is logged and tried again on the next
// flush: until then, a process that takes the rule over works from the
// previous record, and at worst sends this digest again, with its id.
func (d *Delivery) writeRecord(ctx context.Context, ruleID string, rec *throttleRecord) {
	if d.cfg.StateWriter == nil {
		return
	}
	var v []byte
	if rec != nil {
		var err error
		if v, err = rec.encode(); err != nil {
			d.log.Error("throttle record not written", zap.String("rule_id", ruleID), zap.Error(err))
			return
		}
	}
	err := d.cfg.StateWriter.Write(ctx, consumers.Record{Topic: d.cfg.StateTopic, Key: []byte(throttleKey(ruleID)), Value: v})
	d.digestMu.Lock()
	defer d.digestMu.Unlock()
	if err != nil {
		d.unwritten[ruleID] = true
		d.log.Warn("throttle record not written, will retry", zap.String("rule_id", ruleID), zap.Error(err))
		return
	}
	delete(d.unwritten, ruleID)
}

// rewrite writes the current records of the rules whose last write
// failed.
func (d *Delivery) rewrite(ctx context.Context) {
	d.digestMu.Lock()
	rules := make([]string, 0, len(d.unwritten))
	for r := range d.unwritten {
		rules = append(rules, r)
	}
	d.digestMu.Unlock()
	for _, ruleID := range rules {
		if rec, ok := d.thr.get(ruleID); ok {
			d.writeRecord(ctx, ruleID, &rec)
		} else {
			d.writeRecord(ctx, ruleID, nil)
		}
	}
}

// adoptLegacy moves, once, the pending digests an earlier version kept in
// the state file into the throttle records, so an upgrade loses none.
func (d *Delivery) adoptLegacy(ctx context.Context) {
	d.digestMu.Lock()
	done := d.legacyDone
	d.digestMu.Unlock()
	if done {
		return
	}
	legacy, err := d.st.legacyThrottles()
	if err != nil {
		d.log.Warn("legacy throttle state not read", zap.Error(err))
		return
	}
	now := d.cfg.Now()
	for ruleID, old := range legacy {
		rec := d.thr.update(ruleID, d.cfg.Owner, now, func(r *throttleRecord) bool {
			changed := false
			for _, e := range old.Pending {
				if !r.holds(e.ID) && len(r.Pending) < maxDigestEntries {
					r.Pending = append(r.Pending, e)
					changed = true
				}
			}
			if old.More > 0 {
				r.More += old.More
				changed = true
			}
			if changed && r.LastSent.IsZero() {
				r.LastSent = old.LastSent.UTC()
			}
			return changed
		})
		d.writeRecord(ctx, ruleID, &rec)
	}
	d.digestMu.Lock()
	failed := len(d.unwritten) > 0
	d.digestMu.Unlock()
	if failed {
		return // the rewrite of the next flush carries them; drop the file's copy after
	}
	if err := d.st.dropLegacyThrottles(); err != nil {
		d.log.Warn("legacy throttle state not dropped", zap.Error(err))
		return
	}
	if len(legacy) > 0 {
		d.log.Info("pending digests moved from the state file to the alert-state topic", zap.Int("rules", len(legacy)))
	}
	d.digestMu.Lock()
	d.legacyDone = true
	d.digestMu.Unlock()
}

// sendDigest delivers one digest to every push channel of its rule,
// through the channels' target queues, and waits for the outcomes.
func (d *Delivery) sendDigest(ctx context.Context, rule match.Rule, dg Digest) error {
	body, err := json.Marshal(&dg)
	if err != nil {
		return fmt.Errorf("encode digest: %w", err)
	}
	var waits []waiting
	for _, c := range rule.Channels {
		if !pushChannel(c.Type) {
			continue
		}
		key := channelKey(dg.ID, c)
		done, err := d.st.delivered(key)
		if err != nil {
			return err
		}
		if done {
			continue
		}
		j, tgt := d.pool.submit(c.Type, targetName(c), &job{key: key, id: dg.ID, kind: c.Type, send: d.digestSender(c, dg, body)})
		waits = append(waits, waiting{ch: c, j: j, tgt: tgt})
	}
	var errs []error
	for _, w := range waits {
		select {
		case <-w.j.finished:
		case <-ctx.Done():
			return ctx.Err()
		}
		if w.j.err != nil {
			errs = append(errs, fmt.Errorf("digest %s to %s channel: %w", dg.ID, w.ch.Type, w.j.err))
		}
	}
	return errors.Join(errs...)
}

func (d *Delivery) digestSender(c match.Channel, dg Digest, raw []byte) func(context.Context) error {
	switch c.Type {
	case match.ChannelSlack:
		body := slackDigest(dg)
		return func(ctx context.Context) error { return post(ctx, d.client, c.URL, body, nil) }
	case match.ChannelEmail:
		return func(ctx context.Context) error { return d.sendMail(ctx, c.To, digestMail(dg)) }
	default:
		headers := map[string]string{HeaderDelivery: dg.ID, HeaderEvent: TypeDigest}
		if c.Secret != "" {
			headers[HeaderSignature] = Sign(c.Secret, raw)
		}
		return func(ctx context.Context) error { return post(ctx, d.client, c.URL, raw, headers) }
	}
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
