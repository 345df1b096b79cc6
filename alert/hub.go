package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/consumers"
)

// Defaults of HubConfig.
const (
	DefaultHubSize         = 1024
	DefaultHubHeartbeat    = 15 * time.Second
	DefaultHubClientBuf    = 256
	DefaultHubWriteTimeout = 10 * time.Second
	// MaxStreamRules bounds the ?rule= filters of one client.
	MaxStreamRules = 50
)

// HubConfig configures a Hub. Zero fields take the defaults.
type HubConfig struct {
	Size      int           // recent events kept for Last-Event-ID resume
	Heartbeat time.Duration // comment line sent to idle clients
	// ClientBuf is how many events may wait for one client; a client that
	// falls further behind is cut off (it reconnects and resumes).
	ClientBuf int
	// WriteTimeout bounds one write to a client; a client that does not
	// read for that long is cut off.
	WriteTimeout time.Duration
	// History, when set, is fed every alert the hub reads (the rules'
	// recent alerts, GET /api/v1/alerts/rules/{id}/history).
	History *History
}

// Hub is the live alert stream for browsers: Server-Sent Events at
// GET /api/v1/alerts/stream, fed from the alerts topic by Follow. Every
// serve process follows the whole topic, so any of them can serve any
// client and resume it.
//
// Wire format. After a "retry: 3000" line, each alert is one event:
//
//	id: <partition>:<offset>[,<partition>:<offset>…]
//	event: alert
//	data: <the Alert JSON, one line>
//
// The id is the client's position in the alerts topic: for every
// partition, the offset of the last record this client has been sent or
// has filtered out, sorted by partition. A reconnecting browser sends it
// back as Last-Event-ID (or a client passes ?lastEventId=), and any serve
// resumes after it from its ring of the last Size events, so nothing is
// repeated and nothing is skipped. A single "<partition>:<offset>" (the
// form of one event) is accepted too; partitions it does not name are
// then sent from the start of the ring.
//
// When the ring does not reach back to the position asked for (the
// events were evicted, or this serve started later), the stream says so
// before anything else, with an event the page must show as "some alerts
// may be missing; see the rule's history":
//
//	event: gap
//	data: {"partitions":[{"partition":2,"after":57,"held_from":90}]}
//
// held_from is the first offset the ring holds for that partition, or -1
// when this serve has read nothing of it since it started. ?rule=ID
// (repeatable) limits the stream to those rules. Idle streams get a
// ": keep-alive" comment every Heartbeat. A client that falls ClientBuf
// events behind, or whose write takes longer than WriteTimeout, is cut
// off and never holds up the others, Follow or Close.
type Hub struct {
	cfg HubConfig
	log *zap.Logger
	m   *Metrics

	mu     sync.Mutex
	ring   []hubEvent // circular, oldest at head
	head   int
	pos    map[int]int64 // last offset read per partition
	floor  map[int]int64 // the ring holds every event of p from floor[p]
	subs   map[*streamClient]struct{}
	ready  chan struct{} // closed once Follow has caught up
	closed bool
	done   chan struct{}
	wg     sync.WaitGroup
}

type hubEvent struct {
	part int
	off  int64
	typ  string
	rule string
	data []byte
	skip bool // position only: filtered out for this client
}

