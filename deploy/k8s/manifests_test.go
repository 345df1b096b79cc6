// Package k8s holds the Kubernetes manifests; its test renders them with
// kustomize (the library behind `kustomize build` and `kubectl
// kustomize`) and decodes every object strictly into its API type, so an
// unknown or misspelt field, a wrong type or a broken reference fails the
// suite offline; rules_test.go checks the alerting rules as `promtool
// check rules` does. deploy/k8s/validate.sh adds the JSON-schema check
// (kubernetes-validate).
package k8s

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// object is one rendered manifest.
type object struct {
	Kind, Name string
	Raw        []byte
}

// build renders dir with kustomize; load restrictions are lifted so that
// a test overlay may point back at the base.
func build(t *testing.T, fs filesys.FileSystem, dir string) []object {
	t.Helper()
	opts := krusty.MakeDefaultOptions()
	opts.LoadRestrictions = types.LoadRestrictionsNone
	res, err := krusty.MakeKustomizer(opts).Run(fs, dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var out []object
	for _, r := range res.Resources() {
		b, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, object{Kind: r.GetKind(), Name: r.GetName(), Raw: b})
	}
	return out
}

// decodeStrict decodes o into the API type of its kind, refusing unknown
// fields; kinds without a Go type here are returned as errors.
func decodeStrict(o object) (any, error) {
	var v any
	switch o.Kind {
	case "Namespace":
		v = &corev1.Namespace{}
	case "ConfigMap":
		v = &corev1.ConfigMap{}
	case "Secret":
		v = &corev1.Secret{}
	case "Service":
		v = &corev1.Service{}
	case "Deployment":
		v = &appsv1.Deployment{}
	case "CronJob":
		v = &batchv1.CronJob{}
	case "PodDisruptionBudget":
		v = &policyv1.PodDisruptionBudget{}
	case "HorizontalPodAutoscaler":
		v = &autoscalingv2.HorizontalPodAutoscaler{}
	case "ServiceMonitor":
		v = &monitoringv1.ServiceMonitor{}
	case "PrometheusRule":
		v = &monitoringv1.PrometheusRule{}
	case "ScaledObject":
		v = &scaledObject{}
	default:
		return nil, fmt.Errorf("no type for kind %s", o.Kind)
	}
	if err := yaml.UnmarshalStrict(o.Raw, v); err != nil {
		return nil, fmt.Errorf("%s %s: %w", o.Kind, o.Name, err)
	}
	return v, nil
}

// scaledObject is the part of KEDA's keda.sh/v1alpha1 ScaledObject these
// manifests use, field for field as KEDA 2 defines it (the KEDA module
// is not a dependency); strict decoding refuses anything else.
type scaledObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		ScaleTargetRef struct {
			Name string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount *int32 `json:"minReplicaCount"`
		MaxReplicaCount *int32 `json:"maxReplicaCount"`
		PollingInterval *int32 `json:"pollingInterval"`
		CooldownPeriod  *int32 `json:"cooldownPeriod"`
		Fallback        *struct {
			FailureThreshold int32 `json:"failureThreshold"`
			Replicas         int32 `json:"replicas"`
		} `json:"fallback"`
		Advanced *struct {
			HorizontalPodAutoscalerConfig *struct {
				Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior"`
			} `json:"horizontalPodAutoscalerConfig"`
		} `json:"advanced"`
		Triggers []struct {
			Type       string            `json:"type"`
			MetricType string            `json:"metricType"`
			Metadata   map[string]string `json:"metadata"`
		} `json:"triggers"`
	} `json:"spec"`
}

