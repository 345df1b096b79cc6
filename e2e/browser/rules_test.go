package browser

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/newswire/newswire/app"
	"github.com/newswire/newswire/enrich"
)

// rulesApp is the all-in-one process (embedded broker and store, every
// stage) serving the page, so that a rule's alert travels the real path
// to the browser: ingest, enrich, alert, the alerts topic, the stream.
func rulesApp(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the whole pipeline")
	}
	tg, err := enrich.New(enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Config{
		DataDir: t.TempDir(), EmbeddedBrokerAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Tagger: tg,
		FlushInterval: 5 * time.Millisecond, ShutdownTimeout: 10 * time.Second, MaxBodyBytes: 64 << 10,
	}, zap.NewNop(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return "http://" + a.HTTPAddr()
}

// apiCall sends one JSON request and decodes the answer into out.
func apiCall(t *testing.T, method, url, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
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
		_ = json.Unmarshal(b, out)
	}
	return resp.StatusCode
}

// forgive drops the recorded browser problems that re matches: answers
// the flow provokes on purpose.
func (p *page) forgive(re *regexp.Regexp) {
	p.mu.Lock()
	defer p.mu.Unlock()
	kept := p.problems[:0]
	for _, pr := range p.problems {
		if !re.MatchString(pr) {
			kept = append(kept, pr)
		}
	}
	p.problems = kept
}

// inRule is a tabTo predicate: the focused element is a button of the
// rule with that id whose text is label.
func inRule(id, label string) string {
	return `el.tagName === "BUTTON" && el.textContent === ` + jsString(label) + ` && el.closest("li.rule-item") && el.closest("li.rule-item").dataset.rule === ` + jsString(id)
}

func ruleSel(id string) string {
	return `document.querySelector('li.rule-item[data-rule=` + jsString(id) + `]')`
}

// TestRulesManager: the rules panel lists the rules; by keyboard an
// editor pauses one, edits another (a misspelt leader is refused with the
// suggestion, the right name is stored as its id), opens its history and
// sees a live alert arrive, and deletes the paused rule.
func TestRulesManager(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole pipeline")
	}
	// The browser first: without Chromium the test skips before the
	// pipeline starts.
	p := newPageAt(t, "about:blank")
	base := rulesApp(t)
	p.base = base

	var kp, chess struct {
		ID string `json:"id"`
	}
	if st := apiCall(t, "POST", base+"/api/v1/alerts/rules", `{"name":"KP treaty","query":{"text":"treaty","countries":["North Korea"]}}`, &kp); st != 201 {
		t.Fatalf("create rule: %d", st)
	}
	if st := apiCall(t, "POST", base+"/api/v1/alerts/rules", `{"name":"Chess","query":{"text":"chess"}}`, &chess); st != 201 {
		t.Fatalf("create rule: %d", st)
	}
	p.open("/")
	if n := evalAs[int](p, `document.querySelectorAll("#rules-manager li.rule-item").length`); n != 0 {
		t.Fatalf("rules listed before the box was opened: %d", n)
	}
	p.tabTo("the Manage alerts box", `el.id === "rules-title"`)
	p.press(kb.Enter)
	p.waitFor("both rules listed", `document.querySelectorAll("#rules-manager li.rule-item").length === 2`)
	p.waitFor("the KP rule's summary with the country's name", ruleSel(kp.ID)+`.querySelector(".rule-query").textContent === "“treaty” · countries: North Korea (KP)"`)

	// Pause.
	p.tabTo("Pause of the chess rule", inRule(chess.ID, "Pause"))
	p.press(kb.Enter)
	p.waitFor("the chess rule paused", ruleSel(chess.ID)+` && `+ruleSel(chess.ID)+`.classList.contains("paused")`)
	var got struct {
		Enabled *bool `json:"enabled"`
		Query   struct {
			Leaders []string `json:"leaders"`
		} `json:"query"`
	}
	if st := apiCall(t, "GET", base+"/api/v1/alerts/rules/"+chess.ID, "", &got); st != 200 || got.Enabled == nil || *got.Enabled {
		t.Fatalf("after Pause the rule is %d %+v", st, got)
	}

	// Edit: a misspelt leader, then the right one.
	p.tabTo("Edit of the KP rule", inRule(kp.ID, "Edit"))
	p.press(kb.Enter)
	p.waitFor("the editor", ruleSel(kp.ID)+`.querySelector("form.rule-edit") !== null`)
	p.tabTo("the leaders field", `el.id.endsWith("-leaders")`)
	p.press("Putn")
	p.tabTo("Save", `el.tagName === "BUTTON" && el.textContent === "Save"`)
	p.press(kb.Enter)
	p.waitFor("the suggestion", ruleSel(kp.ID)+`.querySelector(".rule-problems").textContent.includes("unknown leader \"Putn\"; did you mean Vladimir Putin (Q7747)?")`)
	p.forgive(regexp.MustCompile(`status of 400.*/api/v1/alerts/rules/|/api/v1/alerts/rules/` + regexp.QuoteMeta(kp.ID)))
	p.tabTo("the leaders field", `el.id.endsWith("-leaders")`)
	for range len("Putn") {
		p.press(kb.Backspace)
	}
	p.press("Vladimir Putin")
	p.tabTo("Save", `el.tagName === "BUTTON" && el.textContent === "Save"`)
	p.press(kb.Enter)
	p.waitFor("the rule saved with the leader's id", ruleSel(kp.ID)+` && `+ruleSel(kp.ID)+`.querySelector(".rule-query").textContent.includes("leaders: Vladimir Putin (Q7747)")`)
	if st := apiCall(t, "GET", base+"/api/v1/alerts/rules/"+kp.ID, "", &got); st != 200 || strings.Join(got.Query.Leaders, ",") != "Q7747" {
		t.Fatalf("after Save the rule is %d %+v", st, got)
	}

	// History, and a live alert appearing in it.
	p.tabTo("History of the KP rule", inRule(kp.ID, "History"))
	p.press(kb.Enter)
	p.waitFor("the empty history", ruleSel(kp.ID)+`.textContent.includes("No alerts yet.")`)
	yesterday := time.Now().UTC().Add(-24 * time.Hour).Format(time.RFC3339)
	art := `{"url":"https://browser.example/putin-kim-treaty","source":"Browser Wire","title":"Putin and Kim sign a treaty in Pyongyang",` +
		`"body":"Vladimir Putin and Kim Jong Un signed a treaty. North Korea and Russia pledged mutual help.","published":"` + yesterday + `"}`
	if st := apiCall(t, "POST", base+"/api/v1/articles", art, nil); st != http.StatusAccepted {
		t.Fatalf("ingest: %d", st)
	}
	p.waitFor("the live alert in the history", ruleSel(kp.ID)+`.querySelector(".rule-history") && `+ruleSel(kp.ID)+`.querySelector(".rule-history").textContent.includes("Putin and Kim sign a treaty in Pyongyang")`)

	// Delete (the confirmation is answered yes).
	evalAs[bool](p, `(window.confirm = () => true, true)`)
	p.tabTo("Delete of the chess rule", inRule(chess.ID, "Delete"))
	p.press(kb.Enter)
	p.waitFor("the chess rule gone", ruleSel(chess.ID)+` === null && document.querySelectorAll("#rules-manager li.rule-item").length === 1`)
	if st := apiCall(t, "GET", base+"/api/v1/alerts/rules/"+chess.ID, "", nil); st != http.StatusNotFound {
		t.Errorf("deleted rule answers %d", st)
	}
	p.checkConsole()
}

