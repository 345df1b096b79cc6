// Package indextest is the conformance suite of index.Store: one corpus of
// small enriched articles and one set of questions with fixed answers that
// every engine must give. Engines call Run from their own tests.
package indextest

import (
	"fmt"
	"time"

	"github.com/newswire/newswire/article"
)

// Leaders, treaties and days of the corpus.
var (
	putin     = article.LeaderTag{ID: "Q7747", Name: "Vladimir Putin", Country: "RU", Role: "president"}
	kim       = article.LeaderTag{ID: "Q56226", Name: "Kim Jong Un", Country: "KP", Role: "supreme leader"}
	xi        = article.LeaderTag{ID: "Q15031", Name: "Xi Jinping", Country: "CN", Role: "president"}
	zelenskyy = article.LeaderTag{ID: "Q3874799", Name: "Volodymyr Zelenskyy", Country: "UA", Role: "president"}

	partnership = article.TreatyTag{ID: "ru-kp-partnership", Name: "Treaty on Comprehensive Strategic Partnership", Parties: []string{"RU", "KP"}, Action: "signed"}
	newStart    = article.TreatyTag{ID: "new-start", Name: "New START", Parties: []string{"RU", "US"}, Action: "suspended"}
	npt         = article.TreatyTag{ID: "npt", Name: "Treaty on the Non-Proliferation of Nuclear Weapons", Parties: []string{"multilateral"}, Action: "mentioned"}
	grain       = article.TreatyTag{ID: "black-sea-grain", Name: "Black Sea Grain Initiative", Parties: []string{"UA", "RU", "TR"}, Action: "extended"}

	day1 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	day2 = day1.AddDate(0, 0, 1)
	day3 = day1.AddDate(0, 0, 2)
	day4 = day1.AddDate(0, 0, 3)
)

// at returns a time of day d.
func at(d time.Time, h, m, s int) time.Time {
	return d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
}

type spec struct {
	id, title, summary, body string
	published                time.Time
	countries                []string
	leaders                  []article.LeaderTag
	treaties                 []article.TreatyTag
	keywords                 []string
	source                   string
}

// scriptBody is the text of the article that checks snippet escaping.
const scriptBody = `A feed item carried <script>alert(1)</script> & "quotes" in its markup, and the parser kept them as text.`

var specs = []spec{
	{id: "a01", title: "Kim and Putin sign partnership treaty", body: "North Korea and Russia signed a comprehensive strategic partnership treaty at a summit in Pyongyang.",
		published: at(day1, 9, 0, 0), countries: []string{"KP", "RU"}, leaders: []article.LeaderTag{kim, putin}, treaties: []article.TreatyTag{partnership}, keywords: []string{"treaty", "summit"}, source: "reuters"},
	{id: "a02", title: "Russia suspends New START participation", body: "Moscow said it would suspend participation in the New START treaty with Washington.",
		published: at(day1, 12, 0, 0), countries: []string{"RU", "US"}, leaders: []article.LeaderTag{putin}, treaties: []article.TreatyTag{newStart}, keywords: []string{"treaty"}, source: "apnews"},
	{id: "a03", title: "Xi meets Putin in Moscow", body: "Chinese leader Xi Jinping met Vladimir Putin for talks on trade and energy.",
		published: at(day1, 23, 59, 59), countries: []string{"CN", "RU"}, leaders: []article.LeaderTag{xi, putin}, keywords: []string{"summit"}, source: "bbc"},
	{id: "a04", title: "North Korea fires missile", body: "North Korea launched a ballistic missile into the sea, Japan said.",
		published: day2, countries: []string{"KP"}, leaders: []article.LeaderTag{kim}, keywords: []string{"missile"}, source: "reuters"},
	{id: "a05", title: "US and China resume trade talks", body: "Negotiators from Washington and Beijing resumed trade talks.",
		published: at(day2, 8, 30, 0), countries: []string{"US", "CN"}, leaders: []article.LeaderTag{xi}, keywords: []string{"sanctions"}, source: "apnews"},
	{id: "a06", title: "Ukraine grain corridor", body: "Ukraine pushed to revive the Black Sea grain deal with Russia.",
		published: at(day2, 14, 0, 0), countries: []string{"UA", "RU"}, leaders: []article.LeaderTag{zelenskyy}, treaties: []article.TreatyTag{grain}, keywords: []string{"deal"}, source: "bbc"},
	{id: "a07", title: "Arms control treaties under strain", body: "Analysts warn that arms control treaties between Washington and Moscow are fraying.",
		published: at(day2, 18, 0, 0), countries: []string{"US", "RU"}, treaties: []article.TreatyTag{newStart, npt}, keywords: []string{"treaty"}, source: "reuters"},
	{id: "a08", title: "Script injection test page", body: scriptBody,
		published: at(day3, 10, 0, 0), countries: []string{"US"}, source: "bbc"},
	{id: "a09", title: "Weather report", body: "Snow fell across the north while South Korea saw rain.",
		published: at(day3, 12, 0, 0), countries: []string{"KR"}, source: "apnews"},
	{id: "a10", title: "Putin visits Pyongyang for talks with Kim", body: "The Russian president arrived in Pyongyang, North Korea, for a two-day visit.",
		published: at(day3, 15, 0, 0), countries: []string{"KP", "RU"}, leaders: []article.LeaderTag{putin, kim}, treaties: []article.TreatyTag{partnership}, keywords: []string{"summit"}, source: "apnews"},
	{id: "a11", title: "Kim Jong Un inspects factory", body: "The leader toured a munitions factory, state media said.",
		published: at(day3, 20, 0, 0), countries: []string{"KP"}, leaders: []article.LeaderTag{kim}, source: "kcna-watch"},
	{id: "a12", title: "China and Russia hold naval drills", body: "Warships from both navies exercised in the Sea of Japan.",
		published: at(day4, 6, 0, 0), countries: []string{"CN", "RU"}, keywords: []string{"drills"}, source: "reuters"},
	{id: "a13", title: "Zelenskyy seeks air defence", body: "Kyiv asked allies for more air defence systems.",
		published: at(day4, 6, 0, 0), countries: []string{"UA", "US"}, leaders: []article.LeaderTag{zelenskyy}, keywords: []string{"aid"}, source: "bbc"},
	{id: "a14", title: "Non-proliferation treaty review opens", body: "Delegates met to review the Treaty on the Non-Proliferation of Nuclear Weapons.",
		published: at(day4, 11, 0, 0), countries: []string{"US", "RU", "CN"}, treaties: []article.TreatyTag{npt}, keywords: []string{"treaty"}, source: "reuters"},
	{id: "a15", title: "Markets rally", summary: "Stocks rose after the treaty news.", body: "Investors bought shares in Seoul.",
		published: at(day4, 13, 0, 0), countries: []string{"KR"}, keywords: []string{"treaty"}, source: "apnews"},
	{id: "a16", title: "Putin hosts economic forum", body: "The forum in St Petersburg drew investors from China and India.",
		published: at(day4, 16, 0, 0), countries: []string{"RU", "CN", "IN"}, leaders: []article.LeaderTag{putin}, source: "reuters"},
	{id: "a17", title: "Undated feed item", body: "An item that arrived without a date.",
		source: "bbc"},
	{id: "a18", title: "Kim meets Xi", body: "Kim Jong Un and Xi Jinping discussed the peninsula.",
		published: day1, countries: []string{"KP", "CN"}, leaders: []article.LeaderTag{kim, xi}, keywords: []string{"summit"}, source: "bbc"},
	{id: "a19", title: "Treaty talks stall", body: "Negotiators left Geneva without agreement.",
		published: at(day4, 23, 59, 59).Add(999 * time.Millisecond), countries: []string{"US", "RU"}, treaties: []article.TreatyTag{newStart}, keywords: []string{"treaty"}, source: "apnews"},
	{id: "a20", title: "Russia and North Korea expand trade", body: "Rail freight between Russia and North Korea grew, despite sanctions.",
		published: at(day2, 10, 0, 0), countries: []string{"KP", "RU"}, keywords: []string{"sanctions"}, source: "reuters"},
}

