package match

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestEmailChannelValidation(t *testing.T) {
	long := strings.Repeat("a", 250) + "@example.org"
	tests := []struct {
		name, channels string
		want           []string // substrings of the error; none when valid
	}{
		{"ok", `[{"type":"email","to":[" desk@news.example ","editor@news.example","desk@news.example"]}]`, nil},
		{"no recipients", `[{"type":"email"}]`, []string{"channels[0].to: required"}},
		{"display name", `[{"type":"email","to":["Desk <desk@news.example>"]}]`, []string{`channels[0].to[0]: "Desk <desk@news.example>" is not a bare address`}},
		{"header injection", `[{"type":"email","to":["desk@news.example\r\nBcc: x@evil.example"]}]`, []string{"channels[0].to[0]: "}},
		{"no domain", `[{"type":"email","to":["desk"]}]`, []string{"channels[0].to[0]: "}},
		{"too long", `[{"type":"email","to":["` + long + `"]}]`, []string{"over the limit of 254"}},
		{"url on email", `[{"type":"email","url":"https://x.example","to":["a@b.example"]}]`, []string{"channels[0]: an email channel takes no url or secret"}},
		{"to on webhook", `[{"type":"webhook","url":"https://x.example/h","secret":"k","to":["a@b.example"]}]`, []string{"channels[0].to: a webhook channel takes no recipients"}},
		{"to on stream", `[{"type":"stream","to":["a@b.example"]}]`, []string{"channels[0]: a stream channel takes no url, secret or to"}},
		{"too many", `[{"type":"email","to":["a1@x.example","a2@x.example","a3@x.example","a4@x.example","a5@x.example","a6@x.example","a7@x.example","a8@x.example","a9@x.example","a10@x.example","a11@x.example"]}]`, []string{"has 11 addresses, over the limit of 10"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRuleJSON([]byte(`{"name":"x","query":{"text":"a"},"channels":`+tc.channels+`}`), ValidateOptions{})
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if want := []string{"desk@news.example", "editor@news.example"}; !reflect.DeepEqual(r.Channels[0].To, want) {
					t.Errorf("to = %q, want trimmed and without repeats %q", r.Channels[0].To, want)
				}
				return
			}
			if !errors.Is(err, ErrInvalidRule) {
				t.Fatalf("error %v, want an invalid rule", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
