// Package scope declares what an HTTP route needs: the scope a bearer
// token must carry to call it. It is a leaf package (standard library
// only), so every package that serves routes (api, alert, producers)
// declares each route's scope next to its pattern without importing api,
// and api's route table stays the single place where routes are mounted.
//
// Scopes:
//
//	public   no token: /healthz, /readyz and the page's static files
//	read     search, page data, entities, article and treaty views, the alert stream
//	ingest   POST /api/v1/articles (and other article intake)
//	metrics  GET /metrics, for Prometheus scrapers
//	admin    alert rules (create, update, delete, test), dead letters, anything
//	         operational; admin implies read, ingest and metrics
package scope

import (
	"fmt"
	"net/http"
	"strings"
)

// Scope is a permission a token carries and a route requires.
type Scope string

// The scopes. Public is a route's scope only; tokens carry the others.
const (
	Public  Scope = "public"
	Read    Scope = "read"
	Ingest  Scope = "ingest"
	Metrics Scope = "metrics"
	Admin   Scope = "admin"
)

// Grantable lists the scopes a token can carry, in documentation order.
var Grantable = []Scope{Read, Ingest, Metrics, Admin}

// Valid reports whether s is a route scope (Public or a grantable one).
func (s Scope) Valid() bool {
	switch s {
	case Public, Read, Ingest, Metrics, Admin:
		return true
	}
	return false
}

// Satisfies reports whether a token carrying s may call a route that
// requires need. Admin satisfies every scope; any scope satisfies Public.
func (s Scope) Satisfies(need Scope) bool {
	return need == Public || s == need || (s == Admin && need.Valid())
}

// Parse reads a grantable scope name (case-insensitive).
func Parse(name string) (Scope, error) {
	s := Scope(strings.ToLower(strings.TrimSpace(name)))
	if s == Public || !s.Valid() {
		return "", fmt.Errorf("unknown scope %q (want read, ingest, metrics or admin)", name)
	}
	return s, nil
}

// Route is one HTTP route with the scope it requires.
type Route struct {
	// Pattern is an http.ServeMux pattern, "METHOD /path/{wildcard}".
	Pattern string
	// Scope is required; a route table entry with an empty or unknown
	// scope is refused when the server is built.
	Scope   Scope
	Handler http.Handler
}
