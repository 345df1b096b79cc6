package enrich

import (
	"slices"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
)

// ruleCase is one text and the mentions the rules must make of it, each
// written "id rule" (a country code, leader id or treaty id, then the
// name of the rule that accepted it), in any order.
type ruleCase struct {
	name string
	body string
	want []string
}

// ruleMentions runs the rules over body and returns the accepted mentions
// of one kind ("country", "leader" or "treaty") as "id rule".
func ruleMentions(tb testing.TB, tg *Tagger, body, kind string, date time.Time) []string {
	tb.Helper()
	s := tg.pool.Get().(*scratch)
	defer tg.pool.Put(s)
	d := &s.doc
	d.reset(tg)
	a := article.Article{Body: body, Published: date}
	d.text = [3]string{a.Title, a.Summary, a.Body}
	d.date = a.Published
	d.year = d.date.Year()
	s.hits = s.hits[:0]
	for f := 0; f < 3; f++ {
		s.tz.toks = s.toks[f][:0]
		s.toks[f] = s.tz.run(d.text[f])
		d.toks[f] = s.toks[f]
		d.at[f] = resetInfo(d.at[f], len(s.toks[f])+1)
		s.hits = tg.m.scan(int8(f), s.toks[f], d.text[f], 0, s.hits)
	}
	d.hits = s.hits
	d.run()
	var out []string
	switch kind {
	case KindCountry:
		for _, m := range d.countries {
			out = append(out, tg.g.countries[m.ent].code+" "+m.rule)
		}
	case KindLeader:
		for _, m := range d.leaders {
			out = append(out, tg.persons[m.ent].id+" "+m.rule)
		}
	case KindTreaty:
		for _, m := range d.treaties {
			out = append(out, d.tkeys[m.ent].id+" "+m.rule)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func runRuleCases(t *testing.T, kind string, date time.Time, cases []ruleCase) {
	tg := newTagger(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ruleMentions(t, tg, c.body, kind, date)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s mentions of %q\n got %q\nwant %q", kind, c.body, got, want)
			}
		})
	}
}
