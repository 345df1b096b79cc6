package alert

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// HubConfig configures a Hub.
type HubConfig struct {
	Size      int           // events kept for Last-Event-ID resume (default 256)
	Heartbeat time.Duration // comment line sent to idle clients (default 15s)
	ClientBuf int           // events queued per client before it is cut off (default 64)
}

// Hub is the live alert stream for browsers: Server-Sent Events at
// GET /api/v1/alerts/stream. It keeps the last Size events in memory with
// increasing ids (starting from the creation time in microseconds, so ids
// also increase across restarts) and replays those after the client's
// Last-Event-ID on reconnect. A client that falls ClientBuf events behind
// is disconnected; the browser reconnects and resumes. Nothing is
// persisted.
type Hub struct {
	cfg HubConfig
	log *zap.Logger
	m   *Metrics

	mu     sync.Mutex
	ring   []hubEvent // oldest first, at most cfg.Size
	next   uint64
	subs   map[chan hubEvent]struct{}
	closed bool
	done   chan struct{}
	wg     sync.WaitGroup
}

type hubEvent struct {
	id   uint64
	typ  string
	data []byte
}

// NewHub builds a hub. m may be nil.
func NewHub(cfg HubConfig, m *Metrics, log *zap.Logger) *Hub {
	if cfg.Size <= 0 {
		cfg.Size = 256
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.ClientBuf <= 0 {
		cfg.ClientBuf = 64
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	return &Hub{cfg: cfg, m: m, log: log.With(zap.String("component", "alert-stream")),
		next: uint64(time.Now().UnixMicro()), subs: map[chan hubEvent]struct{}{}, done: make(chan struct{})}
}

// Publish sends one event (JSON data, one line) to every client and keeps
// it for resume. It never blocks.
func (h *Hub) Publish(typ string, data []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.next++
	ev := hubEvent{id: h.next, typ: typ, data: data}
	if len(h.ring) == h.cfg.Size {
		copy(h.ring, h.ring[1:])
		h.ring = h.ring[:len(h.ring)-1]
	}
	h.ring = append(h.ring, ev)
	for ch := range h.subs {
		select {
		case ch <- ev:
		default:
			// Too slow: cut it off; it resumes from the ring.
			delete(h.subs, ch)
			close(ch)
		}
	}
}

// Close ends every stream and refuses new ones; it returns once every
// stream handler has returned. Call it before shutting the HTTP server
// down (streams never go idle on their own).
func (h *Hub) Close() {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.done)
		for ch := range h.subs {
			delete(h.subs, ch)
			close(ch)
		}
	}
	h.mu.Unlock()
	h.wg.Wait()
}

// subscribe registers a client and returns the buffered events after
// last (all of them when last is 0 or older than the ring).
func (h *Hub) subscribe(last uint64) (chan hubEvent, []hubEvent, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, nil, false
	}
	var backlog []hubEvent
	if last > 0 {
		for _, ev := range h.ring {
			if ev.id > last {
				backlog = append(backlog, ev)
			}
		}
	}
	ch := make(chan hubEvent, h.cfg.ClientBuf)
	h.subs[ch] = struct{}{}
	h.wg.Add(1)
	return ch, backlog, true
}

func (h *Hub) unsubscribe(ch chan hubEvent) {
	h.mu.Lock()
	if _, ok := h.subs[ch]; ok {
		delete(h.subs, ch)
		close(ch)
	}
	h.mu.Unlock()
}

// ServeHTTP streams events. A Last-Event-ID header (or lastEventId query
// parameter) resumes after that id; without one the client gets only new
// events.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	lastStr := r.Header.Get("Last-Event-ID")
	if lastStr == "" {
		lastStr = r.URL.Query().Get("lastEventId")
	}
	var last uint64
	if lastStr != "" {
		n, err := strconv.ParseUint(strings.TrimSpace(lastStr), 10, 64)
		if err != nil {
			http.Error(w, "Last-Event-ID must be a number", http.StatusBadRequest)
			return
		}
		last = n
	}
	ch, backlog, ok := h.subscribe(last)
	if !ok {
		http.Error(w, "alert stream is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.wg.Done()
	defer h.unsubscribe(ch)
	h.m.streamConns.Inc()
	defer h.m.streamConns.Dec()

	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprintf(w, "retry: 3000\n\n"); err != nil {
		return
	}
	for _, ev := range backlog {
		if writeEvent(w, ev) != nil {
			return
		}
	}
	fl.Flush()
	beat := time.NewTicker(h.cfg.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-h.done:
			return
		case ev, ok := <-ch:
			if !ok {
				return
			}
			if writeEvent(w, ev) != nil {
				return
			}
			fl.Flush()
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

func writeEvent(w http.ResponseWriter, ev hubEvent) error {
	// data is one line of JSON; guard anyway against raw newlines.
	data := strings.ReplaceAll(string(ev.data), "\n", "\ndata: ")
	_, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.id, ev.typ, data)
	return err
}
