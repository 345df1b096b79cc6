package article

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Row 4 of the hardening issue: times the search stores cannot hold are
// refused at the door, naming the field.
func TestValidateTimeRange(t *testing.T) {
	tests := []struct {
		name, field, value string
		ok                 bool
	}{
		{"year zero", "published", "0000-01-01T00:00:00Z", false},
		{"before the range", "published", "1677-12-31T23:59:59Z", false},
		{"first instant", "published", "1678-01-01T00:00:00Z", true},
		{"last instant", "updated", "2261-12-31T23:59:59.999999999Z", true},
		{"after the range", "updated", "2262-01-01T00:00:00Z", false},
		{"far future", "published", "9999-12-31T23:59:59Z", false},
		{"ingested too", "ingested", "0001-01-01T00:00:01Z", false},
		{"ordinary", "published", "2024-06-19T10:00:00+02:00", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := `{"url":"https://a.example/x","title":"x","` + tt.field + `":"` + tt.value + `"}`
			_, err := Parse([]byte(in), Limits{}, now)
			if tt.ok {
				if err != nil {
					t.Fatalf("want ok, got %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.field+": ") || !strings.Contains(err.Error(), "outside the range") {
				t.Fatalf("want an error naming %s, got %v", tt.field, err)
			}
		})
	}
	if !TimeInRange(time.Unix(0, 0)) || TimeInRange(time.Time{}) {
		t.Fatal("TimeInRange wrong at the epoch or the zero time")
	}
}

// Row 6 of the hardening issue: http and https URLs only; ids of printable
// characters within IDChars.
func TestValidateURLSchemeAndIDCharset(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" for valid; else a substring of the error
	}{
		{"javascript url", `{"url":"javascript://host/x","title":"x"}`, `url: scheme "javascript" is not allowed`},
		{"data url", `{"url":"data://host/text","title":"x"}`, `url: scheme "data" is not allowed`},
		{"ftp url", `{"url":"FTP://host/x","title":"x"}`, `scheme "ftp" is not allowed`},
		{"https upper case", `{"url":"HTTPS://host/x","title":"x"}`, ""},
		{"nul in id", `{"id":"a\u0000b","url":"https://h.example/x","title":"x"}`, `id: byte 1 is '\x00'`},
		{"newline in id", `{"id":"a\nb","url":"https://h.example/x","title":"x"}`, `id: byte 1 is '\n'`},
		{"path in id", `{"id":"../etc/passwd","url":"https://h.example/x","title":"x"}`, `id: byte 2 is '/'`},
		{"dot dot", `{"id":"..","url":"https://h.example/x","title":"x"}`, `id: ".." is not an id`},
		{"space in id", `{"id":"a b","title":"x"}`, `id: byte 1 is ' '`},
		{"non-ascii id", `{"id":"é","title":"x"}`, `id: byte 0`},
		{"urn id", `{"id":"urn:newsml:example.com:20240101:A1-b_2~x+y=z,@w","title":"x"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in), Limits{}, now)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("want ok, got %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v lacks %q", err, tt.want)
			}
		})
	}
}
