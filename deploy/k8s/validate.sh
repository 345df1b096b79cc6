#!/usr/bin/env bash
# Validates the Kubernetes manifests offline, as part of `make test`:
#
#   1. kustomize build of the default layout (KEDA + monitoring) and of the
#      CPU-only fallback (components/hpa) must render;
#   2. every rendered object of a built-in kind must pass the Kubernetes
#      JSON schemas shipped by kubernetes-validate (strict: unknown fields
#      fail). Custom resources (ScaledObject, ServiceMonitor,
#      PrometheusRule) have no schema there; the Go test of this package
#      decodes them strictly into their API types instead;
#   3. the PrometheusRule groups must pass `promtool check rules`.
#
# Tools are pinned and installed once under deploy/k8s/.cache (gitignored):
# kustomize and promtool with `go install`, kubernetes-validate into a
# Python venv with pip.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="$HERE/.cache"
KUSTOMIZE_VERSION=v5.8.1
PROMETHEUS_VERSION=v0.316.0 # the Go module version of Prometheus 3.x's promtool
KUBERNETES_VALIDATE_VERSION=1.37.0
export GOTOOLCHAIN=local

log() { printf 'validate: %s\n' "$*" >&2; }

mkdir -p "$CACHE/bin" "$CACHE/out"
tool() { # tool NAME MODULE@VERSION
	local bin="$CACHE/bin/$1" stamp="$CACHE/bin/$1.version"
	if [[ -x "$bin" && -f "$stamp" && "$(<"$stamp")" == "$2" ]]; then
		return 0
	fi
	log "installing $2 (first run only)"
	GOBIN="$CACHE/bin" go install "$2"
	printf '%s' "$2" >"$stamp"
}
tool kustomize "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
tool promtool "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION"

VENV="$CACHE/venv"
if [[ ! -x "$VENV/bin/kubernetes-validate" || "$(cat "$VENV/.version" 2>/dev/null)" != "$KUBERNETES_VALIDATE_VERSION" ]]; then
	log "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $VENV (first run only)"
	rm -rf "$VENV"
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
	printf '%s' "$KUBERNETES_VALIDATE_VERSION" >"$VENV/.version"
fi

# 1. render
"$CACHE/bin/kustomize" build "$HERE" >"$CACHE/out/default.yaml"
FALLBACK="$CACHE/fallback"
rm -rf "$FALLBACK" && mkdir -p "$FALLBACK"
cat >"$FALLBACK/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [../../namespace.yaml, ../../configmap.yaml, ../../enrich.yaml, ../../index.yaml, ../../alert.yaml, ../../serve.yaml, ../../rollover.yaml]
components: [../../components/hpa, ../../monitoring]
YAML
"$CACHE/bin/kustomize" build --load-restrictor LoadRestrictionsNone "$FALLBACK" >"$CACHE/out/fallback.yaml"
log "rendered $(grep -c '^kind:' "$CACHE/out/default.yaml") objects (KEDA) and $(grep -c '^kind:' "$CACHE/out/fallback.yaml") (HPA fallback)"

# 2. schemas
for f in default fallback; do
	"$VENV/bin/kubernetes-validate" --strict --quiet "$CACHE/out/$f.yaml" 2>&1 |
		grep -v "Couldn't find schema for kind \(ScaledObject\|ServiceMonitor\|PrometheusRule\) " || true
	# kubernetes-validate exits non-zero on any invalid object.
	"$VENV/bin/kubernetes-validate" --strict --quiet --no-warn "$CACHE/out/$f.yaml" >/dev/null
done
log "schemas: ok"

# 3. rules
"$VENV/bin/python" - "$HERE/monitoring/rules.yaml" "$CACHE/out/rules.yaml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
yaml.safe_dump({"groups": doc["spec"]["groups"]}, open(sys.argv[2], "w"), sort_keys=False)
PY
"$CACHE/bin/promtool" check rules "$CACHE/out/rules.yaml"
