"""Inputs and tensors: writing into a request's own tensor, setting your own, sharing memory, what
each costs per frame, and the aliasing that sharing brings.

Run it yourself:  python snippets/guide/tensors.py --device CPU --model yolov5n
(``--model`` also takes the path of your own .xml or .onnx model with one static f32 input.)
"""

from __future__ import annotations

import time

import numpy as np
import openvino as ov
import openvino.properties.hint as hints

from perfguide.errors import UsageError
from perfguide.snippet import snippet_main

MODEL = "yolov5n"  # large inputs and outputs for its compute: copies show
FRAMES = 8


def main(device: str, model: str, frames: int = FRAMES) -> dict:
    """Run every example of the Inputs and tensors page on ``device`` and return what it observed."""
    model_path = model
    result: dict = {"device": device}
    inputs = ov.Core().read_model(model_path).inputs  # a reader's own model: check it first
    if len(inputs) != 1 or inputs[0].partial_shape.is_dynamic or inputs[0].element_type != ov.Type.f32:
        raise UsageError(f"this page needs a model with one static f32 input: {model_path} has "
                         f"{', '.join(f'{i.element_type.get_type_name()}{i.partial_shape}' for i in inputs)}"
                         "; make it static with model.reshape (see the Dynamic shapes page)")

    # --8<-- [start:compile]
    core = ov.Core()
    compiled_model = core.compile_model(
        model_path, device, {hints.performance_mode: hints.PerformanceMode.LATENCY}
    )
    shape = compiled_model.input(0).shape
    rng = np.random.default_rng(0)
    # Three different frames.
    video = [rng.random(shape, dtype=np.float32) for _ in range(3)]
    frame = video[0]
    # --8<-- [end:compile]

    # --8<-- [start:get-input-tensor]
    request = compiled_model.create_infer_request()
    # Memory the request allocated for the device.
    input_tensor = request.get_input_tensor()
    input_tensor.data[:] = frame  # one copy: your frame into the request's memory
    request.infer()
    output = request.get_output_tensor().data  # a view of the request's output memory
    # Copy what you keep: the next inference writes into that memory.
    kept = output.copy()
    # --8<-- [end:get-input-tensor]
    reference = kept

    # --8<-- [start:set-input-tensor]
    request = compiled_model.create_infer_request()
    request.set_input_tensor(ov.Tensor(frame))  # ov.Tensor(array) copies the array
    request.infer()
    # --8<-- [end:set-input-tensor]
    result["tensor_copies_array"] = not np.shares_memory(ov.Tensor(frame).data, frame)
    set_output = request.get_output_tensor().data.copy()

    # --8<-- [start:shared-memory]
    request = compiled_model.create_infer_request()
    # shared_memory=True wraps the array: no copy.
    request.set_input_tensor(ov.Tensor(frame, shared_memory=True))
    request.infer()

    # The same in one call; the result is a view of the request's output tensor,
    # not a copy.
    results = request.infer({0: frame}, share_inputs=True, share_outputs=True)
    shared_output = results[0]
    # --8<-- [end:shared-memory]
    result["shared_tensor_wraps_array"] = bool(np.shares_memory(ov.Tensor(frame, shared_memory=True).data,
                                                                frame))
    result["shared_output_is_a_view"] = bool(
        np.shares_memory(shared_output, request.get_output_tensor().data))
    result["ways_agree_on_one_frame"] = bool(np.array_equal(reference, set_output)
                                             and np.array_equal(reference, shared_output))

    # --8<-- [start:cost-per-frame]
    # The default: infer() copies the input in, the output out.
    def copy_in_copy_out(req, x):
        return req.infer({0: x})[0]

    def write_into_request(req, x):
        req.get_input_tensor().data[:] = x
        req.infer()
        return req.get_output_tensor().data.copy()

    def set_new_tensor(req, x):
        req.set_input_tensor(ov.Tensor(x))
        req.infer()
        return req.get_output_tensor().data.copy()

    def share_both(req, x):  # zero-copy in and out
        return req.infer({0: x}, share_inputs=True, share_outputs=True)[0]

    def float64_frame(req, x):  # the wrong element type: converted on every call
        return req.infer({0: x.astype(np.float64)})[0]

    ways = {"infer(frame)": copy_in_copy_out,
            "write into get_input_tensor()": write_into_request,
            "set_input_tensor(ov.Tensor(frame))": set_new_tensor,
            "infer(share_inputs, share_outputs)": share_both,
            "infer(float64 frame)": float64_frame}
    # One request each.
    requests = {name: compiled_model.create_infer_request() for name in ways}
    for name, way in ways.items():
        way(requests[name], frame)  # warm each request

    times_ms = {name: [] for name in ways}
    order = list(ways)
    # The ways take turns, the order reversed every other round, so a busier moment
    # hits all alike.
    for i in range(frames):
        for name in order if i % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            ways[name](requests[name], video[i % len(video)])
            times_ms[name].append((time.perf_counter() - start) * 1000)
    for name, ms in times_ms.items():
        print(f"{name:<36} {np.median(ms):7.2f} ms per frame")
    # --8<-- [end:cost-per-frame]
    result["ways"] = {name: float(np.median(ms)) for name, ms in times_ms.items()}
    medians = list(result["ways"].values())
    result["ways_spread_pct"] = (max(medians) - min(medians)) / min(medians) * 100
    # Every way must give the same answer for the same frame (checked by the tests).
    outputs = {name: np.array(way(requests[name], video[1])) for name, way in ways.items()}
    base = outputs["infer(frame)"]
    result["max_abs_between_ways"] = float(max(np.abs(o - base).max() for o in outputs.values()))
    result["output_scale"] = float(np.abs(base).max())

    # --8<-- [start:copy-costs]
    output_array = request.get_output_tensor().data
    frame64 = frame.astype(np.float64)

    def microseconds(step, repeat: int = 30) -> float:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        return float(np.median(times)) * 1e6

    costs_us = {
        "ov.Tensor(frame)  (copy)": microseconds(lambda: ov.Tensor(frame)),
        "ov.Tensor(frame, shared_memory=True)": microseconds(
            lambda: ov.Tensor(frame, shared_memory=True)),
        "input_tensor.data[:] = frame": microseconds(
            lambda: input_tensor.data.__setitem__(..., frame)),
        "output.copy()": microseconds(lambda: output_array.copy()),
        "frame.astype(np.float32) from float64": microseconds(
            lambda: frame64.astype(np.float32)),
    }
    print(f"input {frame.nbytes / 2**20:.1f} MiB, "
          f"output {output_array.nbytes / 2**20:.1f} MiB")
    for step, us in costs_us.items():
        print(f"  {step:<40} {us:8.0f} µs")
    # --8<-- [end:copy-costs]
    result["copy_costs_us"] = costs_us
    result["tensor_copy_us"] = costs_us["ov.Tensor(frame)  (copy)"]
    result["tensor_shared_us"] = costs_us["ov.Tensor(frame, shared_memory=True)"]
    result["write_into_us"] = costs_us["input_tensor.data[:] = frame"]
    result["output_copy_us"] = costs_us["output.copy()"]
    result["astype_us"] = costs_us["frame.astype(np.float32) from float64"]
    result["input_mib"] = frame.nbytes / 2**20
    result["output_mib"] = output_array.nbytes / 2**20
    result["copy_in_out_ms"] = result["ways"]["infer(frame)"]
    # The copies the default way makes (one in, one out) as a share of its time per frame.
    result["copies_ms"] = (costs_us["input_tensor.data[:] = frame"] + costs_us["output.copy()"]) / 1000
    result["tenth_of_a_frame_ms"] = result["copy_in_out_ms"] / 10  # the bar the page's prose uses
    result["copies_share_pct"] = (costs_us["input_tensor.data[:] = frame"] + costs_us["output.copy()"]) \
        / 1000 / result["copy_in_out_ms"] * 100
    result["share_both_ms"] = result["ways"]["infer(share_inputs, share_outputs)"]
    result["float64_ms"] = result["ways"]["infer(float64 frame)"]

    # --8<-- [start:share-outputs-caveat]
    request = compiled_model.create_infer_request()
    first = request.infer({0: video[0]}, share_outputs=True)[0]
    first_kept = first.copy()  # what you must do to keep a result
    second = request.infer({0: video[1]}, share_outputs=True)[0]
    print("the first result now holds the second's values:",
          np.array_equal(first, second))
    print("the copy still holds the first result:",
          not np.array_equal(first_kept, second))
    # --8<-- [end:share-outputs-caveat]
    result["first_view_overwritten"] = bool(np.array_equal(first, second))
    result["first_copy_kept"] = bool(not np.array_equal(first_kept, second))
    result["first_second_share_memory"] = bool(np.shares_memory(first, second))

    # --8<-- [start:share-inputs-caveat]
    request = compiled_model.create_infer_request()
    camera_frame = video[0].copy()
    # The request now reads camera_frame itself.
    request.infer({0: camera_frame}, share_inputs=True)
    # Default mode copies INTO the request's tensor, which is camera_frame.
    request.infer({0: video[1]})
    print("camera_frame was overwritten by the next frame:",
          np.array_equal(camera_frame, video[1]))
    # --8<-- [end:share-inputs-caveat]
    result["shared_input_overwritten"] = bool(np.array_equal(camera_frame, video[1]))
    result["frames_differ"] = bool(not np.array_equal(video[0], video[1]))
    return result


if __name__ == "__main__":
    snippet_main(main, default_model=MODEL)
