package httpjson

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestWrite(t *testing.T) {
	for _, tc := range []struct {
		name string
		code int
		v    any
		want string
	}{
		{"object", http.StatusOK, map[string]string{"status": "ok"}, `{"status":"ok"}` + "\n"},
		{"error", http.StatusBadRequest, struct {
			Error string `json:"error"`
		}{"bad <query>"}, `{"error":"bad \u003cquery\u003e"}` + "\n"},
		{"list", http.StatusAccepted, []int{1, 2}, "[1,2]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Write(rec, tc.code, tc.v)
			if rec.Code != tc.code {
				t.Errorf("code %d, want %d", rec.Code, tc.code)
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type %q", got)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			if rec.Body.String() != tc.want {
				t.Errorf("body %q, want %q", rec.Body.String(), tc.want)
			}
		})
	}
}
