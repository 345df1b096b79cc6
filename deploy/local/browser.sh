#!/usr/bin/env bash
# Installs Debian's chromium for the page's browser tests (api/web/browsertest)
# when it is missing, and prints the variable the tests read:
#
#   eval "$(bash deploy/local/browser.sh)"   # sets NEWSWIRE_TEST_CHROMIUM
#
# The tests skip when NEWSWIRE_TEST_CHROMIUM is unset and fail when it is set
# and the browser does not start. Needs root (apt-get) only when chromium is
# not installed yet.
set -euo pipefail

find_chromium() {
  command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null || true
}

bin="$(find_chromium)"
if [ -z "$bin" ]; then
  echo "installing chromium (Debian package)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
  bin="$(find_chromium)"
fi
if [ -z "$bin" ]; then
  echo "chromium is still missing after apt-get install" >&2
  exit 1
fi
"$bin" --version >&2
echo "export NEWSWIRE_TEST_CHROMIUM=$bin"
