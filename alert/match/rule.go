package match

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/newswire/newswire/internal/netguard"
	"io"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/newswire/newswire/index"
)

// Rule is one standing query with where to deliver its alerts.
//
// JSON and YAML share one shape:
//
//	{"id": "kp-ru-treaty", "name": "North Korea, Russia and a treaty",
//	 "query": {"text": "treaty -rumour", "countries": ["KP", "RU"]},
//	 "channels": [{"type": "webhook", "url": "https://…", "secret": "…"}],
//	 "throttle": "10m"}
type Rule struct {
	ID       string    `json:"id,omitempty" yaml:"id"`
	Name     string    `json:"name" yaml:"name"`
	Query    Query     `json:"query" yaml:"query"`
	Channels []Channel `json:"channels,omitempty" yaml:"channels,omitempty"`
	// Throttle is a Go duration ("10m"): at most one pushed message per
	// rule per Throttle, the rest sent later as one digest. Empty: none.
	Throttle string `json:"throttle,omitempty" yaml:"throttle,omitempty"`
	// Enabled pauses the rule when false; absent means enabled.
	Enabled *bool `json:"enabled,omitempty" yaml:"enabled,omitempty"`

	// Set by the rule store, ignored on input.
	Origin  string    `json:"origin,omitempty" yaml:"-"` // OriginFile or OriginAPI
	Created time.Time `json:"created,omitzero" yaml:"-"`
	Updated time.Time `json:"updated,omitzero" yaml:"-"`
}

// IsEnabled reports whether the rule is in force (not paused).
func (r *Rule) IsEnabled() bool { return r.Enabled == nil || *r.Enabled }

// Where a rule comes from.
const (
	OriginFile = "file"
	OriginAPI  = "api"
)

// Query is the condition of a rule, in the model of search. Every
// top-level part must hold (AND): all words and phrases of Text (with its
// exclusions), every listed country, subject country, leader, treaty,
// keyword and source, at least one query of Any, none of Not, and Near.
type Query struct {
	// Text follows index.ParseText: words, "phrases", -word, -"phrase".
	Text string `json:"text,omitempty" yaml:"text,omitempty"`
	// Countries are tagged in any role (subject, venue or mention).
	Countries []string `json:"countries,omitempty" yaml:"countries,omitempty"`
	// SubjectCountries must be tagged as what the article is about: a
	// country tag that index.IsSubject accepts (role "subject", or no role
	// on articles tagged before roles existed), not a venue or a mention.
	// Like Countries they are ISO codes, or names when a Resolver is set.
	SubjectCountries []string `json:"subject_countries,omitempty" yaml:"subject_countries,omitempty"`
	Leaders          []string `json:"leaders,omitempty" yaml:"leaders,omitempty"`
	Treaties         []string `json:"treaties,omitempty" yaml:"treaties,omitempty"`
	Keywords         []string `json:"keywords,omitempty" yaml:"keywords,omitempty"`
	Sources          []string `json:"sources,omitempty" yaml:"sources,omitempty"`
	Any              []Query  `json:"any,omitempty" yaml:"any,omitempty"`
	Not              []Query  `json:"not,omitempty" yaml:"not,omitempty"`
	Near             *Near    `json:"near,omitempty" yaml:"near,omitempty"`
}

// Near asks for two words at most Within words apart, in either order,
// in the same field.
type Near struct {
	A      string `json:"a" yaml:"a"`
	B      string `json:"b" yaml:"b"`
	Within int    `json:"within" yaml:"within"`
}

// Channel is one delivery target of a rule's alerts.
type Channel struct {
	Type   string `json:"type" yaml:"type"` // ChannelWebhook, ChannelSlack, ChannelEmail, ChannelKafka, ChannelStream
	URL    string `json:"url,omitempty" yaml:"url,omitempty"`
	Secret string `json:"secret,omitempty" yaml:"secret,omitempty"` // webhook HMAC key
	// To lists the recipients of an email channel: bare addresses
	// ("desk@example.org"), 1 to MaxRecipients.
	To []string `json:"to,omitempty" yaml:"to,omitempty"`
}

// Channel types.
const (
	ChannelWebhook = "webhook"
	ChannelSlack   = "slack"
	ChannelKafka   = "kafka"
	ChannelStream  = "stream"
	ChannelEmail   = "email"
)

