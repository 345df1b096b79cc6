#!/usr/bin/env bash
# The whole test suite: unit tests, embedded end-to-end tests, and the
# integration tests against the real Kafka and Elasticsearch-API engine of
# deploy/local. Services already up are used and left up; services this
# script starts are stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

started=0
if ! bash deploy/local/services.sh status >/dev/null 2>&1; then
  bash deploy/local/services.sh up
  started=1
fi
cleanup() {
  if [ "$started" = 1 ]; then
    bash deploy/local/services.sh down || true
  fi
}
trap cleanup EXIT

export NEWSWIRE_TEST_KAFKA="${NEWSWIRE_TEST_KAFKA:-127.0.0.1:9092}"
export NEWSWIRE_TEST_ES="${NEWSWIRE_TEST_ES:-http://127.0.0.1:9200}"
echo "integration targets: kafka=$NEWSWIRE_TEST_KAFKA es=$NEWSWIRE_TEST_ES"
go test -count=1 -timeout 40m ${GOTESTFLAGS:-} ./...
# The race detector on the concurrent packages, integration tests included
# (about 2 minutes on two cores once the race build is cached).
make --no-print-directory test-race GOFLAGS_TEST="${GOTESTFLAGS:-}"
