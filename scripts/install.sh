#!/usr/bin/env bash
# Create .venv and install the project with one of its extras: `docs` (build and serve the site)
# or `test` (everything the test suite needs, Debian's chromium included).
# Usage: scripts/install.sh docs|test
set -euo pipefail
cd "$(dirname "$0")/.."
extra=${1:-docs}
case "$extra" in docs|test) ;; *) echo "error: usage: scripts/install.sh docs|test" >&2; exit 2;; esac

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extra]"

if [ "$extra" = test ] && ! command -v chromium >/dev/null 2>&1; then
  # The browser test drives Debian's chromium; Playwright's own browser download is not used.
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
