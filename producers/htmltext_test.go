package producers

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

func TestHTMLToText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"blank", " \n\t ", ""},
		{"plain text collapses whitespace", "  Ministers  met\n\ton Monday. ", "Ministers met on Monday."},
		{"plain text with angle bracket", "Costs < prices for now", "Costs < prices for now"},
		{"entities", "Trade &amp; tariffs: &quot;no deal&quot; &lt;yet&gt; &eacute;t&eacute; caf&#233; &#x263A;", `Trade & tariffs: "no deal" <yet> été café ☺`},
		{"nbsp collapses", "a&nbsp;&nbsp; b", "a b"},
		{"inline elements join", "<b>bold</b>face and <a href=\"x\">a <em>link</em></a>.", "boldface and a link."},
		{"paragraphs", "<p>First para.</p><p>Second\n   para.</p>", "First para.\n\nSecond para."},
		{"div and headings", "<h1>Title</h1><div>Lead</div>text after", "Title\n\nLead\n\ntext after"},
		{"br", "line one<br>line two<br/><br>line three", "line one\nline two\nline three"},
		{"script and style removed", "<p>Kept</p><script>var x = '<p>no</p>';</script><style>p{color:red}</style><p>Also kept</p>", "Kept\n\nAlso kept"},
		{"nav and footer removed", "<nav><a>Home</a> <a>World</a></nav><p>Story text.</p><footer>Copyright line</footer>", "Story text."},
		{"comments removed", "before<!-- hidden -->after", "beforeafter"},
		{"unordered list", "<p>Points:</p><ul><li>one</li><li>two</li></ul><p>End</p>", "Points:\n\n- one\n- two\n\nEnd"},
		{"ordered list", "<ol><li>first</li><li>second</li><li>third</li></ol>", "1. first\n2. second\n3. third"},
		{"nested lists", "<ul><li>fruit<ul><li>apple</li><li>pear</li></ul></li><li>veg<ol><li>leek</li></ol></li></ul>", "- fruit\n  - apple\n  - pear\n- veg\n  1. leek"},
		{"empty list item", "<ul><li></li><li>x</li></ul>", "- x"},
		{"table rows", "<table><tr><th>Country</th><th>Votes</th></tr><tr><td>A</td><td>12</td></tr></table>", "Country Votes\nA 12"},
		{"pre keeps lines", "<pre>a  b\nc</pre>", "a  b\nc"},
		{"unclosed tags", "<p>open <b>bold <i>both</p><p>next", "open bold both\n\nnext"},
		{"stray closing tags", "</div>text</span></p>more", "text\n\nmore"},
		{"stray quote in attribute", `<p class=x">odd</p><p>fine</p>`, "odd\n\nfine"},
		{"unterminated attribute swallows the rest, as in a browser", `<p class="x>odd</p><p>fine</p>`, ""},
		{"unterminated comment", "text<!-- never closed", "text"},
		{"full document", "<!DOCTYPE html><html><head><title>Page</title><style>x{}</style></head><body><p>Body text</p></body></html>", "Body text"},
		{"title dropped in fragment", "<title>t</title><p>b</p>", "b"},
		{"blockquote and figure", "<p>He said</p><blockquote>quote</blockquote><figure><img src=x><figcaption>caption</figcaption></figure>", "He said\n\nquote\n\ncaption"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := HTMLToText(tc.in)
			if got != tc.want {
				t.Errorf("HTMLToText(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{"", "<p>a</p>", "<ul><li>x<ul><li>y", "&amp;&#xffff;&bogus;", "<pre>\r\n</pre>", "<svg><p>x</svg>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := HTMLToText(s)
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 out of valid input %q: %q", s, got)
		}
		if got != strings.TrimSpace(got) {
			t.Fatalf("untrimmed output %q", got)
		}
		if strings.Contains(got, "\n\n\n") {
			t.Fatalf("more than one blank line in %q", got)
		}
		if HTMLToText(s) != got {
			t.Fatalf("not deterministic for %q", s)
		}
	})
}

func BenchmarkHTMLToText(b *testing.B) {
	page := strings.Repeat("<p>The delegations met on <b>Tuesday</b> &amp; agreed a <a href=\"/x\">draft text</a>.</p><ul><li>one</li><li>two</li></ul>", 200)
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		_ = HTMLToText(page)
	}
}

// The extractor's tree can lose the white space between elements; the
// soft inline edges put a space back only between two word characters.
func TestTextWriterSoftInline(t *testing.T) {
	for in, want := range map[string]string{
		"<p><strong>Summary</strong>Studies show</p>": "Summary Studies show",
		"<p>said <a>Reuters</a>, adding</p>":          "said Reuters, adding",
		"<p>(<em>Reuters</em>) A fire</p>":            "(Reuters) A fire",
		"<p>one</p><p>two</p>":                        "one\n\ntwo",
	} {
		nodes, err := html.ParseFragment(strings.NewReader(in), &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body})
		if err != nil {
			t.Fatal(err)
		}
		w := &textWriter{softInline: true}
		for _, n := range nodes {
			w.node(n)
		}
		if got := w.String(); got != want {
			t.Errorf("%s: got %q, want %q", in, got, want)
		}
	}
	if got := HTMLToText("<p><strong>Summary</strong>Studies</p>"); got != "SummaryStudies" {
		t.Errorf("HTMLToText must keep feed text as written: %q", got)
	}
}
