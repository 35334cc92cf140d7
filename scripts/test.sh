#!/usr/bin/env bash
# Install everything the tests need, lint, and run the whole test suite.
# Extra arguments go to pytest, e.g. scripts/test.sh -k introduction
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh test
.venv/bin/ruff check .
# The C++ twins of the snippets, built against this environment's OpenVINO (only what changed).
.venv/bin/python scripts/cpp.py build >/dev/null
exec .venv/bin/python -m pytest "$@"
