// Package enrich is newswire's tagger: it finds the countries, political
// leaders, treaties and alert keywords an article speaks of and returns
// them as article.Tags with the exact byte spans it matched.
//
// Contract:
//   - Pure: no I/O, no network, no global state. The gazetteers are data
//     files embedded in the binary (data/*.txt, each with its source and
//     as-of date in a header) and are parsed once by New.
//   - Tag is safe for concurrent use, deterministic (same article, same
//     tags), and returns non-nil (possibly empty) slices. It must never
//     panic (fuzzed); it does not hide one with recover either.
//   - Every span is a byte range [start, end) of the named field (title,
//     summary or body) that lies on UTF-8 boundaries.
//   - Version changes whenever the data or the rules change.
//   - Other packages reach the gazetteers only through the entity API
//     (Lookup, Resolve, Closest, TagQuery), never through its tables.
//
// How it works: the article's language is its language field or is
// detected (Language). One pass splits each field into word tokens (each
// Han, kana or Hangul character is a token of its own) and looks each
// lower-cased word up in a vocabulary; a token trie over word ids then finds
// the leftmost-longest gazetteer phrase at every position (countries,
// leaders, treaties) and every keyword, title, cue and treaty word. Rules
// run on those candidates only; each rule is named where it decides
// (see the decide* functions).
//
// Labelling conventions the rules follow:
//   - A country is tagged when the text names it: its name, an
//     abbreviation, a demonym, or its capital or seat of government, also
//     as a venue or dateline ("talks in Minsk" is Belarus). A leader does
//     not tag their country, and neither do regions ("the West Bank",
//     "Gaza"), "European" or "the bloc" (the EU needs "EU", "European
//     Union" or an EU seat). A demonym naming a language ("said in French")
//     is not the country. Each country tag has a role: "venue" when every
//     mention only says where something happens (a seat after "in"/"at",
//     the dateline), "mention" when named once late in the body, else
//     "subject". A seat in "done at Paris" is no mention at all.
//   - Names count in every language of data/names.txt; French, Spanish
//     and German names only in articles of that language.
//   - In the further languages, a country also counts as the first part of
//     a German compound ("Russlandsanktionen", "Ukrainekrieg"), and as a
//     Chinese, Japanese or Korean one-character abbreviation in a pair or
//     list followed by a word of relations (中美关系, 日米首脳, 한미 정상),
//     or alone before an office word (美军, 露大統領). The Korean names
//     that are also common words (이란, 인도) count at the start of a word,
//     before a particle or an office word, with another country named.
//   - A leader is anyone who holds or held an office in data/leaders.txt
//     or data/leaders-1990.txt,
//     named in full, by title and surname, by a distinctive surname, or by
//     a title resolved on the article's date ("the Russian president"),
//     undated on the data's as-of date. Titles of the further languages
//     take their country before them, after them ("президент России",
//     "le président français", "el presidente de Francia"), across の/의
//     ("フランスの大統領"), or the one they imply ("Bundeskanzler").
//   - A treaty is a catalogued name or a described treaty with at least two
//     stated parties. A described treaty whose parties equal those of a
//     catalogued treaty named in the article is that treaty; all described
//     treaties with the same parties in one article are one treaty. The
//     action is that of the nearest action word that is not negated
//     ("would not extend" is not "extended"); the language of instruments
//     counts (accept, accede, join: ratified; denounce: withdrew; enter
//     into force: entered into force).
//   - A multilateral catalogued treaty's parties are the states the text
//     makes act on it ("the United States rejoined the Paris Agreement"
//     is US); with none, "multilateral". A bilateral catalogued treaty's
//     parties are those of the catalogue.
//   - Parties are stated by name, demonym, capital, leader or parliament
//     ("the Bundestag ratified"), or as "the two countries" / "the two
//     leaders", meaning the last two named before in the three sentences
//     before. A dateline is a venue, never a party.
package enrich

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"
)

// rulesVersion is bumped whenever a rule changes; the data hash covers the
// gazetteers.
const rulesVersion = "2026.11.30.2"

// Options configure a Tagger.
type Options struct {
	// ExtraKeywords are more alert words. Each is matched case-insensitively
	// with its regular English inflections and reported in lower case.
	ExtraKeywords []string
	// Now is the clock TagLines passes to article.Normalize (it fills in a
	// missing ingest time). Default time.Now; set it for reproducible output.
	Now func() time.Time
}

