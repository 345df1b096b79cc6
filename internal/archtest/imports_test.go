package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// listModule runs go list over every package of the module.
func listModule(t *testing.T) []Package {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports,Deps,Error", Module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath                         string
			Imports, TestImports, XTestImports []string
			Deps                               []string
			Error                              *struct{ Err string }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		if p.Error != nil {
			t.Fatalf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		rel, ok := strings.CutPrefix(p.ImportPath, Module+"/")
		if !ok {
			continue // the module root has no package
		}
		pkgs = append(pkgs, Package{
			Path:        rel,
			Imports:     p.Imports,
			TestImports: append(slices.Clone(p.TestImports), p.XTestImports...),
			Deps:        p.Deps,
		})
	}
	return pkgs
}

// TestImportRules enforces Rules on the module as it is.
func TestImportRules(t *testing.T) {
	pkgs := listModule(t)
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages; expected the whole module", len(pkgs))
	}
	for _, want := range []string{"article", "enrich", "consumers", "index/elastic", "cmd/newswire"} {
		if !slices.ContainsFunc(pkgs, func(p Package) bool { return p.Path == want }) {
			t.Errorf("go list did not report package %s", want)
		}
	}
	violations, stale := Check(pkgs, Rules, Exceptions)
	for _, v := range violations {
		t.Errorf("%v (see the import rules in ARCHITECTURE.md)", v)
	}
	for _, e := range stale {
		t.Errorf("exception no longer needed, delete it from Exceptions: %s (%s) under rule %q", e.Package, e.Where, e.Rule)
	}
}

// TestCheck runs the checker on a made-up module: every rule must catch
// its violation, exceptions must hide exactly theirs, and an exception
// that matches nothing must be reported as stale.
func TestCheck(t *testing.T) {
	const (
		kafka = "github.com/segmentio/kafka-go"
		es    = "github.com/elastic/go-elasticsearch/v8"
	)
	clean := []Package{
		{Path: "article", Imports: []string{"encoding/json", "time"}},
		{Path: "enrich", Imports: []string{Module + "/article", "strings"}, Deps: []string{Module + "/article", "strings"}},
		{Path: "consumers", Imports: []string{kafka, Module + "/article"}, TestImports: []string{kafka}},
		{Path: "producers", Imports: []string{kafka, "net/http"}},
		{Path: "broker", TestImports: []string{kafka}},
		{Path: "cmd/newswire", Imports: []string{kafka}},
		{Path: "index/elastic", Imports: []string{es, es + "/esapi"}},
		{Path: "testsvc", Imports: []string{kafka}, TestImports: []string{es}},
		{Path: "deploy/local/kafkacheck", Imports: []string{kafka}},
		{Path: "api", Imports: []string{"net/http", Module + "/producers"}, Deps: []string{kafka}},
	}
	if v, stale := Check(clean, Rules, nil); len(v) != 0 || len(stale) != 0 {
		t.Fatalf("clean module: violations %v, stale %v", v, stale)
	}

	for _, tc := range []struct {
		name string
		pkg  Package
		want []string
	}{
		{"article imports the project", Package{Path: "article", Imports: []string{Module + "/enrich"}},
			[]string{`article (package) imports ` + Module + `/enrich`}},
		{"article sub-package may import article", Package{Path: "article/schema", Imports: []string{Module + "/article"}}, nil},
		{"enrich imports net/http", Package{Path: "enrich", Imports: []string{"net/http"}},
			[]string{"enrich (package) imports net/http"}},
		{"enrich test imports httptest", Package{Path: "enrich", TestImports: []string{"net/http/httptest"}},
			[]string{"enrich (tests) imports net/http/httptest"}},
		{"enrich depends on kafka-go", Package{Path: "enrich/match", Deps: []string{kafka + "/protocol"}},
			[]string{"enrich/match (deps) imports " + kafka + "/protocol"}},
		// Two rules: enrich is pure, and only index/elastic imports go-elasticsearch.
		{"enrich imports Elasticsearch", Package{Path: "enrich", Imports: []string{es}},
			[]string{"enrich (package) imports " + es, "enrich (package) imports " + es}},
		{"api imports kafka-go", Package{Path: "api", Imports: []string{kafka}},
			[]string{"api (package) imports " + kafka}},
		{"index test imports kafka-go", Package{Path: "index", TestImports: []string{kafka}},
			[]string{"index (tests) imports " + kafka}},
		{"alert imports Elasticsearch", Package{Path: "alert", Imports: []string{es + "/esapi"}},
			[]string{"alert (package) imports " + es + "/esapi"}},
		{"producers imports Elasticsearch", Package{Path: "producers", Imports: []string{es}},
			[]string{"producers (package) imports " + es}},
		{"index/embedded imports Elasticsearch", Package{Path: "index/embedded", Imports: []string{es}},
			[]string{"index/embedded (package) imports " + es}},
		{"a new package imports both", Package{Path: "metrics", Imports: []string{kafka, es}},
			[]string{"metrics (package) imports " + es, "metrics (package) imports " + kafka}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkgs := append(slices.Clone(clean), tc.pkg)
			v, _ := Check(pkgs, Rules, nil)
			var got []string
			for _, x := range v {
				got = append(got, x.Package+" ("+x.Where+") imports "+x.Import)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("violations\n%q\nwant\n%q", got, tc.want)
			}
		})
	}

	t.Run("exceptions", func(t *testing.T) {
		rule := Rules[3].Name
		pkgs := append(slices.Clone(clean),
			Package{Path: "alert", Imports: []string{kafka}, TestImports: []string{kafka}},
		)
		exc := []Exception{
			{Rule: rule, Package: "alert", Where: InPackage},
			{Rule: rule, Package: "app", Where: InTests}, // matches nothing
		}
		v, stale := Check(pkgs, Rules, exc)
		if len(v) != 1 || v[0].Package != "alert" || v[0].Where != InTests {
			t.Errorf("violations %v, want only alert's test import (its package import is excepted)", v)
		}
		if len(stale) != 1 || stale[0].Package != "app" {
			t.Errorf("stale %v, want the app exception", stale)
		}
	})
}
