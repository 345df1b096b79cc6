package indextest

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
)

// SampleTime is the ingest and enrichment time Samples gives every article.
var SampleTime = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Samples reads a JSON-lines file of articles (the repository's sample
// corpus) and tags each with tag, as the enricher writes them at version.
// Callers that want stories assign them afterwards.
func Samples(tb testing.TB, path string, tag func(*article.Article) article.Tags, version string) []article.Enriched {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var docs []article.Enriched
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		a, err := article.Parse(sc.Bytes(), article.Limits{}, SampleTime)
		if err != nil {
			tb.Fatalf("%s line %d: %v", path, len(docs)+1, err)
		}
		docs = append(docs, article.Enriched{Article: a, Tags: tag(&a), Enrichment: article.Enrichment{Version: version, At: SampleTime}})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return docs
}
