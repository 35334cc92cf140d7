"""Statistics of timed runs: percentiles, the spread between repeats, steadiness over time.

Pure NumPy: nothing here imports OpenVINO, so every function is unit-tested on made-up series.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

SPREAD_WARN_PCT = 5.0
STEADY_SLOW = 1.2  # a second counts as slow when its median is this many times the fast tenth's


def spread_pct(values: list[float] | np.ndarray) -> float:
    """(max - min) / median of ``values``, in percent; 0 for fewer than two values."""
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    if arr.size < 2:
        return 0.0
    median = float(np.median(arr))
    if median <= 0:
        return 0.0
    return float((arr.max() - arr.min()) / median * 100.0)


def spread_warning(spread: float, what: str = "result", limit: float = SPREAD_WARN_PCT) -> str | None:
    """The warning text when ``spread`` (percent) exceeds ``limit``, else None."""
    if spread > limit:
        return (
            f"{what} varies {spread:.1f}% between repeats (more than {limit:g}%): "
            "the machine was busy or the run too short; rerun or raise --seconds"
        )
    return None


def latency_stats(latencies_s: list[float] | np.ndarray) -> dict[str, float]:
    """p50/p90/p99/mean/min/max in milliseconds (linear-interpolated percentiles)."""
    ms = np.asarray(latencies_s, dtype=float) * 1000.0
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    return {
        "p50": float(p50),
        "p90": float(p90),
        "p99": float(p99),
        "mean": float(ms.mean()),
        "min": float(ms.min()),
        "max": float(ms.max()),
    }


@dataclass
class Run:
    """One timed repeat: per-inference latencies (s), inferences done, wall time, frames.

    ``runtime_latencies_s`` (single-stream only): each inference as the runtime's own request
    timer saw it (``InferRequest.latency``), which is what benchmark_app reports; it leaves out
    the return from the runtime to the Python caller that ``latencies_s`` includes.
    """

    latencies_s: np.ndarray
    count: int
    duration_s: float
    frames: int
    runtime_latencies_s: np.ndarray | None = None

    @property
    def throughput_fps(self) -> float:
        return self.frames / self.duration_s

    @property
    def p50_ms(self) -> float:
        return float(np.median(self.latencies_s) * 1000.0)

    @property
    def p99_ms(self) -> float:
        return float(np.percentile(self.latencies_s, 99) * 1000.0)

    @property
    def runtime_p50_ms(self) -> float:
        return float(np.median(self.runtime_latencies_s) * 1000.0)


def alternate(first: Callable[[int], Any], second: Callable[[int], Any], times: int) -> list[tuple[Any, Any]]:
    """``times`` pairs (first(i), second(i)), run in A B B A A B ... order, so that a drift in the
    machine's speed during the series falls on both alike."""
    pairs = []
    for i in range(times):
        if i % 2 == 0:
            a = first(i)
            pairs.append((a, second(i)))
        else:
            b = second(i)
            pairs.append((first(i), b))
    return pairs


def steadiness_stats(p50_ms: list[float], chunk_s: float, slow: float = STEADY_SLOW) -> dict:
    """What a series of back-to-back short runs says about the machine's speed over time.

    ``fast_ms`` is the 10th percentile of the runs' medians (the machine undisturbed); a run is
    slow when its median is over ``slow`` times that. ``longest_slow_s`` is the longest stretch of
    consecutive slow runs, ``switches`` how often the series went from fast to slow.
    """
    values = np.asarray(p50_ms, dtype=float)
    if values.size < 2 or not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError("steadiness needs at least two positive medians")
    fast = float(np.percentile(values, 10))
    is_slow = values > slow * fast
    longest = run = switches = 0
    for i, s in enumerate(is_slow):
        run = run + 1 if s else 0
        longest = max(longest, run)
        switches += int(bool(s) and i > 0 and not is_slow[i - 1])
    return {
        "fast_ms": fast,
        "median_ms": float(np.median(values)),
        "slowest_ms": float(values.max()),
        "slow_factor": slow,
        "slow_share": float(is_slow.mean()),
        "longest_slow_s": longest * chunk_s,
        "switches": switches,
    }
