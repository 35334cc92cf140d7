"""Multi-device execution and AUTO: choosing devices, excluding one, running on all of them at
once with CUMULATIVE_THROUGHPUT, what replaced MULTI, and keeping every device fed.

Run it yourself:  python snippets/guide/auto.py --device AUTO --model mobilenet
(``--device GPU`` runs ``AUTO:GPU``; ``--model`` also takes your own .xml or .onnx image model
with one static input.)
"""

from __future__ import annotations

import time

import numpy as np
import openvino as ov
import openvino.properties as props
import openvino.properties.hint as hints
import openvino.properties.intel_auto as intel_auto

from perfguide.errors import UsageError
from perfguide.snippet import snippet_main

DEVICES = ("AUTO",)  # the tests run it on AUTO over every real device
MODEL = "mobilenet"  # small: the page compiles it a dozen times
FRAMES = 30  # frames per timed round
ROUNDS = 5  # interleaved rounds per configuration; the best is kept


def auto_device(device: str) -> str:
    """``AUTO...`` as given, or AUTO over one real device (``GPU`` -> ``AUTO:GPU``)."""
    if device.startswith("AUTO"):
        return device
    if device.split(":")[0] in ("HETERO", "MULTI", "BATCH"):
        raise UsageError(f"this page is about AUTO over real devices, not {device}")
    return f"AUTO:{device}"


