package indextest

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// testGet: Get returns the stored article exactly as indexed, spans and
// story included, and ErrNotFound for an unknown id.
func testGet(t *testing.T, s index.Store) {
	docs := Corpus()[:3]
	docs[0].Story = &article.StoryRef{ID: "s-pact"}
	docs[0].Tags.Countries[0].Spans = []article.Span{{Field: article.FieldBody, Start: 0, End: 11}}
	load(t, s, docs)
	got, err := s.Get(ctx(t), docs[0].ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	want, _ := json.Marshal(&docs[0])
	gotJSON, _ := json.Marshal(&got)
	if string(gotJSON) != string(want) {
		t.Errorf("Get returned\n%s\nwant\n%s", gotJSON, want)
	}
	if _, err := s.Get(ctx(t), "no-such-article"); !errors.Is(err, index.ErrNotFound) {
		t.Errorf("Get of an unknown id: %v, want ErrNotFound", err)
	}
}

// testTimeline: per action of one treaty, the first dated report, the
// number of articles and of distinct sources; "mentioned" and other
// treaties left out.
func testTimeline(t *testing.T, s index.Store) {
	treaty := func(action string) article.TreatyTag {
		return article.TreatyTag{ID: "t-kp-ru-2024", Name: "Treaty on Comprehensive Strategic Partnership", Parties: []string{"KP", "RU"}, Action: action}
	}
	other := article.TreatyTag{ID: "t-new-start", Name: "New START", Action: "suspended"}
	mk := func(id, source string, tags ...article.TreatyTag) spec {
		return spec{id: id, title: "Treaty report " + id, body: "A report on the treaty.", source: source, treaties: tags}
	}
	specs := []spec{
		mk("t1", "reuters", treaty("signed")),
		mk("t2", "apnews", treaty("signed")),
		mk("t3", "reuters", treaty("signed"), other),
		mk("t4", "bbc", treaty("ratified")),
		mk("t5", "reuters", treaty("in force")),
		mk("t6", "bbc", treaty("mentioned")),
		mk("t7", "apnews", treaty("signed")), // undated: counted, never first
		mk("t8", "reuters", other),
	}
	specs[0].published = at(day1, 14, 0, 0)
	specs[1].published = at(day1, 9, 0, 0)
	specs[2].published = at(day2, 9, 0, 0)
	specs[3].published = at(day3, 9, 0, 0)
	specs[4].published = at(day4, 9, 0, 0)
	specs[5].published = at(day4, 10, 0, 0)
	specs[7].published = at(day1, 1, 0, 0)
	var docs []article.Enriched
	for _, sp := range specs {
		docs = append(docs, build(sp))
	}
	load(t, s, docs)
	got, err := s.Timeline(ctx(t), "t-kp-ru-2024")
	if err != nil {
		t.Fatalf("Timeline: %v", err)
	}
	ref := func(i int) index.ArticleRef {
		d := &docs[i]
		return index.ArticleRef{ID: d.ID, Title: d.Title, URL: d.URL, Source: d.Source, Published: d.Published}
	}
	want := []index.TimelineEntry{
		{Action: "signed", First: ref(1), Articles: 4, Sources: 2},
		{Action: "ratified", First: ref(3), Articles: 1, Sources: 1},
		{Action: "in force", First: ref(4), Articles: 1, Sources: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Timeline =\n%+v\nwant\n%+v", got, want)
	}
	if got, err := s.Timeline(ctx(t), "no-such-treaty"); err != nil || len(got) != 0 {
		t.Errorf("Timeline of an unknown treaty = %v, %v; want empty", got, err)
	}
}
