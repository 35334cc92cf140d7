"""Checks on what the Performance hints page's examples observed, on every device.

What a hint resolves to is read back from the compiled model; the tests check the relations the
page relies on, never absolute speeds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_snippet, snippet_cases

PAGE = Path("guide/hints.py")
DEVICES = device_params(load_snippet(PAGE))
CASES = snippet_cases(PAGE)


@pytest.mark.parametrize(("device", "language"), CASES)
def test_every_row_of_the_table_was_read_back(device: str, language: str) -> None:
    """Virtual devices included: what they do not expose is read from their device."""
    r = run_snippet(PAGE, device, language)
    assert len(r["table"]) == 8
    for row in r["table"]:
        assert isinstance(row["streams"], int) and row["streams"] >= 1, row
        assert row["threads"] == "n/a" or row["threads"] >= 1, row  # a GPU has no thread count
        assert row["requests"] >= 1, row
        assert row["devices"], row
        assert row["ran_in"], row


@pytest.mark.parametrize(("device", "language"), CASES)
def test_latency_uses_fewer_streams_than_throughput(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["latency_streams"] <= r["throughput_streams"]
    assert r["latency_requests"] <= r["throughput_requests"]
    assert r["latency_streams"] == 1


@pytest.mark.parametrize(("device", "language"), CASES)
def test_one_request_hint_needs_no_more_than_one_stream(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["one_request_streams"] == 1
    assert r["one_request_requests"] == 1


@pytest.mark.parametrize(("device", "language"), CASES)
def test_explicit_streams_win_over_the_hint(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["explicit_streams_read_back"] == r["explicit_streams"]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_accuracy_mode_keeps_f32_where_performance_may_lower_it(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["accuracy_ran_in"] == "f32"
    assert r["accuracy_precision"] in ("dynamic", "f32")
    assert r["performance_ran_in"] == r["performance_precision"] or r["performance_precision"] == "dynamic"


@pytest.mark.parametrize(("device", "language"), CASES)
def test_cumulative_throughput_on_auto_reads_back(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["auto_devices"]
    assert r["auto_requests"] >= 1
    assert r["auto_device_hints"]  # each device AUTO compiled for reports its own hint
    assert r["fps_one_request"] > 0 and r["fps_optimal_requests"] > 0


@pytest.mark.parametrize("device", DEVICES)
def test_python_and_cpp_agree(device: str) -> None:
    """One runtime under both languages: every configuration reads back the same streams,
    threads, precision, requests, devices and executed precision, and AUTO the same devices."""
    py, cc = run_snippet(PAGE, device, "python"), run_snippet(PAGE, device, "cpp")
    assert set(cc) == set(py)
    assert cc["table"] == py["table"]
    for key in ("auto_devices", "auto_requests", "auto_device_hints", "optimal_requests",
                "explicit_streams", "explicit_streams_read_back"):
        assert cc[key] == py[key], key
