package alert

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Slack-compatible messages: mrkdwn text, with &, < and > escaped and
// links written <url|text>.

func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func slackLink(url, text string) string {
	if url == "" {
		return "*" + slackEscape(text) + "*"
	}
	u := strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C", " ", "%20").Replace(url)
	return "<" + u + "|" + slackEscape(text) + ">"
}

func slackAlert(a Alert) []byte {
	var b strings.Builder
	title := a.Title
	if title == "" {
		title = "(untitled)"
	}
	b.WriteString("*" + slackLink(a.URL, title) + "*\n")
	b.WriteString("Alert “" + slackEscape(a.RuleName) + "”")
	if a.Source != "" {
		b.WriteString(" · " + slackEscape(a.Source))
	}
	tags := matchedTags(a)
	if len(tags) > 0 {
		b.WriteString("\nMatched: " + slackEscape(strings.Join(tags, ", ")))
	}
	if a.Snippet != "" {
		b.WriteString("\n> " + slackEscape(a.Snippet))
	}
	out, _ := json.Marshal(map[string]any{"text": b.String(), "unfurl_links": false})
	return out
}

func slackDigest(dg Digest) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Alert “%s”: %d more %s since %s\n", slackEscape(dg.RuleName), dg.Count, plural(dg.Count, "article", "articles"), dg.Since.Format("15:04 MST"))
	for _, e := range dg.Alerts {
		title := e.Title
		if title == "" {
			title = "(untitled)"
		}
		b.WriteString("• " + slackLink(e.URL, title) + "\n")
	}
	if more := dg.Count - len(dg.Alerts); more > 0 {
		fmt.Fprintf(&b, "…and %d more\n", more)
	}
	out, _ := json.Marshal(map[string]any{"text": strings.TrimRight(b.String(), "\n"), "unfurl_links": false})
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