def main(device: str, model: str, frames: int = FRAMES, rounds: int = ROUNDS) -> dict:
    """Run every example of the Multi-device and AUTO page and return what it observed."""
    model_path = model
    device = auto_device(device)
    result: dict = {"device": device}

    # --8<-- [start:select]
    core = ov.Core()
    model = core.read_model(model_path)

    compiled = core.compile_model(model, device)  # "AUTO": AUTO picks among all devices
    print(f"devices here: {core.available_devices}; {device} runs on "
          f"{compiled.get_property(props.execution_devices)}")
    # --8<-- [end:select]
    result["available_devices"] = list(core.available_devices)
    result["select_execution_devices"] = list(compiled.get_property(props.execution_devices))
    if len(model.inputs) != 1 or model.input(0).get_partial_shape().is_dynamic:
        raise UsageError(f"this page needs a model with one static input: {model_path}")
    frame = np.random.default_rng(0).random(tuple(model.input(0).shape), dtype=np.float32)

    # --8<-- [start:priorities]
    # Candidates in priority order, fastest first (here: every GPU, then the CPU).
    # Two ways to say the same thing: in the device name, or with the priorities
    # property.
    candidates = ",".join(
        sorted(core.available_devices, key=lambda name: name.startswith("CPU"))
    )
    by_name = core.compile_model(model, f"AUTO:{candidates}")
    by_property = core.compile_model(
        model, "AUTO", {props.device.priorities: candidates}
    )
    print(f"AUTO:{candidates} runs on {by_name.get_property(props.execution_devices)}; "
          f"priorities read back: {by_property.get_property(props.device.priorities)}")
    # --8<-- [end:priorities]
    result["candidates"] = candidates
    result["by_name_execution_devices"] = list(by_name.get_property(props.execution_devices))
    result["by_property_execution_devices"] = list(by_property.get_property(props.execution_devices))
    result["priorities_read_back"] = by_property.get_property(props.device.priorities)

    # --8<-- [start:exclude]
    # "-CPU" takes the CPU out of AUTO's candidates; only do it where something else
    # is left.
    if any(not name.startswith("CPU") for name in core.available_devices):
        without_cpu = core.compile_model(model, "AUTO:-CPU")
        print(f"AUTO:-CPU runs on {without_cpu.get_property(props.execution_devices)}")
    else:
        print("AUTO:-CPU: skipped, the CPU is the only device here")
    # --8<-- [end:exclude]
    try:
        excluded = core.compile_model(model, "AUTO:-CPU")
        result["exclude_cpu_execution_devices"] = list(excluded.get_property(props.execution_devices))
        result["exclude_cpu_error"] = None
    except RuntimeError as error:
        result["exclude_cpu_execution_devices"] = []
        result["exclude_cpu_error"] = str(error).strip().splitlines()[-1]

    # --8<-- [start:cumulative]
    everywhere = core.compile_model(
        model, device,
        {hints.performance_mode: hints.PerformanceMode.CUMULATIVE_THROUGHPUT})
    # {device: its own settings}
    each_device = everywhere.get_property(props.device.properties)
    print(f"CUMULATIVE_THROUGHPUT runs on "
          f"{everywhere.get_property(props.execution_devices)}, "
          f"wants {everywhere.get_property(props.optimal_number_of_infer_requests)} "
          "requests in flight")
    for name, settings in each_device.items():
        print(f"  {name}: {settings.get('PERFORMANCE_HINT')}, "
              f"{settings.get('OPTIMAL_NUMBER_OF_INFER_REQUESTS')} requests")
    # --8<-- [end:cumulative]
    result["cumulative_execution_devices"] = list(everywhere.get_property(props.execution_devices))
    result["cumulative_requests"] = everywhere.get_property(props.optimal_number_of_infer_requests)
    result["cumulative_per_device_requests"] = {
        name: int(settings["OPTIMAL_NUMBER_OF_INFER_REQUESTS"]) for name, settings in each_device.items()}
    result["cumulative_per_device_hints"] = {
        name: str(settings["PERFORMANCE_HINT"]) for name, settings in each_device.items()}

    # --8<-- [start:schedule-policy]
    # The policy that decides which device a request goes to, as compiled by default:
    default_policy = everywhere.get_property(intel_auto.schedule_policy)
    print(f"default schedule policy: {default_policy}")
    # ROUND_ROBIN hands the requests to the devices in turn instead.
    in_turn = core.compile_model(
        model, f"AUTO:{candidates}",
        {hints.performance_mode: hints.PerformanceMode.CUMULATIVE_THROUGHPUT,
         intel_auto.schedule_policy: intel_auto.SchedulePolicy.ROUND_ROBIN})
    print(f"asked for: {in_turn.get_property(intel_auto.schedule_policy)}")
    # --8<-- [end:schedule-policy]
    for key, compiled_policy in (("default", everywhere), ("read_back", in_turn)):
        policy = compiled_policy.get_property(intel_auto.schedule_policy)
        result[f"schedule_policy_{key}"] = str(policy).split(".")[-1]

    # --8<-- [start:model-priority]
    # Which devices take props.hint.model_priority? Each lists what it supports.
    takes_priority = {}
    for name in [*core.available_devices, "AUTO", "MULTI", "HETERO", "BATCH"]:
        supported = core.get_property(name, props.supported_properties)
        takes_priority[name] = props.hint.model_priority() in supported
    print("model_priority accepted by: "
          + ", ".join(name for name, takes in takes_priority.items() if takes))
    # AUTO uses it to give the high-priority model the best device.
    urgent = core.compile_model(model, "AUTO",
                                {props.hint.model_priority: props.hint.Priority.HIGH})
    print(f"AUTO read back: {urgent.get_property(props.hint.model_priority)}")
    # --8<-- [end:model-priority]
    result["model_priority_devices"] = [name for name, takes in takes_priority.items() if takes]
    result["model_priority_refused_by"] = [name for name, takes in takes_priority.items()
                                           if not takes]
    result["model_priority_read_back"] = str(urgent.get_property(props.hint.model_priority))

    # --8<-- [start:multi]
    # Still accepted; AUTO replaces it.
    legacy = core.compile_model(model, f"MULTI:{candidates}")
    modern = core.compile_model(
        model, f"AUTO:{candidates}",
        {hints.performance_mode: hints.PerformanceMode.CUMULATIVE_THROUGHPUT})
    for name, each in (("MULTI", legacy), ("AUTO, CUMULATIVE_THROUGHPUT", modern)):
        print(f"{name:<28} runs on {each.get_property(props.execution_devices)}, "
              f"{each.get_property(props.optimal_number_of_infer_requests)} requests, "
              f"hint {each.get_property(hints.performance_mode)}")
    # --8<-- [end:multi]
    result["multi_execution_devices"] = list(legacy.get_property(props.execution_devices))
    result["multi_requests"] = legacy.get_property(props.optimal_number_of_infer_requests)
    result["multi_hint"] = str(legacy.get_property(hints.performance_mode)).split(".")[-1]
    result["modern_execution_devices"] = list(modern.get_property(props.execution_devices))
    result["modern_requests"] = modern.get_property(props.optimal_number_of_infer_requests)
    result["multi_plugin"] = core.get_versions("MULTI")["MULTI"].description
    # MULTI reads back THROUGHPUT whatever it was given; the devices underneath got the real hint.
    multi_latency = core.compile_model(model, f"MULTI:{candidates}",
                                       {hints.performance_mode: hints.PerformanceMode.LATENCY})
    read_back = multi_latency.get_property(hints.performance_mode)
    result["multi_latency_hint_read_back"] = str(read_back).split(".")[-1]
    result["multi_latency_device_hints"] = sorted(
        str(settings["PERFORMANCE_HINT"])
        for settings in multi_latency.get_property(props.device.properties).values())
    multi_out = legacy.create_infer_request().infer({0: frame})[0]
    modern_out = modern.create_infer_request().infer({0: frame})[0]
    result["multi_vs_auto_max_abs"] = float(np.abs(multi_out - modern_out).max())
    result["output_scale"] = float(np.abs(modern_out).max())

    # --8<-- [start:frames-per-second]
    def frames_per_second(compiled_model: ov.CompiledModel, frames: int) -> float:
        """Keep as many requests in flight as the compiled model asks for, started in
        the order they were created."""
        jobs = compiled_model.get_property(props.optimal_number_of_infer_requests)
        requests = [compiled_model.create_infer_request() for _ in range(jobs)]
        for request in requests:  # warm each one up
            request.infer({0: frame})
        start = time.perf_counter()
        for index in range(frames):
            request = requests[index % jobs]  # creation order, round and round
            request.wait()  # its previous frame is done
            request.start_async({0: frame})
        for request in requests:
            request.wait()
        return frames / (time.perf_counter() - start)

    modes = (hints.PerformanceMode.LATENCY, hints.PerformanceMode.THROUGHPUT,
             hints.PerformanceMode.CUMULATIVE_THROUGHPUT)
    by_mode = {mode: core.compile_model(model, device, {hints.performance_mode: mode})
               for mode in modes}
    best = dict.fromkeys(modes, 0.0)
    # Alternate, so a burst of load on the machine does not favour one.
    for _ in range(rounds):
        for mode, each in by_mode.items():
            best[mode] = max(best[mode], frames_per_second(each, frames))
    for mode, each in by_mode.items():
        jobs = each.get_property(props.optimal_number_of_infer_requests)
        print(f"{mode.name:<22} on {each.get_property(props.execution_devices)}: "
              f"{jobs} requests, {best[mode]:.0f} frames/s")
    # --8<-- [end:frames-per-second]
    for mode, each in by_mode.items():
        key = mode.name.lower()
        result[f"{key}_fps"] = best[mode]
        result[f"{key}_requests"] = each.get_property(props.optimal_number_of_infer_requests)
        result[f"{key}_execution_devices"] = list(each.get_property(props.execution_devices))
    return result


if __name__ == "__main__":
    snippet_main(main, default_model=MODEL)
