package consumers

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/segmentio/kafka-go"
)

// Tagger finds the entities and keywords of an article. enrich.Tagger
// implements it. Tag must be safe for concurrent use.
type Tagger interface {
	Tag(a *article.Article) article.Tags
	Version() string
}

// Enricher is the stage news.raw → news.enriched: decode and validate each
// raw article, tag it, and write the enriched article keyed by its id.
// Undecodable or invalid articles are poison.
type Enricher struct {
	tagger  Tagger
	out     string
	limits  article.Limits
	workers int
	now     func() time.Time
}

// NewEnricher builds the enricher stage writing to topic out.
func NewEnricher(t Tagger, out string, limits article.Limits) *Enricher {
	return &Enricher{tagger: t, out: out, limits: limits, workers: runtime.GOMAXPROCS(0), now: time.Now}
}

// Process implements Stage. Records are tagged in parallel; results keep
// input order.
func (e *Enricher) Process(ctx context.Context, batch []kafka.Message) ([]Result, error) {
	res := make([]Result, len(batch))
	workers := min(e.workers, len(batch))
	if workers <= 1 {
		for i := range batch {
			res[i] = e.one(batch[i])
		}
		return res, nil
	}
	var wg sync.WaitGroup
	next := make(chan int, len(batch))
	for i := range batch {
		next <- i
	}
	close(next)
	for range workers {
		wg.Go(func() {
			for i := range next {
				res[i] = e.one(batch[i])
			}
		})
	}
	wg.Wait()
	return res, ctx.Err()
}

func (e *Enricher) one(m kafka.Message) Result {
	a, err := article.Decode(m.Value, e.limits)
	if err == nil {
		nerr := article.Normalize(&a, e.now())
		if err = article.Validate(&a, e.limits); err == nil {
			err = nerr
		}
	}
	if err != nil {
		return Result{Err: fmt.Errorf("%w: decode raw article: %w", ErrPoison, err)}
	}
	en := article.Enriched{Article: a, Tags: e.tagger.Tag(&a), Enrichment: article.Enrichment{Version: e.tagger.Version(), At: e.now().UTC()}}
	b, err := json.Marshal(&en)
	if err != nil {
		return Result{Err: fmt.Errorf("%w: encode enriched article: %w", ErrPoison, err)}
	}
	return Result{Out: []kafka.Message{{Topic: e.out, Key: []byte(a.ID), Value: b, Headers: passHeaders(m.Headers)}}, Ingested: a.Ingested}
}

// passHeaders keeps a record's headers (trace ids, say) but the
// dead-letter headers of an earlier trip through the dead-letter topic.
func passHeaders(h []kafka.Header) []kafka.Header {
	var out []kafka.Header
	for _, x := range h {
		switch x.Key {
		case HeaderError, HeaderStage, HeaderTopic, HeaderPartition, HeaderOffset, HeaderAttempts, HeaderAt:
			continue
		}
		out = append(out, x)
	}
	return out
}
