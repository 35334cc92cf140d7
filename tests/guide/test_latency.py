"""Checks on what the latency page's examples observed, on every device they ran on, in Python
and in C++ (the same relations for both, and the two agreeing where they must).

Relations only, never absolute times: the machine is shared and noisy.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from conftest import LANGUAGES, device_params, load_snippet, run_snippet, snippet_cases

PAGE = Path("guide/latency.py")
DEVICES = device_params(load_snippet(PAGE))
CASES = snippet_cases(PAGE)


def plain(value: str) -> str:
    """A setting as both languages print it: Python's "True" and "SchedulingCoreType.ANY_CORE"
    are C++'s "YES" and "ANY_CORE"."""
    return {"True": "YES", "False": "NO"}.get(value, value).rsplit(".", 1)[-1]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_latency_hint_means_one_request(device: str, language: str) -> None:
    """The LATENCY hint asks for one request in flight; THROUGHPUT asks for at least as many."""
    r = run_snippet(PAGE, device, language)
    assert r["throughput_hint_requests"] >= r["latency_hint_requests"] >= 1
    if not r["accelerators"]:  # the CPU (alone or under a virtual device): what the page shows
        assert r["latency_hint_requests"] == 1
        if "NUM_STREAMS" in r["resolved"]:  # real devices report what the hint resolved to
            assert r["resolved"]["NUM_STREAMS"] == "1"
            assert r["resolved"]["PERFORMANCE_HINT"] == "LATENCY"
    for key in ("latency_hint_ms", "throughput_hint_ms", "cold_first_result_ms", "cached_first_result_ms"):
        assert r[key] > 0 and math.isfinite(r[key]), key


@pytest.mark.parametrize(("device", "language"), CASES)
def test_the_cache_is_filled_then_used(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["cold_loaded_from_cache"] is False
    assert r["filling_loaded_from_cache"] is False
    assert r["cached_loaded_from_cache"] is True


@pytest.mark.parametrize(("device", "language"), CASES)
def test_a_path_keys_the_cache_and_a_model_object_its_contents(device: str, language: str) -> None:
    """What the page says of shipping a cache: a file found by its path and modification time
    misses once it is moved or touched; a model object read from the moved copy still hits."""
    from perfguide.devices import family

    r = run_snippet(PAGE, device, language)
    assert r["model_object_loaded_from_cache"] is True
    # BATCH reads the file into a model object before compiling: its blobs follow the contents.
    by_contents = family(device) == "BATCH"
    assert r["copied_file_loaded_from_cache"] is by_contents
    assert r["touched_file_loaded_from_cache"] is by_contents


@pytest.mark.parametrize(("device", "language"), CASES)
def test_a_changed_model_misses_the_cache(device: str, language: str) -> None:
    """The cache key includes the model: a reshaped model compiles anew and adds one blob."""
    r = run_snippet(PAGE, device, language)
    assert r["changed_model_loaded_from_cache"] is False
    assert r["changed_model_new_blobs"] == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_on_cpu_a_changed_config_still_hits_the_cache(language: str) -> None:
    """What the page says of the CPU: its cache key holds only the device's name (its
    CACHING_PROPERTIES), so another hint and execution mode reuse the blob. If a new OpenVINO
    changes this, this test fails and the page must be rewritten."""
    r = run_snippet(PAGE, "CPU", language)
    assert r["caching_properties"] == ["FULL_DEVICE_NAME"]
    assert r["changed_config_loaded_from_cache"] is True
    assert r["changed_config_new_blobs"] == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_mmap_keeps_the_weights_out_of_resident_memory(language: str) -> None:
    """Without mmap the weights are copied into the process (about the .bin's size); with mmap
    read_model touches almost none of them. Memory, not time: robust on a noisy machine."""
    r = run_snippet(PAGE, "CPU", language)
    assert r["no_mmap_rss_mib"] >= 0.8 * r["weights_file_mib"]
    assert r["mmap_rss_mib"] <= 0.25 * r["weights_file_mib"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_auto_runs_on_cpu_without_an_accelerator(language: str) -> None:
    r = run_snippet(PAGE, "CPU", language)
    if r["accelerators"]:
        pytest.skip(f"this machine has accelerators: {r['accelerators']}")
    assert r["auto_fallback_true_devices"] == ["CPU"]
    assert r["auto_fallback_false_devices"] == ["CPU"]


def test_a_blob_imported_with_another_precision_computes_in_that_precision(tmp_path: Path) -> None:
    """What the page relies on when it says one CPU blob serves every configuration: the blob
    written by a default (bf16 where the CPU has it) compilation, imported with an f32 precision
    hint, gives exactly the results of an uncached f32 compilation."""
    import numpy as np
    import openvino as ov
    import openvino.properties as props
    import openvino.properties.hint as hints

    from perfguide.zoo import resolve_model

    path = str(resolve_model("mobilenet"))
    frame = np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32)
    f32 = {hints.inference_precision: ov.Type.f32}
    reference = ov.Core().compile_model(path, "CPU", f32).create_infer_request().infer({0: frame})[0]
    ov.Core().compile_model(path, "CPU", {props.cache_dir: str(tmp_path)})  # writes the blob
    imported = ov.Core().compile_model(path, "CPU", {props.cache_dir: str(tmp_path), **f32})
    assert imported.get_property(props.loaded_from_cache) is True
    assert imported.get_property(hints.inference_precision) == ov.Type.f32
    output = imported.create_infer_request().infer({0: frame})[0]
    assert np.array_equal(output, reference)


@pytest.mark.parametrize("device", DEVICES)
def test_python_and_cpp_agree(device: str) -> None:
    """One runtime under both languages: the hints resolve to the same settings and request
    counts, the cache hits and misses alike with the same blobs, the same caching properties and
    devices are read, and reading without mmap copies the same weights."""
    py, cc = run_snippet(PAGE, device, "python"), run_snippet(PAGE, device, "cpp")
    resolved = [{k: plain(v) for k, v in r["resolved"].items()} for r in (py, cc)]
    assert resolved[0] == resolved[1]
    for key in ("latency_hint_requests", "throughput_hint_requests", "latency_hint_streams",
                "latency_hint_threads", "throughput_hint_streams", "throughput_hint_threads",
                "cold_loaded_from_cache", "filling_loaded_from_cache", "cached_loaded_from_cache",
                "changed_config_loaded_from_cache", "changed_config_new_blobs",
                "changed_model_loaded_from_cache", "changed_model_new_blobs",
                "copied_file_loaded_from_cache", "touched_file_loaded_from_cache",
                "model_object_loaded_from_cache", "caching_properties", "weights_file_mib",
                "auto_fallback_true_devices", "auto_fallback_false_devices", "accelerators"):
        assert py[key] == cc[key], key
    assert cc["no_mmap_rss_mib"] == pytest.approx(py["no_mmap_rss_mib"], rel=0.2)
