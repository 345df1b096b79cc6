#!/usr/bin/env bash
# The whole test suite: unit tests, embedded end-to-end tests, and the
# integration tests against the real Kafka and the real Elasticsearch-API
# engines of deploy/local (Elasticsearch and OpenSearch; ENGINE=es or
# ENGINE=opensearch narrows it to one). Services already up are used and
# left up; services this script starts are stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

case "${ENGINE:-both}" in
both | all) engines=(es opensearch) ;;
es | elasticsearch) engines=(es) ;;
opensearch) engines=(opensearch) ;;
*)
  echo "test.sh: ENGINE=${ENGINE} is not one of both, es, opensearch" >&2
  exit 2
  ;;
esac

started=()
cleanup() {
  if ((${#started[@]} > 0)); then
    bash deploy/local/services.sh down "${started[@]}" || true
  fi
}
trap cleanup EXIT
for svc in kafka "${engines[@]}"; do
  if ! bash deploy/local/services.sh status "$svc" >/dev/null 2>&1; then
    started+=("$svc")
  fi
done
if ((${#started[@]} > 0)); then
  bash deploy/local/services.sh up "${started[@]}"
fi

eval "$(bash deploy/local/services.sh env kafka "${engines[@]}")"
eval "$(bash deploy/local/browser.sh)"
echo "integration targets: kafka=$NEWSWIRE_TEST_KAFKA es=${NEWSWIRE_TEST_ES:-off} opensearch=${NEWSWIRE_TEST_OPENSEARCH:-off}"
# The Kubernetes manifests against the Kubernetes JSON schemas (the Go
# tests of deploy/k8s render them and check the rules with the suite).
bash deploy/k8s/validate.sh
go test -count=1 -timeout 40m ${GOTESTFLAGS:-} ./...
# The race detector on the concurrent packages, integration tests included
# (about 2 minutes on two cores once the race build is cached).
make --no-print-directory test-race GOFLAGS_TEST="${GOTESTFLAGS:-}"
