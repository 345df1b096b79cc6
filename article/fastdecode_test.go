package article

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"testing"
	"unicode/utf8"
)

// commonRecords are records of the shape producers write, which the one-pass
// reader must take without falling back.
var commonRecords = []string{
	`{}`,
	`{"schema":1,"id":"a-1","url":"https://a.example/x","source":"wire","guid":"g","title":"Summit","summary":"s","body":"b","language":"en","authors":["A","B"],"published":"2024-05-01T10:00:00Z","updated":"2024-05-01T11:00:00Z","ingested":"2024-05-01T12:00:00Z"}`,
	` { "title" : "x" , "authors" : [ ] } `,
	"{\n\t\"body\": \"line one\\nline \\\"two\\\" \\u00e9\\u4e2d \\/ \\\\ \\b\\f\\r\\t\"\r\n}",
	`{"title":"Сеул и Пхеньян","body":"中美 정상회담 القمة"}`,
	`{"schema":0,"id":""}`,
}

func TestDecodeCommonTakesProducerRecords(t *testing.T) {
	for _, rec := range commonRecords {
		var fast, slow wire
		if !decodeCommon([]byte(rec), &fast) {
			t.Errorf("%s: not taken by the one-pass reader", rec)
			continue
		}
		if err := json.Unmarshal([]byte(rec), &slow); err != nil {
			t.Fatalf("%s: %v", rec, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s:\n one pass %+v\n json     %+v", rec, fast, slow)
		}
	}
}

// TestDecodeCommonTakesSampleCorpus checks that the shipped sample corpus,
// written the way producers write, takes the fast path on every line.
func TestDecodeCommonTakesSampleCorpus(t *testing.T) {
	f, err := os.Open("../samples/articles.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4<<20)
	n := 0
	for sc.Scan() {
		var w wire
		if !decodeCommon(sc.Bytes(), &w) {
			t.Errorf("line %d falls back to encoding/json", n+1)
		}
		n++
	}
	if err := sc.Err(); err != nil || n == 0 {
		t.Fatalf("read samples: %d lines, %v", n, err)
	}
}

func TestDecodeCommonDefersTheRest(t *testing.T) {
	for _, rec := range []string{
		``, `[]`, `{`, `{"title":"x"`, `{"title":"x",}`, `{"title":"x"} x`, `{"title":"x"}{}`,
		`{"Title":"x"}`,             // other casing: encoding/json matches it
		`{"extra":1}`,               // unknown key: encoding/json skips it
		`{"title":"a","title":"b"}`, // repeated key: encoding/json keeps the last
		`{"title":null}`, `{"schema":null}`, `{"authors":null}`,
		`{"title":1}`, `{"schema":"1"}`, `{"schema":-1}`, `{"schema":1.0}`, `{"schema":1e0}`,
		`{"schema":01}`, `{"schema":1234567890}`, `{"authors":["a",1]}`, `{"authors":["a",]}`,
		`{"title":"\ud83d\ude00"}`, `{"title":"\x"}`, `{"title":"\u12"}`, "{\"title\":\"a\tb\"}",
		`{"ti\u0074le":"x"}`, `{"title":{"x":1}}`,
	} {
		var w wire
		if decodeCommon([]byte(rec), &w) {
			t.Errorf("%q: taken by the one-pass reader, must fall back", rec)
		}
	}
}

// Decode must give the same article and the same error whichever reader
// took the record.
func TestDecodeSameThroughEitherReader(t *testing.T) {
	never := func([]byte, *wire) bool { return false }
	for _, rec := range append(commonRecords, `{"Title":"x","extra":[1,2]}`, `{"title":1}`,
		`{"published":"yesterday","schema":7}`, `{"id":"x","schema":2}`, `{"title":"x",}`) {
		got, gerr := Decode([]byte(rec), Limits{})
		want, werr := decode([]byte(rec), Limits{}, never)
		if !reflect.DeepEqual(got, want) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Errorf("%s:\n one pass %+v, %v\n json     %+v, %v", rec, got, gerr, want, werr)
		}
	}
}

func FuzzDecodeCommonMatchesJSON(f *testing.F) {
	for _, rec := range commonRecords {
		f.Add([]byte(rec))
	}
	f.Add([]byte(`{"title":"a\u00e9\ud83d\ude00"}`))
	f.Add([]byte(`{"schema":12,"authors":["x","y\"z"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !utf8.Valid(b) {
			return // Decode refuses it before either reader runs
		}
		var fast wire
		if !decodeCommon(b, &fast) {
			return
		}
		var slow wire
		if err := json.Unmarshal(b, &slow); err != nil {
			t.Fatalf("%q: taken by the one-pass reader, but encoding/json says %v", b, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q:\n one pass %#v\n json     %#v", b, fast, slow)
		}
	})
}

// BenchmarkDecode reads a 4 KB article with Decode (the one-pass reader)
// and, as the baseline in the same run, with encoding/json alone.
func BenchmarkDecode(b *testing.B) {
	body := make([]byte, 0, 4096)
	for len(body) < 4000 {
		body = append(body, "Leaders met in Seoul on Monday to discuss the treaty, officials said. "...)
	}
	a := Article{Schema: 1, ID: "bench-1", URL: "https://a.example/news/1", Source: "wire", Title: "Leaders meet in Seoul",
		Body: string(body), Language: "en", Authors: []string{"A. Writer"}}
	rec, err := json.Marshal(&a)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("one-pass", func(b *testing.B) {
		b.SetBytes(int64(len(rec)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Decode(rec, Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(rec)))
		b.ReportAllocs()
		for b.Loop() {
			var w wire
			if err := json.Unmarshal(rec, &w); err != nil {
				b.Fatal(err)
			}
		}
	})
}