func TestManifests(t *testing.T) {
	fs := filesys.MakeFsOnDisk()
	objs := build(t, fs, ".")
	kinds := map[string][]string{}
	decoded := map[string]any{}
	for _, o := range objs {
		v, err := decodeStrict(o)
		if err != nil {
			t.Error(err)
			continue
		}
		kinds[o.Kind] = append(kinds[o.Kind], o.Name)
		decoded[o.Kind+"/"+o.Name] = v
	}
	for _, k := range []string{"Deployment", "ScaledObject", "ServiceMonitor", "PrometheusRule", "CronJob"} {
		if len(kinds[k]) == 0 {
			t.Errorf("no %s rendered (have %v)", k, kinds)
		}
	}
	if len(kinds["HorizontalPodAutoscaler"]) > 0 {
		t.Errorf("the KEDA build also renders HPAs %v: KEDA owns the HPAs", kinds["HorizontalPodAutoscaler"])
	}
	cm, _ := decoded["ConfigMap/newswire"].(*corev1.ConfigMap)
	if cm == nil {
		t.Fatal("ConfigMap newswire missing")
	}
	// Every ScaledObject targets a Deployment of its stage, which reads the
	// brokers variable the scaler takes from it, and watches that stage's
	// group and input topic.
	input := map[string]string{"enrich": "news.raw", "index": "news.enriched", "alert": "news.enriched"}
	for _, name := range kinds["ScaledObject"] {
		so := decoded["ScaledObject/"+name].(*scaledObject)
		dep, _ := decoded["Deployment/"+so.Spec.ScaleTargetRef.Name].(*appsv1.Deployment)
		if dep == nil {
			t.Errorf("ScaledObject %s targets missing Deployment %s", name, so.Spec.ScaleTargetRef.Name)
			continue
		}
		if dep.Spec.Replicas != nil {
			t.Errorf("Deployment %s sets replicas; the autoscaler owns them", dep.Name)
		}
		stage := strings.TrimPrefix(name, "newswire-")
		if got := dep.Spec.Template.Spec.Containers[0].Args; !slices.Equal(got, []string{stage}) {
			t.Errorf("ScaledObject %s: Deployment runs %v, want [%s]", name, got, stage)
		}
		if max := so.Spec.MaxReplicaCount; max == nil || *max > 6 {
			t.Errorf("ScaledObject %s: maxReplicaCount %v above the 6 partitions", name, max)
		}
		kafka := 0
		for _, tr := range so.Spec.Triggers {
			if tr.Type != "kafka" {
				continue
			}
			kafka++
			m := tr.Metadata
			if m["consumerGroup"] != "newswire-"+stage || m["topic"] != input[stage] || m["lagThreshold"] == "" {
				t.Errorf("ScaledObject %s: kafka trigger %v, want group newswire-%s, topic %s and a lagThreshold", name, m, stage, input[stage])
			}
			if env := m["bootstrapServersFromEnv"]; cm.Data[env] == "" {
				t.Errorf("ScaledObject %s: brokers from env %q, which the ConfigMap does not set", name, env)
			}
		}
		if kafka != 1 {
			t.Errorf("ScaledObject %s has %d kafka triggers, want 1", name, kafka)
		}
	}
	// /metrics needs a token with the metrics scope.
	sm, _ := decoded["ServiceMonitor/newswire"].(*monitoringv1.ServiceMonitor)
	if sm == nil || len(sm.Spec.Endpoints) == 0 {
		t.Fatal("ServiceMonitor newswire missing or without endpoints")
	}
	for _, ep := range sm.Spec.Endpoints {
		if ep.Authorization == nil || ep.Authorization.Credentials == nil || ep.Authorization.Credentials.Name == "" {
			t.Errorf("ServiceMonitor endpoint %s scrapes without a bearer token; /metrics answers 401", ep.Port)
		}
	}
	rules := decoded["PrometheusRule/newswire"].(*monitoringv1.PrometheusRule)
	var alerts []string
	for _, g := range rules.Spec.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
		}
	}
	for _, want := range []string{"NewswireConsumerLagGrowing", "NewswireDeadLetters", "NewswireFreshnessSLO", "NewswireIndexerErrors", "NewswireEngineThrottling"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("PrometheusRule lacks %s (has %v)", want, alerts)
		}
	}
	dash, _ := decoded["ConfigMap/newswire-dashboard"].(*corev1.ConfigMap)
	if dash == nil || !strings.Contains(dash.Data["newswire.json"], `"uid": "newswire"`) {
		t.Error("dashboard ConfigMap missing or without the generated dashboard")
	}
}

// TestHPAFallback renders the base with components/hpa instead of KEDA.
func TestHPAFallback(t *testing.T) {
	fs := filesys.MakeFsOnDisk()
	dir := t.TempDir()
	k := `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ` + rel(t, dir, "namespace.yaml") + `
  - ` + rel(t, dir, "configmap.yaml") + `
  - ` + rel(t, dir, "enrich.yaml") + `
  - ` + rel(t, dir, "index.yaml") + `
  - ` + rel(t, dir, "alert.yaml") + `
components:
  - ` + rel(t, dir, "components/hpa") + `
`
	if err := fs.WriteFile(dir+"/kustomization.yaml", []byte(k)); err != nil {
		t.Fatal(err)
	}
	var hpas []string
	for _, o := range build(t, fs, dir) {
		if _, err := decodeStrict(o); err != nil {
			t.Error(err)
		}
		if o.Kind == "HorizontalPodAutoscaler" {
			hpas = append(hpas, o.Name)
			if !bytes.Contains(o.Raw, []byte("name: "+o.Name+"\n")) {
				t.Errorf("HPA %s does not target its Deployment", o.Name)
			}
		}
	}
	slices.Sort(hpas)
	if want := []string{"newswire-alert", "newswire-enrich", "newswire-index"}; !slices.Equal(hpas, want) {
		t.Errorf("HPAs %v, want %v", hpas, want)
	}
}

// rel is the path of p (relative to this package) seen from dir.
func rel(t *testing.T, dir, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	r, err := filepath.Rel(dir, a)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
