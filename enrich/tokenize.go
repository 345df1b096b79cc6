package enrich

import (
	"encoding/binary"
	"unicode"
	"unicode/utf8"
)

// token flags.
const (
	fCapFirst   uint16 = 1 << iota // first letter is upper case
	fAllUpper                      // every letter is upper case (and there are at least two)
	fSentStart                     // first token of a sentence (or of the field)
	fBreak                         // punctuation other than space or hyphen precedes the token
	fPoss                          // followed by a possessive 's
	fParaStart                     // first token of a paragraph
	fDotted                        // written with dots (U.S., D.R.)
	fHyphenPrev                    // joined to the previous token by a hyphen
	fDigit                         // starts with a digit
)

// token is one word of a field: byte offsets, its vocabulary id (-1 when
// the gazetteers do not know it) and its flags.
type token struct {
	start, end int32
	id         int32
	flags      uint16
	para       uint16
	sent       int32
}

// nonBreakingAbbrev are abbreviations whose final dot does not end a
// sentence or break a phrase ("St. Kitts", "Mr. Putin").
var nonBreakingAbbrev = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "st": true, "gen": true, "lt": true,
	"col": true, "sen": true, "rep": true, "gov": true, "prof": true, "jr": true, "sr": true,
	"mt": true, "no": true, "vs": true, "pres": true, "maj": true, "capt": true, "adm": true,
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// isCJK reports whether r is written without spaces between words: Han,
// kana (with the prolonged sound mark) and Hangul.
func isCJK(r rune) bool {
	return r >= 0x1100 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) ||
		unicode.Is(unicode.Hangul, r) || r == '\u30fc')
}

// tokenizer turns text into tokens in one pass. It lower-cases each word
// into buf and looks it up in the vocabulary; it never allocates per token
// once its slices have grown.
type tokenizer struct {
	vocab map[string]int32
	tab   *vocabTable // when set, used instead of vocab
	buf   []byte
	toks  []token
	norms *[]string // when set, every token's lower-cased form is appended (used to build the matcher)
}

// run tokenizes s, appending to t.toks (which it resets).
func (tz *tokenizer) run(s string) []token {
	tz.toks = tz.toks[:0]
	var flags uint16 = fSentStart | fParaStart | fBreak
	var para uint16
	var sent int32
	i := 0
	n := len(s)
	for i < n {
		c := s[i]
		// Fast path for ASCII separators.
		if c < utf8.RuneSelf && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			flags = tz.asciiSeparator(s, i, flags)
			i++
			continue
		}
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
			if !isWordRune(r) {
				flags = runeSeparator(s, i, r, flags)
				i += size
				continue
			}
			if isCJK(r) {
				// Chinese, Japanese and Korean run words together: each
				// character is a token, and the gazetteer's longest match
				// over them finds the names.
				tz.buf = utf8.AppendRune(tz.buf[:0], r)
				tz.emit(i, i+size, flags, &para, &sent)
				i += size
				flags = 0
				continue
			}
		}
		i = tz.word(s, i, r, flags, &para, &sent)
		flags = 0
	}
	return tz.toks
}

// asciiSeparator returns the flags of the next token after the ASCII
// separator s[i]: hyphens join, new lines and sentence ends break, an
// abbreviation's dot ("Mr.", "George W. Bush") does not end a sentence.
func (tz *tokenizer) asciiSeparator(s string, i int, flags uint16) uint16 {
	c, n := s[i], len(s)
	if c == '\'' && elision(s, i, 1) {
		return flags
	}
	switch c {
	case ' ', '\t', '\r':
	case '-':
		flags |= fHyphenPrev
		if i+1 < n && s[i+1] == '-' && afterParen(s, i) {
			flags |= fBreak | fSentStart
		}
	case '\n':
		flags |= fBreak | fSentStart
		if i+1 < n && (s[i+1] == '\n' || s[i+1] == '\r') || len(tz.toks) > 0 {
			flags |= fParaStart
		}
	case '.', '!', '?':
		flags |= fBreak
		prevAbbrev := false
		if c == '.' && len(tz.toks) > 0 && i == int(tz.toks[len(tz.toks)-1].end) {
			last := s[tz.toks[len(tz.toks)-1].start:tz.toks[len(tz.toks)-1].end]
			// A middle initial ("George W. Bush") does not end a sentence.
			initial := len(last) == 1 && last[0] >= 'A' && last[0] <= 'Z' && len(tz.toks) > 1 &&
				tz.toks[len(tz.toks)-2].flags&fCapFirst != 0 && tz.toks[len(tz.toks)-2].end+1 == tz.toks[len(tz.toks)-1].start
			if initial || len(last) <= 4 && nonBreakingAbbrev[asciiLower(last)] {
				prevAbbrev = true
				flags &^= fBreak
			}
		}
		if !prevAbbrev {
			flags |= fSentStart
		}
	default:
		flags |= fBreak
	}
	return flags
}

