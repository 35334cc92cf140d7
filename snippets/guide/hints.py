"""Performance hints: what LATENCY, THROUGHPUT and CUMULATIVE_THROUGHPUT resolve to, read back
from the compiled model, and how they combine with explicit settings.

Run it yourself:  python snippets/guide/hints.py --device CPU --model mobilenet
(``--model`` also takes the path of your own .xml or .onnx model with static input shapes.)
"""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import openvino as ov
import openvino.properties as props
import openvino.properties.hint as hints

from perfguide.errors import UsageError
from perfguide.snippet import snippet_main

MODEL = "mobilenet"  # small: this page compiles the model many times
FRAMES = 48


def _plain(value) -> object:
    """A property value as JSON-able data (enums and element types become their names)."""
    if isinstance(value, int | float | str | bool):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value).split(".")[-1].replace("<Type: '", "").replace("'>", "")


def main(device: str, model: str, frames: int = FRAMES) -> dict:
    """Run every example of the Performance hints page on ``device`` and return what it observed."""
    model_path = model
    result: dict = {"device": device}
    table: list[dict] = []

    # --8<-- [start:read-back]
    core = ov.Core()
    model = core.read_model(model_path)

    def resolved(compiled: ov.CompiledModel) -> dict:
        """What a compiled model settled on. AUTO, HETERO and MULTI do not answer for
        streams or threads themselves: the device they compiled for answers, under
        DEVICE_PROPERTIES."""
        wanted = {"streams": props.streams.num, "threads": props.inference_num_threads,
                  "precision": hints.inference_precision}
        own = compiled.get_property(props.supported_properties)
        if str(props.streams.num) in own:  # a real device answers for itself
            source = {str(key): compiled.get_property(key)
                      for key in wanted.values() if str(key) in own}
        else:  # the first device it compiled for (AUTO may pick several)
            source = next(iter(compiled.get_property(props.device.properties).values()))
        found = {name: source.get(str(key), "n/a") for name, key in wanted.items()}
        if isinstance(found["precision"], ov.Type):
            # bf16, f32; "dynamic": not forced.
            found["precision"] = found["precision"].get_type_name()
        found["requests"] = compiled.get_property(
            props.optimal_number_of_infer_requests)
        found["devices"] = compiled.get_property(props.execution_devices)
        return found

    def ran_in(compiled: ov.CompiledModel) -> str:
        """The precision the heavy layers really run in, from the runtime (executed)
        model."""
        heavy = ("Convolution", "FullyConnected", "MatMul")
        counts = Counter(
            op.get_rt_info()["runtimePrecision"].astype(str)
            for op in compiled.get_runtime_model().get_ordered_ops()
            if op.get_rt_info()["layerType"].astype(str) in heavy
        )
        return ", ".join(sorted(counts))
    # --8<-- [end:read-back]
    for port in model.inputs:
        if port.get_partial_shape().is_dynamic:
            raise UsageError(f"this page needs a model with static input shapes: {model_path}")

    def row(label: str, compiled: ov.CompiledModel) -> dict:
        found = {k: _plain(v) for k, v in resolved(compiled).items()}
        entry = {"configuration": label, **found, "ran_in": ran_in(compiled)}
        table.append(entry)
        return entry

    # --8<-- [start:three-hints]
    for mode in (hints.PerformanceMode.LATENCY, hints.PerformanceMode.THROUGHPUT,
                 hints.PerformanceMode.CUMULATIVE_THROUGHPUT):
        compiled = core.compile_model(model, device, {hints.performance_mode: mode})
        settings = resolved(compiled)
        print(f"{mode.name:<22} streams {settings['streams']}, "
              f"threads {settings['threads']}, precision {settings['precision']}, "
              f"optimal requests {settings['requests']}, on {settings['devices']}")
    # --8<-- [end:three-hints]
        row(mode.name, compiled)

    # --8<-- [start:cumulative-on-auto]
    auto = core.compile_model(model, "AUTO", {
        hints.performance_mode: hints.PerformanceMode.CUMULATIVE_THROUGHPUT,
    })
    print(f"AUTO, CUMULATIVE_THROUGHPUT: "
          f"runs on {auto.get_property(props.execution_devices)}, optimal requests "
          f"{auto.get_property(props.optimal_number_of_infer_requests)}")
    for name, settings in auto.get_property(props.device.properties).items():
        print(f"  {name}: hint {settings['PERFORMANCE_HINT']}, "
              f"streams {settings['NUM_STREAMS']}")
    # --8<-- [end:cumulative-on-auto]
    row("AUTO, CUMULATIVE_THROUGHPUT", auto)
    result["auto_devices"] = _plain(auto.get_property(props.execution_devices))
    result["auto_requests"] = auto.get_property(props.optimal_number_of_infer_requests)
    result["auto_device_hints"] = {
        name: _plain(s["PERFORMANCE_HINT"]) for name, s in auto.get_property(props.device.properties).items()
    }

    # --8<-- [start:num-requests]
    compiled = core.compile_model(model, device, {
        hints.performance_mode: hints.PerformanceMode.THROUGHPUT,
        # "my application never has more than one request in flight"
        hints.num_requests: 1,
    })
    settings = resolved(compiled)
    print(f"THROUGHPUT for 1 request: streams {settings['streams']}, "
          f"optimal requests {settings['requests']}")
    # --8<-- [end:num-requests]
    row("THROUGHPUT, hints.num_requests 1", compiled)

    # --8<-- [start:hint-and-streams]
    explicit_streams = 1
    compiled = core.compile_model(model, device, {
        hints.performance_mode: hints.PerformanceMode.THROUGHPUT,
        # A low-level setting: it wins over the hint's choice.
        props.streams.num: explicit_streams,
    })
    settings = resolved(compiled)
    print(f"THROUGHPUT with streams.num={explicit_streams}: "
          f"streams {settings['streams']}, threads {settings['threads']}, "
          f"optimal requests {settings['requests']}")
    # --8<-- [end:hint-and-streams]
    row(f"THROUGHPUT, streams.num {explicit_streams}", compiled)
    result["explicit_streams"] = explicit_streams
    result["explicit_streams_read_back"] = int(settings["streams"])

    # --8<-- [start:execution-mode]
    for mode in (hints.ExecutionMode.PERFORMANCE, hints.ExecutionMode.ACCURACY):
        compiled = core.compile_model(model, device, {hints.execution_mode: mode})
        print(f"{mode.name:<12} inference precision hint "
              f"{resolved(compiled)['precision']}, "
              f"heavy layers ran in {ran_in(compiled)}")
    # --8<-- [end:execution-mode]
        row(f"execution mode {mode.name}", compiled)

    # --8<-- [start:optimal-requests]
    compiled = core.compile_model(
        model, device, {hints.performance_mode: hints.PerformanceMode.THROUGHPUT}
    )
    optimal = compiled.get_property(props.optimal_number_of_infer_requests)
    inputs = {port: np.random.default_rng(0).random(port.shape, dtype=np.float32)
              for port in compiled.inputs}
    fps = {}
    for jobs in sorted({1, optimal}):
        queue = ov.AsyncInferQueue(compiled, jobs)
        for _ in range(jobs):  # warm each request
            queue.start_async(inputs)
        queue.wait_all()
        start = time.perf_counter()
        for _ in range(frames):
            queue.start_async(inputs)
        queue.wait_all()
        fps[jobs] = frames / (time.perf_counter() - start)
        print(f"THROUGHPUT hint, {jobs} request(s) in flight: {fps[jobs]:.1f} frames/s")
    # --8<-- [end:optimal-requests]
    result["optimal_requests"] = optimal
    result["fps_one_request"] = fps[1]
    result["fps_optimal_requests"] = fps[optimal]

    result["table"] = table
    by_label = {r["configuration"]: r for r in table}
    for key, label in (("latency", "LATENCY"), ("throughput", "THROUGHPUT"),
                       ("cumulative", "CUMULATIVE_THROUGHPUT"),
                       ("one_request", "THROUGHPUT, hints.num_requests 1"),
                       ("performance", "execution mode PERFORMANCE"),
                       ("accuracy", "execution mode ACCURACY")):
        for field in ("streams", "threads", "precision", "requests", "ran_in"):
            result[f"{key}_{field}"] = by_label[label][field]
    return result


if __name__ == "__main__":
    snippet_main(main, default_model=MODEL)
