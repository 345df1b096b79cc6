package producers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

func serveIngest(t *testing.T, cfg IngestConfig, contentType, body string) (*httptest.ResponseRecorder, *fakeWriter, errorBody) {
	t.Helper()
	fw := &fakeWriter{}
	h := NewIngest(cfg, NewPublisher(fw, "news.raw", prometheus.NewRegistry(), zap.NewNop()), zap.NewNop())
	req := httptest.NewRequest(http.MethodPost, "/api/v1/articles", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var eb errorBody
	if rec.Code != http.StatusAccepted {
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil {
			t.Fatalf("answer %d is not JSON: %v", rec.Code, err)
		}
	}
	return rec, fw, eb
}

func articles(n int, sep string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"url":"https://h.example/%d","title":"t%d"}`, i, i)
	}
	return strings.Join(parts, sep)
}

// Row 2 of the hardening issue: a cap on items per request, in every body
// format; nothing is written past it.
func TestIngestItemCap(t *testing.T) {
	cfg := IngestConfig{MaxItems: 5}
	for _, tc := range []struct{ name, ct, body string }{
		{"array", "application/json", "[" + articles(6, ",") + "]"},
		{"ndjson", "application/x-ndjson", articles(6, "\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, fw, eb := serveIngest(t, cfg, tc.ct, tc.body)
			if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(eb.Error, "more than 5 articles") || len(fw.got) != 0 {
				t.Fatalf("6 items over a cap of 5: %d %s, wrote %d", rec.Code, rec.Body, len(fw.got))
			}
		})
	}
	rec, fw, _ := serveIngest(t, cfg, "application/json", "["+articles(5, ",")+"]")
	if rec.Code != http.StatusAccepted || len(fw.got) != 5 {
		t.Fatalf("5 items at a cap of 5: %d %s", rec.Code, rec.Body)
	}
	if d := NewIngest(IngestConfig{}, nil, zap.NewNop()).cfg.MaxItems; d != DefaultIngestMaxItems {
		t.Fatalf("default cap %d", d)
	}
}

// Row 2: at most MaxItemErrors item errors, plus counts of all of them.
func TestIngestItemErrorsCapped(t *testing.T) {
	body := "[" + strings.Repeat(`{},`, 499) + `{"url":"https://h.example/ok","title":"fine"}` + "]"
	rec, fw, eb := serveIngest(t, IngestConfig{}, "application/json", body)
	if rec.Code != http.StatusBadRequest || len(fw.got) != 0 {
		t.Fatalf("%d, wrote %d", rec.Code, len(fw.got))
	}
	if len(eb.Items) != MaxItemErrors || eb.Items[0].Index != 0 || eb.Items[MaxItemErrors-1].Index != MaxItemErrors-1 {
		t.Fatalf("listed %d item errors, want the first %d", len(eb.Items), MaxItemErrors)
	}
	if eb.Received != 500 || eb.Invalid != 499 || !strings.Contains(eb.Error, "499 of 500 articles invalid") {
		t.Fatalf("counts: received %d invalid %d, error %q", eb.Received, eb.Invalid, eb.Error)
	}
}

// Row 2: a body of [{},{},…] as large as the body limit allows must not
// make the heap grow by more than 256 MiB, whether the item cap stops it
// early (the default) or the cap is lifted and every item is decoded.
func TestIngestBodyMemory(t *testing.T) {
	const bound = 256 << 20
	var sb strings.Builder
	sb.Grow(DefaultIngestMaxBodyBytes)
	sb.WriteByte('[')
	for sb.Len() < DefaultIngestMaxBodyBytes-4 {
		sb.WriteString("{},")
	}
	sb.WriteString("{}]")
	body := sb.String()
	for _, tc := range []struct {
		name     string
		maxItems int
		status   int
	}{
		{"default cap", 0, http.StatusRequestEntityTooLarge},
		{"no cap", 1 << 30, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if (testing.Short() || raceEnabled) && tc.maxItems > 0 {
				t.Skip("decodes 3.5 M items: not in -short or -race runs")
			}
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			var peak atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { // sample the live heap while the request runs
				defer wg.Done()
				var ms runtime.MemStats
				tick := time.NewTicker(5 * time.Millisecond)
				defer tick.Stop()
				for {
					runtime.ReadMemStats(&ms)
					if ms.HeapAlloc > peak.Load() {
						peak.Store(ms.HeapAlloc)
					}
					select {
					case <-stop:
						return
					case <-tick.C:
					}
				}
			}()
			rec, fw, eb := serveIngest(t, IngestConfig{MaxItems: tc.maxItems}, "application/json", body)
			close(stop)
			wg.Wait()
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if rec.Code != tc.status || len(fw.got) != 0 {
				t.Fatalf("status %d, want %d; wrote %d", rec.Code, tc.status, len(fw.got))
			}
			if len(eb.Items) > MaxItemErrors || rec.Body.Len() > 64<<10 {
				t.Fatalf("answer of %d bytes with %d item errors", rec.Body.Len(), len(eb.Items))
			}
			growth := int64(peak.Load()) - int64(before.HeapAlloc)
			if tc.maxItems == 0 {
				// Stopped early: even every byte allocated stays under the bound.
				growth = max(growth, int64(after.TotalAlloc-before.TotalAlloc))
			}
			t.Logf("items read %d, heap growth %.1f MiB", eb.Received, float64(growth)/(1<<20))
			if growth > bound {
				t.Fatalf("heap grew by %d MiB, over %d MiB", growth>>20, bound>>20)
			}
		})
	}
}

// Row 7: two items with one article id are refused, naming both positions;
// the id may be given or derived from equivalent URLs.
func TestIngestDuplicateIDs(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"same url", `[{"url":"https://h.example/a","title":"v1"},{"url":"https://h.example/b","title":"b"},{"url":"https://h.example/a","title":"v2"}]`},
		{"same canonical url", `[{"url":"https://h.example/a?utm_source=x","title":"v1"},{"url":"https://h.example/b","title":"b"},{"url":"HTTPS://H.example/a#top","title":"v2"}]`},
		{"same given id", `[{"id":"x1","title":"v1"},{"id":"x2","title":"b"},{"id":"x1","title":"v2"}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, fw, eb := serveIngest(t, IngestConfig{}, "application/json", tc.body)
			if rec.Code != http.StatusBadRequest || len(fw.got) != 0 {
				t.Fatalf("%d %s, wrote %d", rec.Code, rec.Body, len(fw.got))
			}
			if len(eb.Items) != 1 || eb.Items[0].Index != 2 || !strings.Contains(eb.Items[0].Error, "also the id of item 0") {
				t.Fatalf("item errors %+v, want item 2 naming item 0", eb.Items)
			}
		})
	}
}