// runeSeparator is asciiSeparator for a non-ASCII separator rune r.
func runeSeparator(s string, i int, r rune, flags uint16) uint16 {
	switch r {
	case '\u2013', '\u2011', '\u2010': // dashes joining words
		flags |= fHyphenPrev
	case '\u2019':
		if !elision(s, i, len("\u2019")) {
			flags |= fBreak
		}
	case '\u00a0', '\u2009', '\u202f', '\u30fb', '\u00b7':
		// spaces, and the dots between the parts of a transcribed name
		// ("ウラジーミル・プーチン", "弗拉基米尔·普京")
	case '\u3002', '\uff01', '\uff1f', '\u061f':
		flags |= fBreak | fSentStart // 。！？ and the Arabic question mark
	case '\u2014':
		// A dash after a closing parenthesis ends a dateline
		// ("MOSCOW (Newswire) — ..."): what follows is a new sentence.
		flags |= fBreak
		if afterParen(s, i) {
			flags |= fSentStart
		}
	default:
		flags |= fBreak
	}
	return flags
}

// word reads the word starting at s[i] (first rune r), appends its token
// and returns the index after it. flags are those the separators before
// it set; para and sent count paragraphs and sentences. It is one loop
// over the bytes of the word (about 90 lines) because it is the hottest
// code of the tagger: split further, it would cost a call per byte.
func (tz *tokenizer) word(s string, i int, r rune, flags uint16, para *uint16, sent *int32) int {
	n := len(s)
	// A word starts at i.
	start := i
	// The word's lower-cased bytes build up in a local slice (kept in
	// registers), stored back for emit and apostrophe.
	buf := tz.buf[:0]
	upper, lower := 0, 0
	firstUpper := r >= 'A' && r <= 'Z' || r >= utf8.RuneSelf && unicode.IsUpper(r)
	digit := r >= '0' && r <= '9'
	poss := false
	end := i
	for i < n {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c >= 'a' && c <= 'z':
				// a run of lower-case ASCII letters, copied at once
				j := i + 1
				for j < n && s[j] >= 'a' && s[j] <= 'z' {
					j++
				}
				lower += j - i
				buf = append(buf, s[i:j]...)
				i = j
				end = i
				continue
			case c >= 'A' && c <= 'Z':
				upper++
				buf = append(buf, c+('a'-'A'))
				i++
				end = i
				continue
			case c >= '0' && c <= '9':
				buf = append(buf, c)
				i++
				end = i
				continue
			case c == '\'':
				tz.buf = buf
				kept := tz.apostrophe(s, i, 1, &poss)
				buf = tz.buf
				if kept {
					i++
					continue
				}
			case c == '.':
				// Dotted abbreviation: single letters separated by dots (U.S., D.R.).
				if end-start == 1 || (i >= 2 && s[i-2] == '.') {
					if i+2 < n && isASCIILetter(s[i+1]) && (s[i+2] == '.' || (i+2 < n && !isASCIILetter(s[i+2]))) && s[i-1] >= 'A' && s[i-1] <= 'Z' && s[i+1] >= 'A' && s[i+1] <= 'Z' {
						flags |= fDotted
						i++
						continue
					}
					if flags&fDotted != 0 && i >= 2 && s[i-2] == '.' {
						// final dot of U.S. belongs to the token
						i++
						end = i
						goto done
					}
				}
			}
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		// The letters of Latin-1, Cyrillic and Arabic, by far the commonest
		// outside ASCII in our languages, fold without the Unicode tables:
		// same results as unicode.IsUpper/IsLower/ToLower, a third of the cost.
		switch {
		case r >= 0x0621 && r <= 0x064A: // Arabic letters: no case
			buf = append(buf, s[i:i+size]...)
			i += size
			end = i
			continue
		case r >= 0x0430 && r <= 0x045F, r >= 0xDF && r <= 0xFF && r != 0xF7: // lower-case Cyrillic, Latin-1
			lower++
			buf = append(buf, s[i:i+size]...)
			i += size
			end = i
			continue
		case r >= 0x0410 && r <= 0x042F, r >= 0xC0 && r <= 0xDE && r != 0xD7: // upper-case Cyrillic А-Я, Latin-1
			upper++
			buf = utf8.AppendRune(buf, r+0x20)
			i += size
			end = i
			continue
		case r >= 0x0400 && r <= 0x040F: // upper-case Cyrillic Ѐ-Џ
			upper++
			buf = utf8.AppendRune(buf, r+0x50)
			i += size
			end = i
			continue
		}
		if r == '\u2019' {
			tz.buf = buf
			kept := tz.apostrophe(s, i, size, &poss)
			buf = tz.buf
			if kept {
				i += size
				continue
			}
			break
		}
		if !isWordRune(r) || isCJK(r) {
			break
		}
		if unicode.IsUpper(r) {
			upper++
		} else if unicode.IsLower(r) {
			lower++
		}
		buf = utf8.AppendRune(buf, unicode.ToLower(r))
		i += size
		end = i
	}
