package enrich

import (
	"testing"
	"time"
)

var zeroTime time.Time

// TestTokenize checks words, flags and sentence counting.
func TestTokenize(t *testing.T) {
	cases := []struct {
		name  string
		text  string
		words []string
		flags []uint16 // checked with a mask of the flags listed
		mask  uint16
		sents []int32
	}{
		{"possessive", "Russia's army", []string{"Russia", "army"}, []uint16{fCapFirst | fPoss | fSentStart, 0}, fCapFirst | fPoss | fSentStart, []int32{0, 0}},
		{"dotted abbreviation", "the U.S. said", []string{"the", "U.S.", "said"}, []uint16{0, fDotted, 0}, fDotted, []int32{0, 0, 0}},
		{"abbreviation dot keeps the sentence", "Mr. Putin left. He", []string{"Mr", "Putin", "left", "He"}, []uint16{fSentStart, 0, 0, fSentStart}, fSentStart, []int32{0, 0, 0, 1}},
		{"middle initial", "George W. Bush spoke", []string{"George", "W", "Bush", "spoke"}, nil, 0, []int32{0, 0, 0, 0}},
		{"hyphen joins", "Russia-DPRK pact", []string{"Russia", "DPRK", "pact"}, []uint16{0, fHyphenPrev | fAllUpper, 0}, fHyphenPrev | fAllUpper, nil},
		{"apostrophe inside a name", "N'Djamena", []string{"N'Djamena"}, nil, 0, nil},
		{"dateline dash", "MOSCOW (Newswire) — Talks", []string{"MOSCOW", "Newswire", "Talks"}, []uint16{fAllUpper | fSentStart | fBreak, fBreak, fSentStart | fBreak}, fAllUpper | fSentStart | fBreak, []int32{0, 0, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tz := tokenizer{vocab: map[string]int32{}}
			toks := tz.run(c.text)
			if len(toks) != len(c.words) {
				t.Fatalf("%d tokens, want %d (%v)", len(toks), len(c.words), c.words)
			}
			for i, tk := range toks {
				if w := c.text[tk.start:tk.end]; w != c.words[i] {
					t.Errorf("token %d = %q, want %q", i, w, c.words[i])
				}
				if c.flags != nil && tk.flags&c.mask != c.flags[i] {
					t.Errorf("token %d (%s) flags %b, want %b", i, c.words[i], tk.flags&c.mask, c.flags[i])
				}
				if c.sents != nil && tk.sent != c.sents[i] {
					t.Errorf("token %d (%s) sentence %d, want %d", i, c.words[i], tk.sent, c.sents[i])
				}
			}
		})
	}
}
