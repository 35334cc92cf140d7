"""What Python adds per call: the harness's single-stream loop against the same loop in C++.

Both sides run one request on the same model file, static shapes and compile properties, with
the inputs written once and each call timed by the caller's clock: Python's loop (the harness's
own, :func:`perfguide.bench.loops.run_single_stream`, which also reads the runtime's request
timer) and the C++ program ``perfguide/bench/single_stream.cpp`` (built with the C++ twins of the
pages, see :mod:`perfguide.cpp`), taking turns in A B B A order. The difference between the two
callers' medians is what the return from the runtime to Python, and the Python call itself, cost
per inference.
"""

from __future__ import annotations

import json
import os

import numpy as np

from perfguide.bench.config import (
    DEFAULT_MIN_COUNT,
    DEFAULT_REPEATS,
    DEFAULT_SECONDS,
    BenchConfig,
    Timing,
    compile_properties,
)
from perfguide.bench.isolation import spawn
from perfguide.bench.loops import warm_seconds
from perfguide.bench.memory import reset_peak_rss
from perfguide.bench.scenarios import Prepared, empty_record, finish, prepare, run_once, summarize
from perfguide.bench.stats import alternate, spread_pct
from perfguide.errors import UsageError

PROGRAM = "bench/single_stream"


def _property_text(value: object) -> str:
    """A compile property as the string OpenVINO parses (an element type by its name)."""
    return value.get_type_name() if hasattr(value, "get_type_name") else str(value)


def spec(p: Prepared, seconds: float, min_count: int) -> dict:
    """What the C++ loop is told: ``p``'s model file, shapes and compile properties."""
    return {"model": str(p.path), "device": p.device, "shapes": p.shapes,
            "properties": {k: _property_text(v) for k, v in compile_properties(p.config).items()},
            "seconds": seconds, "min_count": min_count, "warm_s": warm_seconds(seconds)}


def run_cpp(p: Prepared, seconds: float, min_count: int) -> dict:
    """One run of the C++ loop: {"p50_ms", "count", "duration_s"}."""
    from perfguide import cpp

    cpp.build([PROGRAM])
    done = spawn([str(cpp.program(PROGRAM)), json.dumps(spec(p, seconds, min_count))],
                 timeout=seconds * 10 + 300)  # fmt: skip
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise (UsageError if done.returncode == 2 else RuntimeError)(
            f"the C++ loop failed ({done.returncode}): {last.removeprefix('error: ')}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return {"p50_ms": float(np.median(out["latencies_s"]) * 1000.0), "count": int(out["count"]),
            "duration_s": float(out["duration_s"])}


def compare_cpp(
    model: str | os.PathLike,
    device: str = "CPU",
    config: BenchConfig | None = None,
    *,
    seconds: float = DEFAULT_SECONDS,
    repeats: int = DEFAULT_REPEATS,
    min_count: int = DEFAULT_MIN_COUNT,
    seed: int = 0,
) -> dict:
    """Single-stream in Python and in C++, alternating ``repeats`` times; a single-stream record
    of the Python runs with a ``cpp`` block: each side's best-run median (the least disturbed
    by a shared machine's noise), the Python runtime timer's, and what Python adds per call."""
    Timing(seconds, repeats, min_count)
    config = (config or BenchConfig()).resolved("single-stream")
    if (config.requests or 1) != 1:
        raise UsageError("single-stream runs one request: drop --requests")
    reset_peak_rss()
    p = prepare(model, device, "single-stream", config, seed=seed)
    pairs = alternate(lambda i: run_once(p, seconds, min_count, seed=seed + i),
                      lambda i: run_cpp(p, seconds, min_count), repeats)  # fmt: skip
    runs, theirs = [a for a, _ in pairs], [b for _, b in pairs]
    record = empty_record(p.label, device, "single-stream", p.config)
    record["id"] += "/vs=cpp"
    summarize(record, runs, "latency")
    finish(record, p)
    python_best = min(r.p50_ms for r in runs)
    runtime_best = min(r.runtime_p50_ms for r in runs)
    cpp_best = min(t["p50_ms"] for t in theirs)
    record["cpp"] = {
        "p50_ms": cpp_best,  # the C++ caller's clock, best run
        "python_p50_ms": python_best,  # the Python caller's clock, best run
        "python_runtime_p50_ms": runtime_best,  # the runtime's request timer, seen from Python
        "python_adds_us": 1000.0 * (python_best - cpp_best),
        # The same difference, pair by pair (median): how much the noise moves it.
        "python_adds_us_pairs": 1000.0 * float(np.median([a.p50_ms - b["p50_ms"] for a, b in pairs])),
        "repeats": theirs,
        "spread_pct": spread_pct([t["p50_ms"] for t in theirs]),
    }
    return record
