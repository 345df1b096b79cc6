package consumers

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/internal/workpool"
)

// Tagger finds the entities and keywords of an article. enrich.Tagger
// implements it. Tag must be safe for concurrent use.
type Tagger interface {
	Tag(a *article.Article) article.Tags
	Version() string
}

// StoryAssigner sets the story an enriched article belongs to (near
// copies of one report share it). story.Clusterer implements it; it must
// be safe for concurrent use.
type StoryAssigner interface {
	Assign(e *article.Enriched)
}

// Enricher is the stage news.raw → news.enriched: decode and validate each
// raw article, tag it, give it its story, and write the enriched article
// keyed by its id.
// Undecodable or invalid articles are poison, and so is an article the
// tagger panics on (the panic's message goes with the dead letter).
type Enricher struct {
	tagger  Tagger
	stories StoryAssigner // nil: no story ids
	out     string
	limits  article.Limits
	workers int
	now     func() time.Time
}

// NewEnricher builds the enricher stage writing to topic out.
func NewEnricher(t Tagger, out string, limits article.Limits) *Enricher {
	return &Enricher{tagger: t, out: out, limits: limits, workers: runtime.GOMAXPROCS(0), now: time.Now}
}

// WithStories makes the enricher assign story ids with s.
func (e *Enricher) WithStories(s StoryAssigner) *Enricher {
	e.stories = s
	return e
}

// Process implements Stage. Records are tagged in parallel; results keep
// input order.
func (e *Enricher) Process(ctx context.Context, batch []Record) ([]Result, error) {
	res := make([]Result, len(batch))
	workpool.Run(len(batch), e.workers, func(i int) { res[i] = e.one(batch[i]) })
	return res, ctx.Err()
}

func (e *Enricher) one(r Record) Result {
	a, err := article.Decode(r.Value, e.limits)
	if err == nil {
		nerr := article.Normalize(&a, e.now())
		if err = article.Validate(&a, e.limits); err == nil {
			err = nerr
		}
	}
	if err != nil {
		return Result{Err: fmt.Errorf("%w: decode raw article: %w", ErrPoison, err)}
	}
	tags, err := e.tag(&a)
	if err != nil {
		return Result{Err: fmt.Errorf("tag article %s: %w", a.ID, err)}
	}
	en := article.Enriched{Article: a, Tags: tags, Enrichment: article.Enrichment{Version: e.tagger.Version(), At: e.now().UTC()}}
	if e.stories != nil {
		e.stories.Assign(&en)
	}
	b, err := json.Marshal(&en)
	if err != nil {
		return Result{Err: fmt.Errorf("%w: encode enriched article: %w", ErrPoison, err)}
	}
	return Result{Out: []Record{{Topic: e.out, Key: []byte(a.ID), Value: b, Headers: keepHeaders(r.Headers)}}, Ingested: a.Ingested}
}

// tag runs the tagger, turning a panic into a poison error.
func (e *Enricher) tag(a *article.Article) (tags article.Tags, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = PanicError(p)
		}
	}()
	return e.tagger.Tag(a), nil
}
