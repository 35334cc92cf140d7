#!/usr/bin/env bash
# Install what the site needs and serve it on http://127.0.0.1:${PORT:-8000}/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh docs
exec .venv/bin/python -m mkdocs serve --dev-addr "127.0.0.1:${PORT:-8000}"
