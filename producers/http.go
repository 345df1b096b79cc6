package producers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/internal/httpjson"
	"go.uber.org/zap"
)

// Defaults and bounds of the ingest endpoint.
const (
	// DefaultIngestMaxBodyBytes is the largest request body.
	DefaultIngestMaxBodyBytes = 10 << 20
	// DefaultIngestMaxItems is the most articles one request may carry.
	DefaultIngestMaxItems = 1000
	// DefaultIngestTimeout is the Kafka acknowledgement deadline.
	DefaultIngestTimeout = 30 * time.Second
	// MaxItemErrors is the most item errors one answer lists; the
	// answer also counts all the invalid items it read.
	MaxItemErrors = 100
)

// IngestConfig configures the HTTP ingest endpoint. Zero fields take the
// defaults above.
type IngestConfig struct {
	MaxBodyBytes int64          // default DefaultIngestMaxBodyBytes (10 MiB)
	MaxItems     int            // default DefaultIngestMaxItems (1000)
	Limits       article.Limits // per-article limits
	Timeout      time.Duration  // Kafka acknowledgement deadline (default DefaultIngestTimeout, 30s)
}

// Ingest is the handler of POST /api/v1/articles. A request carries one
// article object, a JSON array of them, or JSON lines
// (application/x-ndjson), at most MaxItems articles in MaxBodyBytes.
// Authentication is the route table's (scope ingest in package api), not
// the handler's. The
// body is decoded one item at a time, so memory grows with the articles
// kept, not with the body. A request is all-or-nothing: if any item is
// invalid the answer is 400 listing the first MaxItemErrors item errors
// and counting them all, and nothing is written; 202 comes only after
// Kafka has acknowledged every record.
//
// Duplicate ids: two items of one request with the same article id (given
// or derived from the URL) are refused with 400 naming both positions,
// since the request would otherwise publish two versions in an order the
// client may not mean. Send one version per article per request.
type Ingest struct {
	cfg IngestConfig
	pub *Publisher
	log *zap.Logger
	now func() time.Time
}

// NewIngest builds the ingest handler.
func NewIngest(cfg IngestConfig, pub *Publisher, log *zap.Logger) *Ingest {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultIngestMaxBodyBytes
	}
	if cfg.MaxItems <= 0 {
		cfg.MaxItems = DefaultIngestMaxItems
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultIngestTimeout
	}
	return &Ingest{cfg: cfg, pub: pub, log: log.With(zap.String("component", "ingest")), now: time.Now}
}

// ItemError is the error of one item of a request.
type ItemError struct {
	Index int    `json:"index"`
	Error string `json:"error"`
}

type errorBody struct {
	Error string      `json:"error"`
	Items []ItemError `json:"items,omitempty"`
	// Received and Invalid count the items read and the invalid ones
	// among them, when the body was read item by item.
	Received int `json:"received,omitempty"`
	Invalid  int `json:"invalid,omitempty"`
}

func (h *Ingest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httpjson.Write(w, http.StatusMethodNotAllowed, errorBody{Error: "use POST"})
		return
	}
	ndjson := false
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		switch {
		case err != nil:
			httpjson.Write(w, http.StatusUnsupportedMediaType, errorBody{Error: fmt.Sprintf("content type %q: %v", ct, err)})
			return
		case mt == "application/json":
		case mt == "application/x-ndjson" || mt == "application/jsonl" || mt == "application/json-seq":
			ndjson = true
		default:
			httpjson.Write(w, http.StatusUnsupportedMediaType, errorBody{Error: fmt.Sprintf("content type %q not supported: use application/json or application/x-ndjson", mt)})
			return
		}
	}
	body := http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes)
	b := batch{max: h.cfg.MaxItems, lim: h.cfg.Limits, now: h.now(), seen: map[string]int{}}
	var err error
	if ndjson {
		err = b.readLines(body)
	} else {
		err = b.readJSON(body)
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		httpjson.Write(w, http.StatusRequestEntityTooLarge, errorBody{Error: fmt.Sprintf("body over the limit of %d bytes", h.cfg.MaxBodyBytes)})
		return
	case errors.Is(err, errTooManyItems):
		httpjson.Write(w, http.StatusRequestEntityTooLarge, errorBody{
			Error: fmt.Sprintf("more than %d articles in one request (the limit); nothing was written", h.cfg.MaxItems),
			Items: b.bad, Received: b.received, Invalid: b.invalid,
		})
		return
	case err != nil:
		httpjson.Write(w, http.StatusBadRequest, errorBody{Error: err.Error(), Items: b.bad, Received: b.received, Invalid: b.invalid})
		return
	case b.received == 0:
		httpjson.Write(w, http.StatusBadRequest, errorBody{Error: "no articles in body"})
		return
	case b.invalid > 0:
		httpjson.Write(w, http.StatusBadRequest, errorBody{
			Error: fmt.Sprintf("%d of %d articles invalid; nothing was written", b.invalid, b.received),
			Items: b.bad, Received: b.received, Invalid: b.invalid,
		})
		return
	}
	arts := b.arts
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.Timeout)
	defer cancel()
	if err := h.pub.Publish(ctx, "http", arts); err != nil {
		h.log.Warn("ingest not acknowledged", zap.Error(err), zap.Int("articles", len(arts)))
		httpjson.Write(w, http.StatusServiceUnavailable, errorBody{Error: "articles not acknowledged by Kafka, retry: " + err.Error()})
		return
	}
	ids := make([]string, len(arts))
	for i := range arts {
		ids[i] = arts[i].ID
	}
	httpjson.Write(w, http.StatusAccepted, map[string]any{"accepted": len(arts), "ids": ids})
}

