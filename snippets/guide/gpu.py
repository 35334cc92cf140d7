"""GPU checklist: f16, batching, compile time and the model cache, streams, queue throttling and
priority, and the host CPU a GPU still needs.

Run it yourself:  python snippets/guide/gpu.py --device GPU --model resnet50
(``--model`` also takes the path of your own .xml or .onnx image model.) On a machine without a
GPU it lists the GPUs it found (none) and stops: every example below needs one.
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np
import openvino as ov
import openvino.properties as props
import openvino.properties.device as device_props
import openvino.properties.hint as hints
import openvino.properties.intel_gpu as gpu_props
import openvino.properties.intel_gpu.hint as gpu_hints
import psutil

from perfguide.errors import UsageError
from perfguide.snippet import snippet_main

DEVICES = ("GPU",)  # every example here is about the GPU plugin
# resnet50: convolution-heavy, the kind of work a GPU is built for; and its batch can be changed.
MODEL = "resnet50"
FRAMES = 32  # per measurement; small counts keep the page quick, the harness measures for real
BATCH = 8


def main(device: str, model: str, frames: int = FRAMES) -> dict:
    """Run every example of the GPU checklist on ``device`` and return what it observed."""
    model_path = model
    result: dict = {"device": device}
    core = ov.Core()

    # --8<-- [start:gpu-info]
    gpus = [name for name in core.available_devices if name.startswith("GPU")]
    for gpu in gpus:
        memory_gib = core.get_property(gpu, gpu_props.device_total_mem_size) / 2**30
        print(f"{gpu}: {core.get_property(gpu, device_props.full_name)} "
              f"({core.get_property(gpu, device_props.type)}, {memory_gib:.1f} GiB), "
              f"capabilities: "
              f"{', '.join(core.get_property(gpu, device_props.capabilities))}")
    # --8<-- [end:gpu-info]
    result["gpus"] = gpus
    if device.split(".")[0] != "GPU":
        print(f"{device} is not a GPU; GPUs here: {', '.join(gpus) or 'none'}. "
              "Every other example of this page needs one: nothing was run.")
        result["ran"] = False
        return result
    result["ran"] = True

    model = core.read_model(model_path)
    image_input = model.input(0)
    if image_input.partial_shape.is_dynamic or image_input.partial_shape.rank.get_length() != 4:
        raise UsageError(f"this page needs an image model with one static NCHW input: {model_path}")
    _, channels, height, width = image_input.shape
    frame = np.random.default_rng(0).random((1, channels, height, width), dtype=np.float32)

    # --8<-- [start:f16]
    # The GPU runs f16 unless told otherwise.
    compiled_model = core.compile_model(model, device)
    print(f"default inference precision on {device}: "
          f"{compiled_model.get_property(hints.inference_precision)}")
    f16_model = core.compile_model(
        model, device, {hints.inference_precision: ov.Type.f16}
    )
    f32_model = core.compile_model(
        model, device, {hints.inference_precision: ov.Type.f32}
    )
    f16_out = f16_model.create_infer_request().infer({0: frame})[0]
    f32_out = f32_model.create_infer_request().infer({0: frame})[0]
    print(f"largest difference, f16 vs f32: {np.abs(f16_out - f32_out).max():.4f}")
    # --8<-- [end:f16]
    result["default_precision"] = str(compiled_model.get_property(hints.inference_precision))
    result["f16_vs_f32_max_abs"] = float(np.abs(f16_out - f32_out).max())
    result["output_scale"] = float(np.abs(f32_out).max())
    del f16_model, f32_model

    # --8<-- [start:compile-and-cache]
    def seconds_to_compile(config: dict) -> float:
        start = time.perf_counter()
        fresh_core = ov.Core()  # a new application start: nothing compiled in memory
        fresh_core.compile_model(model_path, device, config)
        return time.perf_counter() - start

    with tempfile.TemporaryDirectory() as cache:
        cold_s = seconds_to_compile({})  # kernels are built for this GPU now
        fewer_threads_s = seconds_to_compile({props.compilation_num_threads: 1})
        seconds_to_compile({props.cache_dir: cache})  # compiles, and writes the cache
        # Loads the compiled kernels.
        cached_s = seconds_to_compile({props.cache_dir: cache})
    print(f"compile_model: {cold_s:.2f} s cold, "
          f"{fewer_threads_s:.2f} s on one compilation thread, "
          f"{cached_s:.2f} s from the cache")
    # --8<-- [end:compile-and-cache]
    result.update(compile_cold_s=cold_s, compile_one_thread_s=fewer_threads_s, compile_cached_s=cached_s)

    # --8<-- [start:streams-and-batch]
    def images_per_second(compiled: ov.CompiledModel, requests: int,
                          inputs: np.ndarray) -> float:
        queue = ov.AsyncInferQueue(compiled, requests)
        for _ in range(requests):  # warm every request once
            queue.start_async({0: inputs})
        queue.wait_all()
        start = time.perf_counter()
        for _ in range(frames):
            queue.start_async({0: inputs})
        queue.wait_all()
        return frames * inputs.shape[0] / (time.perf_counter() - start)

    throughput_model = core.compile_model(model, device, {
        hints.performance_mode: hints.PerformanceMode.THROUGHPUT,
    })
    streams = throughput_model.get_property(props.streams.num)
    jobs = throughput_model.get_property(props.optimal_number_of_infer_requests)
    hinted_fps = images_per_second(throughput_model, jobs, frame)
    print(f"THROUGHPUT hint: {streams} streams, {jobs} requests -> "
          f"{hinted_fps:.1f} images/s")

    batched = core.read_model(model_path)
    batched.reshape({0: [BATCH, channels, height, width]})
    batched_model = core.compile_model(batched, device, {props.streams.num: 2})
    batch_fps = images_per_second(batched_model, 2, np.repeat(frame, BATCH, axis=0))
    one_fps = images_per_second(
        core.compile_model(model, device, {props.streams.num: 1}), 1, frame)
    print(f"one image per request: {one_fps:.1f} images/s; batch {BATCH} on 2 streams: "
          f"{batch_fps:.1f} images/s")
    # --8<-- [end:streams-and-batch]
    result.update(throughput_streams=streams, throughput_requests=jobs, throughput_fps=hinted_fps,
                  batch_fps=batch_fps, single_fps=one_fps)
    del throughput_model, batched_model

    # --8<-- [start:throttle]
    process = psutil.Process()

    def host_cpu_per_inference(config: dict) -> tuple[float, float]:
        """(host CPU ms, wall-clock ms) per inference: what waiting for the GPU costs
        the CPU."""
        request = core.compile_model(model, device, config).create_infer_request()
        request.infer({0: frame})
        cpu_before, start = sum(process.cpu_times()[:2]), time.perf_counter()
        for _ in range(frames):
            request.infer({0: frame})
        wall_ms = (time.perf_counter() - start) * 1000 / frames
        return (sum(process.cpu_times()[:2]) - cpu_before) * 1000 / frames, wall_ms

    by_level = {}
    for level in (gpu_hints.ThrottleLevel.LOW, gpu_hints.ThrottleLevel.HIGH):
        cpu_ms, wall_ms = host_cpu_per_inference({gpu_hints.queue_throttle: level})
        by_level[level] = (cpu_ms, wall_ms)
        print(f"queue_throttle {level.name}: {cpu_ms:.2f} ms of host CPU, "
              f"{wall_ms:.2f} ms per inference")
    # --8<-- [end:throttle]
    low, high = by_level[gpu_hints.ThrottleLevel.LOW], by_level[gpu_hints.ThrottleLevel.HIGH]
    result.update(throttle_low_cpu_ms=low[0], throttle_low_wall_ms=low[1],
                  throttle_high_cpu_ms=high[0], throttle_high_wall_ms=high[1])

    # --8<-- [start:priority]
    urgent = core.compile_model(model, device, {
        # Its OpenCL queue is served first.
        gpu_hints.queue_priority: hints.Priority.HIGH,
        # Its host threads run on the fast cores.
        gpu_hints.host_task_priority: hints.Priority.HIGH,
    })
    background = core.compile_model(model, device, {
        gpu_hints.queue_priority: hints.Priority.LOW,
        gpu_hints.host_task_priority: hints.Priority.LOW,
    })
    for name, compiled in (("urgent", urgent), ("background", background)):
        print(f"{name}: queue priority "
              f"{compiled.get_property(gpu_hints.queue_priority)}, "
              f"host task priority "
              f"{compiled.get_property(gpu_hints.host_task_priority)}")
    # --8<-- [end:priority]
    result["urgent_queue_priority"] = str(urgent.get_property(gpu_hints.queue_priority))
    result["background_queue_priority"] = str(background.get_property(gpu_hints.queue_priority))
    del urgent, background

    # --8<-- [start:sharing-the-host]
    # Inference on the CPU beside the GPU: leave a core to the threads that feed
    # the GPU.
    cpu_model = core.compile_model(model, "CPU", {
        props.inference_num_threads: max(1, (os.cpu_count() or 2) - 1),
    })
    gpu_queue = ov.AsyncInferQueue(compiled_model, 2)
    cpu_request = cpu_model.create_infer_request()
    start = time.perf_counter()
    for _ in range(frames):
        gpu_queue.start_async({0: frame})
        cpu_request.infer({0: frame})
    gpu_queue.wait_all()
    both_fps = 2 * frames / (time.perf_counter() - start)
    print(f"GPU and CPU side by side: {both_fps:.1f} images/s in total")
    # --8<-- [end:sharing-the-host]
    result["cpu_and_gpu_fps"] = both_fps
    return result


if __name__ == "__main__":
    snippet_main(main, default_model=MODEL)
