package match

import (
	"unicode"
	"unicode/utf8"
)

// Words are runs of letters, digits and combining marks; an apostrophe
// between letters joins the word ("O'Neill" → "oneill"), a possessive "'s" is
// dropped, anything else separates words. Every word is lower-cased and
// stemmed with Stem, the same way for article text and rule terms.

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isApos(r rune) bool { return r == '\'' || r == '\u2019' }

// scanWords calls fn for every word of s with its byte offsets and its
// normalized (lower-cased, stemmed) form in buf. The form is only valid
// during the call.
func scanWords(s string, buf []byte, fn func(start, end int, form []byte)) []byte {
	i := 0
	for i < len(s) {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if !isWordRune(r) {
			i += n
			continue
		}
		start := i
		buf = buf[:0]
		for i < len(s) {
			r, n = rune(s[i]), 1
			if r >= utf8.RuneSelf {
				r, n = utf8.DecodeRuneInString(s[i:])
			}
			if isWordRune(r) {
				if r < utf8.RuneSelf {
					if r >= 'A' && r <= 'Z' {
						r += 'a' - 'A'
					}
					buf = append(buf, byte(r))
				} else {
					buf = utf8.AppendRune(buf, unicode.ToLower(r))
				}
				i += n
				continue
			}
			if isApos(r) && i+n < len(s) {
				next, _ := utf8.DecodeRuneInString(s[i+n:])
				if unicode.IsLetter(next) {
					// Possessive 's ends the word; other apostrophes join.
					if (next == 's' || next == 'S') && (i+n+1 >= len(s) || !isWordRuneAt(s, i+n+1)) {
						end := i
						i += n + 1
						fn(start, end, Stem(buf))
						start = -1
						break
					}
					i += n
					continue
				}
			}
			break
		}
		if start >= 0 {
			fn(start, i, Stem(buf))
		}
	}
	return buf
}

func isWordRuneAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isWordRune(r)
}

// Tokens returns the normalized words of s: lower-cased and stemmed.
func Tokens(s string) []string {
	var out []string
	scanWords(s, nil, func(_, _ int, form []byte) { out = append(out, string(form)) })
	return out
}

// Stem strips regular English inflections from a lower-cased word, in
// place: plurals and third persons (treaties → treaty, sanctions →
// sanction, summits → summit, matches → match), past tenses and
// participles (ratified → ratify, signed → sign, signing → sign, planned →
// plan), and a final silent e (agree, agreed → agre). It is deliberately
// small: the same function runs on article text and on rule terms, so a
// conflation it makes is made on both sides. Words of three bytes or
// fewer, and words that do not end in an ASCII letter, are left alone.
func Stem(w []byte) []byte {
	n := len(w)
	if n <= 3 || w[n-1] < 'a' || w[n-1] > 'z' {
		return w
	}
	has := func(suf string) bool {
		return len(w) >= len(suf) && string(w[len(w)-len(suf):]) == suf
	}
	switch {
	case has("ies") && len(w) > 4:
		w[len(w)-3] = 'y'
		w = w[:len(w)-2]
	case has("sses"), has("xes"), has("ches"), has("shes"), has("zes"):
		w = w[:len(w)-2]
	case has("ss"), has("us"), has("is"):
	case has("s"):
		w = w[:len(w)-1]
	}
	switch {
	case has("ied") && len(w) > 4:
		w[len(w)-3] = 'y'
		w = w[:len(w)-2]
	case has("eed"):
		w = w[:len(w)-1]
	case has("ed") && len(w) >= 5:
		w = undouble(w[:len(w)-2])
	case has("ing") && len(w) >= 6:
		w = undouble(w[:len(w)-3])
	}
	if len(w) > 3 && w[len(w)-1] == 'e' {
		w = w[:len(w)-1]
	}
	return w
}

// undouble drops one of a final doubled consonant (plann → plan), except
// l, s and z, whose doubles usually belong to the word (call → called).
func undouble(w []byte) []byte {
	n := len(w)
	if n >= 3 && w[n-1] == w[n-2] {
		switch w[n-1] {
		case 'a', 'e', 'i', 'o', 'u', 'l', 's', 'z':
			return w
		}
		if w[n-1] >= 'a' && w[n-1] <= 'z' {
			return w[:n-1]
		}
	}
	return w
}