done:
	if poss {
		// skip the "'s" that ended the word
		i = end
		if i < n && s[i] == '\'' {
			i += 2
		} else if i+3 <= n && s[i:i+3] == "\u2019" {
			i += 4
		}
	}
	if firstUpper {
		flags |= fCapFirst
	}
	if upper >= 2 && lower == 0 {
		flags |= fAllUpper
	}
	if digit {
		flags |= fDigit
	}
	if poss {
		flags |= fPoss
	}
	tz.buf = buf
	tz.emit(start, end, flags, para, sent)
	return i
}

// apostrophe decides what an apostrophe at s[i] (size bytes) means inside
// a word: a possessive "'s" ends the word (sets *poss, returns false); an
// apostrophe between letters (N'Djamena, d'Ivoire) is kept and normalised.
func (tz *tokenizer) apostrophe(s string, i, size int, poss *bool) bool {
	j := i + size
	if j < len(s) && (s[j] == 's' || s[j] == 'S') && (j+1 == len(s) || !isWordByte(s, j+1)) {
		*poss = true
		return false
	}
	if j < len(s) && isWordByte(s, j) {
		if elided[string(tz.buf)] {
			return false // "l'Ukraine", "d'Ivoire": the article is a word of its own
		}
		tz.buf = append(tz.buf, '\'')
		return true
	}
	return false
}

// elided are the French words written with an apostrophe before the next
// word ("l'Ukraine", "qu'il"); the apostrophe then separates two words.
var elided = map[string]bool{"l": true, "d": true, "j": true, "n": true, "s": true, "c": true, "m": true, "t": true,
	"qu": true, "lorsqu": true, "jusqu": true, "puisqu": true}

// elision reports whether the apostrophe at s[i] follows an elided word
// and precedes a letter: it joins the two words like a space.
func elision(s string, i, size int) bool {
	if i == 0 || i+size >= len(s) || !isWordByte(s, i+size) {
		return false
	}
	k := i
	for k > 0 && isASCIILetter(s[k-1]) {
		k--
	}
	return elided[asciiLower(s[k:i])] && (k == 0 || !isWordByte(s, k-1))
}

