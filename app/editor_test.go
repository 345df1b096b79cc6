package app

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// call sends one request to the app and decodes the JSON answer into out
// (when non-nil).
func call(t *testing.T, a *App, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+a.HTTPAddr()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

// TestEditorTools is what an editor does through HTTP on the all-in-one
// (embedded broker and store): look a leader up, make a rule with names,
// be told about a misspelt one, see the rule's alert in its history, and
// backtest a rule over the last days.
func TestEditorTools(t *testing.T) {
	a := newTestApp(t, Config{DataDir: t.TempDir()})
	defer stopApp(t, a)

	var ents struct {
		Entities []struct {
			Kind, ID, Label string
			Countries       []string
		} `json:"entities"`
	}
	if st := call(t, a, "GET", "/api/v1/entities?kind=leader&q=kim+jong+un", "", &ents); st != 200 || len(ents.Entities) == 0 ||
		ents.Entities[0].ID != "Q56226" || ents.Entities[0].Countries[0] != "KP" {
		t.Fatalf("entity lookup: %d %+v", st, ents)
	}

	var bad struct {
		Problems []struct{ Path, Message string } `json:"problems"`
	}
	if st := call(t, a, "POST", "/api/v1/alerts/rules", `{"name":"x","query":{"leaders":["Kim Jong Un","Putn"]}}`, &bad); st != 400 ||
		len(bad.Problems) != 1 || bad.Problems[0].Path != "query.leaders[1]" || !strings.Contains(bad.Problems[0].Message, "did you mean Vladimir Putin (Q7747)?") {
		t.Fatalf("misspelt leader: %d %+v", st, bad)
	}
	var rule struct {
		ID    string `json:"id"`
		Query struct {
			Countries, Leaders []string
		} `json:"query"`
	}
	if st := call(t, a, "POST", "/api/v1/alerts/rules", `{"name":"kp-ru","query":{"text":"treaty","countries":["North Korea","russia"],"leaders":["Kim Jong Un"]}}`, &rule); st != 201 ||
		strings.Join(rule.Query.Countries, ",") != "KP,RU" || strings.Join(rule.Query.Leaders, ",") != "Q56226" {
		t.Fatalf("rule by names: %d %+v", st, rule)
	}

	yesterday := time.Now().UTC().Add(-24 * time.Hour).Format(time.RFC3339)
	art := strings.Replace(pyongyang, "2024-06-19T12:00:00Z", yesterday, 1)
	var ack map[string]any
	if st, m := post(t, a, "application/json", art); st != http.StatusAccepted {
		t.Fatalf("ingest: %d %v", st, m)
	} else {
		ack = m
	}

	// The alert reaches the rule's history through the alerts topic.
	var hist struct {
		RuleID string `json:"rule_id"`
		Alerts []struct {
			ArticleID string `json:"article_id"`
			Title     string `json:"title"`
			Partition int    `json:"partition"`
			Offset    int64  `json:"offset"`
		} `json:"alerts"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if st := call(t, a, "GET", "/api/v1/alerts/rules/"+rule.ID+"/history", "", &hist); st != 200 {
			t.Fatalf("history: %d", st)
		}
		if len(hist.Alerts) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(hist.Alerts) != 1 || !strings.Contains(hist.Alerts[0].Title, "Pyongyang") {
		t.Fatalf("history after one matching article: %+v (ingest answer %v)", hist, ack)
	}
	articleID := hist.Alerts[0].ArticleID

	// The backtest of a rule in names finds the same article once indexed;
	// a rule it does not match finds nothing.
	waitFor(t, a, treatyQuery(), 20*time.Second, func(s searchAnswer) bool { return s.Total == 1 })
	var bt struct {
		Candidates, Checked, Matched int
		Matches                      []struct {
			ArticleID string `json:"article_id"`
			Terms     []any  `json:"terms"`
		} `json:"matches"`
	}
	if st := call(t, a, "POST", "/api/v1/alerts/rules/test", `{"rule":{"query":{"text":"treaty","countries":["North Korea"]}},"days":3}`, &bt); st != 200 ||
		bt.Matched != 1 || len(bt.Matches) != 1 || bt.Matches[0].ArticleID != articleID || len(bt.Matches[0].Terms) == 0 {
		t.Fatalf("backtest: %d %+v, want article %s", st, bt, articleID)
	}
	if st := call(t, a, "POST", "/api/v1/alerts/rules/test", `{"rule":{"query":{"text":"treaty","countries":["Japan"]}},"days":3}`, &bt); st != 200 || bt.Matched != 0 {
		t.Fatalf("backtest of a rule that does not match: %d %+v", st, bt)
	}
	// Text/plain is refused like every rule write.
	req, _ := http.NewRequest("POST", "http://"+a.HTTPAddr()+"/api/v1/alerts/rules/test", strings.NewReader(`{"rule":{"query":{"text":"treaty"}}}`))
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain backtest: %d, want 415", resp.StatusCode)
	}
}
