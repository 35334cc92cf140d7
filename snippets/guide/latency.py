"""Optimizing for latency: the LATENCY hint, and the latency of the *first* inference.

Run it yourself:  python snippets/guide/latency.py --device CPU --model resnet50
(``--model`` also takes the path of your own .xml or .onnx image model.)
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time

import numpy as np
import openvino as ov
import openvino.properties as props
import openvino.properties.hint as hints
import psutil

from perfguide.errors import UsageError
from perfguide.snippet import snippet_main

# resnet50: its 100 MB of weights make model loading, caching and mmap visible.
MODEL = "resnet50"
FRAMES = 6  # per round; small counts keep the page's example quick, the harness measures for real
ROUNDS = 3  # interleaved rounds of the latency comparison; the best of each is kept


def main(device: str, model: str, frames: int = FRAMES) -> dict:
    """Run every example of the latency page on ``device`` and return what it observed."""
    model_path = model
    result: dict = {"device": device}

    # --8<-- [start:latency-hint]
    core = ov.Core()
    model = core.read_model(model_path)
    compiled_model = core.compile_model(
        model, device, {hints.performance_mode: hints.PerformanceMode.LATENCY}
    )
    # What the hint resolved to. A virtual device (AUTO, HETERO, ...) reports fewer of
    # these.
    supported = compiled_model.get_property(props.supported_properties)
    for prop in (hints.performance_mode, props.streams.num, props.inference_num_threads,
                 props.optimal_number_of_infer_requests, hints.enable_cpu_pinning,
                 hints.enable_hyper_threading, hints.scheduling_core_type):
        if prop() in supported:
            print(f"{prop()}: {compiled_model.get_property(prop)}")
    # --8<-- [end:latency-hint]
    result["resolved"] = {
        prop(): str(compiled_model.get_property(prop))
        for prop in (hints.performance_mode, props.streams.num, props.inference_num_threads,
                     props.optimal_number_of_infer_requests, hints.enable_cpu_pinning,
                     hints.enable_hyper_threading, hints.scheduling_core_type)
        if prop() in supported
    }
    result["latency_hint_requests"] = compiled_model.get_property(props.optimal_number_of_infer_requests)
    image_input = compiled_model.input(0)
    if image_input.partial_shape.is_dynamic or image_input.partial_shape.rank.get_length() != 4:
        raise UsageError(f"this page needs an image model with one static NCHW input: {model_path}")
    frame = np.random.default_rng(0).random(tuple(image_input.shape), dtype=np.float32)

    # --8<-- [start:one-request-latency]
    def median_latency_ms(compiled: ov.CompiledModel) -> float:
        request = compiled.create_infer_request()
        # Warm-up: the first inference allocates and selects kernels.
        request.infer({0: frame})
        times = []
        for _ in range(frames):
            start = time.perf_counter()
            request.infer({0: frame})
            times.append((time.perf_counter() - start) * 1000)
        return float(np.median(times))

    throughput_model = core.compile_model(
        model, device, {hints.performance_mode: hints.PerformanceMode.THROUGHPUT}
    )
    latency_runs, throughput_runs = [], []
    # Interleaved, so that other load on the machine hits both alike.
    for _ in range(ROUNDS):
        latency_runs.append(median_latency_ms(compiled_model))
        throughput_runs.append(median_latency_ms(throughput_model))
    latency_ms, throughput_hint_ms = min(latency_runs), min(throughput_runs)
    print(f"one request at a time: {latency_ms:.1f} ms with the LATENCY hint, "
          f"{throughput_hint_ms:.1f} ms with the THROUGHPUT hint")
    # --8<-- [end:one-request-latency]
    result["latency_hint_ms"] = latency_ms
    result["throughput_hint_ms"] = throughput_hint_ms
    result["throughput_hint_requests"] = throughput_model.get_property(props.optimal_number_of_infer_requests)
    for name, compiled in (("latency_hint", compiled_model), ("throughput_hint", throughput_model)):
        reported = compiled.get_property(props.supported_properties)
        for prop, key in ((props.streams.num, "streams"), (props.inference_num_threads, "threads")):
            result[f"{name}_{key}"] = int(compiled.get_property(prop)) if prop() in reported else None
    del throughput_model

    # --8<-- [start:model-cache]
    def first_result(
        config: dict, source=model_path, inputs=frame
    ) -> tuple[float, float, bool]:
        """Seconds to compile, seconds to the first result, and whether the cache was
        used."""
        start = time.perf_counter()
        fresh_core = ov.Core()  # a new application start: nothing compiled in memory
        loaded = fresh_core.compile_model(source, device, config)
        compiled_s = time.perf_counter() - start
        loaded.create_infer_request().infer({0: inputs})
        return compiled_s, time.perf_counter() - start, loaded.get_property(
            props.loaded_from_cache)

    # In an application: a folder that persists.
    cache_dir = tempfile.mkdtemp(prefix="ov-cache-")
    cold = first_result({})
    # Compiles, then writes the blob.
    filling = first_result({props.cache_dir: cache_dir})
    # Imports the blob instead of compiling.
    cached = first_result({props.cache_dir: cache_dir})
    for label, (compile_s, total_s, from_cache) in (
        ("cold", cold), ("filling the cache", filling), ("from the cache", cached)
    ):
        print(f"{label}: compile {compile_s * 1000:.0f} ms, "
              f"first result {total_s * 1000:.0f} ms, "
              f"loaded_from_cache={from_cache}")
    # --8<-- [end:model-cache]
    result["cold_compile_ms"], result["cold_first_result_ms"] = cold[0] * 1000, cold[1] * 1000
    result["filling_compile_ms"] = filling[0] * 1000
    result["cached_compile_ms"], result["cached_first_result_ms"] = cached[0] * 1000, cached[1] * 1000
    result["cold_loaded_from_cache"] = cold[2]
    result["filling_loaded_from_cache"] = filling[2]
    result["cached_loaded_from_cache"] = cached[2]

    # --8<-- [start:cache-key]
    def blobs() -> int:
        return len([name for name in os.listdir(cache_dir) if name.endswith(".blob")])

    before = blobs()
    # A different configuration of the same model on the same device ...
    other_config = {props.cache_dir: cache_dir,
                    hints.performance_mode: hints.PerformanceMode.THROUGHPUT,
                    hints.execution_mode: hints.ExecutionMode.ACCURACY}
    _, _, config_from_cache = first_result(other_config)
    config_blobs = blobs() - before
    print(f"changed config: loaded_from_cache={config_from_cache}, "
          f"new blobs: {config_blobs}")

    # ... and a different model: the same network reshaped to a batch of 2.
    batch_of_two = core.read_model(model_path)
    batch_of_two.reshape({0: [2, *image_input.shape[1:]]})
    _, _, model_from_cache = first_result({props.cache_dir: cache_dir}, batch_of_two,
                                          np.concatenate([frame, frame]))
    model_blobs = blobs() - before - config_blobs
    print(f"changed model: loaded_from_cache={model_from_cache}, "
          f"new blobs: {model_blobs}")
    # --8<-- [end:cache-key]
    shutil.rmtree(cache_dir, ignore_errors=True)
    result["changed_config_loaded_from_cache"] = config_from_cache
    result["changed_config_new_blobs"] = config_blobs
    result["changed_model_loaded_from_cache"] = model_from_cache
    result["changed_model_new_blobs"] = model_blobs
    # --8<-- [start:cache-by-path]
    # compile_model(path) looks a blob up by the file's path; the blob also records the
    # file's size and modification time. A model object is looked up by its graph and
    # weights.
    def model_files(path: str) -> list[str]:
        stem, ext = os.path.splitext(path)
        weights = stem + ".bin"
        return [path, weights] if ext == ".xml" and os.path.exists(weights) else [path]

    by_path = tempfile.mkdtemp(prefix="ov-cache-")
    first_result({props.cache_dir: by_path})  # fills the cache for the model's own path
    moved = tempfile.mkdtemp(prefix="ov-model-")
    for name in model_files(model_path):
        shutil.copy2(name, moved)  # the same bytes and times, in another folder
    copy = os.path.join(moved, os.path.basename(model_path))
    _, _, copy_hit = first_result({props.cache_dir: by_path}, copy)
    os.utime(copy)  # the same file at the same path, modified now
    _, _, touched_hit = first_result({props.cache_dir: by_path}, copy)
    first_result({props.cache_dir: by_path}, core.read_model(model_path))
    _, _, object_hit = first_result({props.cache_dir: by_path}, core.read_model(copy))
    print(f"the file at another path: loaded_from_cache={copy_hit}")
    print(f"the same path, modified: loaded_from_cache={touched_hit}")
    print(f"a model object read from the copy: loaded_from_cache={object_hit}")
    # --8<-- [end:cache-by-path]
    shutil.rmtree(by_path, ignore_errors=True)
    shutil.rmtree(moved, ignore_errors=True)
    result["copied_file_loaded_from_cache"] = copy_hit
    result["touched_file_loaded_from_cache"] = touched_hit
    result["model_object_loaded_from_cache"] = object_hit
    try:  # which properties enter the device's cache key (an internal property, not always there)
        result["caching_properties"] = sorted(core.get_property(device, "CACHING_PROPERTIES"))
    except RuntimeError:
        result["caching_properties"] = None

    # --8<-- [start:mmap]
    process = psutil.Process()

    def read_with(mmap: bool) -> tuple[ov.Model, float, float]:
        """The model, milliseconds to read it, and MiB of resident memory it added."""
        reader = ov.Core()
        reader.set_property({props.enable_mmap: mmap})
        before_rss = process.memory_info().rss
        start = time.perf_counter()
        read = reader.read_model(model_path)
        elapsed_ms = (time.perf_counter() - start) * 1000
        return read, elapsed_ms, (process.memory_info().rss - before_rss) / 2**20

    mapped, mapped_ms, mapped_mib = read_with(mmap=True)  # the default for IR files
    copied, copied_ms, copied_mib = read_with(mmap=False)
    print(f"read_model with mmap: {mapped_ms:.0f} ms, +{mapped_mib:.0f} MiB resident; "
          f"without: {copied_ms:.0f} ms, +{copied_mib:.0f} MiB resident")
    # --8<-- [end:mmap]
    result.update(mmap_read_ms=mapped_ms, mmap_rss_mib=mapped_mib,
                  no_mmap_read_ms=copied_ms, no_mmap_rss_mib=copied_mib)
    weights = os.path.splitext(model_path)[0] + ".bin"
    result["weights_file_mib"] = os.path.getsize(weights) / 2**20 if os.path.exists(weights) else None
    del mapped, copied

    # --8<-- [start:startup-fallback]
    accelerators = [d for d in core.available_devices if not d.startswith("CPU")]
    if not accelerators:
        print("no accelerator here: AUTO selects the CPU directly, "
              "there is no compile to hide")
    for fallback in (True, False):
        start = time.perf_counter()
        auto_core = ov.Core()
        auto_model = auto_core.compile_model(model_path, "AUTO", {
            hints.performance_mode: hints.PerformanceMode.LATENCY,
            props.intel_auto.enable_startup_fallback: fallback,
        })
        auto_model.create_infer_request().infer({0: frame})
        first_ms = (time.perf_counter() - start) * 1000
        print(f"AUTO, enable_startup_fallback={fallback}: "
              f"first result {first_ms:.0f} ms, "
              f"ran on {auto_model.get_property(props.execution_devices)}")
        result[f"auto_fallback_{str(fallback).lower()}_ms"] = first_ms
        result[f"auto_fallback_{str(fallback).lower()}_devices"] = list(
            auto_model.get_property(props.execution_devices))
    # --8<-- [end:startup-fallback]
    result["accelerators"] = accelerators
    return result


if __name__ == "__main__":
    snippet_main(main, default_model=MODEL)
