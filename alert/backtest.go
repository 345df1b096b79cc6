package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"

	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/internal/httpjson"
)

// ArticleSearcher is the search store as the backtest uses it: a search
// for candidates and the stored article of each. Both index stores
// implement it.
type ArticleSearcher interface {
	Search(ctx context.Context, q index.Query) (index.Result, error)
	Get(ctx context.Context, id string) (article.Enriched, error)
}

// Bounds of a backtest.
const (
	// DefaultBacktestDays is the window when the request names none.
	DefaultBacktestDays = 7
	// MaxBacktestDays is the longest window a backtest may ask for.
	MaxBacktestDays = 90
	// MaxBacktestCandidates is the most articles one backtest reads and
	// checks with the matcher. A rule whose candidates exceed it gets a
	// partial answer (truncated: true) over the newest ones.
	MaxBacktestCandidates = 2000
	// MaxBacktestMatches bounds the matches listed in the answer (all of
	// them are counted).
	MaxBacktestMatches = 500
	// backtestGets is how many stored articles are read at once.
	backtestGets = 8
	// backtestTimeout bounds one backtest.
	backtestTimeout = 30 * time.Second
)

// BacktestRequest is the body of POST /api/v1/alerts/rules/test.
type BacktestRequest struct {
	// Rule is a rule as POST /api/v1/alerts/rules takes it (names are
	// resolved the same way); its name may be left out.
	Rule json.RawMessage `json:"rule"`
	// Days is the window: articles published in the last Days days
	// (default DefaultBacktestDays, at most MaxBacktestDays).
	Days int `json:"days"`
}

// BacktestAnswer is the body of a backtest's answer.
type BacktestAnswer struct {
	From time.Time `json:"from"` // start of the window (published time)
	Days int       `json:"days"`
	// Query is the rule as it was tested, names resolved to ids.
	Query match.Query `json:"query"`
	// Candidates is how many articles of the window the search store
	// returned for the rule's superset query; Checked how many of them
	// the matcher saw (fewer when Truncated).
	Candidates int  `json:"candidates"`
	Checked    int  `json:"checked"`
	Truncated  bool `json:"truncated"`
	// Matched counts the articles the rule matches; Matches lists them,
	// newest first, at most MaxBacktestMatches.
	Matched int             `json:"matched"`
	Matches []BacktestMatch `json:"matches"`
}

// BacktestMatch is one article the rule would have alerted on, with the
// explanation the live alert would carry.
type BacktestMatch struct {
	ArticleID string            `json:"article_id"`
	Title     string            `json:"title"`
	URL       string            `json:"url,omitempty"`
	Source    string            `json:"source,omitempty"`
	Published time.Time         `json:"published,omitzero"`
	Terms     []match.TermHit   `json:"terms"`
	Entities  []match.EntityHit `json:"entities"`
	Snippet   string            `json:"snippet"`
}