// NewHub builds a hub. m may be nil.
func NewHub(cfg HubConfig, m *Metrics, log *zap.Logger) *Hub {
	if cfg.Size <= 0 {
		cfg.Size = DefaultHubSize
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHubHeartbeat
	}
	if cfg.ClientBuf <= 0 {
		cfg.ClientBuf = DefaultHubClientBuf
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultHubWriteTimeout
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	return &Hub{cfg: cfg, m: m, log: log.With(zap.String("component", "alert-stream")),
		pos: map[int]int64{}, floor: map[int]int64{}, subs: map[*streamClient]struct{}{}, done: make(chan struct{}), ready: closedChan()}
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// Follow feeds the hub from t, a tailer of the alerts topic (group-less,
// every partition), until ctx ends. Records that are not alerts are
// skipped. Until t has caught up with the records written before it
// started, stream requests wait (so a new client is not sent old alerts
// as new, and a resuming client gets its whole backlog). Call it once,
// before serving streams.
func (h *Hub) Follow(ctx context.Context, t *consumers.Tailer) error {
	ready := make(chan struct{})
	h.mu.Lock()
	h.ready = ready
	h.mu.Unlock()
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Go(func() {
		select {
		case <-t.CaughtUp():
			close(ready)
		case <-ctx.Done():
		}
	})
	err := t.Run(ctx, func(r consumers.Record) error {
		h.publishRecord(r)
		return nil
	})
	if err != nil {
		return fmt.Errorf("follow alerts: %w", err)
	}
	return nil
}

// publishRecord publishes one record of the alerts topic.
func (h *Hub) publishRecord(r consumers.Record) {
	var head struct {
		Type   string `json:"type"`
		RuleID string `json:"rule_id"`
	}
	if err := json.Unmarshal(r.Value, &head); err != nil || head.Type != TypeAlert {
		h.log.Debug("not an alert record, skipped", zap.Int("partition", r.Partition), zap.Int64("offset", r.Offset))
		return
	}
	if h.cfg.History != nil {
		h.cfg.History.addRecord(r.Value, r.Partition, r.Offset)
	}
	data := r.Value
	if bytes.ContainsAny(data, "\r\n") {
		var buf bytes.Buffer
		if json.Compact(&buf, data) != nil {
			return
		}
		data = buf.Bytes()
	}
	h.publish(hubEvent{part: r.Partition, off: r.Offset, typ: TypeAlert, rule: head.RuleID, data: data})
}

// publish adds one event to the ring and hands it to every client. It
// never blocks: a client whose buffer is full is cut off.
func (h *Hub) publish(ev hubEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	if last, ok := h.pos[ev.part]; ok && ev.off <= last {
		return // read again after a reader retry
	}
	h.m.streamEvents.Inc()
	if len(h.ring) < h.cfg.Size {
		h.ring = append(h.ring, ev)
	} else {
		old := h.ring[h.head]
		h.floor[old.part] = max(h.floor[old.part], old.off+1)
		h.ring[h.head] = ev
		h.head = (h.head + 1) % len(h.ring)
	}
	if _, ok := h.floor[ev.part]; !ok {
		h.floor[ev.part] = ev.off
	}
	h.pos[ev.part] = ev.off
	for c := range h.subs {
		e := ev
		e.skip = !c.wants(ev.rule)
		select {
		case c.ch <- e:
		default:
			h.m.streamDropped.WithLabelValues("slow").Inc()
			h.dropLocked(c)
		}
	}
}

// Close ends every stream and refuses new ones; it returns once every
// stream handler has returned, which a client that stopped reading
// cannot delay (its write is cut at once). Call it before shutting the
// HTTP server down (streams never go idle on their own).
func (h *Hub) Close() {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.done)
		for c := range h.subs {
			h.dropLocked(c)
		}
	}
	h.mu.Unlock()
	h.wg.Wait()
}

// streamClient is one connected stream.
type streamClient struct {
	ch    chan hubEvent
	rules []string // nil: all

	mu   sync.Mutex
	dead bool
	rc   *http.ResponseController
}

func (c *streamClient) wants(rule string) bool {
	return c.rules == nil || slices.Contains(c.rules, rule)
}

// cut marks the client dead and fails its pending write at once.
func (c *streamClient) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dead {
		c.dead = true
		_ = c.rc.SetWriteDeadline(time.Now())
	}
}

// arm sets the deadline of the next write; false when the client is cut.
func (c *streamClient) arm(d time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return false
	}
	_ = c.rc.SetWriteDeadline(time.Now().Add(d))
	return true
}

func (h *Hub) dropLocked(c *streamClient) {
	if _, ok := h.subs[c]; ok {
		delete(h.subs, c)
		close(c.ch)
	}
	c.cut()
}

// gapPart is one partition of a gap event.
type gapPart struct {
	Partition int   `json:"partition"`
	After     int64 `json:"after"`     // the client's last offset
	HeldFrom  int64 `json:"held_from"` // first offset held, -1 unknown
}

// subscribe registers a client resuming after pos (nil: a new client,
// who gets only new events) and returns its backlog, the gaps, and the
// starting position.
func (h *Hub) subscribe(c *streamClient, pos map[int]int64) ([]hubEvent, []gapPart, map[int]int64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, nil, nil, false
	}
	var backlog []hubEvent
	var gaps []gapPart
	start := map[int]int64{}
	if pos == nil {
		for p, o := range h.pos {
			start[p] = o
		}
	} else {
		for p, o := range pos {
			f, ok := h.floor[p]
			switch {
			case !ok:
				gaps = append(gaps, gapPart{Partition: p, After: o, HeldFrom: -1})
				continue // no position: everything read later is new to it
			case o+1 < f:
				gaps = append(gaps, gapPart{Partition: p, After: o, HeldFrom: f})
			}
			start[p] = o
		}
		sort.Slice(gaps, func(i, j int) bool { return gaps[i].Partition < gaps[j].Partition })
		for i := range h.ring {
			ev := h.ring[(h.head+i)%len(h.ring)]
			if o, ok := start[ev.part]; ok && ev.off <= o {
				continue
			}
			ev.skip = !c.wants(ev.rule)
			backlog = append(backlog, ev)
		}
	}
	h.subs[c] = struct{}{}
	h.wg.Add(1)
	return backlog, gaps, start, true
}

func (h *Hub) unsubscribe(c *streamClient) {
	h.mu.Lock()
	if _, ok := h.subs[c]; ok {
		delete(h.subs, c)
		close(c.ch)
	}
	h.mu.Unlock()
}

