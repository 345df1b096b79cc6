package producers

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/newswire/newswire/article"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// PageMeta is what an article page says about itself in its markup.
// Every field is empty when the page does not say.
type PageMeta struct {
	Title     string
	Published time.Time // UTC
	Modified  time.Time // UTC
	Authors   []string
	Language  string // as written, e.g. "en" or "en-GB"
	Canonical string // absolute http or https URL
	SiteName  string
}

// ParsePageMeta reads a page's metadata from, in order of trust, JSON-LD
// (an object of an article type such as NewsArticle, also inside @graph
// or an array), OpenGraph and article:* properties, then plain meta tags,
// <link rel=canonical>, <html lang> and <title>. The first source that
// has a field wins for that field. Relative URLs are resolved against
// base (may be nil).
func ParsePageMeta(doc *html.Node, base *url.URL) PageMeta {
	var og, tags PageMeta
	lds := ldResult{rank: 2}
	var title string
	var linkCanonical string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Html:
				if l := attr(n, "lang"); l != "" {
					tags.Language = first(tags.Language, l)
				}
			case atom.Title:
				if title == "" && n.FirstChild != nil {
					title = strings.Join(strings.Fields(n.FirstChild.Data), " ")
				}
			case atom.Link:
				if hasToken(attr(n, "rel"), "canonical") && linkCanonical == "" {
					linkCanonical = attr(n, "href")
				}
			case atom.Meta:
				metaTag(n, &og, &tags)
			case atom.Script:
				if strings.EqualFold(strings.TrimSpace(attr(n, "type")), "application/ld+json") && n.FirstChild != nil {
					lds.jsonLD(n.FirstChild.Data)
				}
			case atom.Svg, atom.Math, atom.Template:
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)

	ld := lds.meta
	ld.SiteName = first(ld.SiteName, lds.siteName)
	var m PageMeta
	m.Title = first(ld.Title, og.Title, tags.Title, title)
	m.Published = firstTime(ld.Published, og.Published, tags.Published)
	m.Modified = firstTime(ld.Modified, og.Modified, tags.Modified)
	switch {
	case len(ld.Authors) > 0:
		m.Authors = ld.Authors
	case len(og.Authors) > 0:
		m.Authors = og.Authors
	default:
		m.Authors = tags.Authors
	}
	m.Language = first(ld.Language, og.Language, tags.Language)
	m.SiteName = first(og.SiteName, ld.SiteName, tags.SiteName)
	for _, c := range []string{linkCanonical, og.Canonical, ld.Canonical} {
		if u := absHTTP(base, c); u != "" {
			m.Canonical = u
			break
		}
	}
	if !m.Modified.IsZero() && m.Modified.Before(m.Published) {
		m.Modified = time.Time{}
	}
	return m
}

// metaTag reads one <meta> element into the OpenGraph or the plain-tag
// result.
func metaTag(n *html.Node, og, tags *PageMeta) {
	content := strings.TrimSpace(attr(n, "content"))
	if content == "" {
		return
	}
	if p := strings.ToLower(attr(n, "property")); p != "" {
		switch p {
		case "og:title":
			og.Title = first(og.Title, content)
		case "og:site_name":
			og.SiteName = first(og.SiteName, content)
		case "og:url":
			og.Canonical = first(og.Canonical, content)
		case "og:locale":
			og.Language = first(og.Language, strings.ReplaceAll(content, "_", "-"))
		case "article:published_time":
			og.Published = firstTime(og.Published, parsePageTime(content))
		case "article:modified_time", "og:updated_time":
			og.Modified = firstTime(og.Modified, parsePageTime(content))
		case "article:author":
			// Often a profile URL rather than a name; only names count.
			if !strings.Contains(content, "://") {
				og.Authors = appendAuthor(og.Authors, content)
			}
		}
	}
	name := strings.ToLower(first(attr(n, "name"), attr(n, "itemprop")))
	switch name {
	case "":
	case "twitter:title", "headline", "dc.title":
		tags.Title = first(tags.Title, content)
	case "author", "byl", "dc.creator", "sailthru.author", "parsely-author":
		tags.Authors = appendAuthor(tags.Authors, content)
	case "date", "pubdate", "publishdate", "publish-date", "datepublished", "dc.date", "dc.date.issued",
		"dcterms.created", "dcterms.issued", "article.published", "parsely-pub-date", "sailthru.date":
		tags.Published = firstTime(tags.Published, parsePageTime(content))
	case "datemodified", "dcterms.modified", "last-modified", "article.updated", "lastmod":
		tags.Modified = firstTime(tags.Modified, parsePageTime(content))
	case "language", "dc.language", "inlanguage":
		tags.Language = first(tags.Language, content)
	case "application-name", "apple-mobile-web-app-title":
		tags.SiteName = first(tags.SiteName, content)
	}
	if strings.EqualFold(attr(n, "http-equiv"), "content-language") {
		tags.Language = first(tags.Language, strings.TrimSpace(strings.Split(content, ",")[0]))
	}
}

// articleTypes are the schema.org types whose JSON-LD describes the page's
// article. WebPage counts only when no article type is present.
var articleTypes = []string{
	"Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
	"BackgroundNewsArticle", "ReviewNewsArticle", "AskPublicNewsArticle", "BlogPosting",
	"LiveBlogPosting", "SocialMediaPosting", "Report", "ScholarlyArticle", "TechArticle",
}

