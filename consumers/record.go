package consumers

import "time"

// Record is one Kafka record as stages see it: the runtime's own type,
// so that stages and their tests never depend on the client library.
// Records a stage returns need Topic, Key and Value; Partition and Offset
// are set on records read from a topic and ignored on output.
type Record struct {
	Topic     string
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	Time      time.Time // the record's timestamp (zero on output: the broker sets it)
}

// Header is one record header.
type Header struct {
	Key   string
	Value []byte
}

// Header returns the value of the last header named key.
func (r Record) Header(key string) ([]byte, bool) {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if r.Headers[i].Key == key {
			return r.Headers[i].Value, true
		}
	}
	return nil, false
}

// Size is the record's bytes on the wire, approximately: key, value and
// headers.
func (r Record) Size() int {
	n := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}
