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
const detectSample = 4096

// Language returns the language of an article: its language field when
// set ("fr", "fr-FR", "FR" are French), else the language detected from
// its text. It returns "" when it cannot tell.
func Language(a *article.Article) string {
	if l := normLang(a.Language); l != "" {
		return l
	}
	s := a.Title + "\n" + a.Summary + "\n" + a.Body
	if len(s) > detectSample {
		s = s[:detectSample]
	}
	return detect(s)
}

func normLang(l string) string {
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

// detect tells the language of s. The script decides first: Hangul is
// Korean; kana is Japanese; Han without kana is Chinese; Cyrillic is
// Russian; Arabic script is Arabic. Latin text is scored by the share of
// its words that are the most frequent function words of English,
// French, Spanish and German (a word-unigram model of each language's
// commonest words, our own, built from general knowledge of the
// languages): the best score wins.
func detect(s string) string {
	var latin, cyr, arab, han, kana, hangul int
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
				latin++
			}
		case unicode.Is(unicode.Hangul, r):
			hangul++
		case unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r):
			kana++
		case unicode.Is(unicode.Han, r):
			han++
		case unicode.Is(unicode.Cyrillic, r):
			cyr++
		case unicode.Is(unicode.Arabic, r):
			arab++
		case unicode.Is(unicode.Latin, r):
			latin++
		}
	}
	cjk := han + kana + hangul
	switch {
	case hangul > 0 && hangul*2 >= cjk && hangul*3 > latin:
		return "ko"
	case kana > 0 && cjk*3 > latin:
		return "ja"
	case han > 0 && han*3 > latin:
		return "zh"
	case cyr > latin && cyr >= arab:
		return "ru"
	case arab > latin:
		return "ar"
	case latin == 0:
		return ""
	}
	return detectLatin(s)
}

// functionWords are the commonest words of each Latin-script language,
// chosen so that no word appears in two lists.
var functionWords = map[string]string{}

func init() {
	for lang, ws := range map[string]string{
		"en": "the of and to in is that for it with as was on are by this be from at have has had not but which were its their will would been said after",
		"fr": "le la les du un une et est dans qui pour sur pas au aux par avec ce cette ont été sont mais ses leur il elle ils selon lors après",
		"es": "el los las del y en que por con para una es su al lo como más pero sus ha fue son está este esta entre sobre también según tras",
		"de": "der die das und ist nicht mit dem den von zu ein eine im auf für sich auch wird nach bei aus hat wurde sind einen einem am vom zur zum",
	} {
		for _, w := range strings.Fields(ws) {
			functionWords[w] = lang
		}
	}
}

func detectLatin(s string) string {
	score := map[string]int{}
	n := 0
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) }) {
		n++
		if l, ok := functionWords[w]; ok {
			score[l]++
		}
	}
	best, bestN := "en", 0
	for _, l := range []string{"en", "fr", "es", "de"} {
		if score[l] > bestN {
			best, bestN = l, score[l]
		}
	}
	if n == 0 {
		return ""
	}
	return best
}
