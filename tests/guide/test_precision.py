"""Checks on what the Inference precision page's examples observed, on every device they ran on,
in Python and in C++ (the same relations for both, and the two agreeing where they must). The int8
model comes from NNCF, a Python library: its checks are Python's only.

Relations only, never absolute times: the machine is shared and noisy.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_snippet, snippet_cases

PAGE = Path("guide/precision.py")
DEVICES = device_params(load_snippet(PAGE))
CASES = snippet_cases(PAGE)
PRECISIONS = ("f32", "bf16", "f16", "int8")


def precisions(language: str) -> tuple[str, ...]:
    """The rows a language's run compares: int8 is quantized by NNCF, in Python only."""
    return PRECISIONS if language == "python" else PRECISIONS[:-1]


def heavy_precisions(runs_in: str) -> set[str]:
    """{"bf16"} from "bf16 (53 layers)"; {"u8", "f32"} from "u8 (52 layers), f32 (1 layers)"."""
    return {part.split(" (")[0] for part in runs_in.split(", ")}


@pytest.mark.parametrize(("device", "language"), CASES)
def test_capabilities_are_read_from_the_device(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["execution_devices"], "the compiled model names the device(s) it runs on"
    assert "FP32" in r["capabilities"]
    assert r["default_precision"] in {"f32", "bf16", "f16"}


@pytest.mark.parametrize(("device", "language"), CASES)
def test_the_device_runs_what_it_supports(device: str, language: str) -> None:
    """What the runtime model says the heavy layers run in follows the device's capabilities."""
    r = run_snippet(PAGE, device, language)
    caps, runs = r["capabilities"], {k: heavy_precisions(v) for k, v in r["runs_in"].items()}
    assert runs["f32"] == {"f32"}
    assert runs["ACCURACY"] == {"f32"}, "ACCURACY mode keeps the f32 model in f32"
    assert runs["PERFORMANCE"] == {r["default_precision"]}, "PERFORMANCE runs the default precision"
    assert runs["bf16"] == ({"bf16"} if "BF16" in caps else {"f32"})
    if "FP16" not in caps:
        assert "f16" not in runs["f16"], "a device without FP16 cannot run f16"
    else:
        assert runs["f16"] == {"f16"}
    if "INT8" in caps and language == "python":
        assert runs["int8"] & {"u8", "i8"}, "the quantized model's heavy layers run in int8"


@pytest.mark.parametrize(("device", "language"), CASES)
def test_lower_precision_stays_close_to_f32(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    scale = max(1.0, r["output_scale"])
    assert r["f32_max_abs"] == 0.0, "f32 against itself: the same compiled model is deterministic"
    for name in ("bf16", "f16"):
        assert r[f"{name}_max_abs"] <= 0.05 * scale, name
    if language == "python":
        assert r["int8_max_abs"] <= 0.15 * scale
    assert r["performance_vs_accuracy_max_abs"] <= 0.05 * scale
    for name in precisions(language):
        assert 0.0 <= r[f"{name}_top1_agreement"] <= 1.0
    assert r["f32_top1_agreement"] == 1.0
    assert r["bf16_top1_agreement"] >= 0.75


@pytest.mark.parametrize(("device", "language"), CASES)
def test_accuracy_mode_turns_dynamic_quantization_off(device: str, language: str) -> None:
    """What the page says ACCURACY does besides precision, read back from the compiled models
    (in C++, of the same int8-weight layers built by hand rather than by nncf.compress_weights)."""
    from perfguide.devices import VIRTUAL, family

    r = run_snippet(PAGE, device, language)
    assert all(ms > 0 for ms in r["int8_weights_ms"].values())
    if family(device) in VIRTUAL and r["dq_group_size_accuracy"] is None:
        pytest.skip(f"{device} does not report the group size of the devices it uses")
    assert r["dq_group_size_accuracy"] == 0
    if family(device) == "CPU":  # the CPU quantizes on the fly by default
        assert r["dq_group_size_performance"] > 0


@pytest.mark.parametrize("device", DEVICES)
def test_int8_errs_more_than_bf16(device: str) -> None:
    """The page says int8 trades more accuracy than bf16: on average over the samples, it does."""
    r = run_snippet(PAGE, device)
    if "BF16" not in r["capabilities"]:
        pytest.skip("this device has no bf16: the bf16 row runs in f32")
    assert r["int8_mean_abs"] > r["bf16_mean_abs"]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_measurements_are_sane(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    for name in precisions(language):
        assert r[f"{name}_fps"] > 0 and math.isfinite(r[f"{name}_fps"]), name
    if language == "python":
        assert r["int8_quantize_s"] > 0 and math.isfinite(r["int8_quantize_s"])
    else:
        assert "int8_fps" not in r, "the C++ twin has no int8 model (NNCF is Python's)"
    assert r["top2_gap_median"] >= 0


def test_int8_cache_is_keyed_by_the_model_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A different source file gets a different int8 copy; the same file, the same copy."""
    module = load_snippet(PAGE)
    monkeypatch.setattr(module, "REPO_ROOT", tmp_path)
    paths = []
    for weights in (b"one", b"two", b"one"):
        (tmp_path / "m.xml").write_text("<net/>")
        (tmp_path / "m.bin").write_bytes(weights)
        paths.append(module.int8_cache_path(str(tmp_path / "m.xml")))
    assert paths[0] != paths[1] and paths[0] == paths[2]
    assert all(p.is_relative_to(tmp_path / ".cache" / "int8") for p in paths)


def test_quantization_happens_once_across_devices() -> None:
    """After the first device's run, later runs read the cached int8 model instead of quantizing."""
    runnable = [p.values[0] for p in DEVICES if not p.marks]
    results = [run_snippet(PAGE, d) for d in runnable]
    assert sum(r["int8_quantized_this_run"] for r in results) <= 1
    module = load_snippet(PAGE)
    from perfguide.zoo import resolve_model

    assert module.int8_cache_path(str(resolve_model(module.MODEL))).is_file()


@pytest.mark.parametrize("device", DEVICES)
def test_python_and_cpp_agree(device: str) -> None:
    """One runtime under both languages: the same devices and capabilities read, the same
    default precision, the same precisions run for each request and mode, the same dynamic
    quantization group sizes, and outputs on the same scale for the same model."""
    py, cc = run_snippet(PAGE, device, "python"), run_snippet(PAGE, device, "cpp")
    for key in ("execution_devices", "capabilities", "default_precision",
                "dq_group_size_performance", "dq_group_size_accuracy", "samples", "frames"):
        assert py[key] == cc[key], key
    for name in ("f32", "bf16", "f16", "ACCURACY", "PERFORMANCE"):
        assert py["runs_in"][name] == cc["runs_in"][name], name
    assert py["f32_top1_agreement"] == cc["f32_top1_agreement"] == 1.0
    assert cc["output_scale"] == pytest.approx(py["output_scale"], rel=0.5)
    assert cc["output_std"] == pytest.approx(py["output_std"], rel=0.5)
