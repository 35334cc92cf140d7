"""Checks on what the Performance hints page's examples observed, on every device.

What a hint resolves to is read back from the compiled model; the tests check the relations the
page relies on, never absolute speeds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_snippet

PAGE = Path("guide/hints.py")
DEVICES = device_params(load_snippet(PAGE))


@pytest.mark.parametrize("device", DEVICES)
def test_every_row_of_the_table_was_read_back(device: str) -> None:
    """Virtual devices included: what they do not expose is read from their device."""
    r = run_snippet(PAGE, device)
    assert len(r["table"]) == 8
    for row in r["table"]:
        assert isinstance(row["streams"], int) and row["streams"] >= 1, row
        assert row["threads"] == "n/a" or row["threads"] >= 1, row  # a GPU has no thread count
        assert row["requests"] >= 1, row
        assert row["devices"], row
        assert row["ran_in"], row


@pytest.mark.parametrize("device", DEVICES)
def test_latency_uses_fewer_streams_than_throughput(device: str) -> None:
    r = run_snippet(PAGE, device)
    assert r["latency_streams"] <= r["throughput_streams"]
    assert r["latency_requests"] <= r["throughput_requests"]
    assert r["latency_streams"] == 1


@pytest.mark.parametrize("device", DEVICES)
def test_one_request_hint_needs_no_more_than_one_stream(device: str) -> None:
    r = run_snippet(PAGE, device)
    assert r["one_request_streams"] == 1
    assert r["one_request_requests"] == 1


@pytest.mark.parametrize("device", DEVICES)
def test_explicit_streams_win_over_the_hint(device: str) -> None:
    r = run_snippet(PAGE, device)
    assert r["explicit_streams_read_back"] == r["explicit_streams"]


@pytest.mark.parametrize("device", DEVICES)
def test_accuracy_mode_keeps_f32_where_performance_may_lower_it(device: str) -> None:
    r = run_snippet(PAGE, device)
    assert r["accuracy_ran_in"] == "f32"
    assert r["accuracy_precision"] in ("dynamic", "f32")
    assert r["performance_ran_in"] == r["performance_precision"] or r["performance_precision"] == "dynamic"


@pytest.mark.parametrize("device", DEVICES)
def test_cumulative_throughput_on_auto_reads_back(device: str) -> None:
    r = run_snippet(PAGE, device)
    assert r["auto_devices"]
    assert r["auto_requests"] >= 1
    assert r["auto_device_hints"]  # each device AUTO compiled for reports its own hint
    assert r["fps_one_request"] > 0 and r["fps_optimal_requests"] > 0
