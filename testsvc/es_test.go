package testsvc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	neturl "net/url"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/newswire/newswire/testsvc"
)

// do runs one API request and returns its body; it fails the test on a
// transport error or a status other than want.
func do(ctx context.Context, t *testing.T, es esapi.Transport, req esapi.Request, want int) []byte {
	t.Helper()
	res, err := req.Do(ctx, es)
	if err != nil {
		t.Fatalf("%T: %v", req, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%T: read body: %v", req, err)
	}
	if res.StatusCode != want {
		t.Fatalf("%T: status %d, want %d: %s", req, res.StatusCode, want, body)
	}
	return body
}

// TestESIndexGetDelete proves that the real node of each engine answers
// the plain API the services are started for: create an index, write a
// document, read it back, delete the index. It sends the client
// library's request types over plain HTTP, without the client's product
// check, so it checks the services, not the store.
func TestESIndexGetDelete(t *testing.T) {
	for _, e := range testsvc.SearchEngines(t) {
		t.Run(e.Name, func(t *testing.T) { indexGetDelete(t, e.URL) })
	}
}

func indexGetDelete(t *testing.T, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	base, err := neturl.Parse(url)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	es := plainHTTP{base: base, tr: tr}

	index := testsvc.UniqueName(t, "articles")
	do(ctx, t, es, esapi.IndicesCreateRequest{
		Index: index,
		Body: bytes.NewReader([]byte(`{
			"settings": {"number_of_shards": 1, "number_of_replicas": 0},
			"mappings": {"properties": {
				"title":   {"type": "text"},
				"country": {"type": "keyword"}
			}}
		}`)),
	}, http.StatusOK)
	deleted := false
	t.Cleanup(func() {
		if deleted {
			return
		}
		res, err := esapi.IndicesDeleteRequest{Index: []string{index}}.Do(context.Background(), es)
		if err != nil {
			t.Errorf("clean up index %s: %v", index, err)
			return
		}
		res.Body.Close()
	})

	doc := map[string]any{"title": "Leaders sign a treaty", "country": "KP"}
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("encode document: %v", err)
	}
	do(ctx, t, es, esapi.IndexRequest{
		Index:      index,
		DocumentID: "a1",
		Body:       bytes.NewReader(raw),
		Refresh:    "true",
	}, http.StatusCreated)

	body := do(ctx, t, es, esapi.GetRequest{Index: index, DocumentID: "a1"}, http.StatusOK)
	var got struct {
		ID     string         `json:"_id"`
		Found  bool           `json:"found"`
		Source map[string]any `json:"_source"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("decode get response %s: %v", body, err)
	}
	if !got.Found || got.ID != "a1" {
		t.Fatalf("get a1: found=%v id=%q, want found a1", got.Found, got.ID)
	}
	for k, v := range doc {
		if got.Source[k] != v {
			t.Errorf("_source[%q] = %v, want %v", k, got.Source[k], v)
		}
	}

	do(ctx, t, es, esapi.IndicesDeleteRequest{Index: []string{index}}, http.StatusOK)
	deleted = true
	do(ctx, t, es, esapi.IndicesExistsRequest{Index: []string{index}}, http.StatusNotFound)
}

// plainHTTP sends API requests to one node over HTTP.
type plainHTTP struct {
	base *neturl.URL
	tr   http.RoundTripper
}

func (p plainHTTP) Perform(req *http.Request) (*http.Response, error) {
	req.URL.Scheme, req.URL.Host = p.base.Scheme, p.base.Host
	if req.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return p.tr.RoundTrip(req)
}
