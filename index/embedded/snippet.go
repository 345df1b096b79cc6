package embedded

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"

	"github.com/newswire/newswire/index"
)

// highlighter builds a hit's snippet: a window of the summary or body
// around the first matched word, HTML-escaped, matched words wrapped in
// <mark>…</mark>. Words match after the same analysis as the index, so
// "treaty" marks "treaties" too; a phrase marks its words only where they
// stand together.
type highlighter struct {
	an      analysis.Analyzer
	terms   map[string]bool // analysed terms of plain query words
	phrases [][]string      // analysed terms of each phrase, in order
}

func newHighlighter(an analysis.Analyzer, t index.Text) *highlighter {
	h := &highlighter{an: an, terms: map[string]bool{}}
	for _, term := range t.Terms {
		for _, tok := range an.Analyze([]byte(term)) {
			h.terms[string(tok.Term)] = true
		}
	}
	for _, p := range t.Phrases {
		var seq []string
		for _, tok := range an.Analyze([]byte(p)) {
			seq = append(seq, string(tok.Term))
		}
		if len(seq) > 0 {
			h.phrases = append(h.phrases, seq)
		}
	}
	return h
}

type span struct{ start, end int }

// marks returns the byte ranges of text to mark, in order.
func (h *highlighter) marks(text string) []span {
	if text == "" || (len(h.terms) == 0 && len(h.phrases) == 0) {
		return nil
	}
	toks := h.an.Analyze([]byte(text))
	marked := make([]bool, len(toks))
	for i, tok := range toks {
		if h.terms[string(tok.Term)] {
			marked[i] = true
		}
	}
	for _, seq := range h.phrases {
		for i := 0; i+len(seq) <= len(toks); i++ {
			ok := true
			for j, term := range seq {
				if string(toks[i+j].Term) != term {
					ok = false
					break
				}
			}
			if ok {
				for j := range seq {
					marked[i+j] = true
				}
			}
		}
	}
	var out []span
	for i, tok := range toks {
		if marked[i] {
			out = append(out, span{tok.Start, tok.End})
		}
	}
	return out
}

// snippet picks the first of summary and body with a match; without one,
// the start of the summary, else of the body.
func (h *highlighter) snippet(summary, body string) string {
	for _, text := range []string{summary, body} {
		if m := h.marks(text); len(m) > 0 {
			return render(text, m)
		}
	}
	if strings.TrimSpace(summary) != "" {
		return render(summary, nil)
	}
	return render(body, nil)
}

// render cuts a window of about snippetLen characters, on word
// boundaries, from the start of text, or from a little before the first
// mark when that lies further in, and escapes it.
func render(text string, marks []span) string {
	start := 0
	if len(marks) > 0 && marks[0].end > forwardRunes(text, 0, snippetLen) {
		// Begin a little before the first match, at the start of a word.
		start = backRunes(text, marks[0].start, snippetLen/4)
		if start > 0 {
			if i := strings.IndexFunc(text[start:marks[0].start], unicode.IsSpace); i >= 0 {
				start += i
			} else {
				start = marks[0].start
			}
		}
	}
	end := forwardRunes(text, start, snippetLen)
	if end < len(text) {
		// End at the end of a word.
		if i := strings.LastIndexFunc(text[start:end], unicode.IsSpace); i > 0 {
			end = start + i
		}
		if len(marks) > 0 && end < marks[0].end {
			end = marks[0].end
		}
	}
	var b strings.Builder
	pos := start
	for _, m := range marks {
		if m.start < pos || m.end > end {
			continue
		}
		b.WriteString(escape(text[pos:m.start]))
		b.WriteString("<mark>")
		b.WriteString(escape(text[m.start:m.end]))
		b.WriteString("</mark>")
		pos = m.end
	}
	b.WriteString(escape(text[pos:end]))
	return strings.TrimSpace(b.String())
}

// backRunes returns the byte offset n runes before i (or 0).
func backRunes(s string, i, n int) int {
	for ; n > 0 && i > 0; n-- {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	return i
}

// forwardRunes returns the byte offset n runes after i (or len(s)).
func forwardRunes(s string, i, n int) int {
	for ; n > 0 && i < len(s); n-- {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

// escape encodes text for HTML exactly as Elasticsearch's "html" highlight
// encoder does, so that both engines return the same snippet bytes for
// the same text.
func escape(s string) string {
	if !strings.ContainsAny(s, "&<>\"'/") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&#x27;")
		case '/':
			b.WriteString("&#x2F;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
