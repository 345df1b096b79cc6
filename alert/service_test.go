package alert

import (
	"sync"

	"context"
	"encoding/json"
	"github.com/newswire/newswire/consumers"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

const ruleFile = `rules:
  - id: summit-or-treaty
    name: Summit or treaty
    query:
      any:
        - text: summit
        - text: treaty
`

// memLog stands for the rules topic in unit tests: it keeps every record
// and hands each to the stores following it, as the tailer would.
type memLog struct {
	mu      sync.Mutex
	records []consumers.Record
	stores  []*RuleStore
}

func (l *memLog) Append(_ context.Context, key string, value []byte) error {
	l.mu.Lock()
	l.records = append(l.records, consumers.Record{Key: []byte(key), Value: value})
	stores := append([]*RuleStore{}, l.stores...)
	l.mu.Unlock()
	for _, s := range stores {
		s.Apply([]byte(key), value)
	}
	return nil
}

// follow replays the log into s and keeps it following.
func (l *memLog) follow(s *RuleStore) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.records {
		s.Apply(r.Key, r.Value)
	}
	l.stores = append(l.stores, s)
}

var testLogs sync.Map // dir → *memLog: one "topic" per test directory

func newTestService(t *testing.T, dir string) (*Service, *httptest.Server) {
	t.Helper()
	l, _ := testLogs.LoadOrStore(dir, &memLog{})
	log := l.(*memLog)
	store, err := OpenRuleStore(StoreConfig{Log: log, FilePath: filepath.Join(dir, "rules.yaml")}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	log.follow(store)
	svc, err := NewService(ServiceConfig{Store: store}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, r := range svc.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return svc, srv
}

func do(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func TestRuleAPI(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(ruleFile), 0o644); err != nil {
		t.Fatal(err)
	}
	svc, srv := newTestService(t, dir)
	base := srv.URL + "/api/v1/alerts/rules"

	// The page's shape: name and query only.
	code, body := do(t, "POST", base, `{"name":"KP RU treaty","query":{"text":"treaty","countries":["KP","RU"]}}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, body)
	}
	id, _ := body["id"].(string)
	if id == "" || body["origin"] != "api" {
		t.Fatalf("created %v", body)
	}
	if len(svc.Match(testArticle("a1"))) != 2 {
		t.Errorf("new rule not in force")
	}
	code, body = do(t, "POST", base, `{"name":"x","query":{"text":"treaty -rumour \"strategic","near":{"a":"a","b":"b","within":0}}}`)
	if code != http.StatusBadRequest || !strings.Contains(body["error"].(string), "query.text: unbalanced quote at 15") ||
		!strings.Contains(body["error"].(string), "query.near.within: must be 1..50") {
		t.Errorf("validation: %d %v", code, body)
	}
	if probs, _ := body["problems"].([]any); len(probs) != 2 {
		t.Errorf("problems = %v", body["problems"])
	}
	code, body = do(t, "POST", base, `{"name":"hook","query":{"text":"a"},"channels":[{"type":"webhook","url":"https://hooks.example.com/x","secret":"k"}]}`)
	if code != http.StatusCreated {
		t.Fatalf("create webhook rule: %d %v", code, body)
	}
	hookID := body["id"].(string)
	if ch := body["channels"].([]any)[0].(map[string]any); ch["secret"] != secretMask {
		t.Errorf("secret not masked: %v", ch)
	}
	// PUT without the secret keeps it.
	code, body = do(t, "PUT", base+"/"+hookID, `{"name":"hook 2","query":{"text":"b"},"channels":[{"type":"webhook","url":"https://hooks.example.com/x"}]}`)
	if code != http.StatusOK || body["name"] != "hook 2" {
		t.Fatalf("put: %d %v", code, body)
	}
	if r, _ := svc.Rule(hookID); r.Channels[0].Secret != "k" {
		t.Errorf("secret lost: %+v", r.Channels)
	}
	code, body = do(t, "GET", base, "")
	if code != http.StatusOK || len(body["rules"].([]any)) != 3 {
		t.Errorf("list: %d %v", code, body)
	}
	if code, _ = do(t, "PUT", base+"/summit-or-treaty", `{"name":"x","query":{"text":"a"}}`); code != http.StatusConflict {
		t.Errorf("put on a file rule: %d", code)
	}
	if code, _ = do(t, "DELETE", base+"/summit-or-treaty", ""); code != http.StatusConflict {
		t.Errorf("delete of a file rule: %d", code)
	}
	if code, _ = do(t, "GET", base+"/nope", ""); code != http.StatusNotFound {
		t.Errorf("get missing: %d", code)
	}
	if code, _ = do(t, "DELETE", base+"/"+hookID, ""); code != http.StatusNoContent {
		t.Errorf("delete: %d", code)
	}

	// The same query and channels again: 409 naming the existing rule.
	code, body = do(t, "POST", base, `{"name":"again","query":{"text":"treaty","countries":["RU","KP"]}}`)
	if code != http.StatusConflict || body["existing_id"] != id {
		t.Errorf("duplicate: %d %v", code, body)
	}
	// Paused rules stay listed but never match; resumed, they match again.
	code, body = do(t, "PUT", base+"/"+id, `{"name":"KP RU treaty","enabled":false,"query":{"text":"treaty","countries":["KP","RU"]}}`)
	if code != http.StatusOK || body["enabled"] != false {
		t.Fatalf("pause: %d %v", code, body)
	}
	if n := len(svc.Match(testArticle("a1"))); n != 1 {
		t.Errorf("paused rule still matches: %d matches", n)
	}
	if code, _ = do(t, "PUT", base+"/"+id, `{"name":"KP RU treaty","enabled":true,"query":{"text":"treaty","countries":["KP","RU"]}}`); code != http.StatusOK {
		t.Fatalf("resume: %d", code)
	}
	if n := len(svc.Match(testArticle("a1"))); n != 2 {
		t.Errorf("resumed rule does not match: %d matches", n)
	}

	// API rules survive a restart.
	svc2, srv2 := newTestService(t, dir)
	if _, ok := svc2.Rule(id); !ok {
		t.Error("API rule lost on restart")
	}
	if _, ok := svc2.Rule(hookID); ok {
		t.Error("deleted rule came back")
	}
	srv2.Close()
}

func TestRuleFileReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(path, []byte(ruleFile), 0o644); err != nil {
		t.Fatal(err)
	}
	svc, srv := newTestService(t, dir)
	// A broken file leaves the previous rules in force and is reported.
	if err := os.WriteFile(path, []byte("rules:\n  - id: x\n    name: x\n    query: {near: {a: a, b: b, within: 99}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := svc.Reload()
	if err == nil || !strings.Contains(err.Error(), "rules[0].query.near.within") {
		t.Fatalf("reload error = %v", err)
	}
	if _, ok := svc.Rule("summit-or-treaty"); !ok {
		t.Error("previous rules dropped")
	}
	_, body := do(t, "GET", srv.URL+"/api/v1/alerts/rules", "")
	if f, _ := body["file"].(map[string]any); f == nil || !strings.Contains(f["error"].(string), "within") {
		t.Errorf("file status = %v", body["file"])
	}
	// The watcher picks up a fixed file.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.store.Watch(ctx, 20*time.Millisecond) }()
	defer func() { cancel(); <-done }()
	if err := os.WriteFile(path, []byte("rules:\n  - {id: missiles, name: Missiles, query: {text: missile}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := svc.Rule("missiles"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("watcher did not reload the file")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, ok := svc.Rule("summit-or-treaty"); ok {
		t.Error("removed file rule still in force")
	}
}

// TestApplyTombstoneEmptyValue: a tombstone read back as an empty value
// (not nil) still deletes the rule.
func TestApplyTombstoneEmptyValue(t *testing.T) {
	store, err := OpenRuleStore(StoreConfig{}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	store.Apply([]byte("r1"), []byte(`{"id":"r1","name":"x","query":{"text":"treaty"}}`))
	if _, err := store.Get("r1"); err != nil {
		t.Fatal(err)
	}
	store.Apply([]byte("r1"), []byte{})
	if _, err := store.Get("r1"); err == nil {
		t.Error("an empty value did not delete the rule")
	}
	store.Apply([]byte("r2"), []byte(`{broken`))
	if n := len(store.Rules()); n != 0 {
		t.Errorf("a broken record made %d rules", n)
	}
}