// Tagger tags articles. Build it with New; it is immutable afterwards.
type Tagger struct {
	g         *gazetteer
	m         *matcher
	persons   []person
	surnames  [][]int32 // surname entry target → person indexes
	strongSN  []bool
	keywords  []string // keyword entry target → base word
	actions   []string // action entry target → action
	codeIdx   map[string]int
	byCountry map[string][]int // country code → persons who held an office of it
	// Derived once from the data for the rules' per-article work.
	cueCountry    []int              // cue index → country index (codeIdx of its code)
	personCountry []int              // person index → country index (codeIdx of their latest country)
	treatyWords   [][][]string       // treaty index → its name and aliases, each split into lower-case words
	byParties     map[string][]int32 // sorted parties joined by partySep → catalogued treaties, in catalogue order
	w             words
	ents          *entityIndex            // the public entity view: Lookup, Resolve, Closest, TagQuery
	snIdx         map[string]int          // surname (and language) → index into surnames
	titleTerms    []titleTerms            // title index → the terms it names
	titleCountry  map[uint64][]personTerm // titleCountryKey(title, country) → the terms of that office in that country
	abbrCtx       []abbrContext           // contexts of country abbreviations, per language (kAbbr entry ctx-1)
	deStems       map[string]int32        // lower-cased German country names → country index, for compounds ("Russlandsanktionen")
	deCompound    []int32                 // country index → its entry for a German compound
	deStemHeads   map[[4]byte]bool        // the first four bytes of each of deStems
	deStemMax     int                     // the longest of deStems, in bytes
	version       string
	now           func() time.Time
	pool          sync.Pool
}

// words holds vocabulary ids of function words that the rules look at.
type words struct {
	the, a, an, of, between, and, or, with, former, by, among, to, on, this, these int32
	in, into                                                                       int32
	administration                                                                 int32
	done, capital                                                                  int32
	venueWord, meetWord                                                            map[int32]bool
	stop, state, past, neg, pluralHead                                             map[int32]bool
	pastAfter, connect                                                             map[int32]bool
	die                                                                            int32
	langBefore, langAfter, langFollow, langName, listWord                          map[int32]bool
	clauseConj                                                                     map[int32]bool
	two, both, that, which, bound                                                  int32
	pairNoun                                                                       map[int32]bool
	legislature                                                                    map[int32]string
}

// New builds the tagger from the embedded gazetteers.
func New(opts Options) (*Tagger, error) {
	g, err := loadGazetteer()
	if err != nil {
		return nil, fmt.Errorf("load gazetteer: %w", err)
	}
	t := &Tagger{g: g, m: newMatcher(), codeIdx: map[string]int{}, snIdx: map[string]int{}, now: opts.Now}
	if t.now == nil {
		t.now = time.Now
	}
	t.addCountryEntries()
	t.addLeaderEntries()
	t.addTreatyEntries()
	extra := t.addKeywordEntries(opts.ExtraKeywords)
	if err := t.addNameEntries(); err != nil {
		return nil, fmt.Errorf("load names: %w", err)
	}
	t.initWords()
	t.indexGermanStems()
	for _, c := range g.cues {
		t.cueCountry = append(t.cueCountry, t.codeIdx[c.code])
	}
	for i := range t.persons {
		t.personCountry = append(t.personCountry, t.codeIdx[t.persons[i].country])
	}
	t.treatyWords = treatyNameWords(g.treaties)
	t.byParties = indexParties(g.treaties)
	t.indexTitles()
	t.buildEntities()
	h := sha256.New()
	h.Write([]byte(rulesVersion))
	for _, f := range dataFiles {
		h.Write(g.rawByFile[f])
	}
	for _, e := range extra {
		h.Write([]byte{0})
		h.Write([]byte(e))
	}
	t.version = rulesVersion + "+" + hex.EncodeToString(h.Sum(nil))[:10]
	t.m.freeze()
	tab := newVocabTable(t.m.vocab)
	t.pool.New = func() any { return &scratch{tz: tokenizer{vocab: t.m.vocab, tab: tab, buf: make([]byte, 0, 64)}} }
	return t, nil
}

