package story

import (
	"strings"
	"testing"

	"github.com/newswire/newswire/article"
)

const report = `Russian President Vladimir Putin and North Korean leader Kim Jong Un signed a treaty in Pyongyang on Wednesday that commits each country to help the other if it is attacked.

The agreement was signed during Putin's first visit to North Korea in 24 years, and both leaders described it as raising relations to a new level.

Officials in Seoul and Washington said the pact threatened security on the Korean peninsula and called on Moscow to respect United Nations sanctions.

Analysts said the treaty went further than any agreement between the two countries since the end of the Cold War.`

func enriched(id, title, body string) *article.Enriched {
	return &article.Enriched{Article: article.Article{ID: id, Title: title, Body: body}}
}

func TestSignDeterministicAndCaseBlind(t *testing.T) {
	a, ok := Sign("t", "", report)
	if !ok {
		t.Fatal("report not signed")
	}
	b, _ := Sign("other title", "", strings.ToUpper(report))
	if a != b {
		t.Error("signature depends on case or on the title of a long body")
	}
	if got := a.ContentID(); len(got) != 17 || got[0] != 's' {
		t.Errorf("content id %q is not s + 16 hex digits", got)
	}
	if _, ok := Sign("", "", "two words"); ok {
		t.Error("two words signed")
	}
}

func TestSimilarity(t *testing.T) {
	a, _ := Sign("", "", report)
	paras := strings.Split(report, "\n\n")
	trimmed, _ := Sign("", "", strings.Join(paras[:3], "\n\n"))
	other, _ := Sign("", "", "Finland joined the North Atlantic Treaty Organization on Tuesday, doubling the length of the alliance's border with Russia, after Turkey's parliament became the last to ratify its membership. The flag was raised outside the headquarters in Brussels as ministers met.")
	if s := a.Similarity(&trimmed); s < 0.6 {
		t.Errorf("trimmed copy similarity %.2f < 0.6", s)
	}
	if s := a.Similarity(&other); s > 0.2 {
		t.Errorf("unrelated article similarity %.2f > 0.2", s)
	}
}

func TestAssign(t *testing.T) {
	c, err := New(Config{Window: 8})
	if err != nil {
		t.Fatal(err)
	}
	orig := enriched("a1", "Putin and Kim sign defence treaty", report)
	c.Assign(orig)
	if orig.Story == nil {
		t.Fatal("no story")
	}
	sig, _ := Sign("", "", report)
	if orig.Story.ID != sig.ContentID() {
		t.Errorf("first copy story %s, want its content id %s", orig.Story.ID, sig.ContentID())
	}
	paras := strings.Split(report, "\n\n")
	paras[0] = "Moscow and Pyongyang sealed a mutual defence pact on Wednesday, the highlight of a rare visit."
	cp := enriched("a2", "Russia and North Korea seal pact", strings.Join(paras, "\n\n"))
	c.Assign(cp)
	if cp.Story == nil || cp.Story.ID != orig.Story.ID {
		t.Errorf("copy story %v, want %s", cp.Story, orig.Story.ID)
	}
	// The same article again keeps its story even when edited further.
	again := enriched("a2", "", "A completely different text about the weather in Lisbon, which was sunny and warm with light winds from the west all day long.")
	c.Assign(again)
	if again.Story == nil || again.Story.ID != orig.Story.ID {
		t.Errorf("redelivered article story %v, want %s", again.Story, orig.Story.ID)
	}
	short := enriched("a3", "", "")
	c.Assign(short)
	if short.Story != nil {
		t.Errorf("empty article got story %v", short.Story)
	}
}

func TestWindowForgets(t *testing.T) {
	c, err := New(Config{Window: 2})
	if err != nil {
		t.Fatal(err)
	}
	first := enriched("a1", "", report)
	c.Assign(first)
	for i, body := range []string{
		"Finland joined the North Atlantic Treaty Organization on Tuesday, doubling the length of the alliance's border with Russia.",
		"India landed a spacecraft near the south pole of the Moon on Wednesday, the first country to do so, in a triumph for its space programme.",
	} {
		c.Assign(enriched(string(rune('b'+i)), "", body))
	}
	if c.Len() != 2 {
		t.Errorf("Len %d, want 2", c.Len())
	}
	// a1 was evicted: its copy no longer finds it and starts from its own
	// content id (the same as a1's here, the body being identical).
	cp := enriched("a9", "", report)
	c.Assign(cp)
	if cp.Story.ID != first.Story.ID {
		t.Errorf("identical copy after eviction got %s, want the content id %s", cp.Story.ID, first.Story.ID)
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{Window: -1, Threshold: 2}.Validate()
	if err == nil || !strings.Contains(err.Error(), "window") || !strings.Contains(err.Error(), "threshold") {
		t.Errorf("Validate = %v, want both problems", err)
	}
	if _, err := New(Config{Window: -1}); err == nil {
		t.Error("New accepted a negative window")
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
}

// TestSameEventStaysApart: different reports of one event share names,
// places and dates but not sentences; they must not become one story.
func TestSameEventStaysApart(t *testing.T) {
	set := evalSet(t)
	got := assignAll(t, set, 1)
	byTitle := map[string]string{}
	for i, it := range set {
		if !strings.Contains(it.ID, "/copy") {
			byTitle[it.Title] = got[i]
		}
	}
	for _, pair := range [][2]string{
		{"Putin and Kim sign defence treaty in Pyongyang on first visit in 24 years", "Putin and Kim sign strategic partnership treaty in Pyongyang"},
		{"Putin and Kim sign defence treaty in Pyongyang on first visit in 24 years", "Beijing keeps its distance from Russia-North Korea pact"},
	} {
		a, okA := byTitle[pair[0]]
		b, okB := byTitle[pair[1]]
		if !okA || !okB {
			t.Fatalf("evaluation set lacks %q or %q", pair[0], pair[1])
		}
		if a == b {
			t.Errorf("%q and %q share story %s", pair[0], pair[1], a)
		}
	}
}

func FuzzSign(f *testing.F) {
	f.Add("title", "summary", report)
	f.Add("", "", "a\n\nb\n\nc")
	f.Fuzz(func(t *testing.T, title, summary, body string) {
		a, okA := Sign(title, summary, body)
		b, okB := Sign(title, summary, body)
		if a != b || okA != okB {
			t.Fatal("Sign is not deterministic")
		}
		if okA && a.Similarity(&a) != 1 {
			t.Fatal("self-similarity is not 1")
		}
	})
}
