package alert

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Outcomes of a delivery that did not reach its target. Each is the
// reason a dead-lettered alert carries.
var (
	// ErrCircuitOpen: the target failed too often in a row; its alerts go
	// straight to the dead-letter topic until a probe succeeds.
	ErrCircuitOpen = errors.New("circuit open")
	// ErrQueueFull: the target's queue is full.
	ErrQueueFull = errors.New("target queue full")
	// ErrHandedOff: the target is slow (an attempt has been waiting longer
	// than SlowAfter) or the alert waited longer than MaxHold; the batch
	// stops waiting for it, its dead-letter copy is the durable record,
	// and the delivery goes on in the background.
	ErrHandedOff = errors.New("target slow: handed off")
	// errStopping: the delivery is shutting down; the batch is redone.
	errStopping = errors.New("delivery stopping")
)

// job is one message to one target: an alert or a digest to one
// channel. Several waiters may wait on it (a redelivered record finds the
// job of its first delivery still in flight).
type job struct {
	key  string // the delivery record in State ("<event id>#<channel>")
	id   string // event id, for logs
	kind string // channel type
	send func(ctx context.Context) error

	finished chan struct{} // closed when err is set
	err      error
}

// breaker states, also the "state" label of the targets gauge.
const (
	stateClosed   = "closed"
	stateOpen     = "open"
	stateHalfOpen = "half_open"
)

// target is one destination (a webhook URL, a Slack URL, an email
// recipient list) with its own bounded queue, concurrency limit, circuit
// breaker and slowness signal.
type target struct {
	kind, name string

	mu       sync.Mutex
	queue    []*job // FIFO, at most QueueSize; allocated as it grows
	active   int    // workers running
	state    string
	fails    int // consecutive transient failures
	openedAt time.Time
	probing  bool
	lastErr  error
	slow     bool
	slowCh   chan struct{} // closed while slow
	inflight map[*job]time.Time
}

// pool routes jobs to their targets and runs each target's workers.
type pool struct {
	cfg   DeliveryConfig
	m     *Metrics
	log   *zap.Logger
	state *State

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	targets map[string]*target
	jobs    map[string]*job // by key, while in flight
	stopped bool
}

func newPool(cfg DeliveryConfig, st *State, m *Metrics, log *zap.Logger) *pool {
	ctx, cancel := context.WithCancel(context.Background())
	return &pool{cfg: cfg, m: m, log: log, state: st, ctx: ctx, cancel: cancel,
		targets: map[string]*target{}, jobs: map[string]*job{}}
}

// stop fails queued jobs with errStopping, cancels attempts in flight and
// waits for every worker.
func (p *pool) stop() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
}

func (p *pool) target(kind, name string) *target {
	k := kind + " " + name
	t := p.targets[k]
	if t == nil {
		t = &target{kind: kind, name: name, state: stateClosed,
			slowCh: make(chan struct{}), inflight: map[*job]time.Time{}}
		p.targets[k] = t
		p.m.targets.WithLabelValues(kind, stateClosed).Inc()
	}
	return t
}

// submit queues j on its target, or joins the job with the same key
// already in flight. It returns the job to wait on and the target.
func (p *pool) submit(kind, name string, j *job) (*job, *target) {
	p.mu.Lock()
	t := p.target(kind, name)
	if cur := p.jobs[j.key]; cur != nil {
		p.mu.Unlock()
		return cur, t
	}
	if p.stopped {
		p.mu.Unlock()
		j.finish(errStopping)
		return j, t
	}
	j.finished = make(chan struct{})
	p.jobs[j.key] = j
	p.mu.Unlock()

	if ok, err := t.allow(p, time.Now(), false); !ok {
		p.m.deliveries.WithLabelValues(kind, "short_circuited").Inc()
		p.done(j, err)
		return j, t
	}
	t.mu.Lock()
	if len(t.queue) >= p.cfg.QueueSize {
		t.mu.Unlock()
		p.m.deliveries.WithLabelValues(kind, "queue_full").Inc()
		p.done(j, fmt.Errorf("%w (%d alerts waiting)", ErrQueueFull, p.cfg.QueueSize))
		return j, t
	}
	t.queue = append(t.queue, j)
	p.m.queued.WithLabelValues(kind).Inc()
	if t.active < p.cfg.Concurrency {
		t.active++
		p.wg.Go(func() { p.work(t) })
	}
	t.mu.Unlock()
	return j, t
}

func (j *job) finish(err error) {
	if j.finished == nil {
		j.finished = make(chan struct{})
	}
	j.err = err
	close(j.finished)
}

// done ends a job: it leaves the in-flight set and its waiters wake.
func (p *pool) done(j *job, err error) {
	p.mu.Lock()
	if p.jobs[j.key] == j {
		delete(p.jobs, j.key)
	}
	p.mu.Unlock()
	j.err = err
	close(j.finished)
}

// work drains the target's queue, then exits.
func (p *pool) work(t *target) {
	for {
		t.mu.Lock()
		if len(t.queue) == 0 {
			t.active--
			t.queue = nil // an idle target keeps no buffer
			t.mu.Unlock()
			return
		}
		j := t.queue[0]
		t.queue[0] = nil
		t.queue = t.queue[1:]
		t.mu.Unlock()
		p.m.queued.WithLabelValues(t.kind).Dec()
		p.done(j, p.run(t, j))
	}
}