// errTooManyItems stops reading a body with more than MaxItems items.
var errTooManyItems = errors.New("too many items")

// batch collects the articles of one request as its items are read.
type batch struct {
	max  int
	lim  article.Limits
	now  time.Time
	arts []article.Article
	seen map[string]int // article id → item index

	received, invalid int
	bad               []ItemError // the first MaxItemErrors
}

func (b *batch) fail(i int, msg string) {
	b.invalid++
	b.arts = nil // nothing will be written
	if len(b.bad) < MaxItemErrors {
		b.bad = append(b.bad, ItemError{Index: i, Error: msg})
	}
}

// add parses item i. Once an item is invalid no article is kept: nothing
// will be written, only errors are counted.
func (b *batch) add(raw []byte) error {
	i := b.received
	if i >= b.max {
		return errTooManyItems
	}
	b.received++
	a, err := ParseAny(raw, b.lim, b.now)
	if err != nil {
		b.fail(i, err.Error())
		return nil
	}
	if j, dup := b.seen[a.ID]; dup {
		b.fail(i, fmt.Sprintf("id %s is also the id of item %d: send one version per article per request", a.ID, j))
		return nil
	}
	b.seen[a.ID] = i
	if b.invalid == 0 {
		b.arts = append(b.arts, a)
	}
	return nil
}

// readJSON reads one JSON object or an array of them, item by item.
func (b *batch) readJSON(body io.Reader) error {
	br := bufio.NewReader(body)
	first, err := firstByte(br)
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return fmt.Errorf("read body: %w", err)
	}
	dec := json.NewDecoder(br)
	switch first {
	case '{':
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return decodeError(err, "body is not a JSON object", 0)
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return decodeError(orTrailing(err), "body holds more than one JSON value (send an array or application/x-ndjson)", -1)
		}
		return b.add(raw)
	case '[':
		if _, err := dec.Token(); err != nil {
			return decodeError(err, "read body", -1)
		}
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return decodeError(err, "body is not a JSON array of articles", b.received)
			}
			if err := b.add(raw); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // the closing bracket
			return decodeError(err, "body is not a JSON array of articles", b.received)
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return decodeError(orTrailing(err), "body holds data after the array", -1)
		}
		return nil
	default:
		return errors.New("body must be a JSON object or array (or send application/x-ndjson)")
	}
}

// readLines reads JSON lines, skipping blank ones.
func (b *batch) readLines(body io.Reader) error {
	maxLine := b.lim.MaxRecord
	if maxLine <= 0 {
		maxLine = article.DefaultLimits.MaxRecord
	}
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine+1)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := b.add(line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("item %d: line over the record limit of %d bytes", b.received, maxLine)
		}
		return fmt.Errorf("read body: %w", err)
	}
	return nil
}

// firstByte returns the first byte after white space, leaving it unread.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c, br.UnreadByte()
	}
}

var errTrailing = errors.New("trailing data")

func orTrailing(err error) error {
	if err == nil {
		return errTrailing
	}
	return err
}

// decodeError keeps the body-size error as it is (the caller answers 413)
// and words the others, naming the item when item ≥ 0.
func decodeError(err error, what string, item int) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	msg := err.Error()
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		msg = fmt.Sprintf("malformed JSON: %s at byte %d", se.Error(), se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		msg = "malformed JSON: unexpected end of body"
	}
	if item >= 0 {
		return fmt.Errorf("%s: item %d: %s", what, item, msg)
	}
	return fmt.Errorf("%s: %s", what, msg)
}