// ldResult is what the JSON-LD scripts of a page gave so far.
type ldResult struct {
	meta     PageMeta
	rank     int // 0 article type, 1 WebPage, 2 nothing yet
	siteName string
}

// jsonLD reads one JSON-LD script. The first object of an article type in
// the page wins over any later one and over a WebPage object. Unparsable
// JSON is ignored: pages in the wild carry plenty.
func (r *ldResult) jsonLD(src string) {
	var v any
	if err := json.Unmarshal([]byte(strings.TrimSpace(src)), &v); err != nil {
		return
	}
	var objs []map[string]any
	var collect func(v any, depth int)
	collect = func(v any, depth int) {
		if depth > 4 {
			return
		}
		switch t := v.(type) {
		case []any:
			for _, x := range t {
				collect(x, depth+1)
			}
		case map[string]any:
			objs = append(objs, t)
			if g, ok := t["@graph"]; ok {
				collect(g, depth+1)
			}
		}
	}
	collect(v, 0)
	for _, o := range objs {
		types := strs(o["@type"])
		rank := 2
		switch {
		case slices.ContainsFunc(types, func(t string) bool { return slices.Contains(articleTypes, t) }):
			rank = 0
		case slices.Contains(types, "WebPage"):
			rank = 1
		case slices.Contains(types, "WebSite") || slices.Contains(types, "NewsMediaOrganization"):
			r.siteName = first(r.siteName, str(o["name"]))
		}
		if rank < r.rank {
			r.meta, r.rank = ldMeta(o), rank
		}
	}
}

// ldMeta maps one JSON-LD article object.
func ldMeta(o map[string]any) PageMeta {
	var m PageMeta
	m.Title = first(str(o["headline"]), str(o["name"]))
	m.Published = parsePageTime(str(o["datePublished"]))
	m.Modified = parsePageTime(str(o["dateModified"]))
	for _, a := range people(o["author"]) {
		m.Authors = appendAuthor(m.Authors, a)
	}
	switch l := o["inLanguage"].(type) {
	case string:
		m.Language = first(l)
	case map[string]any:
		m.Language = first(str(l["alternateName"]), str(l["name"]))
	}
	if p, ok := o["publisher"].(map[string]any); ok {
		m.SiteName = first(str(p["name"]))
	}
	switch e := o["mainEntityOfPage"].(type) {
	case string:
		m.Canonical = e
	case map[string]any:
		m.Canonical = first(str(e["@id"]), str(e["url"]))
	}
	m.Canonical = first(m.Canonical, str(o["url"]))
	return m
}

// people returns the names in a JSON-LD author value: a string, a Person
// or Organization object, or an array of either.
func people(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case map[string]any:
		if n := str(t["name"]); n != "" {
			return []string{n}
		}
	case []any:
		var out []string
		for _, x := range t {
			out = append(out, people(x)...)
		}
		return out
	}
	return nil
}

// appendAuthor adds a name, without a leading "By", unless it is empty,
// a URL or already there.
func appendAuthor(list []string, name string) []string {
	name = strings.Join(strings.Fields(name), " ")
	if len(name) > 3 && strings.EqualFold(name[:3], "by ") {
		name = strings.TrimSpace(name[3:])
	}
	if name == "" || strings.Contains(name, "://") || len(name) > 200 || slices.Contains(list, name) {
		return list
	}
	return append(list, name)
}

// pageTimeLayouts are the date forms found in article metadata.
var pageTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
	"20060102",
	time.RFC1123Z,
	time.RFC1123,
	time.RFC850,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"January 2, 2006",
	"Jan 2, 2006",
}

// parsePageTime parses a metadata date; the zero time when it cannot.
// Times without a zone are taken as UTC.
func parsePageTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, l := range pageTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if t.Year() < 1900 || t.Year() > 2200 {
				return time.Time{}
			}
			return t.UTC()
		}
	}
	return time.Time{}
}

// applyPageMeta fills the article fields the feed (or caller) left empty
// from the page's metadata. The canonical URL is handled by the caller.
func applyPageMeta(a *article.Article, m PageMeta) {
	if strings.TrimSpace(a.Title) == "" {
		a.Title = m.Title
	}
	if a.Published.IsZero() {
		a.Published = m.Published
	}
	if a.Updated.IsZero() && !m.Modified.IsZero() && (a.Published.IsZero() || !m.Modified.Before(a.Published)) {
		a.Updated = m.Modified
	}
	if len(a.Authors) == 0 && len(m.Authors) > 0 {
		a.Authors = append([]string(nil), m.Authors...)
	}
	if strings.TrimSpace(a.Language) == "" {
		a.Language = strings.ToLower(m.Language)
	}
	if strings.TrimSpace(a.Source) == "" {
		a.Source = m.SiteName
	}
}

// attr returns the value of an attribute of n, "" when absent.
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

// hasToken reports whether a space-separated list holds tok (ASCII case
// folded), as rel="canonical amphtml" does.
func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

// first returns the first non-blank string, trimmed and with runs of
// white space collapsed.
func first(vals ...string) string {
	for _, v := range vals {
		if v = strings.Join(strings.Fields(v), " "); v != "" {
			return v
		}
	}
	return ""
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// str returns a JSON-LD value as a string: a string itself, or the first
// string of an array.
func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok {
				return s
			}
		}
	}
	return ""
}

// strs returns a JSON-LD value that may be a string or an array of them.
func strs(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// absHTTP resolves ref against base and returns it when it is an absolute
// http or https URL with a host, else "".
func absHTTP(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}