// initWords interns the function words the rules look at.
func (t *Tagger) initWords() {
	m := t.m
	w := &t.w
	w.the, w.a, w.an, w.of = m.word("the"), m.word("a"), m.word("an"), m.word("of")
	w.between, w.and, w.or, w.with = m.word("between"), m.word("and"), m.word("or"), m.word("with")
	w.former, w.by, w.among, w.to, w.on = m.word("former"), m.word("by"), m.word("among"), m.word("to"), m.word("on")
	w.this, w.these = m.word("this"), m.word("these")
	w.stop = idSet(m, "the", "a", "an", "this", "that", "these", "those", "its", "their", "his", "her", "our", "any", "such", "no",
		"new", "landmark", "historic", "to", "of", "on", "and", "or", "with", "for", "in", "by", "under", "from", "at", "as",
		"is", "was", "were", "be", "been", "are", "has", "have", "had", "will", "would", "could", "should", "may", "might",
		"said", "says", "which", "who", "what", "but", "not", "after", "before", "since", "while", "than", "into", "over", "about",
		"first", "last", "second", "previous", "current", "existing", "proposed", "possible", "potential", "separate", "same",
		"other", "another", "earlier", "later", "key", "major", "broad", "broader", "wider", "formal", "final", "draft", "so-called")
	w.state = idSet(m, "government", "president", "prime", "king", "queen", "foreign", "army", "military", "capital", "parliament",
		"border", "borders", "ministry", "embassy", "ambassador", "economy", "navy", "troops", "forces", "officials", "leader",
		"defence", "defense", "interior", "monarch", "cabinet", "national", "central", "state", "regime", "authorities", "neighbour", "neighbor")
	w.in, w.into = m.word("in"), m.word("into")
	w.administration = m.word("administration")
	w.neg = idSet(m, "not", "never", "no", "nor", "without", "won't", "wouldn't", "didn't", "doesn't", "don't", "isn't", "wasn't",
		"cannot", "can't", "refused", "refuses", "declined", "declines", "rejected", "failed", "fails", "against")
	w.clauseConj = idSet(m, "and", "but", "while", "whereas", "although", "though")
	w.pluralHead = idSet(m, "treaties", "pacts", "accords", "agreements")
	w.two, w.both, w.that, w.which, w.bound = m.word("two"), m.word("both"), m.word("that"), m.word("which"), m.word("bound")
	w.pairNoun = idSet(m, "countries", "nations", "states", "governments", "leaders", "sides", "neighbours", "neighbors", "men", "presidents", "capitals")
	w.legislature = map[int32]string{}
	for name, code := range legislatures {
		w.legislature[m.word(name)] = code
	}
	w.langBefore = idSet(m, "in", "into", "speaks", "speak", "spoke", "speaking", "fluent", "learn", "learning", "learned", "taught", "teaching", "translated", "subtitled", "dubbed")
	w.langAfter = idSet(m, "language", "languages", "speaking", "speaker", "speakers", "translation", "translations", "translator", "interpreter", "subtitles", "dialect", "lessons", "classes", "lettering", "alphabet")
	w.langFollow = idSet(m, "and", "or", "then", "through", "via", "with", "as", "to", "on", "at", "before", "after", "while", "when", "but", "by", "for", "from", "instead", "rather", "only", "too", "also")
	w.langName = idSet(m, "english", "arabic", "hebrew", "mandarin", "cantonese", "hindi", "urdu", "farsi", "swahili", "latin", "tamil", "bengali", "punjabi")
	w.listWord = idSet(m, "both", "its", "their", "neighbours", "neighbors", "ally", "allies", "partner", "partners", "neighbour", "neighbor")
	idSet(m, "neighbouring", "neighboring")
	w.venueWord = idSet(m, "in", "at")
	w.meetWord = idSet(m, "met", "meet", "meets", "meeting", "talks", "summit", "held", "hosted", "conference", "gathered", "negotiations", "signed", "convened")
	w.done = m.word("done")
	w.capital = m.word("capital")
	w.past = idSet(m, "former", "ex", "late", "then", "previous", "future", "next", "first", "founding", "past", "erstwhile", "incoming",
		// the same in the further languages ("бывший президент России", "l'ancien président français", "前总统")
		"бывший", "бывшего", "бывшему", "бывшим", "бывшем", "экс", "ehemalige", "ehemaligen", "ehemaliger", "frühere", "früheren",
		"früherer", "einstige", "einstigen", "künftige", "künftigen", "designierte", "designierten", "ancien", "ancienne", "futur",
		"future", "antiguo", "antigua", "expresidente", "expresidenta", "próximo", "próxima", "前", "元", "전", "السابق", "الأسبق")
	// words after a title that put its holder in the past: "الرئيس الأمريكي السابق"
	w.pastAfter = idSet(m, "السابق", "السابقة", "الأسبق", "الراحل")
	// words between a title of a further language and its country: "le roi du Maroc", "presidente de Francia"
	w.die = m.word("die")
	w.connect = idSet(m, "de", "del", "du", "des", "la", "l", "d", "der", "von")
}

func idSet(m *matcher, ws ...string) map[int32]bool {
	out := make(map[int32]bool, len(ws))
	for _, w := range ws {
		out[m.word(w)] = true
	}
	return out
}

func isLowerPhrase(s string) bool { return strings.ToLower(s) == s }

func containsInt32(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// slug makes a lower-case ASCII id fragment.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case r > 127:
			if f, ok := foldASCII[r]; ok {
				b.WriteString(f)
				dash = false
			}
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

var foldASCII = map[rune]string{'á': "a", 'à': "a", 'â': "a", 'ä': "a", 'ã': "a", 'å': "a", 'ç': "c", 'é': "e", 'è': "e", 'ê': "e", 'ë': "e",
	'í': "i", 'ì': "i", 'î': "i", 'ï': "i", 'ñ': "n", 'ó': "o", 'ò': "o", 'ô': "o", 'ö': "o", 'õ': "o", 'ú': "u", 'ù': "u", 'û': "u", 'ü': "u", 'ş': "s", 'ğ': "g", 'ı': "i"}

// Version identifies the rules and data: "2026.11.30.2+<hash of the data>".
func (t *Tagger) Version() string { return t.version }
