package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestTagCommand(t *testing.T) {
	in := `{"url":"https://a.example/1","title":"Putin visits Pyongyang","body":"Kim Jong Un met Vladimir Putin in North Korea.","published":"2024-06-19T00:00:00Z"}
not json

{"url":"https://a.example/2","title":"Chess","body":"A draw."}
`
	var out, errb bytes.Buffer
	code := run([]string{"tag"}, strings.NewReader(in), &out, &errb)
	if code != 2 {
		t.Fatalf("exit code %d, want 2 (one bad line): %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d output lines, want 3 (blank lines skipped):\n%s", len(lines), out.String())
	}
	var first struct {
		Tags struct {
			Countries []struct{ Code string } `json:"countries"`
		} `json:"tags"`
		Enrichment struct{ Version string } `json:"enrichment"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	for _, c := range first.Tags.Countries {
		codes[c.Code] = true
	}
	if !codes["KP"] || first.Enrichment.Version == "" {
		t.Errorf("first line not tagged: %s", lines[0])
	}
	var bad struct {
		Line  int    `json:"line"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &bad); err != nil || bad.Line != 2 || bad.Error == "" {
		t.Errorf("second line %s: want {line: 2, error}", lines[1])
	}
	// Same input, same output.
	var again bytes.Buffer
	run([]string{"tag"}, strings.NewReader(in), &again, &errb)
	if again.String() != out.String() {
		t.Error("tag output is not deterministic")
	}
}

func TestUsageErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"nonsense"}, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Errorf("unknown command: %d %s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"enrich"}, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--brokers") {
		t.Errorf("enrich without brokers: %d %s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"dlq", "replay", "--brokers", "127.0.0.1:1"}, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--from required") {
		t.Errorf("replay without --from: %d %s", code, errb.String())
	}
	errb.Reset()
	t.Setenv("NEWSWIRE_LOG_FORMAT", "xml")
	if code := run([]string{"run"}, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--log-format") {
		t.Errorf("bad NEWSWIRE_LOG_FORMAT: %d %s", code, errb.String())
	}
}