// Corpus returns the suite's articles, freshly built on each call.
func Corpus() []article.Enriched {
	out := make([]article.Enriched, 0, len(specs))
	for _, s := range specs {
		out = append(out, build(s))
	}
	return out
}

var countryNames = map[string]string{
	"KP": "North Korea", "RU": "Russia", "CN": "China", "US": "United States",
	"UA": "Ukraine", "KR": "South Korea", "IN": "India",
}

func build(s spec) article.Enriched {
	ingested := s.published.Add(5 * time.Minute)
	if s.published.IsZero() {
		ingested = day4.Add(48 * time.Hour)
	}
	e := article.Enriched{
		Article: article.Article{
			Schema:    article.SchemaVersion,
			ID:        s.id,
			URL:       fmt.Sprintf("https://news.example/%s/%s", s.source, s.id),
			Source:    s.source,
			Title:     s.title,
			Summary:   s.summary,
			Body:      s.body,
			Language:  "en",
			Published: s.published,
			Ingested:  ingested,
		},
		Tags: article.Tags{
			Countries: []article.CountryTag{},
			Leaders:   append([]article.LeaderTag{}, s.leaders...),
			Treaties:  append([]article.TreatyTag{}, s.treaties...),
			Keywords:  append([]string{}, s.keywords...),
		},
		Enrichment: article.Enrichment{Version: "test-1", At: ingested},
	}
	for _, c := range s.countries {
		e.Tags.Countries = append(e.Tags.Countries, article.CountryTag{Code: c, Name: countryNames[c], Mentions: 1, Salience: 0.5})
	}
	return e
}

// filler is neutral text that pads synthetic articles to a realistic size.
const filler = "Officials briefed reporters on the schedule for the coming week. " +
	"The statement gave few details and said further talks were planned. " +
	"Observers noted that the wording had changed since the last meeting, " +
	"and several delegations asked for the full text to be published. "

// Synthetic returns n articles for benchmarks: the corpus articles
// repeated with unique ids (prefix + sequence), shifted over 30 days, and
// bodies padded to about 1.5 KB.
func Synthetic(prefix string, n int) []article.Enriched {
	out := make([]article.Enriched, 0, n)
	for i := 0; i < n; i++ {
		s := specs[i%len(specs)]
		s.id = fmt.Sprintf("%s%07d", prefix, i)
		if !s.published.IsZero() {
			s.published = s.published.AddDate(0, 0, (i/len(specs))%30).Add(time.Duration(i) * time.Millisecond)
		}
		s.body = s.body + " " + filler + filler + filler + filler + filler
		out = append(out, build(s))
	}
	return out
}
