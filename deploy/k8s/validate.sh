#!/usr/bin/env bash
# Validates the Kubernetes manifests offline, as part of `make test`:
#
#   1. the default layout (KEDA + monitoring) and the CPU-only fallback
#      (components/hpa) must render (deploy/k8s/render: `kustomize build`
#      through the kustomize library);
#   2. every rendered object of a built-in kind must pass the Kubernetes
#      JSON schemas shipped by kubernetes-validate (strict: unknown fields
#      fail). Custom resources (ScaledObject, ServiceMonitor,
#      PrometheusRule) have no schema there; the Go test of this package
#      decodes them strictly into their API types instead.
#
# The rules are checked by `go test ./deploy/k8s` with promtool's own rule
# parser (rulefmt), the dashboard and rule metrics by ./deploy/dashboard.
# kubernetes-validate is pinned and installed once into a Python venv under
# deploy/k8s/.cache (gitignored).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="$HERE/.cache"
KUBERNETES_VALIDATE_VERSION=1.37.0
export GOTOOLCHAIN=local

log() { printf 'validate: %s\n' "$*" >&2; }

mkdir -p "$CACHE/bin" "$CACHE/out"
(cd "$REPO" && go build -o "$CACHE/bin/render" ./deploy/k8s/render)

VENV="$CACHE/venv"
if [[ ! -x "$VENV/bin/kubernetes-validate" || "$(cat "$VENV/.version" 2>/dev/null)" != "$KUBERNETES_VALIDATE_VERSION" ]]; then
	log "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $VENV (first run only)"
	rm -rf "$VENV"
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
	printf '%s' "$KUBERNETES_VALIDATE_VERSION" >"$VENV/.version"
fi

# 1. render
"$CACHE/bin/render" "$HERE" >"$CACHE/out/default.yaml"
FALLBACK="$CACHE/fallback"
rm -rf "$FALLBACK" && mkdir -p "$FALLBACK"
cat >"$FALLBACK/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [../../namespace.yaml, ../../configmap.yaml, ../../tokens-secret.yaml, ../../enrich.yaml, ../../index.yaml, ../../alert.yaml, ../../serve.yaml, ../../rollover.yaml]
components: [../../components/hpa, ../../monitoring]
YAML
"$CACHE/bin/render" --load-restrictor-none "$FALLBACK" >"$CACHE/out/fallback.yaml"
log "rendered $(grep -c '^kind:' "$CACHE/out/default.yaml") objects (KEDA) and $(grep -c '^kind:' "$CACHE/out/fallback.yaml") (HPA fallback)"

# 2. schemas
for f in default fallback; do
	"$VENV/bin/kubernetes-validate" --strict --quiet "$CACHE/out/$f.yaml" 2>&1 |
		grep -v "Couldn't find schema for kind \(ScaledObject\|ServiceMonitor\|PrometheusRule\) " || true
	# kubernetes-validate exits non-zero on any invalid object.
	"$VENV/bin/kubernetes-validate" --strict --quiet --no-warn "$CACHE/out/$f.yaml" >/dev/null
done
log "schemas: ok"
