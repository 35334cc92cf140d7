"""Checks on what the Preprocessing page's examples observed, on every device they ran on, in
Python and in C++ (the same relations for both, and the two agreeing where they must).

Relations only, never absolute times: the machine is shared and noisy.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_snippet, snippet_cases

PAGE = Path("guide/preprocessing.py")
DEVICES = device_params(load_snippet(PAGE))
CASES = snippet_cases(PAGE)


@pytest.mark.parametrize(("device", "language"), CASES)
def test_the_model_takes_camera_frames(device: str, language: str) -> None:
    """After PrePostProcessor, and after saving and reading back: u8, NHWC, the camera's size."""
    r = run_snippet(PAGE, device, language)
    height, width = r["camera"]
    expected = {"type": "u8", "shape": [1, height, width, 3]}
    assert r["camera_model_input"] == expected
    assert r["saved_model_input"] == expected, "the preprocessing is saved with the model"


@pytest.mark.parametrize(("device", "language"), CASES)
def test_the_saved_model_computes_the_same(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["saved_vs_in_memory_max_abs"] <= 1e-6 * max(1.0, r["output_scale"])


@pytest.mark.parametrize(("device", "language"), CASES)
def test_in_model_preprocessing_matches_numpy(device: str, language: str) -> None:
    """Three comparisons with the host route (numpy, or the C++ loop), both run in f32 (ACCURACY):

    - frames at the model's size: the resize is the identity, so only rounding of the float
      operations differs: a tight bound;
    - camera frames resized in f32: the same half-pixel bilinear formula, summed in another
      order: still close;
    - camera frames resized in u8 (the page's recommended order): each resized pixel is rounded
      to a whole grey level, up to 0.5 / 57 of the normalized scale, which the network passes
      on: a looser bound.
    """
    r = run_snippet(PAGE, device, language)
    scale = max(1.0, r["output_scale"])
    assert r["identity_resize_max_abs"] <= 1e-4 * scale
    assert r["camera_f32_resize_max_abs"] <= 1e-3 * scale
    assert r["camera_f32_resize_top1_agreement"] == 1.0
    assert r["camera_u8_resize_max_abs"] <= 0.03 * scale
    # The u8 rounding is a real, larger difference than the f32 one: the test sees it.
    assert r["camera_u8_resize_max_abs"] > r["camera_f32_resize_max_abs"]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_measurements_are_sane(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    for key in ("numpy_end_to_end_fps", "in_model_end_to_end_fps", "in_model_resize_last_fps",
                "numpy_preprocess_ms", "inference_only_ms"):
        assert r[key] > 0 and math.isfinite(r[key]), key


@pytest.mark.parametrize("device", DEVICES)
def test_python_and_cpp_agree(device: str) -> None:
    """One runtime under both languages: the same model inputs before and after saving, the same
    top-1 agreement with the host route resizing in f32 (full), and outputs on the same scale
    (each language draws its own random frames, so only the scale is compared)."""
    py, cc = run_snippet(PAGE, device, "python"), run_snippet(PAGE, device, "cpp")
    for key in ("camera", "camera_model_input", "saved_model_input",
                "camera_f32_resize_top1_agreement"):
        assert cc[key] == py[key], key
    assert cc["output_scale"] == pytest.approx(py["output_scale"], rel=0.5)
    assert set(cc) == set(py)