// run tries j up to Attempts times with backoff, through the breaker,
// and records the delivery in State once made.
func (p *pool) run(t *target, j *job) error {
	for attempt := 1; ; attempt++ {
		if p.ctx.Err() != nil {
			return errStopping
		}
		if ok, err := t.allow(p, time.Now(), true); !ok {
			p.m.deliveries.WithLabelValues(t.kind, "short_circuited").Inc()
			return err
		}
		start := time.Now()
		t.begin(p, j, start)
		err := j.send(p.ctx)
		t.end(p, j, err)
		p.m.attemptSeconds.WithLabelValues(t.kind).Observe(time.Since(start).Seconds())
		if err == nil {
			p.m.deliveries.WithLabelValues(t.kind, "ok").Inc()
			if err := p.state.markDelivered(j.key, p.cfg.Now()); err != nil {
				// Delivered but not recorded: a redelivery repeats it, and
				// the receiver drops the repeat by its delivery id.
				p.log.Warn("delivery made but not recorded", zap.String("event_id", j.id), zap.Error(err))
			}
			return nil
		}
		if p.ctx.Err() != nil {
			return errStopping
		}
		var pe *permanentError
		permanent := errors.As(err, &pe)
		if permanent || attempt >= p.cfg.Attempts {
			p.m.deliveries.WithLabelValues(t.kind, "failed").Inc()
			p.log.Warn("delivery failed", zap.String("channel", t.kind), zap.String("event_id", j.id),
				zap.Int("attempts", attempt), zap.Bool("permanent", permanent), zap.Error(err))
			return fmt.Errorf("after %d tries: %w", attempt, err)
		}
		p.m.deliveries.WithLabelValues(t.kind, "retry").Inc()
		if !p.cfg.Backoff.Sleep(p.ctx, attempt) {
			return errStopping
		}
	}
}

// permanentError marks a failure a retry cannot fix (a 4xx answer, a
// refused target, an address the mail server rejects). It does not count
// against the target's breaker: the target answered.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// allow asks the breaker for one attempt. When open, it admits one probe
// once the cooldown has passed (probe is true only for real attempts:
// admission to the queue never starts a probe).
func (t *target) allow(p *pool, now time.Time, probe bool) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch t.state {
	case stateClosed:
		return true, nil
	case stateOpen:
		if now.Sub(t.openedAt) < p.cfg.BreakerCooldown {
			return false, fmt.Errorf("%w for %s: %w", ErrCircuitOpen, time.Until(t.openedAt.Add(p.cfg.BreakerCooldown)).Round(time.Second), t.lastErr)
		}
		if !probe {
			return true, nil // queued; the worker probes
		}
		t.setState(p, stateHalfOpen)
		t.probing = true
		return true, nil
	default: // half open: one probe at a time
		if !probe {
			return true, nil
		}
		if t.probing {
			return false, fmt.Errorf("%w (probe in flight): %w", ErrCircuitOpen, t.lastErr)
		}
		t.probing = true
		return true, nil
	}
}

func (t *target) setState(p *pool, s string) {
	if t.state == s {
		return
	}
	p.m.targets.WithLabelValues(t.kind, t.state).Dec()
	p.m.targets.WithLabelValues(t.kind, s).Inc()
	t.state = s
}

// begin notes an attempt in flight; if it is still in flight after
// SlowAfter, the target turns slow.
func (t *target) begin(p *pool, j *job, at time.Time) {
	t.mu.Lock()
	t.inflight[j] = at
	t.mu.Unlock()
	time.AfterFunc(p.cfg.SlowAfter, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if s, ok := t.inflight[j]; ok && s.Equal(at) && !t.slow {
			t.slow = true
			close(t.slowCh)
			p.m.slowTargets.WithLabelValues(t.kind).Inc()
		}
	})
}

// end records an attempt's outcome in the breaker and the slowness
// signal: a success closes the breaker and clears slowness; a transient
// failure counts towards opening it.
func (t *target) end(p *pool, j *job, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.inflight, j)
	t.probing = false
	var pe *permanentError
	switch {
	case err == nil || errors.As(err, &pe):
		t.fails = 0
		t.setState(p, stateClosed)
		if t.slow && err == nil {
			t.slow = false
			t.slowCh = make(chan struct{})
			p.m.slowTargets.WithLabelValues(t.kind).Dec()
		}
	case p.ctx.Err() != nil:
		// shutting down: not the target's fault
	default:
		t.fails++
		t.lastErr = err
		if t.state == stateHalfOpen || t.fails >= p.cfg.BreakerFailures {
			if t.state != stateOpen {
				p.log.Warn("circuit opened", zap.String("channel", t.kind), zap.Int("failures", t.fails), zap.Error(err))
			}
			t.setState(p, stateOpen)
			t.openedAt = time.Now()
		}
	}
}

// slowSignal is closed while the target is slow.
func (t *target) slowSignal() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.slowCh
}

// waitJob waits for j's outcome: delivered (nil), failed (the reason),
// or handed off because the target turned slow or hold passed.
func waitJob(ctx context.Context, j *job, t *target, hold <-chan struct{}) error {
	select {
	case <-j.finished:
		return j.err
	default:
	}
	select {
	case <-j.finished:
		return j.err
	case <-t.slowSignal():
		return ErrHandedOff
	case <-hold:
		return ErrHandedOff
	case <-ctx.Done():
		return ctx.Err()
	}
}
