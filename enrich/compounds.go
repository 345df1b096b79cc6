package enrich

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// German writes a country as the first part of a compound noun, with or
// without a hyphen and with or without a linking "s": "Russlandsanktionen",
// "Ukrainekrieg", "Chinareise". A hyphenated compound ("Nordkorea-Gipfel")
// is two tokens and needs nothing here; an unhyphenated one is a single
// word the gazetteer cannot know.

// minCompoundRest is the shortest second part of a compound, in bytes:
// shorter endings are inflections or derivations ("Iraner", "Kubas").
const minCompoundRest = 4

// notCompoundRest are word endings that make a derived word of a country
// name, not a compound ("Iranerin", "Chinesisch" is not derived this way
// but "Indonesisch" could be).
var notCompoundRest = []string{"isch", "erin", "erinnen", "ern", "ers"}

// indexGermanStems collects the German country names that can start a
// compound: one word, capitalised, at least four letters, not a seat (a
// capital in a compound, "Moskaureise", names the city's visitors less
// often than the country's). Each country gets one entry that compound
// hits point at.
func (t *Tagger) indexGermanStems() {
	t.deStems = map[string]int32{}
	t.deStemHeads = map[[4]byte]bool{}
	t.deCompound = make([]int32, len(t.g.countries))
	for i := range t.deCompound {
		t.deCompound[i] = -1
	}
	for _, row := range t.g.names {
		if row.lang != "de" || row.kind != KindCountry {
			continue
		}
		c, ok := t.codeIdx[row.id]
		if !ok {
			continue
		}
		for _, f := range row.forms {
			r, _ := utf8.DecodeRuneInString(f)
			if strings.HasSuffix(f, "@") || !unicode.IsUpper(r) || utf8.RuneCountInString(f) < 4 || strings.ContainsAny(f, " -.") {
				continue
			}
			low := strings.ToLower(f)
			t.deStems[low] = int32(c)
			t.deStemHeads[[4]byte([]byte(low[:4]))] = true
			t.deStemMax = max(t.deStemMax, len(low))
			if t.deCompound[c] < 0 {
				t.m.entries = append(t.m.entries, entry{kind: kCountry, target: int32(c), lang: langID("de")})
				t.deCompound[c] = int32(len(t.m.entries) - 1)
			}
		}
	}
}

// germanCompounds appends a country hit for every unknown capitalised
// word of toks that is a German country name followed by a noun
// ("Russlandsanktionen"). buf is scratch space for the lower-cased word;
// it is returned for reuse.
func (t *Tagger) germanCompounds(field int8, toks []token, text string, out []hit, buf []byte) ([]hit, []byte) {
	for k := range toks {
		tk := &toks[k]
		if tk.id >= 0 || tk.flags&fCapFirst == 0 || tk.end-tk.start < 4+minCompoundRest {
			continue
		}
		w := text[tk.start:tk.end]
		// Most nouns start with no country name: the first four letters
		// tell, before the word is lower-cased and its prefixes looked up.
		head := [4]byte{w[0], w[1], w[2], w[3]}
		if head[0] < utf8.RuneSelf {
			head[0] |= 0x20
		}
		if !t.deStemHeads[head] && head[0] < utf8.RuneSelf {
			continue
		}
		buf = buf[:0]
		for _, r := range w {
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		}
		// Longest name first: "Nordkoreagipfel" is North Korea, whatever
		// shorter name a word might start with.
		for n := min(len(buf)-minCompoundRest, t.deStemMax); n >= 4; n-- {
			if !utf8.RuneStart(buf[n]) {
				continue
			}
			c, ok := t.deStems[string(buf[:n])]
			if !ok {
				continue
			}
			rest := string(buf[n:])
			derived := false
			for _, x := range notCompoundRest {
				if strings.HasPrefix(rest, x) {
					derived = true
					break
				}
			}
			if !derived {
				out = append(out, hit{field: field, i: int32(k), j: int32(k + 1), entry: t.deCompound[c]})
			}
			break
		}
	}
	return out, buf
}
