// Package htmldate stands in for github.com/markusmobius/go-htmldate,
// which the full-text extractor (go-trafilatura) imports for its optional
// search of a page's publication date.
//
// newswire switches that search off (producers.Extract sets
// HtmlDateMode: Disabled) and reads dates from the page's own metadata
// instead (producers/pagemeta.go). The real module would still be linked
// in, and with it go-dateparser, whose package initialisation builds
// about 80 MB of locale tables in every newswire process at start: some
// 0.13 CPU-seconds and 30 MB of live heap that no command uses. go.mod
// replaces the module with this one, which keeps the three names the
// extractor refers to and finds no date.
package htmldate

import (
	"errors"
	"time"

	"golang.org/x/net/html"
)

// Options mirrors the fields of the real module's options that the
// extractor sets.
type Options struct {
	ExtractTime         bool
	UseOriginalDate     bool
	URL                 string
	MinDate, MaxDate    time.Time
	EnableLog           bool
	SkipExtensiveSearch bool
}

// Result is a date found in a page; this module never finds one.
type Result struct {
	DateTime    time.Time
	HasTime     bool
	HasTimezone bool
	SrcString   string
}

// IsZero reports whether no date was found.
func (r Result) IsZero() bool { return r.DateTime.IsZero() }

// ErrLeftOut is what FromDocument returns: the date search is not part of
// newswire.
var ErrLeftOut = errors.New("htmldate: the page date search is left out of newswire; dates come from page metadata")

// FromDocument finds no date and says why.
func FromDocument(*html.Node, Options) (Result, error) { return Result{}, ErrLeftOut }
