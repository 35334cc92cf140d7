"""Getting performance numbers: measuring right, and why an application loop is slower than
benchmark_app, each cause measured.

Run it yourself:  python snippets/guide/measuring.py --device CPU --model yolov5n
(``--model`` also takes the path of your own .xml or .onnx image model.)
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import openvino as ov
import openvino.properties as props
import openvino.properties.hint as hints

from perfguide.errors import UsageError
from perfguide.snippet import snippet_main

MODEL = "yolov5n"  # the zoo model this page is written around (the seeds' notebook used YOLOv5n)
# Small counts keep the page's example quick; the benchmark harness measures for seconds.
FRAMES = 12
REPEATS = 3


def _page_faults_per_call(*steps, repeat: int = 10) -> list[float]:
    """Minor page faults per call of each step (memory the process had to be given anew)."""
    try:
        import resource  # POSIX only: the page reports these figures from the measured machine
    except ImportError:
        return [None] * len(steps)
    counts = []
    for step in steps:
        step()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(repeat):
            step()
        counts.append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / repeat)
    return counts


def main(device: str, model: str, frames: int = FRAMES, repeats: int = REPEATS) -> dict:
    """Run every example of the Getting performance numbers page on ``device``."""
    model_path = model
    result: dict = {"device": device, "frames": frames, "repeats": repeats}

    # --8<-- [start:compile]
    core = ov.Core()
    model = core.read_model(model_path)
    compiled_model = core.compile_model(
        model, device, {hints.performance_mode: hints.PerformanceMode.LATENCY}
    )
    request = compiled_model.create_infer_request()
    # --8<-- [end:compile]
    image_input = compiled_model.input(0)
    if image_input.get_partial_shape().rank.get_length() != 4 or image_input.partial_shape.is_dynamic:
        raise UsageError(f"this page needs an image model with one static NCHW input: {model_path}")
    _, channels, height, width = image_input.shape
    rng = np.random.default_rng(0)
    frame = rng.random((1, channels, height, width), dtype=np.float32)

    # --8<-- [start:first-inference]
    start = time.perf_counter()
    request.infer({0: frame})  # the first inference: one-time work happens here
    first_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    request.infer({0: frame})
    second_ms = (time.perf_counter() - start) * 1000
    print(f"first inference {first_ms:.1f} ms, second {second_ms:.1f} ms")
    # --8<-- [end:first-inference]
    result["first_ms"] = first_ms
    result["second_ms"] = second_ms

    # --8<-- [start:percentiles]
    load_1min = os.getloadavg()[0]  # is anything else running? (Linux, macOS)
    print(f"load average before measuring: {load_1min:.2f} on {os.cpu_count()} cores")

    latencies_ms, repeat_medians, runtime_ms = [], [], []
    for _ in range(repeats):
        run_ms = []
        for _ in range(frames):
            start = time.perf_counter()
            request.infer({0: frame})
            run_ms.append((time.perf_counter() - start) * 1000)
            # The runtime's own timer for that call, in ms.
            runtime_ms.append(request.latency)
        repeat_medians.append(float(np.median(run_ms)))
        latencies_ms += run_ms

    p50, p90, p99 = np.percentile(latencies_ms, [50, 90, 99])
    spread = ((max(repeat_medians) - min(repeat_medians))
              / np.median(repeat_medians) * 100)
    print(f"{len(latencies_ms)} inferences: "
          f"p50 {p50:.1f} ms, p90 {p90:.1f} ms, p99 {p99:.1f} ms, "
          f"mean {np.mean(latencies_ms):.1f} ms, max {max(latencies_ms):.1f} ms")
    print("median of each repeat: " + ", ".join(f"{m:.1f}" for m in repeat_medians)
          + f" ms (spread {spread:.0f}%)")
    print(f"median by the request's own timer (what benchmark_app reports): "
          f"{np.median(runtime_ms):.2f} ms, by the clock around infer(): {p50:.2f} ms")
    # --8<-- [end:percentiles]
    result.update(runtime_p50_ms=float(np.median(runtime_ms)))
    result.update(load_average=load_1min, p50_ms=float(p50), p90_ms=float(p90), p99_ms=float(p99),
                  mean_ms=float(np.mean(latencies_ms)), max_ms=float(max(latencies_ms)),
                  samples=len(latencies_ms), repeat_medians_ms=repeat_medians, spread_pct=float(spread))

    # --8<-- [start:oversubscription]
    stop = threading.Event()

    def busy_application_thread() -> None:
        """The rest of an application: numpy work whose thread pool wants every core
        too."""
        matrix = np.random.default_rng(1).random((512, 512))
        while not stop.is_set():
            matrix @ matrix

    competitor = threading.Thread(target=busy_application_thread)
    competitor.start()
    contended_ms = []
    for _ in range(frames):
        start = time.perf_counter()
        request.infer({0: frame})
        contended_ms.append((time.perf_counter() - start) * 1000)
    stop.set()
    competitor.join()
    print(f"median latency with a busy numpy thread beside it: "
          f"{np.median(contended_ms):.1f} ms (alone: {p50:.1f} ms)")
    # --8<-- [end:oversubscription]
    result["contended_p50_ms"] = float(np.median(contended_ms))

    # --8<-- [start:application-loop]
    # A decoded camera frame, HWC.
    camera = rng.integers(0, 256, size=(height, width, channels), dtype=np.uint8)
    # What the user sees.
    display = rng.integers(0, 256, size=(720, 1280, 3), dtype=np.uint8)

    def draw_boxes(canvas: np.ndarray, output: np.ndarray,
                   boxes: int = 50) -> np.ndarray:
        """Stand-in for decoding detections and drawing them: the top scores become
        boxes."""
        image = canvas.copy()
        candidates = output.reshape(-1, output.shape[-1])  # a row per candidate box
        best = np.argsort(candidates.max(axis=1))[-boxes:]  # the best-scoring ones
        rows, cols = image.shape[0] - 40, image.shape[1] - 60
        for k in best:  # a box per candidate, at a position derived from its index
            y, x = int(k * 7919 % rows), int(k * 104729 % cols)
            image[y:y + 40, x:x + 2] = image[y:y + 40, x + 58:x + 60] = (0, 255, 0)
            image[y:y + 2, x:x + 60] = image[y + 38:y + 40, x:x + 60] = (0, 255, 0)
        return image

    prep_s = infer_s = draw_s = 0.0
    loop_start = time.perf_counter()
    for _ in range(frames):
        t0 = time.perf_counter()
        tensor = camera / 255.0  # float64
        # HWC -> NCHW copy.
        tensor = np.ascontiguousarray(tensor.transpose(2, 0, 1)[np.newaxis])
        tensor = tensor.astype(np.float32)  # and a third pass over the frame
        t1 = time.perf_counter()
        # Synchronous: the cores wait for the loop.
        output = request.infer({0: tensor})[0]
        t2 = time.perf_counter()
        shown = draw_boxes(display, output)
        t3 = time.perf_counter()
        prep_s, infer_s, draw_s = prep_s + t1 - t0, infer_s + t2 - t1, draw_s + t3 - t2
    app_fps = frames / (time.perf_counter() - loop_start)
    print(f"application loop: {app_fps:.1f} frames/s; per frame: preprocessing "
          f"{prep_s / frames * 1000:.1f} ms, "
          f"inference {infer_s / frames * 1000:.1f} ms, "
          f"drawing {draw_s / frames * 1000:.1f} ms")
    # --8<-- [end:application-loop]
    result.update(app_fps=app_fps, app_prep_ms=prep_s / frames * 1000, app_infer_ms=infer_s / frames * 1000,
                  app_draw_ms=draw_s / frames * 1000, drawn_shape=list(shown.shape))

    # --8<-- [start:sync-vs-async]
    # What benchmark_app times: inference only, the input prepared once.
    start = time.perf_counter()
    for _ in range(frames):
        request.infer({0: frame})
    sync_fps = frames / (time.perf_counter() - start)

    throughput_model = core.compile_model(
        model, device, {hints.performance_mode: hints.PerformanceMode.THROUGHPUT}
    )
    jobs = throughput_model.get_property(props.optimal_number_of_infer_requests)
    queue = ov.AsyncInferQueue(throughput_model, jobs)
    for _ in range(jobs):  # warm every request: each one's first inference is slower
        queue.start_async({0: frame})
    queue.wait_all()
    start = time.perf_counter()
    for _ in range(frames):
        queue.start_async({0: frame})
    queue.wait_all()
    async_fps = frames / (time.perf_counter() - start)
    print(f"inference only: sync, one request {sync_fps:.1f} frames/s; "
          f"async, {jobs} requests {async_fps:.1f} frames/s")
    # --8<-- [end:sync-vs-async]
    result.update(sync_fps=sync_fps, async_fps=async_fps, async_requests=jobs)

    # --8<-- [start:conversions]
    def per_frame_ms(step, repeat: int = 20) -> float:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        return float(np.median(times)) * 1000

    as_float64 = camera / 255.0
    nchw_float64 = np.ascontiguousarray(as_float64.transpose(2, 0, 1)[np.newaxis])
    steps_ms = {
        "camera / 255.0 (to float64)": per_frame_ms(lambda: camera / 255.0),
        "np.ascontiguousarray(NCHW view)": per_frame_ms(
            lambda: np.ascontiguousarray(as_float64.transpose(2, 0, 1)[np.newaxis])),
        ".astype(np.float32)": per_frame_ms(lambda: nchw_float64.astype(np.float32)),
    }

    def three_steps() -> np.ndarray:  # as the application loop does it
        tensor = camera / 255.0
        tensor = np.ascontiguousarray(tensor.transpose(2, 0, 1)[np.newaxis])
        return tensor.astype(np.float32)

    chain_ms = per_frame_ms(three_steps)
    # One pass: u8 HWC -> f32 NCHW, written straight into a buffer allocated once.
    buffer = np.empty((1, channels, height, width), dtype=np.float32)
    one_pass_ms = per_frame_ms(
        lambda: np.multiply(camera.transpose(2, 0, 1), np.float32(1 / 255),
                            out=buffer[0]))
    for step, ms in steps_ms.items():
        print(f"  {step:<36} {ms:6.2f} ms per frame, timed alone")
    print(f"  {'the three steps in a row':<36} {chain_ms:6.2f} ms per frame")
    print(f"  {'one pass into a float32 buffer':<36} {one_pass_ms:6.2f} ms per frame")
    # --8<-- [end:conversions]
    result["conversion_steps_ms"] = steps_ms
    result["faults_in_a_row"], result["faults_one_pass"] = _page_faults_per_call(
        three_steps, lambda: np.multiply(camera.transpose(2, 0, 1), np.float32(1 / 255), out=buffer[0]))
    result["steps_sum_ms"] = sum(steps_ms.values())
    result["chain_ms"] = chain_ms
    result["one_pass_ms"] = one_pass_ms
    chained = three_steps()
    result["one_pass_max_abs_diff"] = float(np.abs(buffer - chained).max())

    # --8<-- [start:fixed-loop]
    shown_frames = []

    def on_done(done_request: ov.InferRequest, _userdata) -> None:
        """Runs when a request finishes, while the loop below prepares the next
        frame."""
        shown_frames.append(draw_boxes(display, done_request.get_output_tensor(0).data))

    queue = ov.AsyncInferQueue(throughput_model, jobs)
    queue.set_callback(on_done)
    start = time.perf_counter()
    for _ in range(frames):
        # One pass over the frame.
        np.multiply(camera.transpose(2, 0, 1), np.float32(1 / 255), out=buffer[0])
        # Copies the buffer into a free request, returns at once.
        queue.start_async({0: buffer})
    queue.wait_all()
    fixed_fps = frames / (time.perf_counter() - start)
    print(f"the same application, async with one-pass preprocessing: "
          f"{fixed_fps:.1f} frames/s (was {app_fps:.1f})")
    # --8<-- [end:fixed-loop]
    result["fixed_fps"] = fixed_fps
    result["fixed_frames_drawn"] = len(shown_frames)
    return result


if __name__ == "__main__":
    snippet_main(main, default_model=MODEL)
