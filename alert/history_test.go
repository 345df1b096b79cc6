package alert

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/newswire/newswire/consumers"
)

func histAlert(rule, art string, at time.Time) Alert {
	return Alert{Schema: EventSchema, Type: TypeAlert, ID: AlertID(rule, art), RuleID: rule, ArticleID: art, Title: "t " + art, At: at}
}

func TestHistory(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	type add struct {
		rule, art string
		min, part int
		off       int64
	}
	for _, tc := range []struct {
		name     string
		perRule  int
		maxRules int
		adds     []add
		rule     string
		limit    int
		want     []string // article ids, newest first
	}{
		{name: "newest first across partitions", adds: []add{{"r", "a", 1, 0, 5}, {"r", "c", 3, 1, 2}, {"r", "b", 2, 0, 6}}, rule: "r", want: []string{"c", "b", "a"}},
		{name: "other rules kept apart", adds: []add{{"r", "a", 1, 0, 1}, {"s", "b", 2, 0, 2}}, rule: "s", want: []string{"b"}},
		{name: "bounded per rule", perRule: 2, adds: []add{{"r", "a", 1, 0, 1}, {"r", "b", 2, 0, 2}, {"r", "c", 3, 0, 3}}, rule: "r", want: []string{"c", "b"}},
		{name: "limit", adds: []add{{"r", "a", 1, 0, 1}, {"r", "b", 2, 0, 2}, {"r", "c", 3, 0, 3}}, rule: "r", limit: 1, want: []string{"c"}},
		{name: "record read again is ignored", adds: []add{{"r", "a", 1, 0, 4}, {"r", "a", 1, 0, 4}, {"r", "z", 9, 0, 3}}, rule: "r", want: []string{"a"}},
		{name: "rule alerted longest ago is evicted", maxRules: 2, adds: []add{{"old", "a", 1, 0, 1}, {"mid", "b", 2, 0, 2}, {"new", "c", 3, 0, 3}}, rule: "old", want: nil},
		{name: "eviction keeps the recent", maxRules: 2, adds: []add{{"old", "a", 1, 0, 1}, {"mid", "b", 2, 0, 2}, {"new", "c", 3, 0, 3}}, rule: "mid", want: []string{"b"}},
		{name: "unknown rule", adds: []add{{"r", "a", 1, 0, 1}}, rule: "x", want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHistory(tc.perRule, tc.maxRules)
			for _, a := range tc.adds {
				h.Add(histAlert(a.rule, a.art, t0.Add(time.Duration(a.min)*time.Minute)), a.part, a.off)
			}
			got := h.Recent(tc.rule, tc.limit)
			var ids []string
			for _, e := range got {
				ids = append(ids, e.ArticleID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
				t.Errorf("history %v, want %v", ids, tc.want)
			}
		})
	}
}

// TestHistoryEndpoint: alerts the hub reads from the alerts topic appear
// in their rule's history, newest first, bounded by ?limit.
func TestHistoryEndpoint(t *testing.T) {
	store, err := OpenRuleStore(StoreConfig{Log: &memLog{}}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	store.cfg.Log.(*memLog).follow(store)
	hist := NewHistory(3, 0)
	hub := NewHub(HubConfig{History: hist}, nil, zap.NewNop())
	defer hub.Close()
	svc, err := NewService(ServiceConfig{Store: store, Hub: hub, History: hist}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, r := range svc.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	code, m := do(t, "POST", srv.URL+"/api/v1/alerts/rules", `{"id":"kp","name":"kp","query":{"text":"treaty"}}`)
	if code != 201 {
		t.Fatalf("create: %d %v", code, m)
	}
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		b, _ := json.Marshal(histAlert("kp", fmt.Sprint("art-", i), t0.Add(time.Duration(i)*time.Second)))
		hub.publishRecord(consumers.Record{Partition: i % 2, Offset: int64(10 + i), Value: b})
	}
	hub.publishRecord(consumers.Record{Partition: 0, Offset: 99, Value: []byte(`{"type":"digest","rule_id":"kp"}`)})

	get := func(path string) (int, HistoryAnswer) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a HistoryAnswer
		_ = json.NewDecoder(resp.Body).Decode(&a)
		return resp.StatusCode, a
	}
	code, a := get("/api/v1/alerts/rules/kp/history")
	if code != 200 || a.Kept != 3 || len(a.Alerts) != 3 || a.Alerts[0].ArticleID != "art-4" || a.Alerts[2].ArticleID != "art-2" ||
		a.Alerts[0].Partition != 0 || a.Alerts[0].Offset != 14 {
		t.Fatalf("history: %d %+v", code, a)
	}
	if code, a = get("/api/v1/alerts/rules/kp/history?limit=1"); code != 200 || len(a.Alerts) != 1 {
		t.Errorf("limit=1: %d %+v", code, a)
	}
	if code, _ = get("/api/v1/alerts/rules/kp/history?limit=0"); code != 400 {
		t.Errorf("limit=0: %d, want 400", code)
	}
	if code, _ = get("/api/v1/alerts/rules/nope/history"); code != 404 {
		t.Errorf("unknown rule: %d, want 404", code)
	}
	// A known rule with no alerts yet has an empty history.
	if code, m := do(t, "POST", srv.URL+"/api/v1/alerts/rules", `{"id":"quiet","name":"q","query":{"text":"summit"}}`); code != 201 {
		t.Fatalf("create: %d %v", code, m)
	}
	if code, a = get("/api/v1/alerts/rules/quiet/history"); code != 200 || a.Alerts == nil || len(a.Alerts) != 0 {
		t.Errorf("quiet rule: %d %+v", code, a)
	}
}

func BenchmarkHistoryAdd(b *testing.B) {
	h := NewHistory(0, 0)
	a := histAlert("r", "a", time.Now())
	var off int64
	b.ReportAllocs()
	for b.Loop() {
		off++
		a.RuleID = fmt.Sprint("r-", off%1000)
		h.Add(a, 0, off)
	}
}
