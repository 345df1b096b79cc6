package enrich

import (
	"slices"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
)

// TestMultilingualRules checks the rules of the further languages one at
// a time: office titles with no name (resolved on the date, or undated to
// the current holder), German compounds, CJK abbreviations and the Korean
// names that are also common words, each with the look-alikes it must
// leave alone.
func TestMultilingualRules(t *testing.T) {
	tg, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	d2019 := time.Date(2019, 2, 26, 0, 0, 0, 0, time.UTC)
	d2023 := time.Date(2023, 5, 7, 0, 0, 0, 0, time.UTC)
	d2024 := time.Date(2024, 6, 6, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		lang      string
		date      time.Time
		text      string
		countries []string
		leaders   []string
	}{
		// Titles: the country before, after, after "de", across の/의, or implied.
		{"ru title then genitive", "ru", d2024, "Президент России прибыл в Пекин.", []string{"CN", "RU"}, []string{"Q7747"}},
		{"ru instrumental", "ru", d2024, "Переговоры с президентом Франции прошли в Москве.", []string{"FR", "RU"}, []string{"Q3052772"}},
		{"ru former", "ru", d2024, "Бывший президент России выступил в Москве.", []string{"RU"}, nil},
		{"de adjective before", "de", d2024, "Der französische Präsident hat gesprochen.", []string{"FR"}, []string{"Q3052772"}},
		{"de hyphen compound title", "de", d2019, "Vor dem Gipfel hat der US-Präsident Zuversicht geäußert.", []string{"US"}, []string{"Q22686"}},
		{"de implied country", "de", d2024, "Der Bundeskanzler hat weitere Hilfe zugesagt.", nil, []string{"Q61053"}},
		{"de plural after die", "de", d2024, "Die EU-Außenminister haben beraten.", []string{"EU"}, nil},
		{"fr adjective after", "fr", d2024, "Le Premier ministre britannique a parlé.", []string{"GB"}, []string{"Q20055561"}},
		{"fr after du", "fr", d2024, "Le roi du Maroc a reçu la délégation.", []string{"MA"}, []string{"Q57553"}},
		{"es after de", "es", d2024, "El presidente de Francia pidió calma.", []string{"FR"}, []string{"Q3052772"}},
		{"es implied country", "es", d2024, "El canciller alemán se reunió con el presidente del Gobierno.", []string{"DE"}, []string{"Q6070218", "Q61053"}},
		{"ar title then adjective", "ar", d2024, "رفض رئيس الوزراء الإسرائيلي الدعوات.", []string{"IL"}, []string{"Q43723"}},
		{"ar former after", "ar", d2024, "قال الرئيس الأمريكي السابق إن المحادثات انتهت.", []string{"US"}, nil},
		{"zh country then title", "zh", d2024, "中国国家主席会见了法国总统。", []string{"CN", "FR"}, []string{"Q15031", "Q3052772"}},
		{"zh former", "zh", d2024, "美国前总统发表讲话。", []string{"US"}, nil},
		{"ja possessive", "ja", d2024, "フランスの大統領は支援を続けると述べた。", []string{"FR"}, []string{"Q3052772"}},
		{"ko country then title", "ko", d2023, "일본 총리가 한국을 방문했다.", []string{"JP", "KR"}, []string{"Q359480"}},
		{"undated is the current holder", "ru", time.Time{}, "Премьер-министр Израиля выступил.", []string{"IL"}, []string{"Q43723"}},
		// German compounds.
		{"de compound", "de", d2024, "Die EU beschließt neue Russlandsanktionen.", []string{"EU", "RU"}, nil},
		{"de compound noun", "de", d2024, "Zwei Jahre Ukrainekrieg haben Europa verändert.", []string{"UA"}, nil},
		{"de derived word is no compound", "de", d2024, "Die Iranerin wurde ausgezeichnet.", nil, nil},
		{"de Irland is not Iran", "de", d2024, "In Irland und bei den Indianern Nordamerikas wurde gefeiert.", []string{"IE"}, nil},
		// Chinese and Japanese abbreviations.
		{"zh pair", "zh", d2024, "中美关系持续紧张。", []string{"CN", "US"}, nil},
		{"zh list", "zh", d2024, "中日韩领导人会议在首尔举行。", []string{"CN", "JP", "KR"}, nil},
		{"zh single before office word", "zh", d2024, "美军宣布撤离。", []string{"US"}, nil},
		{"zh among them the US", "zh", d2024, "其中美国游客最多。", []string{"US"}, nil},
		{"zh Central America", "zh", d2024, "中美洲多国受灾。", nil, nil},
		{"zh during the festival", "zh", d2024, "节日中游客很多。", nil, nil},
		{"zh Chinese-English text", "zh", d2024, "这份文件有中英文两个版本。", nil, nil},
		{"ja pair", "ja", d2024, "日米首脳会談が開かれた。", []string{"JP", "US"}, nil},
		{"ja single before office", "ja", d2024, "露大統領が演説した。", []string{"RU"}, []string{"Q7747"}},
		{"ja rice", "ja", d2024, "新米の価格が上がり、米の生育にも影響した。", nil, nil},
		{"ja daytime", "ja", d2024, "日中の気温が高い。", nil, nil},
		// Korean.
		{"ko pair", "ko", d2024, "한미 정상회담이 열렸다.", []string{"KR", "US"}, nil},
		{"ko Iran with particle", "ko", d2024, "이란이 이스라엘을 공격했다.", []string{"IL", "IR"}, nil},
		{"ko India with particle", "ko", d2024, "인도와 중국이 협의를 재개했다.", []string{"CN", "IN"}, nil},
		{"ko sidewalk", "ko", d2024, "서울에서 승용차가 인도로 돌진했다.", []string{"KR"}, nil},
		{"ko fraternal twins", "ko", d2024, "미국에서 이란성 쌍둥이가 태어났다.", []string{"US"}, nil},
		{"ko handover", "ko", d2024, "미국은 범죄인 인도 절차를 밟고 있다.", []string{"US"}, nil},
		{"ko alone needs another country", "ko", d2024, "이란의 입장이 나왔다.", nil, nil},
		{"ko copula", "ko", d2024, "미국의 평화란 무엇인가.", []string{"US"}, nil},
		// Names left out where they are part of common words.
		{"ko Christ is not Greece", "ko", d2024, "그리스도의 사랑", nil, nil},
		{"ja title is not Thailand", "ja", d2024, "タイトルとタイプ", nil, nil},
		{"de compound of a later country", "de", d2024, "Die Ungarnreise der Schweizer Regierung", []string{"CH", "HU"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := article.Article{Language: c.lang, Body: c.text, Published: c.date}
			tags := tg.Tag(&a)
			got := tags.CountryCodes()
			want := slices.Clone(c.countries)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("countries %v, want %v", got, want)
			}
			var ls []string
			for _, l := range tags.Leaders {
				ls = append(ls, l.ID)
			}
			slices.Sort(ls)
			if !slices.Equal(ls, c.leaders) {
				t.Errorf("leaders %v, want %v", ls, c.leaders)
			}
		})
	}
}