// DefaultChannels are given to a rule that names none: the alerts topic
// and the browser stream.
func DefaultChannels() []Channel {
	return []Channel{{Type: ChannelKafka}, {Type: ChannelStream}}
}

// Limits of a rule.
const (
	MaxRuleIDLen  = 64
	MaxNameLen    = 200
	MaxTextLen    = 2000
	MaxValues     = 50 // per filter list
	MaxDepth      = 4  // nesting of any/not
	MaxConditions = 200
	MaxWithin     = 50
	MaxChannels   = 8
	MaxRecipients = 10 // per email channel
	MinThrottle   = 10 * time.Second
	MaxThrottle   = 24 * time.Hour
)

// Problem is one thing wrong with a rule, at a path such as
// "query.near.within" or "rules[2].query.any[0].text".
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// ErrInvalidRule is wrapped by every *ValidationError.
var ErrInvalidRule = errors.New("invalid rule")

// ValidationError lists every problem found in a rule or rule file.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Path == "" {
			parts[i] = p.Message
		} else {
			parts[i] = p.Path + ": " + p.Message
		}
	}
	return strings.Join(parts, "; ")
}

// Unwrap lets errors.Is(err, ErrInvalidRule) hold.
func (e *ValidationError) Unwrap() error { return ErrInvalidRule }

func (e *ValidationError) add(path, format string, args ...any) {
	e.Problems = append(e.Problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (e *ValidationError) err() error {
	if len(e.Problems) == 0 {
		return nil
	}
	return e
}

// ValidateOptions tune Validate.
type ValidateOptions struct {
	// RequireID rejects a rule without an id (rule files need ids).
	RequireID bool
	// AllowPrivate accepts webhook URLs whose host is a loopback, private
	// or link-local address literal, or "localhost".
	AllowPrivate bool
	// Resolver, when set, lets ParseRuleJSON and ParseRulesYAML take names
	// as well as ids for countries, leaders, treaties and keywords: each
	// is replaced by its id, and an unknown one is a Problem at its path.
	// Validate itself never resolves.
	Resolver Resolver
}

var ruleIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ParseRuleJSON decodes and validates one rule as the API receives it.
// Unknown fields are errors. The rule's id may be empty (the store
// generates one). Errors are *ValidationError.
func ParseRuleJSON(b []byte, opt ValidateOptions) (Rule, error) {
	var r Rule
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, &ValidationError{Problems: []Problem{jsonProblem(err)}}
	}
	if dec.More() {
		return r, &ValidationError{Problems: []Problem{{Message: "trailing data after the rule object"}}}
	}
	r.Origin, r.Created, r.Updated = "", time.Time{}, time.Time{}
	return r, normalizeAndValidate(&r, opt)
}

func jsonProblem(err error) Problem {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return Problem{Message: fmt.Sprintf("malformed JSON at byte %d: %s", se.Offset, se.Error())}
	case errors.As(err, &te):
		return Problem{Path: te.Field, Message: fmt.Sprintf("must be %s, not %s", jsonKind(te.Type.Kind().String()), te.Value)}
	case errors.Is(err, io.EOF):
		return Problem{Message: "empty body: a rule object is required"}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return Problem{Message: "unknown field " + f}
	}
	return Problem{Message: "malformed JSON: " + msg}
}

func jsonKind(k string) string {
	switch k {
	case "slice":
		return "a list"
	case "struct", "map":
		return "an object"
	case "int", "int64":
		return "a whole number"
	case "ptr":
		return "an object"
	}
	return "a " + k
}

// RuleFile is the YAML rule file: a list of rules under "rules".
//
//	rules:
//	  - id: summit-or-treaty
//	    name: Summit or treaty
//	    query:
//	      any:
//	        - text: summit
//	        - text: treaty
//	    channels:
//	      - type: slack
//	        url: https://hooks.example.com/T000/B000/XXX
//	    throttle: 10m
type RuleFile struct {
	Rules []Rule `yaml:"rules"`
}

