"""The statistics of timed runs (perfguide.bench.stats), on made-up series: no OpenVINO."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from perfguide.bench import stats


def test_the_statistics_module_imports_no_openvino() -> None:
    code = "import sys, perfguide.bench.stats; print('openvino' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_spread_is_range_over_median() -> None:
    assert stats.spread_pct([100.0, 104.0, 110.0]) == pytest.approx(10 / 104 * 100)
    assert stats.spread_pct([5.0]) == 0.0
    assert stats.spread_pct([]) == 0.0


def test_spread_warning_above_five_percent_only() -> None:
    assert stats.spread_warning(stats.spread_pct([100.0, 103.0, 105.0])) is None  # 4.9 %
    warning = stats.spread_warning(stats.spread_pct([100.0, 103.0, 106.0]))  # 5.8 %
    assert warning and "5.8%" in warning


def test_latency_stats_are_ordered() -> None:
    got = stats.latency_stats(np.random.default_rng(0).exponential(0.01, 1000))
    assert got["min"] <= got["p50"] <= got["p90"] <= got["p99"] <= got["max"]
    assert got["min"] <= got["mean"] <= got["max"]


def test_steadiness_finds_the_slow_stretches() -> None:
    series = [4.0, 4.1, 4.0, 6.0, 6.1, 6.0, 4.0, 4.2, 6.2, 4.0]
    got = stats.steadiness_stats(series, chunk_s=1.0)
    assert got["fast_ms"] == pytest.approx(4.0)
    assert got["slow_share"] == pytest.approx(0.4)  # 6.x > 1.2 x 4.0; 4.2 is not
    assert got["switches"] == 2 and got["longest_slow_s"] == 3.0
    assert got["slowest_ms"] == 6.2 and got["median_ms"] == pytest.approx(4.15)
    steady = stats.steadiness_stats([5.0] * 6, chunk_s=0.5)
    assert steady["slow_share"] == 0 and steady["switches"] == 0 and steady["longest_slow_s"] == 0
    with pytest.raises(ValueError, match="two positive"):
        stats.steadiness_stats([4.0], chunk_s=1.0)


def test_alternate_runs_the_pairs_in_abba_order() -> None:
    calls = []

    def tool(name: str):
        return lambda i: calls.append(f"{name}{i}") or f"{name}{i}"

    pairs = stats.alternate(tool("a"), tool("b"), 4)
    assert calls == ["a0", "b0", "b1", "a1", "a2", "b2", "b3", "a3"]
    assert pairs == [("a0", "b0"), ("a1", "b1"), ("a2", "b2"), ("a3", "b3")]  # (first, second) each


def test_a_run_derives_throughput_and_percentiles() -> None:
    run = stats.Run(np.array([0.001, 0.002, 0.003, 0.004]), count=4, duration_s=0.5, frames=8)
    assert run.throughput_fps == 16.0
    assert run.p50_ms == pytest.approx(2.5)
    assert run.p99_ms == pytest.approx(3.97)
