package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/newswire/newswire/producers"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// readURLList appends the URLs of a --urls-file (none when path is "").
func readURLList(path string, urls *multiFlag) error {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	more, err := producers.ParseFeedList(f)
	if err != nil {
		return fmt.Errorf("--urls-file: %w", err)
	}
	*urls = append(*urls, more...)
	return nil
}

// produceURLs fetches, extracts and publishes article pages once, with
// the feed flags' user agent and timeout, and reports one line per URL.
func produceURLs(ctx context.Context, urls []string, fc producers.FeedConfig, pub producers.ArticlePublisher, log *zap.Logger, reg prometheus.Registerer, stderr io.Writer) error {
	cc := fc.Crawl
	cc.UserAgent, cc.Timeout = fc.UserAgent, fc.Timeout
	ing, err := producers.NewURLIngester(producers.URLConfig{Crawl: cc, Limits: fc.Limits}, pub, log, reg)
	if err != nil {
		return err
	}
	defer ing.Close()
	n, err := ing.IngestAll(ctx, urls, func(r producers.URLResult) {
		if r.Err != nil {
			fmt.Fprintf(stderr, "%s\t%s\t%v\n", r.Result, r.URL, r.Err)
			return
		}
		fmt.Fprintf(stderr, "published\t%s\t%s\t%s\n", r.URL, r.Article.ID, r.Article.URL)
	})
	fmt.Fprintf(stderr, "done: %d of %d URLs published and acknowledged\n", n, len(urls))
	return err
}
