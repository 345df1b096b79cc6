package elastic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"
)

const (
	rootES710 = `{"name":"n","version":{"number":"7.10.2","build_flavor":"oss"},"tagline":"You Know, for Search"}`
	rootES817 = `{"name":"n","version":{"number":"8.17.0","build_flavor":"default"},"tagline":"You Know, for Search"}`
	rootES90  = `{"name":"n","version":{"number":"9.0.1"},"tagline":"You Know, for Search"}`
	rootES68  = `{"name":"n","version":{"number":"6.8.23"},"tagline":"You Know, for Search"}`
	rootOS219 = `{"name":"n","version":{"distribution":"opensearch","number":"2.19.1"},"tagline":"The OpenSearch Project: https://opensearch.org/"}`
	rootOS1   = `{"name":"n","version":{"distribution":"opensearch","number":"1.3.20"},"tagline":"The OpenSearch Project: https://opensearch.org/"}`
	rootOther = `{"name":"n","version":{"number":"3.1.0"},"tagline":"Something else"}`
)

func TestIdentify(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    EngineInfo
		wantErr string
	}{
		{name: "es 7.10", body: rootES710, want: EngineInfo{EngineElasticsearch, "7.10.2", 7, 10}},
		{name: "es 8", body: rootES817, want: EngineInfo{EngineElasticsearch, "8.17.0", 8, 17}},
		{name: "es 9", body: rootES90, want: EngineInfo{EngineElasticsearch, "9.0.1", 9, 0}},
		{name: "opensearch 2", body: rootOS219, want: EngineInfo{EngineOpenSearch, "2.19.1", 2, 19}},
		{name: "opensearch 1", body: rootOS1, want: EngineInfo{EngineOpenSearch, "1.3.20", 1, 3}},
		{name: "es 6.8 too old", body: rootES68, wantErr: "version 6.8.23 of Elasticsearch is not supported"},
		{name: "other product", body: rootOther, wantErr: "neither Elasticsearch nor OpenSearch"},
		{name: "not json", body: `<html>`, wantErr: "not JSON"},
		{name: "no version", body: `{"tagline":"You Know, for Search"}`, wantErr: "no version number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := identify([]byte(tc.body))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("identify = %v, %v; want error with %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("identify = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestParseEngine(t *testing.T) {
	for in, want := range map[string]Engine{"": EngineAuto, "auto": EngineAuto, "OpenSearch": EngineOpenSearch, " elasticsearch ": EngineElasticsearch} {
		if got, err := ParseEngine(in); err != nil || got != want {
			t.Errorf("ParseEngine(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseEngine("solr"); err == nil || !strings.Contains(err.Error(), "solr") {
		t.Errorf("ParseEngine(solr) = %v, want an error naming it", err)
	}
	if err := (Config{Addresses: []string{"http://x:9200"}, Engine: "solr"}).Validate(); err == nil {
		t.Error("Validate accepted engine solr")
	}
}

// fakeEngine answers GET / with root and every other path with {"count":3},
// sending the product header only when header is set. It counts GET /.
func fakeEngine(t *testing.T, root string, header bool) (*httptest.Server, *atomic.Int32) {
	var roots atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if header {
			w.Header().Set("X-Elastic-Product", "Elasticsearch")
		}
		if r.URL.Path == "/" {
			roots.Add(1)
			fmt.Fprint(w, root)
			return
		}
		fmt.Fprint(w, `{"count":3}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &roots
}

// TestProductCheck runs the shipped client against engines that do and
// do not send the product header.
func TestProductCheck(t *testing.T) {
	tests := []struct {
		name      string
		root      string
		header    bool
		engine    Engine
		wantErr   string
		wantInfo  Engine
		wantRoots int32 // GET / reads: one by the check (when needed), one by Engine
	}{
		{name: "es 8 sends the header", root: rootES817, header: true, wantInfo: EngineElasticsearch, wantRoots: 1},
		{name: "es 7.10 without header", root: rootES710, wantInfo: EngineElasticsearch, wantRoots: 2},
		{name: "opensearch without header", root: rootOS219, wantInfo: EngineOpenSearch, wantRoots: 2},
		{name: "unknown product refused", root: rootOther, wantErr: "neither Elasticsearch nor OpenSearch"},
		{name: "old es refused", root: rootES68, wantErr: "not supported"},
		{name: "named engine is trusted", root: rootOther, engine: EngineOpenSearch, wantInfo: EngineOpenSearch, wantRoots: 1},
		{name: "named engine contradicted", root: rootES710, engine: EngineOpenSearch, wantErr: "configured for opensearch"},
		{name: "named engine matches", root: rootOS219, engine: EngineOpenSearch, wantInfo: EngineOpenSearch, wantRoots: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, roots := fakeEngine(t, tc.root, tc.header)
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			s, err := New(Config{Addresses: []string{srv.URL}, Engine: tc.engine, MaxRetries: 1, Transport: tr}, zap.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			n, err := s.Count(ctx)
			if tc.wantErr != "" && tc.engine == "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Count = %d, %v; want error with %q", n, err, tc.wantErr)
				}
				return
			}
			if err != nil || n != 3 {
				t.Fatalf("Count = %d, %v; want 3", n, err)
			}
			info, err := s.Engine(ctx)
			if tc.wantErr != "" {
				if !errors.Is(err, ErrUnsupportedEngine) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Engine = %v, %v; want ErrUnsupportedEngine with %q", info, err, tc.wantErr)
				}
				return
			}
			if err != nil || info.Engine != tc.wantInfo {
				t.Fatalf("Engine = %v, %v; want %s", info, err, tc.wantInfo)
			}
			if got := roots.Load(); got != tc.wantRoots {
				t.Errorf("GET / read %d times, want %d", got, tc.wantRoots)
			}
		})
	}
}