// The streaming decoder still refuses what the whole-body one did.
func TestIngestMalformedBodies(t *testing.T) {
	for _, tc := range []struct{ name, ct, body, want string }{
		{"truncated array", "application/json", `[{"url":"https://h.example/a","title":"t"},{"title":`, "item 1: malformed JSON"},
		{"garbage in array", "application/json", `[{"url":"https://h.example/a","title":"t"} x]`, "malformed JSON"},
		{"two objects", "application/json", `{"url":"https://h.example/a","title":"t"} {}`, "more than one JSON value"},
		{"data after array", "application/json", `[{"url":"https://h.example/a","title":"t"}] 5`, "data after the array"},
		{"scalar", "application/json", `42`, "JSON object or array"},
		{"array of scalars", "application/json", `[1]`, "not a JSON object"},
		{"long line", "application/x-ndjson", `{"title":"` + strings.Repeat("x", 3<<20) + `"}`, "over the record limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, fw, eb := serveIngest(t, IngestConfig{MaxBodyBytes: 8 << 20}, tc.ct, tc.body)
			if rec.Code != http.StatusBadRequest || len(fw.got) != 0 || !strings.Contains(eb.Error+fmt.Sprint(eb.Items), tc.want) {
				t.Fatalf("%d %s, want 400 with %q", rec.Code, bytes.TrimSpace(rec.Body.Bytes()), tc.want)
			}
		})
	}
}

// FuzzIngestBody: any body gets a JSON answer of 202, 400 or 413, never a
// panic; 202 means every item was written, anything else that nothing was.
func FuzzIngestBody(f *testing.F) {
	for _, s := range []string{
		`{"url":"https://h.example/a","title":"t"}`,
		"[" + articles(3, ",") + "]",
		`[{},{}]`, `[`, `]`, `[{"id":"a","title":"x"},{"id":"a","title":"y"}]`,
		`{"uri":"https://h.example/n1","type":"text","headline":"h"}`,
		"\xff", `[1,"x",null]`, `{} {}`, `[[]]`,
	} {
		f.Add(s, false)
		f.Add(strings.ReplaceAll(strings.Trim(s, "[]"), "},{", "}\n{"), true)
	}
	f.Fuzz(func(t *testing.T, body string, ndjson bool) {
		ct := "application/json"
		if ndjson {
			ct = "application/x-ndjson"
		}
		rec, fw, _ := serveIngest(t, IngestConfig{MaxItems: 50, MaxBodyBytes: 1 << 20}, ct, body)
		switch rec.Code {
		case http.StatusAccepted:
			var ok struct {
				Accepted int `json:"accepted"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &ok); err != nil || ok.Accepted != len(fw.got) || ok.Accepted == 0 {
				t.Fatalf("202 %s but wrote %d", rec.Body, len(fw.got))
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if len(fw.got) != 0 {
				t.Fatalf("%d but wrote %d", rec.Code, len(fw.got))
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
