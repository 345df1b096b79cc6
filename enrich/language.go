package enrich

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newswire/newswire/article"
)

// Languages the tagger knows names in. English names match in every
// article; the names of the other Latin-script languages (fr, es, de)
// only in articles of that language, where a word such as "Chine" or
// "Polen" cannot be an English word. Names in other scripts match
// wherever they are written.
var languages = []string{"en", "ru", "zh", "ko", "ja", "fr", "es", "ar", "de"}

// langID is the matcher's code of a language whose names are gated by
// the article's language: 0 for every language whose names match
// anywhere.
func langID(lang string) uint8 {
	switch lang {
	case "fr":
		return 1
	case "es":
		return 2
	case "de":
		return 3
	}
	return 0
}

// langDE is the langID of German.
const langDE uint8 = 3

// langName is the language of a langID (gated languages only), or "".
func langName(id uint8) string {
	switch id {
	case 1:
		return "fr"
	case 2:
		return "es"
	case 3:
		return "de"
	}
	return ""
}

// detectSample is how much of an article detection reads.
const detectSample = 800

// Language returns the language of an article: its language field when
// set ("fr", "fr-FR", "FR" are French), else the language detected from
// the start of its title, summary and body. It returns "" when it cannot
// tell.
func Language(a *article.Article) string {
	if l := normLang(a.Language); l != "" {
		return l
	}
	var c langCounts
	n := detectSample
	for _, s := range [...]string{a.Title, a.Summary, a.Body} {
		if n <= 0 || c.decided() {
			break
		}
		if len(s) > n {
			s = s[:n]
		}
		n -= len(s)
		c.count(s)
	}
	return c.decide()
}

func normLang(l string) string {
	if l == "" {
		return ""
	}
	l = strings.ToLower(strings.TrimSpace(l))
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i]
	}
	for _, k := range languages {
		if l == k {
			return l
		}
	}
	return ""
}

// langCounts are the letters of each script and the function words of
// each Latin-script language seen so far.
type langCounts struct {
	latin, cyr, arab, han, kana, hangul int
	words                               [4]int // en, fr, es, de
}

// latinLangs are the languages scored by function words, in the order of
// langCounts.words.
var latinLangs = [4]string{"en", "fr", "es", "de"}

// count adds the letters and function words of s. It does not allocate:
// words are lower-cased into a small buffer on the stack.
func (c *langCounts) count(s string) {
	var buf [16]byte
	n := 0 // length of the current word in buf; -1: too long or not ASCII
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			i++
			switch {
			case b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z':
				c.latin++
				if n >= 0 && n < len(buf) {
					buf[n] = b | 0x20
					n++
				} else {
					n = -1
				}
				continue
			}
			if n > 0 && c.word(buf[:n]) && c.decided() {
				return
			}
			n = 0
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.Is(unicode.Hangul, r):
			c.hangul++
		case unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r):
			c.kana++
		case unicode.Is(unicode.Han, r):
			c.han++
		case unicode.Is(unicode.Cyrillic, r):
			c.cyr++
		case unicode.Is(unicode.Arabic, r):
			c.arab++
		case unicode.IsLetter(r):
			c.latin++
			if f, ok := latinFold[unicode.ToLower(r)]; ok && n >= 0 && n+len(f) <= len(buf) {
				// keep the accent's word findable: "été", "más", "für"
				n += copy(buf[n:], string(unicode.ToLower(r)))
				continue
			}
			n = -1
			continue
		}
		c.word(buf[:max(n, 0)])
		n = 0
	}
	c.word(buf[:max(n, 0)])
}

// decided reports whether the Latin text read so far is clear enough to
// stop: one language has six function words and three times as many as
// any other, and no other script has been seen.
func (c *langCounts) decided() bool {
	if c.cyr+c.arab+c.han+c.kana+c.hangul > 0 {
		return false
	}
	best, second := 0, 0
	for _, n := range c.words {
		if n > best {
			best, second = n, best
		} else if n > second {
			second = n
		}
	}
	return best >= 6 && best >= 3*second
}

// word counts w if it is a function word and reports whether it was.
func (c *langCounts) word(w []byte) bool {
	if len(w) < 2 || len(w) > 10 {
		return len(w) == 1 && w[0] == 'y' && c.inc(2) // Spanish "y"
	}
	if k := functionWords.get(w); k >= 0 {
		return c.inc(int(functionWordLang[k]))
	}
	return false
}

func (c *langCounts) inc(l int) bool {
	c.words[l]++
	return true
}

// decide tells the language from the counts. The script decides first:
// Hangul is Korean; kana is Japanese; Han without kana is Chinese;
// Cyrillic is Russian; Arabic script is Arabic. Latin text is scored by
// how many of its words are the commonest function words of English,
// French, Spanish and German (a word-unigram model of each language's
// commonest words, our own): the best score wins, English on a tie.
func (c *langCounts) decide() string {
	cjk := c.han + c.kana + c.hangul
	switch {
	case c.hangul > 0 && c.hangul*2 >= cjk && c.hangul*3 > c.latin:
		return "ko"
	case c.kana > 0 && cjk*3 > c.latin:
		return "ja"
	case c.han > 0 && c.han*3 > c.latin:
		return "zh"
	case c.cyr > c.latin && c.cyr >= c.arab:
		return "ru"
	case c.arab > c.latin:
		return "ar"
	case c.latin == 0:
		return ""
	}
	best, bestN := 0, 0
	for i, n := range c.words {
		if n > bestN {
			best, bestN = i, n
		}
	}
	return latinLangs[best]
}

// functionWordText lists the commonest words of each Latin-script
// language, in the order of latinLangs.
var functionWordText = [4]string{
	"the of and to in is that for it with as was on are by this be from at have has had not but which were its their will would been said after",
	"le la les du un une et est dans qui pour sur pas au aux par avec ce cette ont été sont mais ses leur il elle ils selon lors après",
	"el los las del y en que por con para una es su al lo como más pero sus ha fue son está este esta entre sobre también según tras",
	"der die das und ist nicht mit dem den von zu ein eine im auf für sich auch wird nach bei aus hat wurde sind einen einem am vom zur zum",
}

// functionWords numbers the function words, and functionWordLang maps
// each number to its language's index in latinLangs; a word in two lists
// would be no evidence, so none is. Detection looks up every word of an
// article's first 800 bytes, in a vocabTable rather than a map.
var functionWords, functionWordLang = func() (*vocabTable, []int8) {
	idx := map[string]int32{}
	var lang []int8
	for i, ws := range functionWordText {
		for _, w := range strings.Fields(ws) {
			if k, ok := idx[w]; ok {
				lang[k] = int8(i)
				continue
			}
			idx[w] = int32(len(lang))
			lang = append(lang, int8(i))
		}
	}
	return newVocabTable(idx), lang
}()
