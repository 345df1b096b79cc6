package k8s

import (
	"log/slog"
	"os"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// TestRulesCheck is `promtool check rules` on the PrometheusRule's groups:
// the same parser and checks (YAML shape, PromQL of every expression,
// label and annotation templates, durations, duplicate groups).
func TestRulesCheck(t *testing.T) {
	raw, err := os.ReadFile("monitoring/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Spec struct {
			Groups []yaml.Node `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	groups, err := yaml.Marshal(map[string]any{"groups": doc.Spec.Groups})
	if err != nil {
		t.Fatal(err)
	}
	// As promtool does by default: unknown fields refused, UTF-8 metric
	// names allowed, the default PromQL parser.
	rgs, errs := rulefmt.Parse(groups, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Error(err)
	}
	n := 0
	for _, g := range rgs.Groups {
		n += len(g.Rules)
	}
	if n < 5 {
		t.Errorf("%d rules parsed, want at least 5", n)
	}
}
