package enrich

import (
	"strings"
	"testing"

	"github.com/newswire/newswire/article"
)

func TestLanguage(t *testing.T) {
	cases := []struct {
		name string
		a    article.Article
		want string
	}{
		{"field wins", article.Article{Language: "fr-FR", Body: "The talks ended."}, "fr"},
		{"unknown field is detected", article.Article{Language: "xx", Body: "The talks ended in the night."}, "en"},
		{"english", article.Article{Body: "The president said that the talks were over and would not resume."}, "en"},
		{"french", article.Article{Body: "Le président a déclaré que les discussions étaient terminées et qu'elles ne reprendraient pas."}, "fr"},
		{"spanish", article.Article{Body: "El presidente dijo que las conversaciones habían terminado y que no se reanudarían."}, "es"},
		{"german", article.Article{Body: "Der Präsident sagte, dass die Gespräche beendet seien und nicht wieder aufgenommen würden."}, "de"},
		{"russian", article.Article{Body: "Президент заявил, что переговоры завершены."}, "ru"},
		{"arabic", article.Article{Body: "قال الرئيس إن المحادثات انتهت."}, "ar"},
		{"chinese", article.Article{Body: "总统表示会谈已经结束。"}, "zh"},
		{"japanese", article.Article{Body: "大統領は会談が終わったと述べた。"}, "ja"},
		{"korean", article.Article{Body: "대통령은 회담이 끝났다고 말했다."}, "ko"},
		{"nothing to read", article.Article{Body: "12 345"}, ""},
	}
	for _, c := range cases {
		if got := Language(&c.a); got != c.want {
			t.Errorf("%s: Language = %q, want %q", c.name, got, c.want)
		}
	}
	// Every function word belongs to one language only.
	n := 0
	for _, ws := range functionWordText {
		n += len(strings.Fields(ws))
	}
	if n != len(functionWords) {
		t.Errorf("%d function words listed, %d distinct: a word is in two lists", n, len(functionWords))
	}
}

// TestLatinNamesGated checks that the French, Spanish and German names
// match only in articles of their language.
func TestLatinNamesGated(t *testing.T) {
	tg, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	fr := article.Article{Language: "fr", Body: "Le président de la Chine est arrivé."}
	en := article.Article{Language: "en", Body: "The word Chine is a cut of meat."}
	frTags, enTags := tg.Tag(&fr), tg.Tag(&en)
	if got := frTags.CountryCodes(); len(got) != 1 || got[0] != "CN" {
		t.Errorf("French article: countries %v, want [CN]", got)
	}
	if got := enTags.CountryCodes(); len(got) != 0 {
		t.Errorf("English article: countries %v, want none", got)
	}
}

func BenchmarkLanguage(b *testing.B) {
	a := &article.Article{Title: "Talks resume", Body: strings.Repeat("The president said that the talks were over and would not resume. ", 40)}
	b.SetBytes(int64(len(a.Title) + len(a.Body)))
	for i := 0; i < b.N; i++ {
		Language(a)
	}
}
