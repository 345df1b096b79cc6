package archtest

import (
	"fmt"
	"sort"
	"strings"
)

// Module is the import path of the newswire module.
const Module = "github.com/newswire/newswire"

// Package is what the checker needs to know about one package of the
// module, as go list reports it. Path is relative to Module ("enrich",
// "index/elastic").
type Package struct {
	Path string
	// Imports are the direct imports of the package's own files.
	Imports []string
	// TestImports are the direct imports of its _test.go files, in the
	// package and in the external _test package.
	TestImports []string
	// Deps are every package its own files depend on, transitively.
	Deps []string
}

// Where an import was found.
const (
	InPackage = "package" // the package's own files import it
	InTests   = "tests"   // its _test.go files import it
	InDeps    = "deps"    // it is a transitive dependency of the package's own files
)

// Rule forbids some imports to some packages. Patterns are import paths;
// "x/..." matches x and everything below it; a package pattern "..."
// matches every package of the module.
type Rule struct {
	Name string
	// Packages the rule covers, minus Except.
	Packages []string
	Except   []string
	// Forbid lists the imports the covered packages must not have, minus
	// Allow.
	Forbid []string
	Allow  []string
	// Tests extends the rule to the imports of _test.go files.
	Tests bool
	// Deps extends the rule to transitive dependencies of the package's
	// own files (not of its tests).
	Deps bool
}

// Exception is one known violation, tolerated until the work named in
// Reason removes it.
type Exception struct {
	Rule, Package, Where string
	Reason               string
}

// Violation is a forbidden import.
type Violation struct {
	Rule, Package, Where, Import string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s) imports %s: breaks rule %q", v.Package, v.Where, v.Import, v.Rule)
}

// match reports whether path matches pattern.
func match(pattern, path string) bool {
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}

func matchAny(patterns []string, path string) bool {
	for _, p := range patterns {
		if match(p, path) {
			return true
		}
	}
	return false
}

func (r Rule) covers(pkg string) bool {
	return matchAny(r.Packages, pkg) && !matchAny(r.Except, pkg)
}

func (r Rule) forbids(imp string) bool {
	return matchAny(r.Forbid, imp) && !matchAny(r.Allow, imp)
}

// Check returns the violations of rules in pkgs that exceptions do not
// cover, and the exceptions that no longer match any violation (stale:
// they should be deleted). Both are sorted.
func Check(pkgs []Package, rules []Rule, exceptions []Exception) (violations []Violation, stale []Exception) {
	used := make([]bool, len(exceptions))
	seen := map[Violation]bool{}
	for _, p := range pkgs {
		for _, r := range rules {
			if !r.covers(p.Path) {
				continue
			}
			lists := []importList{{InPackage, p.Imports}}
			if r.Tests {
				lists = append(lists, importList{InTests, p.TestImports})
			}
			if r.Deps {
				lists = append(lists, importList{InDeps, p.Deps})
			}
			for _, l := range lists {
				for _, imp := range l.imps {
					if !r.forbids(imp) {
						continue
					}
					v := Violation{Rule: r.Name, Package: p.Path, Where: l.where, Import: imp}
					if seen[v] {
						continue
					}
					seen[v] = true
					if i := excepted(exceptions, v); i >= 0 {
						used[i] = true
						continue
					}
					violations = append(violations, v)
				}
			}
		}
	}
	for i, e := range exceptions {
		if !used[i] {
			stale = append(stale, e)
		}
	}
	sort.Slice(violations, func(i, j int) bool { return violations[i].String() < violations[j].String() })
	return violations, stale
}

type importList struct {
	where string
	imps  []string
}

func excepted(exceptions []Exception, v Violation) int {
	for i, e := range exceptions {
		if e.Rule == v.Rule && e.Package == v.Package && e.Where == v.Where {
			return i
		}
	}
	return -1
}
