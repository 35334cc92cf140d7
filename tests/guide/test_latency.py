"""Checks on what the latency page's examples observed, on every device they ran on.

Relations only, never absolute times: the machine is shared and noisy.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_snippet

PAGE = Path("guide/latency.py")
DEVICES = device_params(load_snippet(PAGE))


@pytest.mark.parametrize("device", DEVICES)
def test_latency_hint_means_one_request(device: str) -> None:
    """The LATENCY hint asks for one request in flight; THROUGHPUT asks for at least as many."""
    r = run_snippet(PAGE, device)
    assert r["throughput_hint_requests"] >= r["latency_hint_requests"] >= 1
    if not r["accelerators"]:  # the CPU (alone or under a virtual device): what the page shows
        assert r["latency_hint_requests"] == 1
        if "NUM_STREAMS" in r["resolved"]:  # real devices report what the hint resolved to
            assert r["resolved"]["NUM_STREAMS"] == "1"
            assert r["resolved"]["PERFORMANCE_HINT"] == "LATENCY"
    for key in ("latency_hint_ms", "throughput_hint_ms", "cold_first_result_ms", "cached_first_result_ms"):
        assert r[key] > 0 and math.isfinite(r[key]), key


@pytest.mark.parametrize("device", DEVICES)
def test_the_cache_is_filled_then_used(device: str) -> None:
    r = run_snippet(PAGE, device)
    assert r["cold_loaded_from_cache"] is False
    assert r["filling_loaded_from_cache"] is False
    assert r["cached_loaded_from_cache"] is True


@pytest.mark.parametrize("device", DEVICES)
def test_a_path_keys_the_cache_and_a_model_object_its_contents(device: str) -> None:
    """What the page says of shipping a cache: a file found by its path and modification time
    misses once it is moved or touched; a model object read from the moved copy still hits."""
    from perfguide.devices import family

    r = run_snippet(PAGE, device)
    assert r["model_object_loaded_from_cache"] is True
    # BATCH reads the file into a model object before compiling: its blobs follow the contents.
    by_contents = family(device) == "BATCH"
    assert r["copied_file_loaded_from_cache"] is by_contents
    assert r["touched_file_loaded_from_cache"] is by_contents


@pytest.mark.parametrize("device", DEVICES)
def test_a_changed_model_misses_the_cache(device: str) -> None:
    """The cache key includes the model: a reshaped model compiles anew and adds one blob."""
    r = run_snippet(PAGE, device)
    assert r["changed_model_loaded_from_cache"] is False
    assert r["changed_model_new_blobs"] == 1


def test_on_cpu_a_changed_config_still_hits_the_cache() -> None:
    """What the page says of the CPU: its cache key holds only the device's name (its
    CACHING_PROPERTIES), so another hint and execution mode reuse the blob. If a new OpenVINO
    changes this, this test fails and the page must be rewritten."""
    r = run_snippet(PAGE, "CPU")
    assert r["caching_properties"] == ["FULL_DEVICE_NAME"]
    assert r["changed_config_loaded_from_cache"] is True
    assert r["changed_config_new_blobs"] == 0


def test_mmap_keeps_the_weights_out_of_resident_memory() -> None:
    """Without mmap the weights are copied into the process (about the .bin's size); with mmap
    read_model touches almost none of them. Memory, not time: robust on a noisy machine."""
    r = run_snippet(PAGE, "CPU")
    assert r["no_mmap_rss_mib"] >= 0.8 * r["weights_file_mib"]
    assert r["mmap_rss_mib"] <= 0.25 * r["weights_file_mib"]


def test_auto_runs_on_cpu_without_an_accelerator() -> None:
    r = run_snippet(PAGE, "CPU")
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
