package producers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/newswire/newswire/article"
	"go.uber.org/zap"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// maxPageRedirects is how many redirects a page fetch follows.
const maxPageRedirects = 5

// minArticleText is the least text, in bytes, that counts as an article.
const minArticleText = 100

// pageClient returns a copy of c that follows at most five redirects and
// only to http or https URLs.
func pageClient(c *http.Client) *http.Client {
	pc := *c
	pc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > maxPageRedirects {
			return fmt.Errorf("stopped after %d redirects", maxPageRedirects)
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fmt.Errorf("redirect to %s URL refused", req.URL.Scheme)
		}
		return nil
	}
	return &pc
}

// fillFullText replaces a's body with the text of its page when that text
// is found and is longer than the feed's; on any failure a keeps the
// feed's text and the reason is logged.
func (p *FeedPoller) fillFullText(ctx context.Context, feedURL string, a *article.Article) {
	text, err := p.fetchFullText(ctx, a.URL)
	if err == nil && len(text) <= len(a.Body) {
		err = errors.New("page text not longer than the feed's")
	}
	if err == nil {
		prev := a.Body
		a.Body = text
		if verr := article.Validate(a, p.cfg.Limits); verr != nil {
			a.Body = prev
			err = verr
		}
	}
	if err != nil {
		p.log.Info("full text not used", zap.String("feed", feedURL), zap.String("article_id", a.ID), zap.String("url", a.URL), zap.Error(err))
	}
}

// fetchFullText GETs an article page and extracts its text.
func (p *FeedPoller) fetchFullText(ctx context.Context, link string) (string, error) {
	if !isHTTPURL(link) {
		return "", fmt.Errorf("fetch page: %q is not an http or https URL", link)
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return "", fmt.Errorf("fetch page: %w", err)
	}
	req.Header.Set("User-Agent", p.cfg.UserAgent)
	req.Header.Set("Accept", "text/html, application/xhtml+xml;q=0.9")
	resp, err := p.pageC.Do(req)
	if err != nil {
		return "", fmt.Errorf("fetch page: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("fetch page %s: HTTP %d", link, resp.StatusCode)
	}
	ct := resp.Header.Get("Content-Type")
	if ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "text/html" && mt != "application/xhtml+xml") {
			return "", fmt.Errorf("fetch page %s: content type %q is not HTML", link, ct)
		}
	}
	body, err := readCapped(resp.Body, p.cfg.MaxBodyBytes)
	if err != nil {
		return "", fmt.Errorf("read page %s: %w", link, err)
	}
	r, err := charset.NewReader(bytes.NewReader(body), ct)
	if err != nil {
		return "", fmt.Errorf("decode page %s: %w", link, err)
	}
	doc, err := html.Parse(r)
	if err != nil {
		return "", fmt.Errorf("parse page %s: %w", link, err)
	}
	text := extractArticleText(doc)
	if text == "" {
		return "", fmt.Errorf("no article text found in %s", link)
	}
	return text, nil
}

// extractArticleText finds the main text of a page: the <article> element
// with the most paragraph text when there is one with enough text, else
// the element whose direct <p> children hold the most text (a simple
// readability heuristic). Boilerplate inside it (asides, forms, share and
// related-links blocks) is skipped. It returns "" when nothing qualifies.
func extractArticleText(doc *html.Node) string {
	var articles []*html.Node
	scores := map[*html.Node]int{}
	var walk func(n *html.Node, inArticle bool)
	walk = func(n *html.Node, inArticle bool) {
		if n.Type == html.ElementNode {
			if dropAlways[n.DataAtom] || boilerplate(n) {
				return
			}
			if n.DataAtom == atom.Article && !inArticle {
				articles = append(articles, n)
				inArticle = true
			}
			if n.DataAtom == atom.P && n.Parent != nil {
				if l := len(nodeText(n, boilerplate)); l >= 25 {
					scores[n.Parent] += l
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inArticle)
		}
	}
	walk(doc, false)

	var best *html.Node
	bestScore := 0
	for _, a := range articles {
		s := paragraphText(a, scores)
		if s > bestScore {
			best, bestScore = a, s
		}
	}
	if bestScore < minArticleText {
		best, bestScore = nil, 0
		for n, s := range scores {
			// Ties go to the element first in the document so that the
			// choice never depends on map order.
			if s > bestScore || (s == bestScore && best != nil && before(n, best)) {
				best, bestScore = n, s
			}
		}
	}
	if best == nil || bestScore < minArticleText {
		return ""
	}
	return nodeText(best, boilerplate)
}

// paragraphText sums the paragraph scores of the elements under n.
func paragraphText(n *html.Node, scores map[*html.Node]int) int {
	total := scores[n]
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		total += paragraphText(c, scores)
	}
	return total
}

// before reports whether a comes before b in document order.
func before(a, b *html.Node) bool {
	found := false
	var walk func(n *html.Node) bool
	walk = func(n *html.Node) bool {
		if n == a {
			found = true
			return true
		}
		if n == b {
			return true
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if walk(c) {
				return true
			}
		}
		return false
	}
	root := a
	for root.Parent != nil {
		root = root.Parent
	}
	walk(root)
	return found
}

// boilerplateWords are class or id words (split at spaces, "-" and "_")
// that mark page furniture.
var boilerplateWords = map[string]bool{
	"share": true, "sharing": true, "social": true, "related": true, "comment": true,
	"comments": true, "newsletter": true, "promo": true, "advert": true,
	"advertisement": true, "ad": true, "ads": true, "subscribe": true, "cookie": true,
	"cookies": true, "breadcrumb": true, "breadcrumbs": true, "sidebar": true,
}

// boilerplate reports whether an element is page furniture rather than
// article text.
func boilerplate(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	switch n.DataAtom {
	case atom.Aside, atom.Form, atom.Header:
		return true
	}
	for _, at := range n.Attr {
		switch at.Key {
		case "role":
			switch strings.ToLower(at.Val) {
			case "navigation", "complementary", "banner", "contentinfo":
				return true
			}
		case "class", "id":
			words := strings.FieldsFunc(strings.ToLower(at.Val), func(r rune) bool {
				return r == ' ' || r == '-' || r == '_' || r == '\t' || r == '\n'
			})
			for _, w := range words {
				if boilerplateWords[w] {
					return true
				}
			}
		case "hidden":
			return true
		}
	}
	return false
}