func isWordByte(s string, j int) bool {
	r, _ := utf8.DecodeRuneInString(s[j:])
	return isWordRune(r)
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// afterParen reports whether the last non-space byte before s[i] is ')'.
func afterParen(s string, i int) bool {
	for i--; i >= 0; i-- {
		switch s[i] {
		case ' ', '\t':
			continue
		case ')':
			return true
		}
		return false
	}
	return false
}

// vocabTable is a read-only open-addressing hash table from a lower-cased
// word to its vocabulary id, built once the vocabulary is complete. The
// tokenizer looks up every word it reads; this table answers faster than
// a map. A word of at most eight bytes is stored packed into its slot's
// key, so that finding it reads one slot and compares one integer; a
// longer word's key is its hash, and a key match is confirmed against
// the word itself.
type vocabTable struct {
	mask  uint64
	slots []vocabSlot
	words []string // id → word
	// seen has one bit per hash value modulo its size, set for every word
	// of the table: most words of a text are in no name, and a clear bit
	// answers for them from 8 KB that stay in the L1 cache, instead of a
	// probe into the slots.
	seen [vocabSeenWords]uint64
}

const vocabSeenWords = 1024 // 64 Ki bits

func seenBit(h uint64) (word int, bit uint64) {
	b := (h >> 7) & (vocabSeenWords*64 - 1)
	return int(b >> 6), 1 << (b & 63)
}

type vocabSlot struct {
	key uint64 // the packed word (len ≤ 8) or its hash
	id  int32  // id+1; 0 is empty
	n   int32  // length of the word
}

func newVocabTable(vocab map[string]int32) *vocabTable {
	n := 64
	for n < 2*len(vocab) {
		n <<= 1
	}
	v := &vocabTable{mask: uint64(n - 1), slots: make([]vocabSlot, n), words: make([]string, len(vocab))}
	for w, id := range vocab {
		v.words[id] = w
		key, h := wordKey([]byte(w))
		i := h & v.mask
		for v.slots[i].id != 0 {
			i = (i + 1) & v.mask
		}
		v.slots[i] = vocabSlot{key: key, id: id + 1, n: int32(len(w))}
		wi, bit := seenBit(h)
		v.seen[wi] |= bit
	}
	return v
}

// wordKey returns the slot key of word b and the hash that places it.
func wordKey(b []byte) (key, h uint64) {
	n := len(b)
	if n <= 8 {
		if cap(b) >= 8 {
			key = binary.LittleEndian.Uint64(b[:8]) & (^uint64(0) >> (64 - 8*uint(n)))
		} else {
			for i := n - 1; i >= 0; i-- {
				key = key<<8 | uint64(b[i])
			}
		}
		// One multiply spreads a packed word; the high bits are the best.
		return key, ((key ^ uint64(n)<<59) * 0x9e3779b97f4a7c15) >> 32
	}
	h = uint64(n)
	for len(b) >= 8 {
		h = mix64(h ^ binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	var tail uint64
	for i := len(b) - 1; i >= 0; i-- {
		tail = tail<<8 | uint64(b[i])
	}
	h = mix64(h ^ tail)
	return h, h
}

// mix64 is a 64-bit finaliser (the one of splitmix64).
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// get returns the id of word b, or -1.
func (v *vocabTable) get(b []byte) int32 {
	key, h := wordKey(b)
	if wi, bit := seenBit(h); v.seen[wi]&bit == 0 {
		return -1
	}
	n := int32(len(b))
	for i := h & v.mask; ; i = (i + 1) & v.mask {
		s := &v.slots[i]
		if s.id == 0 {
			return -1
		}
		if s.key == key && s.n == n && (n <= 8 || v.words[s.id-1] == string(b)) {
			return s.id - 1
		}
	}
}

// emit appends the token [start, end) whose lower-cased form is in tz.buf,
// counting a new paragraph or sentence it opens.
func (tz *tokenizer) emit(start, end int, flags uint16, para *uint16, sent *int32) {
	if flags&fParaStart != 0 && len(tz.toks) > 0 {
		*para++
	}
	if flags&fSentStart != 0 && len(tz.toks) > 0 {
		*sent++
	}
	var id int32
	if tz.tab != nil {
		id = tz.tab.get(tz.buf)
	} else if v, ok := tz.vocab[string(tz.buf)]; ok {
		id = v
	} else {
		id = -1
	}
	if tz.norms != nil {
		*tz.norms = append(*tz.norms, string(tz.buf))
	}
	tz.toks = append(tz.toks, token{start: int32(start), end: int32(end), id: id, flags: flags, para: *para, sent: *sent})
}
