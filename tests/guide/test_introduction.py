"""Checks on what the Introduction page's examples observed, on every device they ran on, in
Python and in C++ (the same relations for both, and the two agreeing where they must).

Relations only, never absolute times: the machine is shared and noisy.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_snippet, snippet_cases

PAGE = Path("guide/introduction.py")
DEVICES = device_params(load_snippet(PAGE))
CASES = snippet_cases(PAGE)


@pytest.mark.parametrize(("device", "language"), CASES)
def test_measurements_are_sane(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    for key in ("latency_ms_median", "throughput_fps", "inference_only_fps", "end_to_end_fps",
                "first_inference_cold_ms", "first_inference_cached_ms"):
        assert r[key] > 0 and math.isfinite(r[key]), key
    assert r["throughput_requests"] >= 1
    assert r["best_score_is_finite"]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_preprocessing_in_the_model_gives_the_same_answer(device: str, language: str) -> None:
    """The u8 NHWC model with built-in scaling matches the f32 model fed by numpy."""
    r = run_snippet(PAGE, device, language)
    assert r["ppp_vs_numpy_max_abs"] <= 1e-3 * max(1.0, r["output_scale"])


@pytest.mark.parametrize(("device", "language"), CASES)
def test_lower_precision_stays_close(device: str, language: str) -> None:
    """PERFORMANCE mode may lower precision (bf16 here): the difference exists but is bounded."""
    r = run_snippet(PAGE, device, language)
    assert r["performance_vs_accuracy_max_abs"] <= 0.05 * max(1.0, r["output_scale"])


@pytest.mark.parametrize("device", DEVICES)
def test_python_and_cpp_agree(device: str) -> None:
    """One runtime under both languages: the same requests chosen, the same capabilities read,
    and outputs on the same scale for the same model."""
    py, cc = run_snippet(PAGE, device, "python"), run_snippet(PAGE, device, "cpp")
    assert py["throughput_requests"] == cc["throughput_requests"]
    assert py["cpu_capabilities"] == cc["cpu_capabilities"]
    assert cc["output_scale"] == pytest.approx(py["output_scale"], rel=0.5)
