"""Checks on what the CPU checklist's examples observed, in Python and in C++ (the same relations
for both, and the two agreeing where they must): settings read back as asked (or as the machine
allows), the capabilities agree with the processor's flags, and contention shows."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_snippet, snippet_cases

PAGE = Path("guide/cpu.py")
DEVICES = device_params(load_snippet(PAGE))
CASES = snippet_cases(PAGE)


def plain(value: str) -> str:
    """A setting as both languages print it: Python's "SchedulingCoreType.ANY_CORE", "True" and
    "<Type: 'bfloat16'>" are C++'s "ANY_CORE", "YES" and "bf16"."""
    value = {"True": "YES", "False": "NO", "<Type: 'bfloat16'>": "bf16",
             "<Type: 'float32'>": "f32", "<Type: 'float16'>": "f16"}.get(value, value)
    return value.rsplit(".", 1)[-1]


def test_the_page_is_for_the_cpu_only() -> None:
    assert load_snippet(PAGE).DEVICES == ("CPU",)


@pytest.mark.parametrize(("device", "language"), CASES)
def test_capabilities_agree_with_the_processor(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert "FP32" in r["capabilities"]
    # OpenVINO offers bf16 exactly where the processor has bf16 instructions.
    assert ("BF16" in r["capabilities"]) == r["has_bf16_instructions"]
    assert (plain(r["default_precision"]) == "bf16") == r["has_bf16_instructions"]


@pytest.mark.parametrize("device", DEVICES)
def test_the_section_reads_the_flags_the_results_record(device: str) -> None:
    """The section reads the same flags as perfguide.environment records for the machine (a
    Python harness's key: the C++ twin has no "isa")."""
    r = run_snippet(PAGE, device)
    assert set(r["isa"]) <= set(r["section_flags"])


@pytest.mark.parametrize(("device", "language"), CASES)
def test_threads_and_streams_read_back(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["cores"] == os.cpu_count()
    assert all(int(asked) == got for asked, got in r["threads_read_back"].items())
    assert r["latency_hint_streams"] == 1
    assert 1 <= r["throughput_hint_streams"] <= r["cores"]
    assert r["throughput_hint_threads"] <= r["cores"]
    assert r["explicit_streams"] == r["cores"]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_pinning_core_type_and_distribution(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["asked_pinning_read_back"] is False
    # E-cores only exist on hybrid processors; elsewhere the plugin falls back to any core.
    assert plain(r["asked_core_type_read_back"]) in {"ECORE_ONLY", "ANY_CORE"}
    assert [plain(p) for p in r["distribution_policy"]] == ["TENSOR_PARALLEL"]
    if r["cores"] > 1 and os.path.exists("/proc/self/status"):
        assert r["pinned_to_one_cpu"], "with pinning on, the inference thread should be held to one CPU"
        assert r["unpinned_single_cpu_sets"] == [], "without pinning, no thread is held to one CPU"


@pytest.mark.parametrize(("device", "language"), CASES)
def test_omp_num_threads_does_not_reach_the_cpu_plugin(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["omp_env_threads"] == r["cores"]
    assert "libtbb" in r["threading_libs"]
    assert not any(lib.startswith(("libgomp", "libiomp")) for lib in r["threading_libs"])


@pytest.mark.parametrize(("device", "language"), CASES)
def test_competing_threads_slow_inference_down(device: str, language: str) -> None:
    """In Python the other pool is numpy's BLAS; in C++ the application's own threads (the same
    keys: "numpy" is the application's matrix products there)."""
    r = run_snippet(PAGE, device, language)
    for key in ("one_thread_latency_ms", "all_threads_latency_ms", "alone_fps", "shared_fps", "half_fps",
                "split_fps", "numpy_alone_rate", "two_all_cores_fps", "two_half_pinned_fps",
                "two_half_unpinned_fps"):
        assert r[key] > 0 and math.isfinite(r[key]), key
    assert r["shared_fps"] < r["alone_fps"], "a busy thread pool beside inference must cost it"


@pytest.mark.parametrize("device", DEVICES)
def test_python_and_cpp_agree(device: str) -> None:
    """One runtime and one machine under both languages: the same capabilities, flags and
    topology read, the same threads, streams and pinning resolved, the same threading runtime."""
    py, cc = run_snippet(PAGE, device, "python"), run_snippet(PAGE, device, "cpp")
    for key in ("capabilities", "section_flags", "has_bf16_instructions", "has_amx", "cores",
                "threads_read_back", "latency_hint_streams", "throughput_hint_streams",
                "throughput_hint_threads", "explicit_streams", "asked_pinning_read_back",
                "pinned_to_one_cpu", "sockets", "numa_nodes", "half_threads", "omp_env_threads",
                "threading_libs"):
        assert py[key] == cc[key], key
    assert plain(py["default_precision"]) == plain(cc["default_precision"])
    assert plain(py["asked_core_type_read_back"]) == plain(cc["asked_core_type_read_back"])
    for key in ("pinning", "pinning_defaults"):
        assert {k: plain(v) for k, v in py[key].items()} == {k: plain(v) for k, v in cc[key].items()}, key
    assert [plain(p) for p in py["distribution_policy"]] == [plain(p) for p in cc["distribution_policy"]]