// CandidateQuery translates a rule's query into a search that returns
// every article the rule can match (a superset): its required countries,
// subject countries (as index.Query.SubjectCountries, which the stores
// fill by the same index.IsSubject the matcher uses), leaders, treaties
// and keywords as filters, the words of its text
// (phrases and the near pair as separate words; exclusions, "any" and
// "not" left out, as they only narrow), and the window [from, ∞). Sources
// are left to the matcher, which compares them case-insensitively.
func CandidateQuery(q match.Query, from time.Time) index.Query {
	iq := index.Query{
		Countries: q.Countries, SubjectCountries: q.SubjectCountries, Leaders: q.Leaders, Treaties: q.Treaties, Keywords: q.Keywords,
		From: from, Sort: index.SortNewest, Size: index.MaxSize,
	}
	t := index.ParseText(q.Text)
	var words []string
	add := func(s string) {
		for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if !containsString(words, w) {
				words = append(words, w)
			}
		}
	}
	for _, w := range t.Terms {
		add(w)
	}
	for _, p := range t.Phrases {
		add(p)
	}
	if q.Near != nil {
		add(q.Near.A)
		add(q.Near.B)
	}
	iq.Text = strings.Join(words, " ")
	return iq
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Backtest runs rule r over the stored articles published since from:
// it pages through the candidates of CandidateQuery (newest first, at
// most MaxBacktestCandidates) and confirms each with the live matcher on
// the stored enriched article.
func Backtest(ctx context.Context, st ArticleSearcher, r match.Rule, from time.Time) (BacktestAnswer, error) {
	r.Enabled = nil
	m, err := match.Compile([]match.Rule{r})
	if err != nil {
		return BacktestAnswer{}, err
	}
	out := BacktestAnswer{From: from, Query: r.Query, Matches: []BacktestMatch{}}
	q := CandidateQuery(r.Query, from)
	var ids []string
	for {
		res, err := st.Search(ctx, q)
		if err != nil {
			return out, fmt.Errorf("search candidates: %w", err)
		}
		if q.Cursor == "" {
			out.Candidates = res.Total
		}
		for _, h := range res.Hits {
			if len(ids) == MaxBacktestCandidates {
				out.Truncated = true
				break
			}
			ids = append(ids, h.ID)
		}
		if out.Truncated || res.NextCursor == "" || len(res.Hits) == 0 {
			break
		}
		q.Cursor = res.NextCursor
	}
	found := make([]*BacktestMatch, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	sem := make(chan struct{}, backtestGets)
	for i, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			e, err := st.Get(ctx, id)
			switch {
			case errors.Is(err, index.ErrNotFound):
				return // deleted since the search
			case err != nil:
				errs[i] = fmt.Errorf("read article %s: %w", id, err)
				return
			}
			ms := m.Match(&e)
			if len(ms) == 0 {
				return
			}
			found[i] = &BacktestMatch{ArticleID: e.ID, Title: e.Title, URL: e.URL, Source: e.Source, Published: e.Published.UTC(),
				Terms: ms[0].Terms, Entities: ms[0].Entities, Snippet: Snippet(&e, ms[0])}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return out, err
	}
	out.Checked = len(ids)
	for _, f := range found {
		if f == nil {
			continue
		}
		out.Matched++
		if len(out.Matches) < MaxBacktestMatches {
			out.Matches = append(out.Matches, *f)
		}
	}
	return out, nil
}

// backtest answers POST /api/v1/alerts/rules/test.
func (s *Service) backtest(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxRuleBody+1))
	if err != nil || len(b) > maxRuleBody {
		writeErr(w, &match.ValidationError{Problems: []match.Problem{{Message: "body unreadable or over 64 KiB"}}})
		return
	}
	var req BacktestRequest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeErr(w, &match.ValidationError{Problems: []match.Problem{{Message: "malformed request: " + err.Error()}}})
		return
	}
	var ps []match.Problem
	switch {
	case req.Days == 0:
		req.Days = DefaultBacktestDays
	case req.Days < 0 || req.Days > MaxBacktestDays:
		ps = append(ps, match.Problem{Path: "days", Message: fmt.Sprintf("must be 1..%d", MaxBacktestDays)})
	}
	if len(req.Rule) == 0 || string(req.Rule) == "null" {
		ps = append(ps, match.Problem{Path: "rule", Message: "required"})
	}
	if len(ps) > 0 {
		writeErr(w, &match.ValidationError{Problems: ps})
		return
	}
	// A rule under test needs no name.
	var probe map[string]json.RawMessage
	if json.Unmarshal(req.Rule, &probe) == nil {
		if _, ok := probe["name"]; !ok {
			probe["name"] = json.RawMessage(`"backtest"`)
			req.Rule, _ = json.Marshal(probe)
		}
	}
	rule, err := match.ParseRuleJSON(req.Rule, s.validateOptions())
	if err != nil {
		var ve *match.ValidationError
		if errors.As(err, &ve) {
			for i := range ve.Problems {
				ve.Problems[i].Path = joinPath("rule", ve.Problems[i].Path)
			}
		}
		writeErr(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), backtestTimeout)
	defer cancel()
	from := time.Now().UTC().Add(-time.Duration(req.Days) * 24 * time.Hour)
	out, err := Backtest(ctx, s.articles, rule, from)
	if err != nil {
		s.log.Warn("backtest failed", zap.Error(err))
		httpjson.Write(w, http.StatusServiceUnavailable, errorBody{Error: "search store unavailable: " + err.Error()})
		return
	}
	out.Days = req.Days
	httpjson.Write(w, http.StatusOK, out)
}

func joinPath(a, b string) string {
	if b == "" {
		return a
	}
	return a + "." + b
}
