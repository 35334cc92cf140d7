"""Inference precision: f32, bf16, f16 and int8, their speed and their agreement with f32.

Run it yourself:  python snippets/guide/precision.py --device CPU --model mobilenet
(``--model`` also takes your own .xml or .onnx model with one static f32 input.)
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import hashlib
import io
import json
import time
from contextlib import contextmanager
from pathlib import Path

import nncf
import numpy as np
import openvino as ov
import openvino.opset15 as ops
import openvino.properties as props
import openvino.properties.device as device_props
import openvino.properties.hint as hints

from perfguide.errors import UsageError
from perfguide.snippet import snippet_main
from perfguide.zoo import REPO_ROOT

MODEL = "mobilenet"  # the zoo model this page is written around; --model takes yours
# Small counts keep the page's example quick; the benchmark harness measures for real.
FRAMES = 128  # per precision, for the throughput run
SAMPLES = 32  # random inputs on which each precision is compared with f32
CALIBRATION_SIZE = 12  # NNCF's default is 300 real samples; 12 keeps the example short
HEAVY_LAYERS = ("Convolution", "GroupConvolution", "FullyConnected", "MatMul")


def int8_cache_path(model_path: str) -> Path:
    """Where the int8 copy of a model file is kept: keyed by the file's bytes, NNCF's version
    and the calibration size, so tests on several devices quantize once."""
    source = Path(model_path)
    digest = hashlib.sha256(source.read_bytes())
    if source.suffix.lower() == ".xml":
        digest.update(source.with_suffix(".bin").read_bytes())
    digest.update(f"\0{nncf.__version__}\0{CALIBRATION_SIZE}".encode())
    # A zoo model is <name>-<recipe hash>/model.xml: name its copy after the zoo name.
    label = source.parent.name.rsplit("-", 1)[0] if source.stem == "model" else source.stem
    folder = REPO_ROOT / ".cache" / "int8" / f"{label}-{digest.hexdigest()[:12]}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "model_int8.xml"


@contextmanager
def exclusive(path: Path):
    """Hold a lock beside ``path``: two runs at once quantize once and never read half a file."""
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def main(device: str, model: str, frames: int = FRAMES, samples: int = SAMPLES) -> dict:
    """Run every example of the Inference precision page on ``device``; return what it observed."""
    model_path = model
    result: dict = {"device": device}

    # --8<-- [start:capabilities]
    core = ov.Core()
    model = core.read_model(model_path)
    compiled_model = core.compile_model(model, device)
    for real_device in compiled_model.get_property(props.execution_devices):
        capabilities = core.get_property(real_device, device_props.capabilities)
        default = core.get_property(real_device, hints.inference_precision)
        print(f"{real_device} supports {', '.join(capabilities)}; "
              f"its default inference precision is {default.get_type_name()}")
    # --8<-- [end:capabilities]
    result["execution_devices"] = list(compiled_model.get_property(props.execution_devices))
    result["capabilities"] = list(capabilities)
    result["default_precision"] = default.get_type_name()
    if len(model.inputs) != 1 or model.input(0).partial_shape.is_dynamic or \
            model.input(0).get_element_type() != ov.Type.f32:
        raise UsageError(f"this page needs a model with one static f32 input: {model_path}")

    # --8<-- [start:runs-in]
    def runs_in(compiled_model: ov.CompiledModel) -> str:
        """The precisions the heavy layers really run in, read from the compiled
        model."""
        found = collections.Counter(
            op.get_rt_info()["runtimePrecision"].astype(str)
            for op in compiled_model.get_runtime_model().get_ordered_ops()
            if op.get_rt_info()["layerType"].astype(str) in HEAVY_LAYERS
        )
        return ", ".join(f"{precision} ({count} layers)"
                         for precision, count in found.most_common())
    # --8<-- [end:runs-in]

    # --8<-- [start:precision-hint]
    throughput = {hints.performance_mode: hints.PerformanceMode.THROUGHPUT}
    compiled = {}
    for precision in (ov.Type.f32, ov.Type.bf16, ov.Type.f16):
        name = precision.get_type_name()
        compiled[name] = core.compile_model(
            model, device, {**throughput, hints.inference_precision: precision})
        print(f"asked for {name}: runs in {runs_in(compiled[name])}")
    # --8<-- [end:precision-hint]
    result["runs_in"] = {name: runs_in(c) for name, c in compiled.items()}

    # --8<-- [start:execution-mode]
    input_shape = tuple(model.input(0).shape)
    rng = np.random.default_rng(0)
    sample = rng.random(input_shape, dtype=np.float32)
    outputs = {}
    for mode in (hints.ExecutionMode.ACCURACY, hints.ExecutionMode.PERFORMANCE):
        by_mode = core.compile_model(model, device, {hints.execution_mode: mode})
        outputs[mode] = by_mode.create_infer_request().infer({0: sample})[0]
        print(f"{mode.name}: runs in {runs_in(by_mode)}")
    difference = np.abs(outputs[hints.ExecutionMode.PERFORMANCE]
                        - outputs[hints.ExecutionMode.ACCURACY]).max()
    print(f"largest difference, PERFORMANCE vs ACCURACY: {difference:.4f}")
    # --8<-- [end:execution-mode]
    result["performance_vs_accuracy_max_abs"] = float(difference)
    result["runs_in"]["PERFORMANCE"] = runs_in(by_mode)  # the loop's last mode
    result["runs_in"]["ACCURACY"] = runs_in(
        core.compile_model(model, device, {hints.execution_mode: hints.ExecutionMode.ACCURACY}))

    # --8<-- [start:execution-mode-cost]
    # ACCURACY also turns dynamic quantization off: the on-the-fly int8 of the
    # activations that feed layers with compressed weights. A stack of such layers,
    # like an LLM's after nncf.compress_weights:
    width, tokens = 1024, 32
    mlp_rng = np.random.default_rng(1)
    tokens_in = ops.parameter([tokens, width], ov.Type.f32, name="tokens")
    layer = tokens_in
    for _ in range(8):
        weight = mlp_rng.standard_normal((width, width), dtype=np.float32)
        layer = ops.relu(ops.matmul(layer, ops.constant(weight / np.float32(32)),
                                    transpose_a=False, transpose_b=True))
    with contextlib.redirect_stdout(io.StringIO()):  # not NNCF's progress bar
        int8_weights = nncf.compress_weights(ov.Model([layer], [tokens_in], "mlp"))
    batch = mlp_rng.random((tokens, width), dtype=np.float32)
    modes = {
        "PERFORMANCE": {hints.execution_mode: hints.ExecutionMode.PERFORMANCE},
        "PERFORMANCE, group size 0": {
            hints.execution_mode: hints.ExecutionMode.PERFORMANCE,
            hints.dynamic_quantization_group_size: 0},
        "ACCURACY": {hints.execution_mode: hints.ExecutionMode.ACCURACY},
    }
    compiled_modes = {name: core.compile_model(int8_weights, device, config)
               for name, config in modes.items()}
    best_ms = dict.fromkeys(compiled_modes, float("inf"))
    for _ in range(5):  # interleaved: a busy moment falls on every mode alike
        for name, compiled_mode in compiled_modes.items():
            request = compiled_mode.create_infer_request()
            request.infer({0: batch})  # warm
            start = time.perf_counter()
            for _ in range(10):
                request.infer({0: batch})
            per_call = (time.perf_counter() - start) / 10 * 1000
            best_ms[name] = min(best_ms[name], per_call)
    def group_size(compiled_model: ov.CompiledModel) -> int | None:
        """The group size the device chose; None where it does not say (AUTO)."""
        try:
            return int(compiled_model.get_property(
                hints.dynamic_quantization_group_size))
        except RuntimeError:
            return None

    for name, compiled_mode in compiled_modes.items():
        print(f"{name}: {best_ms[name]:.2f} ms, "
              f"dynamic quantization group size {group_size(compiled_mode)}")
    # --8<-- [end:execution-mode-cost]
    for name, key in (("PERFORMANCE", "performance"), ("ACCURACY", "accuracy")):
        result[f"dq_group_size_{key}"] = group_size(compiled_modes[name])
    result["int8_weights_ms"] = best_ms
    result["int8_weights_accuracy_vs_performance"] = best_ms["ACCURACY"] / best_ms["PERFORMANCE"]
    result["int8_weights_no_dq_vs_performance"] = (
        best_ms["PERFORMANCE, group size 0"] / best_ms["PERFORMANCE"])

    int8_path = int8_cache_path(model_path)
    facts = int8_path.with_name("quantize.json")  # how long the quantization took, for the page
    quantize_s = None
    with exclusive(int8_path):
        # --8<-- [start:quantize] python-only: NNCF, which quantizes the model, is a Python library
        # quantizing takes a while: do it once, keep the int8 IR
        if not int8_path.exists():
            # a real model wants real samples here
            calibration_rng = np.random.default_rng(1)
            calibration = [calibration_rng.random(input_shape, dtype=np.float32)
                           for _ in range(CALIBRATION_SIZE)]
            start = time.perf_counter()
            int8_model = nncf.quantize(model, nncf.Dataset(calibration),
                                       subset_size=CALIBRATION_SIZE)
            quantize_s = time.perf_counter() - start
            print(f"quantized to int8 in {quantize_s:.1f} s "
                  f"from {CALIBRATION_SIZE} samples")
            ov.save_model(int8_model, int8_path)
        compiled["int8"] = core.compile_model(int8_path, device, throughput)
        print(f"int8 model: runs in {runs_in(compiled['int8'])}")
        # --8<-- [end:quantize]
        quantized_here = quantize_s is not None
        if quantized_here:
            facts.write_text(json.dumps({"seconds": quantize_s}))
    if not quantized_here:
        quantize_s = json.loads(facts.read_text())["seconds"] if facts.exists() else float("nan")
        print(f"(int8 model read from {int8_path.parent.name}; quantizing took {quantize_s:.1f} s)")
    result["int8_quantize_s"] = quantize_s
    result["int8_quantized_this_run"] = quantized_here
    result["runs_in"]["int8"] = runs_in(compiled["int8"])

    # --8<-- [start:compare]
    def frames_per_second(compiled_model: ov.CompiledModel, frame: np.ndarray) -> float:
        jobs = compiled_model.get_property(props.optimal_number_of_infer_requests)
        queue = ov.AsyncInferQueue(compiled_model, jobs)
        for _ in range(jobs):  # warm every request once
            queue.start_async({0: frame})
        queue.wait_all()
        start = time.perf_counter()
        for _ in range(frames):
            queue.start_async({0: frame})
        queue.wait_all()
        return frames / (time.perf_counter() - start)

    inputs = [rng.random(input_shape, dtype=np.float32) for _ in range(samples)]

    def outputs_of(compiled_model: ov.CompiledModel) -> np.ndarray:
        request = compiled_model.create_infer_request()
        return np.stack([request.infer({0: x})[0] for x in inputs])

    reference = outputs_of(compiled["f32"])
    print(f"{'precision':<10}{'frames/s':>10}"
          f"{'max abs error':>15}{'top-1 agreement':>17}")
    for name, compiled_model in compiled.items():
        fps = frames_per_second(compiled_model, inputs[0])
        got = outputs_of(compiled_model)
        max_abs = float(np.abs(got - reference).max())
        top1 = float(np.mean(got.argmax(-1) == reference.argmax(-1)))
        print(f"{name:<10}{fps:>10.1f}{max_abs:>15.4f}{top1:>16.0%}")
        # --8<-- [end:compare]
        result[f"{name}_fps"] = fps
        result[f"{name}_max_abs"] = max_abs
        result[f"{name}_top1_agreement"] = top1
        result[f"{name}_mean_abs"] = float(np.abs(got - reference).mean())
    for name in compiled:
        result[f"{name}_speedup"] = result[f"{name}_fps"] / result["f32_fps"]
    # How far apart the best and second-best f32 scores are: a top-1 agreement below 100% means
    # an error larger than that gap.
    ordered = np.sort(reference.reshape(samples, -1), axis=-1)
    result["top2_gap_median"] = float(np.median(ordered[:, -1] - ordered[:, -2]))
    result["output_scale"] = float(np.abs(reference).max())
    result["output_std"] = float(reference.std())
    result["samples"] = samples
    result["frames"] = frames
    result["calibration_size"] = CALIBRATION_SIZE
    return result


if __name__ == "__main__":
    snippet_main(main, default_model=MODEL)
