#!/usr/bin/env bash
# Optional: install llama-cpp-python into .venv, the peer the LLM benchmarks compare against
# (benchmark.py compare-llama-cpp, and the llama.cpp point of `regenerate`). PyPI has it only as
# source, so this compiles llama.cpp for this CPU (-march=native): several minutes on 2 cores.
# Not part of scripts/test.sh: without it, those comparisons are skipped with this reason.
# Usage: scripts/install-llama-cpp.sh   (after scripts/install.sh docs|test)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  echo "error: no .venv here; run scripts/install.sh test first" >&2
  exit 2
fi
# CPU only; no multimodal (llava/mtmd) library, which the comparison does not use.
export CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF -DLLAMA_BUILD_MTMD=OFF}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
.venv/bin/python -m pip install --quiet --disable-pip-version-check "llama-cpp-python==0.3.36"
.venv/bin/python -c "import llama_cpp; print('llama-cpp-python', llama_cpp.__version__)"
