package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/newswire/newswire/alert"
	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/index/elastic"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// root is the module root, two levels up from this package.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDashboardUpToDate(t *testing.T) {
	want, err := Render()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root(t), Path))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go run ./deploy/dashboard", Path)
	}
}

// recorder is a Registerer that keeps what is registered.
type recorder struct {
	*prometheus.Registry
	collectors []prometheus.Collector
}

func (r *recorder) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return r.Registry.Register(c)
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

var (
	fqName    = regexp.MustCompile(`fqName: "([a-zA-Z0-9_:]+)"`)
	varLabels = regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
)

// registered returns the names of every metric family the binary's
// packages register (stages, alerting, search engine), whether or not a
// series exists yet.
func registered(t *testing.T) map[string][]string {
	rec := &recorder{Registry: prometheus.NewRegistry()}
	consumers.NewMetrics(rec)
	alert.NewMetrics(rec)
	elastic.NewMetrics(rec)
	names := map[string][]string{} // name → its labels
	for _, c := range rec.collectors {
		ch := make(chan *prometheus.Desc, 16)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			if m := fqName.FindStringSubmatch(d.String()); m != nil {
				var labels []string
				if l := varLabels.FindStringSubmatch(d.String()); l != nil && l[1] != "" {
					labels = strings.Split(l[1], ",")
				}
				names[m[1]] = labels
			}
		}
	}
	if len(names) < 10 {
		t.Fatalf("only %d metric names found: %v", len(names), names)
	}
	return names
}

var (
	metricRef = regexp.MustCompile(`\bnewswire_[a-z0-9_]+`)
	byClause  = regexp.MustCompile(`\bby \(([^)]*)\)`)
)

// referenced returns the metric names an expression uses, with histogram
// and summary suffixes mapped to their family.
func referenced(expr string) []string {
	var out []string
	for _, m := range metricRef.FindAllString(expr, -1) {
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(m, suf); ok && !strings.HasSuffix(m, "_total") {
				m = base
				break
			}
		}
		out = append(out, m)
	}
	return out
}

func TestReferencedMetricsExist(t *testing.T) {
	names := registered(t)
	exprs := map[string]string{} // where → expression
	for _, r := range rows {
		for _, p := range r.panels {
			for _, q := range p.queries {
				exprs["dashboard panel "+p.title] += q[0] + "\n"
			}
		}
	}
	raw, err := os.ReadFile(filepath.Join(root(t), "deploy/k8s/monitoring/rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var rule struct {
		Spec struct {
			Groups []struct {
				Rules []struct {
					Alert string `yaml:"alert"`
					Expr  string `yaml:"expr"`
				} `yaml:"rules"`
			} `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(raw, &rule); err != nil {
		t.Fatal(err)
	}
	nRules := 0
	for _, g := range rule.Spec.Groups {
		for _, r := range g.Rules {
			exprs["rule "+r.Alert] = r.Expr
			nRules++
		}
	}
	if nRules < 5 {
		t.Fatalf("%d rules parsed, want at least 5", nRules)
	}
	var where []string
	for w := range exprs {
		where = append(where, w)
	}
	sort.Strings(where)
	for _, w := range where {
		refs := referenced(exprs[w])
		if len(refs) == 0 {
			t.Errorf("%s names no newswire metric: %q", w, exprs[w])
		}
		labels := map[string]bool{}
		for _, m := range refs {
			ls, ok := names[m]
			if !ok {
				t.Errorf("%s uses %s, which the binary does not register", w, m)
			}
			for _, l := range ls {
				labels[l] = true
			}
		}
		// Every label an aggregation keeps must exist on a metric it reads
		// (le comes with histograms).
		for _, by := range byClause.FindAllStringSubmatch(exprs[w], -1) {
			for _, l := range strings.Split(by[1], ",") {
				if l = strings.TrimSpace(l); l != "le" && !labels[l] {
					t.Errorf("%s aggregates by %q, a label none of %v has", w, l, refs)
				}
			}
		}
	}
}

func TestReferenced(t *testing.T) {
	got := referenced(`histogram_quantile(0.99, sum by (le) (rate(newswire_end_to_end_age_seconds_bucket[5m]))) + newswire_x_total`)
	if strings.Join(got, ",") != "newswire_end_to_end_age_seconds,newswire_x_total" {
		t.Errorf("referenced = %v", got)
	}
}
