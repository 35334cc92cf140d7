"""Preprocessing: build a camera frame's conversion into the model with PrePostProcessor.

Run it yourself:  python snippets/guide/preprocessing.py --device CPU --model mobilenet
(``--model`` also takes your own .xml or .onnx image model with one static NCHW f32 input.)
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import openvino as ov
import openvino.properties.hint as hints
from openvino.preprocess import ColorFormat, PrePostProcessor, ResizeAlgorithm

from perfguide.errors import UsageError
from perfguide.snippet import snippet_main

MODEL = "mobilenet"  # the zoo model this page is written around; --model takes yours
# Small counts keep the page's example quick; the benchmark harness measures for real.
FRAMES = 30
CAMERA = (720, 1280)  # height, width of the frames a 720p camera delivers
# ImageNet's per-channel mean and standard deviation, RGB order, in 0..255 pixel units.
MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]


def main(device: str, model: str, frames: int = FRAMES) -> dict:
    """Run every example of the Preprocessing page on ``device`` and return what it observed."""
    model_path = model
    result: dict = {"device": device, "camera": list(CAMERA)}

    # --8<-- [start:read-model]
    core = ov.Core()
    model = core.read_model(model_path)
    print(f"the model wants: {model.input(0)}")
    # --8<-- [end:read-model]
    image_input = model.input(0)
    if (image_input.partial_shape.is_dynamic or len(image_input.shape) != 4
            or image_input.shape[1] != 3 or image_input.get_element_type() != ov.Type.f32):
        raise UsageError(f"this page needs an image model with one static f32 NCHW 3-channel input: "
                         f"{model_path}")
    _, _, height, width = image_input.shape

    # --8<-- [start:numpy-preprocessing]
    mean, std = np.array(MEAN, np.float32), np.array(STD, np.float32)

    def bilinear_taps(size_in: int, size_out: int):
        """Source rows (or columns) and weights of a half-pixel bilinear resize,
        no antialiasing."""
        position = (np.arange(size_out) + 0.5) * size_in / size_out - 0.5
        position = np.clip(position, 0, size_in - 1)
        low = np.floor(position).astype(np.intp)
        high = np.minimum(low + 1, size_in - 1)
        return low, high, (position - low).astype(np.float32)

    def preprocess(frame: np.ndarray) -> np.ndarray:
        """A camera's u8 BGR HWC frame -> the model's f32 RGB NCHW input, normalized."""
        r0, r1, fr = bilinear_taps(frame.shape[0], height)
        c0, c1, fc = bilinear_taps(frame.shape[1], width)
        # Resize first, reading only the rows it needs: the later steps see
        # height x width pixels.
        rows = frame[r0] * (1 - fr)[:, None, None] + frame[r1] * fr[:, None, None]
        resized = (rows[:, c0] * (1 - fc)[None, :, None]
                   + rows[:, c1] * fc[None, :, None])
        rgb = resized[..., ::-1]  # BGR -> RGB
        return ((rgb - mean) / std).transpose(2, 0, 1)[np.newaxis]
    # --8<-- [end:numpy-preprocessing]

    # --8<-- [start:build-preprocessing]
    def with_preprocessing(model: ov.Model, frame_height: int, frame_width: int,
                           resize_first: bool = True) -> ov.Model:
        """The model, taking the camera's frames as they come: every step above is
        inside it."""
        # build() changes this model in place and returns it.
        ppp = PrePostProcessor(model)
        # What the application hands over: one u8 BGR frame, height x width x channels.
        (ppp.input().tensor()
            .set_element_type(ov.Type.u8)
            .set_layout(ov.Layout("NHWC"))
            .set_color_format(ColorFormat.BGR)
            .set_spatial_static_shape(frame_height, frame_width))
        # What the network was trained on: f32 NCHW, at its own size.
        ppp.input().model().set_layout(ov.Layout("NCHW"))
        # The steps in between. Each runs on the tensor as the step before left it,
        # so resizing first makes every later step touch height x width pixels
        # instead of the whole frame.
        steps = ppp.input().preprocess()
        if resize_first:
            (steps.resize(ResizeAlgorithm.RESIZE_LINEAR)
                .convert_color(ColorFormat.RGB)
                .convert_element_type(ov.Type.f32))
        else:  # the order a numpy pipeline is usually written in
            (steps.convert_element_type(ov.Type.f32)
                .convert_color(ColorFormat.RGB)
                .resize(ResizeAlgorithm.RESIZE_LINEAR))
        # The layout change to NCHW is added where it is needed.
        steps.mean(MEAN).scale(STD)
        return ppp.build()

    camera_model = with_preprocessing(core.read_model(model_path), *CAMERA)
    print(f"the model with preprocessing takes: {camera_model.input(0)}")
    # --8<-- [end:build-preprocessing]
    result["camera_model_input"] = {"type": camera_model.input(0).get_element_type().get_type_name(),
                                    "shape": list(camera_model.input(0).shape)}

    # --8<-- [start:end-to-end]
    config = {hints.performance_mode: hints.PerformanceMode.LATENCY}
    f32_request = core.compile_model(model, device, config).create_infer_request()
    camera_request = (core.compile_model(camera_model, device, config)
                      .create_infer_request())

    rng = np.random.default_rng(0)
    camera_frames = [rng.integers(0, 256, (*CAMERA, 3), dtype=np.uint8)
                     for _ in range(4)]

    def ms_per_frame(step) -> float:
        """Median time of ``step`` on a frame: one busy moment of the machine does
        not move it."""
        # The first inference is slower: keep it out of the timing.
        step(camera_frames[0])
        times = []
        for i in range(frames):
            start = time.perf_counter()
            step(camera_frames[i % len(camera_frames)])
            times.append(time.perf_counter() - start)
        return float(np.median(times)) * 1000

    numpy_ms = ms_per_frame(lambda frame: f32_request.infer({0: preprocess(frame)}))
    in_model_ms = ms_per_frame(
        lambda frame: camera_request.infer({0: frame[np.newaxis]}))
    print(f"end to end, numpy preprocessing + f32 model: "
          f"{1000 / numpy_ms:.1f} frames/s")
    print(f"end to end, u8 frames into the model with preprocessing: "
          f"{1000 / in_model_ms:.1f} frames/s")
    # --8<-- [end:end-to-end]
    result["numpy_end_to_end_ms"] = numpy_ms
    result["in_model_end_to_end_ms"] = in_model_ms
    result["numpy_end_to_end_fps"] = 1000 / numpy_ms
    result["in_model_end_to_end_fps"] = 1000 / in_model_ms

    # --8<-- [start:where-the-time-goes]
    preprocess_ms = ms_per_frame(preprocess)
    small_input = preprocess(camera_frames[0])
    inference_ms = ms_per_frame(lambda frame: f32_request.infer({0: small_input}))
    numpy_order_model = with_preprocessing(
        core.read_model(model_path), *CAMERA, resize_first=False)
    numpy_order_request = (core.compile_model(numpy_order_model, device, config)
                           .create_infer_request())
    resize_last_ms = ms_per_frame(
        lambda frame: numpy_order_request.infer({0: frame[np.newaxis]}))
    print(f"numpy preprocessing alone: {preprocess_ms:.1f} ms, "
          f"inference alone: {inference_ms:.1f} ms")
    print(f"in the model, resizing first: {in_model_ms:.1f} ms a frame; "
          f"resizing last: {resize_last_ms:.1f} ms")
    # --8<-- [end:where-the-time-goes]
    result["numpy_preprocess_ms"] = preprocess_ms
    result["inference_only_ms"] = inference_ms
    result["in_model_resize_last_ms"] = resize_last_ms
    result["in_model_resize_last_fps"] = 1000 / resize_last_ms

    # --8<-- [start:save]
    with tempfile.TemporaryDirectory() as folder:
        saved_path = Path(folder) / "camera_model.xml"
        # compress_to_fp16=False keeps the f32 weights as they are (the default
        # stores them as f16).
        ov.save_model(camera_model, saved_path, compress_to_fp16=False)
        reloaded = core.read_model(saved_path)
        print(f"saved and read back, it still takes: {reloaded.input(0)}")
        reloaded_output = (core.compile_model(reloaded, device, config)
                           .create_infer_request()
                           .infer({0: camera_frames[0][np.newaxis]})[0])
    # --8<-- [end:save]
    result["saved_model_input"] = {"type": reloaded.input(0).get_element_type().get_type_name(),
                                   "shape": list(reloaded.input(0).shape)}
    same_config_output = camera_request.infer({0: camera_frames[0][np.newaxis]})[0]
    result["saved_vs_in_memory_max_abs"] = float(np.abs(reloaded_output - same_config_output).max())

    # Checks, not shown: do both routes compute the same thing? Run both in f32 (ACCURACY mode) so
    # that the device's lower default precision does not blur a comparison of the preprocessing.
    exact = {hints.execution_mode: hints.ExecutionMode.ACCURACY}
    f32_exact = core.compile_model(model, device, exact).create_infer_request()

    def largest_difference(ppp_model: ov.Model, test_frames: list[np.ndarray]) -> tuple[float, float]:
        request = core.compile_model(ppp_model, device, exact).create_infer_request()
        by_numpy = np.stack([f32_exact.infer({0: preprocess(f)})[0] for f in test_frames])
        by_model = np.stack([request.infer({0: f[np.newaxis]})[0] for f in test_frames])
        agree = float(np.mean(by_model.argmax(-1) == by_numpy.argmax(-1)))
        return float(np.abs(by_model - by_numpy).max()), agree

    # 1. Frames already at the model's size: the resize is the identity, so the routes differ only
    #    in the order of floating-point operations.
    small_frames = [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(2)]
    result["identity_resize_max_abs"], _ = largest_difference(
        with_preprocessing(core.read_model(model_path), height, width), small_frames)
    # 2. Camera frames, resized last (in f32): the same half-pixel bilinear formula as the numpy
    #    code, but OpenVINO's kernel sums in its own order: they differ by rounding.
    result["camera_f32_resize_max_abs"], result["camera_f32_resize_top1_agreement"] = \
        largest_difference(numpy_order_model, camera_frames)
    # 3. Camera frames, resized first (in u8): each resized pixel is rounded to a whole grey level,
    #    up to half a level (0.5 / 57 after scaling) away from the numpy code's f32 value.
    result["camera_u8_resize_max_abs"], result["camera_u8_resize_top1_agreement"] = \
        largest_difference(camera_model, camera_frames)
    result["output_scale"] = float(np.abs(f32_exact.infer({0: small_input})[0]).max())
    print(f"largest output difference from the numpy route (both run in f32): "
          f"{result['identity_resize_max_abs']:.1e} for {height}x{width} frames; from "
          f"{CAMERA[0]}x{CAMERA[1]} frames {result['camera_f32_resize_max_abs']:.1e} resizing in f32, "
          f"{result['camera_u8_resize_max_abs']:.1e} resizing in u8 (output values reach "
          f"{result['output_scale']:.1f})")
    return result


if __name__ == "__main__":
    snippet_main(main, default_model=MODEL)