// parsePosition reads a Last-Event-ID: "p:o" pairs joined by commas.
func parsePosition(s string) (map[int]int64, error) {
	pos := map[int]int64{}
	for item := range strings.SplitSeq(strings.TrimSpace(s), ",") {
		ps, os, ok := strings.Cut(strings.TrimSpace(item), ":")
		p, err1 := strconv.Atoi(ps)
		o, err2 := strconv.ParseInt(os, 10, 64)
		if !ok || err1 != nil || err2 != nil || p < 0 || o < 0 {
			return nil, fmt.Errorf("%q is not <partition>:<offset>", item)
		}
		pos[p] = o
	}
	if len(pos) > 10000 {
		return nil, errors.New("too many partitions")
	}
	return pos, nil
}

func formatPosition(pos map[int]int64) string {
	parts := make([]int, 0, len(pos))
	for p := range pos {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(p) + ":" + strconv.FormatInt(pos[p], 10))
	}
	return b.String()
}

// ServeHTTP streams events (see the Hub doc for the wire format).
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var pos map[int]int64
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = q.Get("lastEventId")
	}
	if strings.TrimSpace(last) != "" {
		var err error
		if pos, err = parsePosition(last); err != nil {
			http.Error(w, "Last-Event-ID: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	var rules []string
	for _, id := range q["rule"] {
		if id = strings.TrimSpace(id); id == "" || slices.Contains(rules, id) {
			continue
		}
		if len(id) > match.MaxRuleIDLen {
			http.Error(w, "rule: id longer than "+strconv.Itoa(match.MaxRuleIDLen)+" bytes", http.StatusBadRequest)
			return
		}
		rules = append(rules, id)
	}
	if len(rules) > MaxStreamRules {
		http.Error(w, "rule: at most "+strconv.Itoa(MaxStreamRules)+" rules per stream", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	ready := h.ready
	h.mu.Unlock()
	select {
	case <-ready:
	case <-r.Context().Done():
		return
	case <-h.done:
		http.Error(w, "alert stream is shutting down", http.StatusServiceUnavailable)
		return
	}
	c := &streamClient{ch: make(chan hubEvent, h.cfg.ClientBuf), rules: rules, rc: http.NewResponseController(w)}
	backlog, gaps, cur, ok := h.subscribe(c, pos)
	if !ok {
		http.Error(w, "alert stream is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.wg.Done()
	defer h.unsubscribe(c)
	h.m.streamConns.Inc()
	defer h.m.streamConns.Dec()

	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)

	var buf bytes.Buffer
	buf.WriteString("retry: 3000\n\n")
	if len(gaps) > 0 {
		b, _ := json.Marshal(map[string]any{"partitions": gaps})
		fmt.Fprintf(&buf, "event: gap\ndata: %s\n\n", b)
	}
	for _, ev := range backlog {
		appendEvent(&buf, ev, cur)
	}
	if !h.write(w, c, &buf) {
		return
	}
	beat := time.NewTicker(h.cfg.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-h.done:
			return
		case ev, ok := <-c.ch:
			if !ok {
				return
			}
			appendEvent(&buf, ev, cur)
			// Take what else is waiting, up to a bound, in one write.
			for more := true; more && buf.Len() < 64<<10; {
				select {
				case ev, ok := <-c.ch:
					if !ok {
						return
					}
					appendEvent(&buf, ev, cur)
				default:
					more = false
				}
			}
			if !h.write(w, c, &buf) {
				return
			}
		case <-beat.C:
			buf.WriteString(": keep-alive\n\n")
			if !h.write(w, c, &buf) {
				return
			}
		}
	}
}

// appendEvent advances the client's position and, unless the event is
// filtered out, writes it with the new position as its id.
func appendEvent(buf *bytes.Buffer, ev hubEvent, cur map[int]int64) {
	if o, ok := cur[ev.part]; ok && ev.off <= o {
		return
	}
	cur[ev.part] = ev.off
	if ev.skip {
		return
	}
	buf.WriteString("id: " + formatPosition(cur) + "\nevent: " + ev.typ + "\ndata: ")
	buf.Write(ev.data) // one line: checked when read
	buf.WriteString("\n\n")
}

// write sends buf under the write deadline and flushes; false when the
// client is gone or cut off.
func (h *Hub) write(w http.ResponseWriter, c *streamClient, buf *bytes.Buffer) bool {
	defer buf.Reset()
	if buf.Len() == 0 {
		return true
	}
	if !c.arm(h.cfg.WriteTimeout) {
		return false
	}
	_, err := w.Write(buf.Bytes())
	if err == nil {
		err = c.rc.Flush()
	}
	if err != nil {
		h.m.streamDropped.WithLabelValues("write").Inc()
		h.log.Debug("stream client cut off", zap.Error(err))
		return false
	}
	return true
}
