package producers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"unicode/utf8"

	trafilatura "github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// ErrNoArticleText is returned by ExtractPage when a page holds no main
// text long enough to be an article.
var ErrNoArticleText = errors.New("no article text found")

// minArticleText is the least text, in bytes, that counts as an article.
const minArticleText = 100

// Page is what one fetched article page yields.
type Page struct {
	Text string   // the article's main text, paragraphs separated by "\n\n"; "" with an error
	Meta PageMeta // what the page's markup says about the article
}

// ExtractPage finds the article text and metadata of an HTML page.
//
// The bytes are decoded to UTF-8 as decodePage says. The main text is
// found by go-trafilatura (its own fallbacks off: measured on the
// article-extraction benchmark they cost twice the time for no gain) and
// rendered with the same rules as HTMLToText. pageURL (may be nil)
// resolves relative links and guides the extractor. The caller bounds
// the size of body.
func ExtractPage(body []byte, contentType string, pageURL *url.URL) (Page, error) {
	doc, err := html.Parse(decodePage(body, contentType))
	if err != nil {
		return Page{}, fmt.Errorf("parse page: %w", err)
	}
	p := Page{Meta: ParsePageMeta(doc, pageURL)}
	node, err := mainContent(doc, pageURL)
	if err != nil {
		return p, err
	}
	w := &textWriter{softInline: true}
	w.node(node)
	text := strings.TrimSpace(strings.ReplaceAll(w.String(), "\ufeff", ""))
	if len(text) < minArticleText {
		return p, fmt.Errorf("%w (%d bytes of text)", ErrNoArticleText, len(text))
	}
	p.Text = text
	return p, nil
}

// decodePage returns a reader of body as UTF-8. The charset comes from
// a byte-order mark, else contentType, else a <meta> in the first 1024
// bytes; when none of them is sure and the whole body is valid UTF-8, it
// is UTF-8 (the HTML standard's fallback of windows-1252 is meant for old
// pages, and valid UTF-8 with non-ASCII bytes is almost never
// windows-1252).
func decodePage(body []byte, contentType string) io.Reader {
	enc, name, certain := charset.DetermineEncoding(body, contentType)
	if !certain && name == "windows-1252" && utf8.Valid(body) {
		return bytes.NewReader(body)
	}
	return enc.NewDecoder().Reader(bytes.NewReader(body))
}

// mainContent runs the extractor. A panic inside it on a hostile page
// becomes an error: one bad page must not stop a feed.
func mainContent(doc *html.Node, pageURL *url.URL) (node *html.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			node, err = nil, fmt.Errorf("%w: extractor failed: %v", ErrNoArticleText, r)
		}
	}()
	res, err := trafilatura.ExtractDocument(doc, trafilatura.Options{
		OriginalURL:     pageURL,
		ExcludeComments: true,
		// Dates come from the page's metadata (ParsePageMeta); scanning
		// the whole text for them is slow and not needed here. go.mod
		// replaces the date search module with one that finds nothing
		// (internal/htmldateoff), so it must stay disabled.
		HtmlDateMode: trafilatura.Disabled,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoArticleText, err)
	}
	if res == nil || res.ContentNode == nil {
		return nil, ErrNoArticleText
	}
	setAtoms(res.ContentNode)
	dropLeadingHeadline(res.ContentNode)
	return res.ContentNode, nil
}

// setAtoms fills DataAtom of the elements the extractor built by name
// only, so that the text renderer recognises them.
func setAtoms(n *html.Node) {
	if n.Type == html.ElementNode && n.DataAtom == 0 && n.Namespace == "" {
		n.DataAtom = atom.Lookup([]byte(n.Data))
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		setAtoms(c)
	}
}

// dropLeadingHeadline removes an <h1> that opens the text: the headline,
// which the article carries as its title.
func dropLeadingHeadline(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode && strings.TrimSpace(c.Data) == "":
			continue
		case c.Type == html.ElementNode && c.DataAtom == atom.H1:
			n.RemoveChild(c)
			return
		case c.Type == html.ElementNode && (c.DataAtom == atom.Body || c.DataAtom == atom.Div || c.DataAtom == atom.Article || c.DataAtom == atom.Header):
			dropLeadingHeadline(c)
			return
		}
		return
	}
}
