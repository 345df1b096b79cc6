// Package httpjson writes JSON responses the same way on every HTTP
// surface of newswire (search API, ingest endpoint, rules API).
package httpjson

import (
	"encoding/json"
	"net/http"
)

// Write sends v as a JSON body with the given status code: Content-Type
// application/json, X-Content-Type-Options nosniff, and the value encoded
// on one line followed by a newline. An encoding or write error is
// dropped: the status line is already sent and the client sees a
// truncated body.
func Write(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