// TestSaveSubjectSearchAsRule: a search for the articles about North
// Korea held in Russia, saved by keyboard as an alert, becomes a rule
// whose subject_countries is KP and countries RU; the rules panel names
// the subject country.
func TestSaveSubjectSearchAsRule(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole pipeline")
	}
	p := newPageAt(t, "about:blank")
	base := rulesApp(t)
	p.base = base

	p.open("/?q=treaty&subject=KP&country=RU&not_subject=CN")
	p.waitFor("the subject chip", `[...document.querySelectorAll("#chips .chip")].some((c) => c.textContent.includes("Subject country"))`)
	p.tabTo("the alert name", `el.id === "rule-name"`)
	evalAs[bool](p, `(document.querySelector("#rule-name").value = "", true)`)
	p.press("About North Korea, in Russia")
	p.press(kb.Enter)
	p.waitFor("the save to be confirmed", `document.querySelector("#rule-status").textContent.includes("saved")`)
	if s := p.text("#rule-status"); strings.Contains(s, "any role") || strings.Contains(s, "cannot") {
		t.Errorf("the save still warns: %q", s)
	}

	var list struct {
		Rules []struct {
			ID    string `json:"id"`
			Name  string `json:"name"`
			Query struct {
				Text             string   `json:"text"`
				Countries        []string `json:"countries"`
				SubjectCountries []string `json:"subject_countries"`
				Not              []struct {
					SubjectCountries []string `json:"subject_countries"`
				} `json:"not"`
			} `json:"query"`
		} `json:"rules"`
	}
	if st := apiCall(t, "GET", base+"/api/v1/alerts/rules", "", &list); st != 200 || len(list.Rules) != 1 {
		t.Fatalf("rules: %d %+v", st, list)
	}
	r := list.Rules[0]
	if r.Name != "About North Korea, in Russia" || r.Query.Text != "treaty" ||
		strings.Join(r.Query.SubjectCountries, ",") != "KP" || strings.Join(r.Query.Countries, ",") != "RU" ||
		len(r.Query.Not) != 1 || strings.Join(r.Query.Not[0].SubjectCountries, ",") != "CN" {
		t.Fatalf("saved rule = %+v, want subject_countries [KP], countries [RU], not [{subject_countries [CN]}]", r)
	}

	p.tabTo("the Manage alerts box", `el.id === "rules-title"`)
	p.press(kb.Enter)
	p.waitFor("the rule's summary with the subject country", ruleSel(r.ID)+` && `+ruleSel(r.ID)+
		`.querySelector(".rule-query").textContent === "“treaty” · countries: Russia (RU) · subject countries: North Korea (KP) · none of 1"`)
	p.checkConsole()
}
