package enrich

import (
	"strings"
	"testing"
	"time"
	"unicode"
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
		{"apostrophe inside a name", "O'Brien", []string{"O'Brien"}, nil, 0, nil},
		{"French elision", "l'Ukraine et d’Israël", []string{"l", "Ukraine", "et", "d", "Israël"}, []uint16{fBreak, 0, 0, 0, 0}, fBreak, nil},
		{"CJK characters are tokens", "普京访问平壤。金正恩", []string{"普", "京", "访", "问", "平", "壤", "金", "正", "恩"}, []uint16{fSentStart | fBreak, 0, 0, 0, 0, 0, fSentStart | fBreak, 0, 0}, fSentStart | fBreak, []int32{0, 0, 0, 0, 0, 0, 1, 1, 1}},
		{"kana name with a middle dot", "ウラジーミル・プーチン", []string{"ウ", "ラ", "ジ", "ー", "ミ", "ル", "プ", "ー", "チ", "ン"}, []uint16{fBreak, 0, 0, 0, 0, 0, 0, 0, 0, 0}, fBreak, nil},
		{"Hangul syllables and particles", "푸틴이 평양을", []string{"푸", "틴", "이", "평", "양", "을"}, nil, 0, []int32{0, 0, 0, 0, 0, 0}},
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

// TestFoldFastPath checks that the tokenizer's own folding of Latin-1,
// Cyrillic and Arabic letters gives what the Unicode tables give.
func TestFoldFastPath(t *testing.T) {
	for _, rg := range [][2]rune{{0xC0, 0xFF}, {0x400, 0x45F}, {0x621, 0x64A}} {
		for r := rg[0]; r <= rg[1]; r++ {
			if !isWordRune(r) {
				continue
			}
			for _, w := range []string{"x" + string(r) + "y", "X" + string(r) + "Y", string(r) + string(r)} {
				norms, toks := tokensOf(w)
				if len(norms) != 1 || norms[0] != strings.ToLower(w) {
					t.Errorf("%U in %q: tokens %q, want [%q]", r, w, norms, strings.ToLower(w))
					continue
				}
				up, low := 0, 0
				for _, c := range w {
					if unicode.IsUpper(c) {
						up++
					} else if unicode.IsLower(c) {
						low++
					}
				}
				allUpper := up >= 2 && low == 0
				if got := toks[0].flags&fAllUpper != 0; got != allUpper {
					t.Errorf("%U in %q: all upper %v, want %v", r, w, got, allUpper)
				}
			}
		}
	}
}
