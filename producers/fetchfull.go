package producers

import (
	"context"
	"fmt"

	"github.com/newswire/newswire/article"
	"go.uber.org/zap"
)

// fillFullText fetches a's page and, when that works, fills the fields
// the feed left empty from the page's metadata, replaces the body with
// the page's text when that is longer than the feed's, and moves the
// article to the page's canonical URL (and so to the id derived from it)
// when the feed linked elsewhere, e.g. through a tracking redirect. On
// any failure a keeps the feed's text; the reason is logged and counted
// in newswire_fulltext_total.
func (p *FeedPoller) fillFullText(ctx context.Context, feedURL string, a *article.Article) {
	result, err := p.fullTextInto(ctx, a)
	p.full.count(result)
	if err != nil {
		p.log.Info("full text not used", zap.String("feed", feedURL), zap.String("article_id", a.ID),
			zap.String("url", a.URL), zap.String("result", result), zap.Error(err))
	}
}

func (p *FeedPoller) fullTextInto(ctx context.Context, a *article.Article) (string, error) {
	if a.URL == "" {
		return ftFetchError, fmt.Errorf("fetch page: item has no link")
	}
	fp, page, err := p.full.fetch(ctx, a.URL)
	if fp == nil {
		return fullTextResult(err), err
	}
	prev := *a
	applyPageMeta(a, page.Meta)
	if c := idURL(fp.URL, page.Meta.Canonical); c != "" {
		if cur, cerr := article.CanonicalURL(a.URL); cerr != nil || cur != c {
			id, derr := article.DeriveID(c, a.Source, a.GUID)
			if derr == nil {
				a.URL, a.ID = c, id
			}
		}
	}
	if err != nil {
		return fullTextResult(err), err
	}
	if len(page.Text) <= len(a.Body) {
		return ftNotLonger, fmt.Errorf("page text (%d bytes) not longer than the feed's (%d bytes)", len(page.Text), len(a.Body))
	}
	a.Body = page.Text
	if verr := article.Validate(a, p.cfg.Limits); verr != nil {
		*a = prev
		return ftInvalid, verr
	}
	return ftOK, nil
}
