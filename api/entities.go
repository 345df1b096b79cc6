package api

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/newswire/newswire/enrich"
	"github.com/newswire/newswire/internal/httpjson"
)

// EntityLookup finds catalogued entities by any of their names.
// enrich.Tagger implements it.
type EntityLookup interface {
	Lookup(q, kind string, limit int) []enrich.Entity
}

// Limits of GET /api/v1/entities.
const (
	DefaultEntityLimit = 10
	MaxEntityLimit     = 50
	// MaxEntityQuery bounds q, in bytes.
	MaxEntityQuery = 200
)

// EntitiesAnswer is the body of GET /api/v1/entities: the entities whose
// id, label or an alias matches q (exact matches first, then prefix, then
// substring; case and accents ignored). Each carries kind, id, label,
// aliases and countries (a leader's countries, a treaty's parties).
type EntitiesAnswer struct {
	Entities []enrich.Entity `json:"entities"`
}

// entities answers GET /api/v1/entities?q=…[&kind=country|leader|treaty|keyword][&limit=N].
func (s *Server) entities(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Entities == nil {
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "no entity catalogue configured"})
		return
	}
	q, kind, limit, err := parseEntityQuery(r.URL.Query())
	if err != "" {
		httpjson.Write(w, http.StatusBadRequest, map[string]string{"error": err})
		return
	}
	out := EntitiesAnswer{Entities: s.cfg.Entities.Lookup(q, kind, limit)}
	if out.Entities == nil {
		out.Entities = []enrich.Entity{}
	}
	httpjson.Write(w, http.StatusOK, out)
}

// parseEntityQuery reads q, kind and limit; the error names every
// problem found.
func parseEntityQuery(v map[string][]string) (q, kind string, limit int, problem string) {
	get := func(k string) string {
		if x := v[k]; len(x) > 0 {
			return strings.TrimSpace(x[0])
		}
		return ""
	}
	var problems []string
	q, kind, limit = get("q"), get("kind"), DefaultEntityLimit
	switch {
	case q == "":
		problems = append(problems, "q is required")
	case len(q) > MaxEntityQuery:
		problems = append(problems, "q is over the limit of "+strconv.Itoa(MaxEntityQuery)+" bytes")
	case !utf8.ValidString(q):
		problems = append(problems, "q is not valid UTF-8")
	}
	switch kind {
	case "", enrich.KindCountry, enrich.KindLeader, enrich.KindTreaty, enrich.KindKeyword:
	default:
		problems = append(problems, `kind must be "country", "leader", "treaty" or "keyword"`)
	}
	if l := get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxEntityLimit {
			problems = append(problems, "limit must be a number from 1 to "+strconv.Itoa(MaxEntityLimit))
		}
		limit = n
	}
	return q, kind, limit, strings.Join(problems, "; ")
}
