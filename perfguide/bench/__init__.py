"""The one measuring core: every number in the guide is taken by this package.

Its modules, each one job, in the order a measurement uses them:

- :mod:`~perfguide.bench.config`: the settings of a measurement (``BenchConfig``, ``Timing``),
  validated once, and the OpenVINO properties they mean;
- :mod:`~perfguide.bench.models`: reading, reshaping and compiling a model, what the device chose;
- :mod:`~perfguide.bench.loops`: the timed loops (one request, all in flight, Poisson arrivals);
- :mod:`~perfguide.bench.stats`: percentiles, spread, steadiness (no OpenVINO import);
- :mod:`~perfguide.bench.scenarios`: single-stream, offline, server, first-inference as records;
- :mod:`~perfguide.bench.bapp`: benchmark_app on the same model and settings, side by side;
- :mod:`~perfguide.bench.llm`: the ``llm`` scenario (TTFT, TPOT, memory of a decoder LLM);
- :mod:`~perfguide.bench.llamacpp`: llama.cpp on the same GGUF file, side by side;
- :mod:`~perfguide.bench.probes`: the practical peak (a MatMul), the memory bandwidth, and the
  machine's steadiness;
- :mod:`~perfguide.bench.isolation`: each measurement in a fresh process that dies with its parent;
- :mod:`~perfguide.bench.plan`: which points ``regenerate`` measures on this machine;
- :mod:`~perfguide.bench.regenerate`: running that plan into a results file, resumably.

The names below are the ones scripts and tests use; each is imported from its module when first
asked for, so that importing one module (``perfguide.bench.stats``) imports no other.
"""

from __future__ import annotations

import importlib

_FROM = {
    "bapp": ("COMPARE_MODES", "benchmark_app_command", "benchmark_app_path", "compare_benchmark_app",
             "parse_benchmark_app"),
    "cpp_peer": ("compare_cpp",),
    "config": ("HINTS", "PRECISIONS", "SCENARIOS", "BenchConfig", "Timing", "check_config"),
    "isolation": ("in_fresh_process",),
    "llamacpp": ("compare_llama_cpp", "llama_cpp_version"),
    "llm": ("KV_PRECISIONS", "WEIGHTS", "LLMSettings", "measure_llm"),
    "memory": ("peak_rss_mib", "reset_peak_rss"),
    "models": ("check_precision", "read_model", "supported_precisions"),
    "probes": ("bandwidth", "peak_matmul", "steadiness"),
    "scenarios": ("measure", "prepare", "record_id", "summarize"),
    "stats": ("Run", "alternate", "latency_stats", "spread_pct", "spread_warning", "steadiness_stats"),
    "summary": ("summary",),
}  # fmt: skip
_MODULE = {name: module for module, names in _FROM.items() for name in names}
__all__ = sorted(_MODULE)


def __getattr__(name: str):
    if name not in _MODULE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULE[name]}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
