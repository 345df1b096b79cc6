package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/newswire/newswire/enrich"
	"github.com/newswire/newswire/index/elastic"
	"github.com/newswire/newswire/index/embedded"
	"go.uber.org/zap"
)

// cmdReenrich is `newswire reenrich`: re-tag every stored article with
// this build's tagger into a new index lineage, then swap the read alias
// (see index/elastic). Run it after deploying a tagger whose
// enrichment.version changed, with the enrichers already on the new
// build. Interrupted (even by kill -9), it resumes when run again.
// Without --es-url it re-tags the embedded index under --data-dir in place.
func cmdReenrich(args []string, stdout, stderr io.Writer) error {
	cmd := newCommand("newswire reenrich", "newswire reenrich [flags]",
		"Re-tags every stored article with this build's tagger into a new index lineage,\n"+
			"then swaps the read alias. Run it after deploying a tagger whose\n"+
			"enrichment.version changed, with the enrichers already on the new build.\n"+
			"Interrupted (even by kill -9), it resumes when run again. Without --es-url it\n"+
			"re-tags the embedded index under --data-dir in place.",
		[]string{
			"newswire reenrich --es-url https://es:9200 --rate 500",
			"newswire reenrich --data-dir data",
		}, stderr)
	fs := cmd.fs
	var c common
	var es esFlags
	cmd.group("Re-enrichment")
	rate := fs.Float64("rate", 500, "articles re-tagged per second at most (0: no cap); keeps live freshness")
	batch := fs.Int("batch", elastic.DefaultReenrichBatch, "articles per read and bulk write")
	settle := fs.Duration("settle", elastic.DefaultSettle, "wait after moving the write alias before reading the archive")
	keepOld := fs.Bool("keep-old", false, "keep the old lineage's indices after the swap")
	keywords := fs.String("keywords", "", "extra alert keywords, comma separated (as given to the enrichers)")
	dataDir := registerStoreTool(cmd, &es, &c)
	if err := cmd.parse(args); err != nil {
		return err
	}
	cfg, ok, err := es.config()
	if err != nil {
		return err
	}
	log, err := newLogger(c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	tagger, err := enrich.New(enrich.Options{ExtraKeywords: splitList(*keywords)})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !ok {
		return reenrichEmbedded(ctx, filepath.Join(*dataDir, "index"), tagger, *rate, *batch, stdout, stderr, log)
	}
	st, err := elastic.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	bar := newBar(stderr)
	res, err := st.Reenrich(ctx, elastic.ReenrichConfig{
		Version: tagger.Version(), Tag: tagger.Tag, Rate: *rate, BatchSize: *batch,
		Settle: *settle, KeepOld: *keepOld, Progress: bar.update,
	})
	bar.done()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted after %d articles; run the same command again to resume: %w", res.Copied, err)
		}
		return err
	}
	if !res.Finished {
		_, err = fmt.Fprintf(stdout, "already re-enriched at version %s into %s\n", tagger.Version(), res.Target)
		return err
	}
	_, err = fmt.Fprintf(stdout, "re-enriched %d articles at version %s into %s (resumed: %v); read alias swapped from %s; deleted: %s\n",
		res.Copied, tagger.Version(), res.Target, res.Resumed, strings.Join(res.Sources, ","), strings.Join(res.Deleted, ","))
	return err
}

// bar draws the progress of a re-enrichment: in place on a terminal, a
// plain line every few seconds otherwise.
type bar struct {
	w     io.Writer
	tty   bool
	every time.Duration
	last  time.Time
	drawn bool
}

func newBar(w io.Writer) *bar {
	b := &bar{w: w, every: 5 * time.Second}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			b.tty, b.every = true, 200*time.Millisecond
		}
	}
	return b
}

func (b *bar) update(p elastic.ReenrichProgress) {
	if time.Since(b.last) < b.every && p.Done < p.Total {
		return
	}
	b.last = time.Now()
	fmt.Fprint(b.w, formatProgress(p, b.tty))
	b.drawn = true
}

func (b *bar) done() {
	if b.tty && b.drawn {
		fmt.Fprintln(b.w)
	}
}

// formatProgress renders one progress report.
func formatProgress(p elastic.ReenrichProgress, tty bool) string {
	const width = 24
	pct := 0.0
	if p.Total > 0 {
		pct = float64(p.Done) / float64(p.Total)
	}
	eta := "?"
	if p.ETA > 0 || p.Done >= p.Total {
		eta = p.ETA.Round(time.Second).String()
	}
	text := fmt.Sprintf("%3.0f%% %d/%d articles, %.0f articles/s, ETA %s", pct*100, p.Done, p.Total, p.Rate, eta)
	if !tty {
		return "reenrich: " + text + "\n"
	}
	n := int(pct * width)
	return "\r[" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + "] " + text
}

// reenrichEmbedded re-tags the embedded index in place (see
// embedded.Store.Reenrich); the index must not be open elsewhere.
func reenrichEmbedded(ctx context.Context, dir string, tagger *enrich.Tagger, rate float64, batch int, stdout, stderr io.Writer, log *zap.Logger) error {
	st, err := embedded.Open(dir, log)
	if err != nil {
		return err
	}
	bar := newBar(stderr)
	start := time.Now()
	did, err := st.Reenrich(ctx, embedded.ReenrichConfig{
		Version: tagger.Version(), Tag: tagger.Tag, Rate: rate, Batch: batch,
		Progress: func(done, total int64, r float64) {
			p := elastic.ReenrichProgress{Done: done, Total: total, Rate: r}
			if r > 0 && total > done {
				p.ETA = time.Duration(float64(total-done) / r * float64(time.Second))
			}
			bar.update(p)
		},
	})
	bar.done()
	err = errors.Join(err, st.Close())
	if err != nil {
		return err
	}
	if !did {
		_, err = fmt.Fprintf(stdout, "already re-enriched at version %s\n", tagger.Version())
		return err
	}
	_, err = fmt.Fprintf(stdout, "re-enriched the embedded index at version %s in %s\n", tagger.Version(), time.Since(start).Round(time.Millisecond))
	return err
}
