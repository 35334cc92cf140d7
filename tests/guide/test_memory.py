"""Checks on what the Memory footprint page's examples observed, each in a fresh process."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_snippet

PAGE = Path("guide/memory.py")
DEVICES = device_params(load_snippet(PAGE))


@pytest.mark.parametrize("device", DEVICES)
def test_mmap_defers_and_shares_the_weights(device: str) -> None:
    r = run_snippet(PAGE, device)
    assert r["mmap_read_mib"] < r["no_mmap_read_mib"], "read_model with mmap should not copy the weights"
    assert r["mmap_file_mib"] > r["no_mmap_file_mib"], "with mmap the weights are file-backed pages"


@pytest.mark.parametrize("device", DEVICES)
def test_every_configuration_was_measured(device: str) -> None:
    r = run_snippet(PAGE, device)
    module = load_snippet(PAGE)
    assert [(row["streams"], row["requests"]) for row in r["table"]] == [
        (s, n) for s in module.STREAMS for n in module.REQUESTS]
    for row in [*r["table"], r["mmap"], r["no_mmap"]]:
        assert all(math.isfinite(v) for k, v in row.items() if k.endswith("_mib"))
        assert row["peak_mib"] >= row["total_mib"] - 1, "the peak cannot be below what is resident at the end"
    assert r["s2r4_mib"] > r["s1r1_mib"], "two busy streams hold more than one"


@pytest.mark.parametrize("device", DEVICES)
def test_releasing_gives_memory_back(device: str) -> None:
    r = run_snippet(PAGE, device)
    assert r["released_mib"] < r["loaded_mib"]
    assert r["given_back_mib"] > 0


@pytest.mark.parametrize("device", DEVICES)
def test_cpu_plugin_rejects_compilation_num_threads(device: str) -> None:
    """The page says the CPU plugin of OpenVINO 2026.4 does not take the property: if a later
    version does, this fails and the page needs rewriting."""
    assert run_snippet(PAGE, device)["compile_threads_accepted"] is False