// ParseRulesYAML decodes and validates a rule file. Every rule needs a
// unique id. Unknown keys are errors. Errors are *ValidationError with
// paths such as "rules[2].query.near.within", or a YAML syntax error
// naming the line.
func ParseRulesYAML(b []byte, opt ValidateOptions) ([]Rule, error) {
	var f RuleFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil // an empty file holds no rules
		}
		return nil, &ValidationError{Problems: []Problem{{Message: "malformed YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}}
	}
	opt.RequireID = true
	ve := &ValidationError{}
	seen := map[string]int{}
	for i := range f.Rules {
		r := &f.Rules[i]
		prefix := fmt.Sprintf("rules[%d]", i)
		if err := normalizeAndValidate(r, opt); err != nil {
			var rv *ValidationError
			if errors.As(err, &rv) {
				for _, p := range rv.Problems {
					ve.add(joinPath(prefix, p.Path), "%s", p.Message)
				}
			}
		}
		if j, dup := seen[r.ID]; dup && r.ID != "" {
			ve.add(prefix+".id", "%q repeats the id of rules[%d]", r.ID, j)
		}
		seen[r.ID] = i
		r.Origin = OriginFile
	}
	if err := ve.err(); err != nil {
		return nil, err
	}
	return f.Rules, nil
}

func joinPath(a, b string) string {
	if b == "" {
		return a
	}
	return a + "." + b
}

// Normalize trims a rule in place: filter values trimmed, country and
// subject country codes upper-cased, keywords lower-cased, empty values and repeats dropped, and
// DefaultChannels filled in when none are given. Validate expects a
// normalized rule.
func Normalize(r *Rule) {
	r.ID = strings.TrimSpace(r.ID)
	r.Name = strings.TrimSpace(r.Name)
	r.Throttle = strings.TrimSpace(r.Throttle)
	normalizeQuery(&r.Query)
	if len(r.Channels) == 0 {
		r.Channels = DefaultChannels()
	}
	for i := range r.Channels {
		c := &r.Channels[i]
		c.Type = strings.ToLower(strings.TrimSpace(c.Type))
		c.URL = strings.TrimSpace(c.URL)
		var to []string
		for _, a := range c.To {
			if a = strings.TrimSpace(a); a != "" && !slices.Contains(to, a) {
				to = append(to, a)
			}
		}
		c.To = to
	}
}

func normalizeQuery(q *Query) {
	q.Text = strings.TrimSpace(q.Text)
	iq := index.Query{Countries: q.Countries, SubjectCountries: q.SubjectCountries, Leaders: q.Leaders, Treaties: q.Treaties, Keywords: q.Keywords, Sources: q.Sources}
	_ = iq.Normalize() // only fails on sort, size and dates, which are unset
	q.Countries, q.SubjectCountries, q.Leaders, q.Treaties, q.Keywords, q.Sources = iq.Countries, iq.SubjectCountries, iq.Leaders, iq.Treaties, iq.Keywords, iq.Sources
	if len(q.Any) == 0 {
		q.Any = nil // "any": [] is no condition, and JSON drops it
	}
	if len(q.Not) == 0 {
		q.Not = nil
	}
	for i := range q.Any {
		normalizeQuery(&q.Any[i])
	}
	for i := range q.Not {
		normalizeQuery(&q.Not[i])
	}
	if q.Near != nil {
		q.Near.A = strings.TrimSpace(q.Near.A)
		q.Near.B = strings.TrimSpace(q.Near.B)
	}
}

// Validate checks a normalized rule and reports every problem with its
// path. It does not check that the id is unique.
func Validate(r *Rule, opt ValidateOptions) error {
	ve := &ValidationError{}
	switch {
	case r.ID == "" && opt.RequireID:
		ve.add("id", "required")
	case r.ID != "" && len(r.ID) > MaxRuleIDLen:
		ve.add("id", "is %d bytes, over the limit of %d", len(r.ID), MaxRuleIDLen)
	case r.ID != "" && !ruleIDRE.MatchString(r.ID):
		ve.add("id", "%q may hold only letters, digits, '.', '_' and '-', and must start with a letter or digit", r.ID)
	}
	switch {
	case r.Name == "":
		ve.add("name", "required")
	case len(r.Name) > MaxNameLen:
		ve.add("name", "is %d bytes, over the limit of %d", len(r.Name), MaxNameLen)
	case !utf8.ValidString(r.Name):
		ve.add("name", "is not valid UTF-8")
	}
	count := 0
	validateQuery(ve, "query", &r.Query, 0, &count)
	if count > MaxConditions {
		ve.add("query", "has %d conditions, over the limit of %d", count, MaxConditions)
	}
	if len(r.Channels) > MaxChannels {
		ve.add("channels", "has %d entries, over the limit of %d", len(r.Channels), MaxChannels)
	}
	for i, c := range r.Channels {
		validateChannel(ve, fmt.Sprintf("channels[%d]", i), c, opt)
	}
	if r.Throttle != "" {
		d, err := time.ParseDuration(r.Throttle)
		switch {
		case err != nil:
			ve.add("throttle", "%q is not a duration such as \"10m\" or \"1h\"", r.Throttle)
		case d < MinThrottle || d > MaxThrottle:
			ve.add("throttle", "must be from %s to %s, got %s", MinThrottle, MaxThrottle, d)
		}
	}
	return ve.err()
}

// ThrottleDuration returns the rule's throttle, 0 when none or invalid.
func (r *Rule) ThrottleDuration() time.Duration {
	d, err := time.ParseDuration(r.Throttle)
	if err != nil || d < 0 {
		return 0
	}
	return d
}

func validateQuery(ve *ValidationError, path string, q *Query, depth int, count *int) {
	if depth > MaxDepth {
		ve.add(path, "nested more than %d levels deep", MaxDepth)
		return
	}
	positive := false
	if q.Text != "" {
		tp := path + ".text"
		switch {
		case len(q.Text) > MaxTextLen:
			ve.add(tp, "is %d bytes, over the limit of %d", len(q.Text), MaxTextLen)
		case !utf8.ValidString(q.Text):
			ve.add(tp, "is not valid UTF-8")
		default:
			if pos, ok := unbalancedQuote(q.Text); ok {
				ve.add(tp, "unbalanced quote at %d", pos)
				break
			}
			t := index.ParseText(q.Text)
			for _, w := range t.Terms {
				if len(Tokens(w)) > 0 {
					positive = true
				}
			}
			for _, p := range t.Phrases {
				if len(Tokens(p)) > 0 {
					positive = true
				}
			}
			*count += len(t.Terms) + len(t.Phrases) + len(t.Exclude) + len(t.ExcludePhrases)
			if t.Empty() {
				ve.add(tp, "holds no word")
			}
		}
	}
	lists := []struct {
		name string
		vals []string
		code bool
	}{{"countries", q.Countries, true}, {"subject_countries", q.SubjectCountries, true}, {"leaders", q.Leaders, false}, {"treaties", q.Treaties, false}, {"keywords", q.Keywords, false}, {"sources", q.Sources, false}}
	for _, l := range lists {
		if len(l.vals) > 0 {
			positive = true
		}
		*count += len(l.vals)
		if len(l.vals) > MaxValues {
			ve.add(path+"."+l.name, "has %d values, over the limit of %d", len(l.vals), MaxValues)
		}
		for i, v := range l.vals {
			vp := fmt.Sprintf("%s.%s[%d]", path, l.name, i)
			switch {
			case !utf8.ValidString(v):
				ve.add(vp, "is not valid UTF-8")
			case len(v) > 200:
				ve.add(vp, "is %d bytes, over the limit of 200", len(v))
			case l.code && !isCountryCode(v):
				ve.add(vp, "%q is not a two-letter country code such as \"KP\"", v)
			case l.name == "keywords" && len(Tokens(v)) == 0:
				ve.add(vp, "%q holds no word", v)
			}
		}
	}
	if len(q.Any) > 0 {
		positive = true
	}
	for i := range q.Any {
		validateQuery(ve, fmt.Sprintf("%s.any[%d]", path, i), &q.Any[i], depth+1, count)
	}
	for i := range q.Not {
		validateQuery(ve, fmt.Sprintf("%s.not[%d]", path, i), &q.Not[i], depth+1, count)
	}
	if n := q.Near; n != nil {
		positive = true
		*count += 2
		np := path + ".near"
		for _, s := range []struct{ name, v string }{{"a", n.A}, {"b", n.B}} {
			switch toks := Tokens(s.v); {
			case s.v == "":
				ve.add(np+"."+s.name, "required")
			case len(toks) != 1:
				ve.add(np+"."+s.name, "%q must be one word", s.v)
			}
		}
		if n.Within < 1 || n.Within > MaxWithin {
			ve.add(np+".within", "must be 1..%d", MaxWithin)
		}
	}
	if !positive {
		ve.add(path, "needs at least one word, phrase, filter, \"any\" or \"near\" (exclusions alone would match nearly every article)")
	}
}

// unbalancedQuote reports the character position (0-based, in runes) of a
// double quote that is never closed.
func unbalancedQuote(s string) (int, bool) {
	open, pos := false, 0
	for i, r := range []rune(s) {
		if r == '"' {
			open = !open
			pos = i
		}
	}
	return pos, open
}

func isCountryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

func validateChannel(ve *ValidationError, path string, c Channel, opt ValidateOptions) {
	switch c.Type {
	case ChannelKafka, ChannelStream:
		if c.URL != "" || c.Secret != "" || len(c.To) > 0 {
			ve.add(path, "a %s channel takes no url, secret or to", c.Type)
		}
		return
	case ChannelEmail:
		validateEmail(ve, path, c)
		return
	case ChannelWebhook, ChannelSlack:
		if len(c.To) > 0 {
			ve.add(path+".to", "a %s channel takes no recipients", c.Type)
		}
	case "":
		ve.add(path+".type", "required: webhook, slack, email, kafka or stream")
		return
	default:
		ve.add(path+".type", "%q is not webhook, slack, email, kafka or stream", c.Type)
		return
	}
	if c.URL == "" {
		ve.add(path+".url", "required for a %s channel", c.Type)
	} else if err := CheckTargetURL(c.URL, opt.AllowPrivate); err != nil {
		ve.add(path+".url", "%v", err)
	}
	if c.Type == ChannelWebhook && c.Secret == "" {
		ve.add(path+".secret", "required for a webhook channel (it signs every delivery)")
	}
	if c.Type == ChannelSlack && c.Secret != "" {
		ve.add(path+".secret", "a slack channel takes no secret")
	}
}

func validateEmail(ve *ValidationError, path string, c Channel) {
	if c.URL != "" || c.Secret != "" {
		ve.add(path, "an email channel takes no url or secret")
	}
	switch {
	case len(c.To) == 0:
		ve.add(path+".to", "required for an email channel: one or more addresses")
	case len(c.To) > MaxRecipients:
		ve.add(path+".to", "has %d addresses, over the limit of %d", len(c.To), MaxRecipients)
	}
	for i, a := range c.To {
		if err := CheckMailAddress(a); err != nil {
			ve.add(fmt.Sprintf("%s.to[%d]", path, i), "%v", err)
		}
	}
}

// CheckMailAddress checks one email recipient: a bare address
// (local@domain, no display name, no line breaks), at most 254 bytes.
func CheckMailAddress(a string) error {
	if len(a) > 254 {
		return fmt.Errorf("is %d bytes, over the limit of 254", len(a))
	}
	if strings.ContainsAny(a, "\r\n<>,;\"") {
		return fmt.Errorf("%q is not a bare address such as desk@example.org", a)
	}
	p, err := mail.ParseAddress(a)
	if err != nil || p.Address != a || p.Name != "" {
		return fmt.Errorf("%q is not a bare address such as desk@example.org", a)
	}
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 || strings.HasPrefix(a[at+1:], ".") || strings.HasSuffix(a, ".") {
		return fmt.Errorf("%q has no valid domain", a)
	}
	return nil
}

// CheckTargetURL checks a webhook URL: absolute http or https, no user
// info, and, unless allowPrivate, a host that is not "localhost" nor a
// loopback, private, link-local or unspecified address literal. Names are
// checked again at dial time, after resolution.
func CheckTargetURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("is not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("must be an http or https URL")
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("has no host")
	}
	if u.User != nil {
		return fmt.Errorf("must not carry a user name or password")
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("targets a loopback host; refused")
	}
	if ip, err := netip.ParseAddr(host); err == nil && !PublicAddr(ip) {
		return fmt.Errorf("targets a loopback, private or link-local address; refused")
	}
	return nil
}

// PublicAddr reports whether ip is a global unicast address outside the
// loopback, private (RFC 1918, RFC 4193), link-local, shared (RFC 6598),
// unspecified and multicast ranges.
func PublicAddr(ip netip.Addr) bool { return netguard.PublicAddr(ip) }
