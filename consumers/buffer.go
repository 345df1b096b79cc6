package consumers

import (
	"context"
	"sync"
	"time"
)

// buffer holds the records fetched ahead of processing, bounded both in
// count (the channel's capacity) and in bytes. One record larger than the
// byte bound is admitted when the buffer is empty, so it cannot block the
// stream.
type buffer struct {
	ch       chan Record
	maxBytes int
	mu       sync.Mutex
	bytes    int
	freed    chan struct{} // a token when bytes were released
}

func newBuffer(maxRecords, maxBytes int) *buffer {
	return &buffer{ch: make(chan Record, maxRecords), maxBytes: maxBytes, freed: make(chan struct{}, 1)}
}

// put adds rec, waiting for room; it reports false when ctx ended first.
func (b *buffer) put(ctx context.Context, rec Record) bool {
	size := rec.Size()
	for {
		b.mu.Lock()
		if b.bytes == 0 || b.bytes+size <= b.maxBytes {
			b.bytes += size
			b.mu.Unlock()
			break
		}
		b.mu.Unlock()
		select {
		case <-b.freed:
		case <-ctx.Done():
			return false
		}
	}
	select {
	case b.ch <- rec:
		return true
	case <-ctx.Done():
		b.release(size)
		return false
	}
}

func (b *buffer) release(size int) {
	b.mu.Lock()
	b.bytes -= size
	b.mu.Unlock()
	select {
	case b.freed <- struct{}{}:
	default:
	}
}

type getStatus int

const (
	got getStatus = iota
	timedOut
	stopped // closed, or ctx ended
)

// get takes the next record, waiting until one comes, timeout fires (nil:
// never) or ctx ends.
func (b *buffer) get(ctx context.Context, timeout <-chan time.Time) (Record, getStatus) {
	select {
	case rec, ok := <-b.ch:
		if !ok {
			return Record{}, stopped
		}
		b.release(rec.Size())
		return rec, got
	case <-timeout:
		return Record{}, timedOut
	case <-ctx.Done():
		return Record{}, stopped
	}
}

// close ends the input; only the producer (the fetch loop) calls it.
func (b *buffer) close() { close(b.ch) }

func (b *buffer) len() int { return len(b.ch) }

func (b *buffer) bytesHeld() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bytes
}

// drain empties a closed buffer and returns how many records it held.
func (b *buffer) drain() int {
	n := 0
	for range b.ch {
		n++
	}
	return n
}
