"""Introduction: the factors of inference performance, each shown on a real-shaped model.

Run it yourself:  python snippets/guide/introduction.py --device CPU --model yolov5n
(``--model`` also takes the path of your own .xml or .onnx image model.)
"""

from __future__ import annotations

import tempfile
import time

import numpy as np
import openvino as ov
import openvino.properties as props
import openvino.properties.device as device_props
import openvino.properties.hint as hints
import psutil
from openvino.preprocess import PrePostProcessor

from perfguide.errors import UsageError
from perfguide.snippet import snippet_main

MODEL = "yolov5n"  # the zoo model this page is written around; --model takes yours
# Small counts keep the page's example quick; the benchmark harness measures for real.
FRAMES = 24


def main(device: str, model: str, frames: int = FRAMES) -> dict:
    """Run every example of the Introduction page on ``device`` and return what it observed."""
    model_path = model
    result: dict = {"device": device}

    # --8<-- [start:read-and-compile]
    core = ov.Core()
    model = core.read_model(model_path)
    compiled_model = core.compile_model(
        model, device, {hints.performance_mode: hints.PerformanceMode.LATENCY}
    )
    # --8<-- [end:read-and-compile]
    image_input = compiled_model.input(0)
    if image_input.get_partial_shape().rank.get_length() != 4 or image_input.partial_shape.is_dynamic:
        raise UsageError(f"this page needs an image model with one static NCHW input: {model_path}")
    _, channels, height, width = image_input.shape
    rng = np.random.default_rng(0)
    frame = rng.random((1, channels, height, width), dtype=np.float32)

    # --8<-- [start:latency]
    request = compiled_model.create_infer_request()
    # the first inference is slower: keep it out of the timing
    request.infer({0: frame})

    latencies_ms = []
    for _ in range(frames):
        start = time.perf_counter()
        request.infer({0: frame})
        latencies_ms.append((time.perf_counter() - start) * 1000)
    print(f"latency: median {np.median(latencies_ms):.2f} ms over {frames} frames")
    # --8<-- [end:latency]
    result["latency_ms_median"] = float(np.median(latencies_ms))
    result["latency_fps"] = 1000.0 / result["latency_ms_median"]

    # --8<-- [start:throughput]
    throughput_model = core.compile_model(
        model, device, {hints.performance_mode: hints.PerformanceMode.THROUGHPUT}
    )
    jobs = throughput_model.get_property(props.optimal_number_of_infer_requests)
    queue = ov.AsyncInferQueue(throughput_model, jobs)
    for _ in range(jobs):  # warm every request once
        queue.start_async({0: frame})
    queue.wait_all()

    start = time.perf_counter()
    for _ in range(frames):
        # returns at once; blocks only when all jobs are busy
        queue.start_async({0: frame})
    queue.wait_all()
    throughput_fps = frames / (time.perf_counter() - start)
    print(f"throughput: {throughput_fps:.1f} frames/s with {jobs} requests in flight")
    # --8<-- [end:throughput]
    result["throughput_fps"] = throughput_fps
    result["throughput_requests"] = jobs

    # --8<-- [start:end-to-end]
    def preprocess(camera_frame: np.ndarray) -> np.ndarray:
        """u8 HWC frame of any size -> f32 NCHW in [0, 1] at the model's size
        (nearest)."""
        rows = np.arange(height) * camera_frame.shape[0] // height
        cols = np.arange(width) * camera_frame.shape[1] // width
        resized = camera_frame[rows][:, cols]
        return (resized.transpose(2, 0, 1)[np.newaxis] / 255.0).astype(np.float32)

    camera_frame = rng.integers(0, 256, size=(720, 1280, channels), dtype=np.uint8)
    inference_s = end_to_end_s = 0.0
    for _ in range(frames):
        start = time.perf_counter()
        tensor = preprocess(camera_frame)
        infer_start = time.perf_counter()
        output = request.infer({0: tensor})[0]
        inference_s += time.perf_counter() - infer_start
        # stands in for the application's post-processing
        best_score = float(output.max())
        end_to_end_s += time.perf_counter() - start
    print(f"pure inference: {frames / inference_s:.1f} frames/s, "
          f"end to end: {frames / end_to_end_s:.1f} frames/s")
    # --8<-- [end:end-to-end]
    result["inference_only_fps"] = frames / inference_s
    result["end_to_end_fps"] = frames / end_to_end_s
    result["best_score_is_finite"] = bool(np.isfinite(best_score))

    # --8<-- [start:first-inference]
    def time_to_first_result(config: dict) -> float:
        start = time.perf_counter()
        fresh_core = ov.Core()
        loaded = fresh_core.compile_model(
            fresh_core.read_model(model_path), device, config
        )
        loaded.create_infer_request().infer({0: frame})
        return time.perf_counter() - start

    with tempfile.TemporaryDirectory() as cache:
        cold_s = time_to_first_result({})
        time_to_first_result({props.cache_dir: cache})  # fills the cache
        cached_s = time_to_first_result({props.cache_dir: cache})
    print(f"first result: {cold_s * 1000:.0f} ms cold, "
          f"{cached_s * 1000:.0f} ms from the cache")
    # --8<-- [end:first-inference]
    result["first_inference_cold_ms"] = cold_s * 1000
    result["first_inference_cached_ms"] = cached_s * 1000

    # --8<-- [start:memory]
    process = psutil.Process()

    def resident_mib_for(config: dict) -> float:
        before = process.memory_info().rss
        loaded = core.compile_model(model, device, config)
        requests = [loaded.create_infer_request() for _ in range(
            loaded.get_property(props.optimal_number_of_infer_requests))]
        for each in requests:
            each.infer({0: frame})
        grown = process.memory_info().rss - before
        del requests, loaded
        return grown / 2**20

    latency_mib = resident_mib_for(
        {hints.performance_mode: hints.PerformanceMode.LATENCY}
    )
    throughput_mib = resident_mib_for(
        {hints.performance_mode: hints.PerformanceMode.THROUGHPUT}
    )
    print(f"resident memory added: LATENCY {latency_mib:.0f} MiB, "
          f"THROUGHPUT {throughput_mib:.0f} MiB")
    # --8<-- [end:memory]
    result["latency_hint_mib"] = latency_mib
    result["throughput_hint_mib"] = throughput_mib

    # --8<-- [start:accuracy]
    reference = core.compile_model(
        model, device, {hints.execution_mode: hints.ExecutionMode.ACCURACY}
    ).create_infer_request().infer({0: frame})[0]
    fast = core.compile_model(
        model, device, {hints.execution_mode: hints.ExecutionMode.PERFORMANCE}
    ).create_infer_request().infer({0: frame})[0]
    print(f"largest difference, PERFORMANCE vs ACCURACY mode: "
          f"{np.abs(fast - reference).max():.4f}")
    # --8<-- [end:accuracy]
    result["performance_vs_accuracy_max_abs"] = float(np.abs(fast - reference).max())
    result["cpu_capabilities"] = core.get_property("CPU", device_props.capabilities)

    # --8<-- [start:model-optimization]
    # A model optimization: the model itself takes camera bytes (u8, NHWC) and
    # normalizes them.
    ppp = PrePostProcessor(core.read_model(model_path))
    ppp.input().tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC"))
    ppp.input().model().set_layout(ov.Layout("NCHW"))
    ppp.input().preprocess().convert_element_type(ov.Type.f32).scale(255.0)
    u8_model = ppp.build()

    # A runtime optimization on top of it: the two kinds combine.
    u8_compiled = core.compile_model(
        u8_model, device, {hints.performance_mode: hints.PerformanceMode.THROUGHPUT}
    )
    u8_frame = rng.integers(0, 256, size=(1, height, width, channels), dtype=np.uint8)
    u8_output = u8_compiled.create_infer_request().infer({0: u8_frame})[0]
    # --8<-- [end:model-optimization]
    float_frame = (u8_frame.transpose(0, 3, 1, 2) / 255.0).astype(np.float32)
    f32_compiled = core.compile_model(
        model, device, {hints.performance_mode: hints.PerformanceMode.THROUGHPUT}
    )
    by_numpy = f32_compiled.create_infer_request().infer({0: float_frame})[0]
    result["ppp_vs_numpy_max_abs"] = float(np.abs(u8_output - by_numpy).max())
    result["output_scale"] = float(np.abs(by_numpy).max())
    return result


if __name__ == "__main__":
    snippet_main(main, default_model=MODEL)
