"""Checks on what the Introduction page's examples observed, on every device they ran on.

Relations only, never absolute times: the machine is shared and noisy.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_snippet

PAGE = Path("guide/introduction.py")
DEVICES = device_params(load_snippet(PAGE))


@pytest.mark.parametrize("device", DEVICES)
def test_measurements_are_sane(device: str) -> None:
    r = run_snippet(PAGE, device)
    for key in ("latency_ms_median", "throughput_fps", "inference_only_fps", "end_to_end_fps",
                "first_inference_cold_ms", "first_inference_cached_ms"):
        assert r[key] > 0 and math.isfinite(r[key]), key
    assert r["throughput_requests"] >= 1
    assert r["best_score_is_finite"]


@pytest.mark.parametrize("device", DEVICES)
def test_preprocessing_in_the_model_gives_the_same_answer(device: str) -> None:
    """The u8 NHWC model with built-in scaling matches the f32 model fed by numpy."""
    r = run_snippet(PAGE, device)
    assert r["ppp_vs_numpy_max_abs"] <= 1e-3 * max(1.0, r["output_scale"])


@pytest.mark.parametrize("device", DEVICES)
def test_lower_precision_stays_close(device: str) -> None:
    """PERFORMANCE mode may lower precision (bf16 here): the difference exists but is bounded."""
    r = run_snippet(PAGE, device)
    assert r["performance_vs_accuracy_max_abs"] <= 0.05 * max(1.0, r["output_scale"])
