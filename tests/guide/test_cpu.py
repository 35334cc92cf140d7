"""Checks on what the CPU checklist's examples observed: settings read back as asked (or as the
machine allows), the capabilities agree with the processor's flags, and contention shows."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_snippet

PAGE = Path("guide/cpu.py")
DEVICES = device_params(load_snippet(PAGE))


def test_the_page_is_for_the_cpu_only() -> None:
    assert load_snippet(PAGE).DEVICES == ("CPU",)


@pytest.mark.parametrize("device", DEVICES)
def test_capabilities_agree_with_the_processor(device: str) -> None:
    r = run_snippet(PAGE, device)
    assert "FP32" in r["capabilities"]
    # The section reads the same flags the results files record for the machine.
    assert set(r["isa"]) <= set(r["section_flags"])
    # OpenVINO offers bf16 exactly where the processor has bf16 instructions.
    assert ("BF16" in r["capabilities"]) == r["has_bf16_instructions"]
    assert ("bfloat16" in r["default_precision"]) == r["has_bf16_instructions"]


@pytest.mark.parametrize("device", DEVICES)
def test_threads_and_streams_read_back(device: str) -> None:
    r = run_snippet(PAGE, device)
    assert r["cores"] == os.cpu_count()
    assert all(int(asked) == got for asked, got in r["threads_read_back"].items())
    assert r["latency_hint_streams"] == 1
    assert 1 <= r["throughput_hint_streams"] <= r["cores"]
    assert r["throughput_hint_threads"] <= r["cores"]
    assert r["explicit_streams"] == r["cores"]


@pytest.mark.parametrize("device", DEVICES)
def test_pinning_core_type_and_distribution(device: str) -> None:
    r = run_snippet(PAGE, device)
    assert r["asked_pinning_read_back"] is False
    # E-cores only exist on hybrid processors; elsewhere the plugin falls back to any core.
    assert r["asked_core_type_read_back"] in {"SchedulingCoreType.ECORE_ONLY", "SchedulingCoreType.ANY_CORE"}
    assert r["distribution_policy"] == ["ModelDistributionPolicy.TENSOR_PARALLEL"]
    if r["cores"] > 1 and os.path.exists("/proc/self/status"):
        assert r["pinned_to_one_cpu"], "with pinning on, the inference thread should be held to one CPU"
        assert r["unpinned_single_cpu_sets"] == [], "without pinning, no thread is held to one CPU"


@pytest.mark.parametrize("device", DEVICES)
def test_omp_num_threads_does_not_reach_the_cpu_plugin(device: str) -> None:
    r = run_snippet(PAGE, device)
    assert r["omp_env_threads"] == r["cores"]
    assert "libtbb" in r["threading_libs"]
    assert not any(lib.startswith(("libgomp", "libiomp")) for lib in r["threading_libs"])


@pytest.mark.parametrize("device", DEVICES)
def test_competing_threads_slow_inference_down(device: str) -> None:
    r = run_snippet(PAGE, device)
    for key in ("one_thread_latency_ms", "all_threads_latency_ms", "alone_fps", "shared_fps", "half_fps",
                "split_fps", "numpy_alone_rate", "two_all_cores_fps", "two_half_pinned_fps",
                "two_half_unpinned_fps"):
        assert r[key] > 0 and math.isfinite(r[key]), key
    assert r["shared_fps"] < r["alone_fps"], "a busy numpy thread pool beside inference must cost it"
