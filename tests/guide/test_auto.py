"""Checks on what the Multi-device and AUTO page's examples observed, on every AUTO device, in
Python and in C++ (the same relations for both, and the two agreeing where they must).

Relations only: which devices were used, what was read back, how many requests each
configuration asked for. The frame rates are not compared: on a machine with one device the three
hints differ only by noise, and the page says so.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_snippet, snippet_cases

PAGE = Path("guide/auto.py")
DEVICES = device_params(load_snippet(PAGE))
CASES = snippet_cases(PAGE)


def _family(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_auto_runs_on_devices_it_was_given(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    real = set(r["available_devices"])
    for key in ("select_execution_devices", "by_name_execution_devices", "cumulative_execution_devices",
                "multi_execution_devices", "modern_execution_devices"):
        assert r[key] and set(r[key]) <= real, key


@pytest.mark.parametrize(("device", "language"), CASES)
def test_the_device_name_and_the_priorities_property_agree(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["by_name_execution_devices"] == r["by_property_execution_devices"]
    assert r["priorities_read_back"] == r["candidates"]
    assert r["candidates"].split(",")[-1].startswith("CPU")  # the fastest-first order puts the CPU last


@pytest.mark.parametrize(("device", "language"), CASES)
def test_excluding_the_cpu_leaves_the_others_or_nothing(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    others = [d for d in r["available_devices"] if not d.startswith("CPU")]
    if others:
        assert r["exclude_cpu_error"] is None
        assert r["exclude_cpu_execution_devices"]
        assert not any(d.startswith("CPU") for d in r["exclude_cpu_execution_devices"])
    else:
        assert r["exclude_cpu_error"], "AUTO:-CPU must fail where the CPU is the only device"


@pytest.mark.parametrize(("device", "language"), CASES)
def test_cumulative_throughput_runs_every_device_with_the_throughput_hint(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    per_device = r["cumulative_per_device_requests"]
    names = set(r["cumulative_execution_devices"])
    assert set(per_device) in (names, {_family(d) for d in names})
    assert all(hint.endswith("THROUGHPUT") for hint in r["cumulative_per_device_hints"].values())
    assert r["cumulative_requests"] >= sum(per_device.values()) >= 1


@pytest.mark.parametrize(("device", "language"), CASES)
def test_schedule_policy_is_read_back(device: str, language: str) -> None:
    """The default the page names is the one the runtime reports, and a policy asked for sticks."""
    got = run_snippet(PAGE, device, language)
    assert got["schedule_policy_default"] == "DEVICE_PRIORITY"
    assert got["schedule_policy_read_back"] == "ROUND_ROBIN"


@pytest.mark.parametrize(("device", "language"), CASES)
def test_multi_still_compiles_and_auto_cumulative_throughput_matches_it(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["multi_plugin"] == "openvino_auto_plugin"  # MULTI is served by the AUTO plugin
    assert r["multi_hint"] == "THROUGHPUT"
    assert sorted(r["multi_execution_devices"]) == sorted(r["modern_execution_devices"])
    assert r["multi_requests"] == r["modern_requests"]
    assert r["multi_vs_auto_max_abs"] <= 1e-2 * max(1.0, r["output_scale"])


@pytest.mark.parametrize(("device", "language"), CASES)
def test_multi_reads_back_throughput_but_passes_the_real_hint_down(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["multi_latency_hint_read_back"] == "THROUGHPUT"
    device_hints = r["multi_latency_device_hints"]
    assert device_hints and all(h.endswith("LATENCY") for h in device_hints)


@pytest.mark.parametrize(("device", "language"), CASES)
def test_the_hints_ask_for_the_requests_the_page_says(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["latency_requests"] <= r["throughput_requests"] <= r["cumulative_throughput_requests"]
    for key in ("latency_fps", "throughput_fps", "cumulative_throughput_fps"):
        assert r[key] > 0 and math.isfinite(r[key]), key
    if len(r["cumulative_throughput_execution_devices"]) == 1:  # one device: nothing to add up
        assert r["cumulative_throughput_requests"] == r["throughput_requests"]


def _name(value: str) -> str:
    """An enum's name, as either language prints it ("Priority.HIGH" in Python, "HIGH" in C++)."""
    return value.split(".")[-1]


@pytest.mark.parametrize("device", DEVICES)
def test_python_and_cpp_agree(device: str) -> None:
    """One runtime under both languages: the same devices found, chosen and excluded, the same
    properties read back, the same requests asked for, and outputs on the same scale."""
    py, cc = run_snippet(PAGE, device, "python"), run_snippet(PAGE, device, "cpp")
    for key in ("available_devices", "candidates", "priorities_read_back", "select_execution_devices",
                "by_name_execution_devices", "by_property_execution_devices",
                "exclude_cpu_execution_devices", "exclude_cpu_error", "cumulative_execution_devices",
                "cumulative_requests", "cumulative_per_device_requests", "cumulative_per_device_hints",
                "schedule_policy_default", "schedule_policy_read_back", "model_priority_devices",
                "model_priority_refused_by", "multi_execution_devices", "multi_requests", "multi_hint",
                "modern_execution_devices", "modern_requests", "multi_plugin",
                "multi_latency_hint_read_back", "multi_latency_device_hints",
                "latency_requests", "throughput_requests", "cumulative_throughput_requests",
                "latency_execution_devices", "throughput_execution_devices",
                "cumulative_throughput_execution_devices"):
        assert py[key] == cc[key], key
    assert _name(py["model_priority_read_back"]) == _name(cc["model_priority_read_back"]) == "HIGH"
    assert cc["output_scale"] == pytest.approx(py["output_scale"], rel=0.5)
