"""Checks on what the Memory footprint page's examples observed, each in a fresh process, in
Python and in C++ (the same relations for both, and the two agreeing where they must)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_snippet, snippet_cases

PAGE = Path("guide/memory.py")
DEVICES = device_params(load_snippet(PAGE))
CASES = snippet_cases(PAGE)


@pytest.mark.parametrize(("device", "language"), CASES)
def test_mmap_defers_and_shares_the_weights(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["mmap_read_mib"] < r["no_mmap_read_mib"], "read_model with mmap should not copy the weights"
    assert r["mmap_file_mib"] > r["no_mmap_file_mib"], "with mmap the weights are file-backed pages"


@pytest.mark.parametrize(("device", "language"), CASES)
def test_every_configuration_was_measured(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    module = load_snippet(PAGE)
    assert [(row["streams"], row["requests"]) for row in r["table"]] == [
        (s, n) for s in module.STREAMS for n in module.REQUESTS]
    for row in [*r["table"], r["mmap"], r["no_mmap"]]:
        assert all(math.isfinite(v) for k, v in row.items() if k.endswith("_mib"))
        assert row["peak_mib"] >= row["total_mib"] - 1, "the peak cannot be below what is resident at the end"
    assert r["s2r4_mib"] > r["s1r1_mib"], "two busy streams hold more than one"


@pytest.mark.parametrize(("device", "language"), CASES)
def test_releasing_gives_memory_back(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["released_mib"] < r["loaded_mib"]
    assert r["given_back_mib"] > 0


@pytest.mark.parametrize(("device", "language"), CASES)
def test_cpu_plugin_rejects_compilation_num_threads(device: str, language: str) -> None:
    """The page says the CPU plugin of OpenVINO 2026.4 does not take the property: if a later
    version does, this fails and the page needs rewriting."""
    assert run_snippet(PAGE, device, language)["compile_threads_accepted"] is False


@pytest.mark.parametrize("device", DEVICES)
def test_python_and_cpp_agree(device: str) -> None:
    """One runtime under both languages: the same configurations measured, the same requests
    chosen and property refused, and the model's memory of the same size — the copy of the
    weights that read_model makes without mmap, the weights' file-backed pages with it, and what
    a configuration holds in all (each language's own process adds little of its own)."""
    py, cc = run_snippet(PAGE, device, "python"), run_snippet(PAGE, device, "cpp")
    assert [(row["streams"], row["requests"]) for row in py["table"]] == [
        (row["streams"], row["requests"]) for row in cc["table"]]
    assert py["release_requests"] == cc["release_requests"]
    assert py["compile_threads_accepted"] == cc["compile_threads_accepted"]
    assert cc["no_mmap_read_mib"] == pytest.approx(py["no_mmap_read_mib"], rel=0.25)
    weights_pages = [r["mmap_file_mib"] - r["no_mmap_file_mib"] for r in (py, cc)]
    assert weights_pages[1] == pytest.approx(weights_pages[0], rel=0.25)
    for py_row, cc_row in zip(py["table"], cc["table"], strict=True):
        assert cc_row["total_mib"] == pytest.approx(py_row["total_mib"], rel=0.25), cc_row
