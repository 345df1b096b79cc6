// Package match is the pure core of newswire's alerting: the rule model
// (Rule, Query, Channel), its JSON and YAML parsing with validation errors
// that name the path of the bad part ("query.near.within: must be 1..50"),
// and the Matcher that tests one enriched article against every rule.
//
// Query semantics. The top-level parts of a query all hold (AND). Text
// uses the search syntax of index.ParseText: every word and "phrase" must
// occur, -word and -"phrase" must not. Words match case-insensitively
// after a light English stemmer (Stem) applied to both the article and
// the rule, so "treaty" matches "treaties" and "sanction" matches
// "sanctioned". Text is the article's title, summary and body; a phrase
// or a near pair never spans two fields. Countries, leaders, treaties and
// keywords match the article's tags (country codes, leader ids, treaty
// ids, alert keywords); subject countries match only the country tags
// that make the country a subject of the article (index.IsSubject: role
// "subject", or no role at all), never a venue or a mention; sources match the article's source,
// case-insensitively; every listed value must be present. "any" holds
// when at least one nested query holds, "not" when none does. "near"
// holds when its two words occur at most Within words apart, in either
// order.
//
// Matching cost does not grow with the number of rules an article cannot
// match: Compile indexes each rule under its rarest necessary feature (see
// Matcher), and Match verifies only the rules found under the features of
// the article. Every Match explains itself with the words, phrases and
// entities that matched and their spans.
//
// The package does no I/O.
package match
