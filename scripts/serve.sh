#!/usr/bin/env bash
# Install what the site needs and serve it on http://127.0.0.1:${PORT:-8000}/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh docs
export NO_MKDOCS_2_WARNING=1  # silence Material's banner about MkDocs 2.0
exec .venv/bin/python -m mkdocs serve --dev-addr "127.0.0.1:${PORT:-8000}"
