"""Heterogeneous execution: which device runs which operation, how HETERO splits a model into
subgraphs, and what a split costs.

Run it yourself:  python snippets/guide/hetero.py --device HETERO:CPU --model mobilenet
(``--device GPU`` runs ``HETERO:GPU,CPU``; ``--model`` also takes your own .xml or .onnx image
model with one static input.)
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

DEVICES = ("HETERO",)  # the tests run it on HETERO over every real device (HETERO:CPU here)
MODEL = "mobilenet"  # small and convolution-heavy: the splits below are easy to follow
RUNS = 20  # timed inferences per configuration and round (after a warm-up)
ROUNDS = 3  # interleaved rounds; the best median of each configuration is kept


def hetero_device(device: str) -> str:
    """``HETERO:...`` as given, or HETERO built over a real device (``GPU`` -> ``HETERO:GPU,CPU``)."""
    if device.startswith("HETERO"):
        return device
    if device.split(":")[0] in ("AUTO", "MULTI", "BATCH"):
        raise UsageError(f"this page is about HETERO over real devices, not {device}")
    return "HETERO:CPU" if device.startswith("CPU") else f"HETERO:{device},CPU"


def main(device: str, model: str, runs: int = RUNS, rounds: int = ROUNDS) -> dict:
    """Run every example of the Heterogeneous execution page and return what it observed."""
    model_path = model
    device = hetero_device(device)
    result: dict = {"device": device}

    # --8<-- [start:query]
    core = ov.Core()
    model = core.read_model(model_path)

    # {operation name: device that would run it}
    supported = core.query_model(model, device)
    per_device = Counter(supported.values())
    print(f"{device}: "
          + ", ".join(f"{n} operations on {d}" for d, n in per_device.items()))
    nowhere = [op.get_friendly_name() for op in model.get_ops()
               if op.get_friendly_name() not in supported]
    print(f"operations no device in the list supports: {len(nowhere)}")
    # --8<-- [end:query]
    result["query_per_device"] = dict(per_device)
    result["model_operations"] = len(model.get_ops())
    result["unsupported_operations"] = len(nowhere)
    if len(model.inputs) != 1 or model.input(0).get_partial_shape().is_dynamic:
        raise UsageError(f"this page needs a model with one static input: {model_path}")
    frame = np.random.default_rng(0).random(tuple(model.input(0).shape), dtype=np.float32)

    # --8<-- [start:fallback]
    # The order of the list is the fallback order: the first device takes every
    # operation it supports, the next one takes what is left, and so on.
    # Two ways to say the same thing:
    compiled = core.compile_model(model, device)  # e.g. "HETERO:GPU,CPU"
    priorities = device.split(":", 1)[1]
    same = core.compile_model(model, "HETERO", {props.device.priorities: priorities})

    for each in (compiled, same):
        print(f"runs on {each.get_property(props.execution_devices)} in "
              f"{each.get_property('HETERO_NUMBER_OF_SUBMODELS')} subgraph(s)")
    # --8<-- [end:fallback]
    result["execution_devices"] = list(compiled.get_property(props.execution_devices))
    result["priorities_execution_devices"] = list(same.get_property(props.execution_devices))
    result["submodels"] = compiled.get_property("HETERO_NUMBER_OF_SUBMODELS")
    result["priorities_submodels"] = same.get_property("HETERO_NUMBER_OF_SUBMODELS")
    reference = compiled.create_infer_request().infer({0: frame})[0].copy()

    # --8<-- [start:gpu-then-cpu]
    if "GPU" in core.available_devices:
        on_gpu = core.query_model(model, "HETERO:GPU,CPU")
        left_to_cpu = sorted({model_op.get_type_name() for model_op in model.get_ops()
                              if on_gpu.get(model_op.get_friendly_name()) == "CPU"})
        print(f"HETERO:GPU,CPU: {Counter(on_gpu.values())}; "
              f"the CPU takes: {left_to_cpu}")
        gpu_then_cpu = core.compile_model(model, "HETERO:GPU,CPU")
        print(f"{gpu_then_cpu.get_property('HETERO_NUMBER_OF_SUBMODELS')} "
              f"subgraph(s) on {gpu_then_cpu.get_property(props.execution_devices)}")
    # --8<-- [end:gpu-then-cpu]
    result["gpu_section_ran"] = "GPU" in core.available_devices

    # --8<-- [start:runtime-model]
    runtime = compiled.get_runtime_model()  # the graph the devices really execute
    executed = sorted(runtime.get_ordered_ops(),
                      key=lambda op: int(op.get_rt_info()["execOrder"].astype(str)))
    layer_types = Counter(op.get_rt_info()["layerType"].astype(str) for op in executed)
    precisions = Counter(
        op.get_rt_info()["runtimePrecision"].astype(str) for op in executed
    )
    print(f"{len(executed)} executed nodes; most common: {layer_types.most_common(4)}")
    print(f"runtime precisions: {dict(precisions)}")
    for op in executed[:3]:
        info = op.get_rt_info()
        print(f"  #{info['execOrder'].astype(str)} {op.get_friendly_name()}: "
              f"{info['layerType'].astype(str)} in "
              f"{info['runtimePrecision'].astype(str)}")
    # --8<-- [end:runtime-model]
    result["runtime_nodes"] = len(executed)
    result["runtime_rt_info_keys"] = sorted({key for op in executed for key in op.get_rt_info().keys()})
    result["runtime_exec_orders_unique"] = len({op.get_rt_info()["execOrder"].astype(str)
                                                for op in executed}) == len(executed)
    result["runtime_reorders"] = layer_types["Reorder"]

    # --8<-- [start:stand-in]
    # Seeing a split needs two devices. Where there is no GPU, register the CPU plugin
    # a second time under another name: HETERO then treats SECONDCPU and CPU as two
    # devices.
    if "GPU" in core.available_devices:
        accelerator = "GPU"
    else:
        # A plugin's registered name must contain its own ("CPU").
        accelerator = "SECONDCPU"
        core.register_plugin("openvino_intel_cpu_plugin", accelerator)
    split_device = f"HETERO:{accelerator},CPU"
    # --8<-- [end:stand-in]
    result["accelerator"] = accelerator

    # --8<-- [start:affinity]
    def with_affinity(choose) -> ov.Model:
        """A fresh copy of the model with every operation's device set by hand:
        choose(op, the device HETERO would pick) -> device. Set all of them: HETERO uses
        manual affinities only when every operation has one."""
        assigned = core.read_model(model_path)
        automatic = core.query_model(assigned, split_device)
        for op in assigned.get_ops():
            op.get_rt_info()["affinity"] = choose(op, automatic[op.get_friendly_name()])
        return assigned

    # Few, big subgraphs: the convolutions on the accelerator, the small classifier
    # head (what follows the last convolution) on the CPU.
    ops = model.get_ordered_ops()
    last_conv = max(
        i for i, op in enumerate(ops) if op.get_type_name() == "Convolution"
    )
    head = {op.get_friendly_name() for op in ops[last_conv + 1:]}
    head_on_cpu = core.compile_model(
        with_affinity(
            lambda op, automatic: "CPU" if op.get_friendly_name() in head else automatic
        ),
        split_device)
    print(f"head on the CPU: "
          f"{head_on_cpu.get_property('HETERO_NUMBER_OF_SUBMODELS')} subgraphs "
          f"on {head_on_cpu.get_property(props.execution_devices)}")
    # --8<-- [end:affinity]
    result["few_execution_devices"] = list(head_on_cpu.get_property(props.execution_devices))

    # --8<-- [start:granularity]
    # Many, small subgraphs: every activation (Clamp, the ReLU6 after most convolutions)
    # on the CPU, everything else on the accelerator: data crosses devices twice per
    # activation.
    activations_on_cpu = core.compile_model(
        with_affinity(
            lambda op, automatic: "CPU" if op.get_type_name() == "Clamp" else automatic
        ),
        split_device)

    def median_ms(compiled_model: ov.CompiledModel) -> float:
        request = compiled_model.create_infer_request()
        request.infer({0: frame})  # warm-up
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            request.infer({0: frame})
            times.append((time.perf_counter() - start) * 1000)
        return float(np.median(times))

    splits = {"one device": compiled, "head on the CPU": head_on_cpu,
              "activations on the CPU": activations_on_cpu}
    best_ms = dict.fromkeys(splits, float("inf"))
    # Alternate, so a burst of load on the machine does not favour one.
    for _ in range(rounds):
        for label, each in splits.items():
            best_ms[label] = min(best_ms[label], median_ms(each))
    measured = {}
    for label, each in splits.items():
        reorders = Counter(
            op.get_rt_info()["layerType"].astype(str)
            for op in each.get_runtime_model().get_ordered_ops()
        )["Reorder"]
        subgraphs = each.get_property("HETERO_NUMBER_OF_SUBMODELS")
        measured[label] = (subgraphs, reorders, best_ms[label])
        print(f"{label:<23} {subgraphs:>3} subgraph(s), {reorders:>3} Reorder nodes, "
              f"median {best_ms[label]:.2f} ms")
    # --8<-- [end:granularity]
    for key, label in (("one_device", "one device"), ("few", "head on the CPU"),
                       ("many", "activations on the CPU")):
        result[f"{key}_submodels"], result[f"{key}_reorders"], result[f"{key}_ms"] = measured[label]
    few_out = head_on_cpu.create_infer_request().infer({0: frame})[0]
    many_out = activations_on_cpu.create_infer_request().infer({0: frame})[0]
    result["few_vs_one_device_max_abs"] = float(np.abs(few_out - reference).max())
    result["many_vs_one_device_max_abs"] = float(np.abs(many_out - reference).max())
    result["output_scale"] = float(np.abs(reference).max())

    # --8<-- [start:pipeline-parallel]
    # Pipeline parallelism: HETERO cuts the model into consecutive stages sized to each
    # device's memory, for a model too big for one device (a large language model over
    # two GPUs).
    pipelined = core.compile_model(model, split_device, {
        hints.model_distribution_policy: {
            hints.ModelDistributionPolicy.PIPELINE_PARALLEL,
        },
    })
    print(f"PIPELINE_PARALLEL: "
          f"{pipelined.get_property('HETERO_NUMBER_OF_SUBMODELS')} subgraph(s) on "
          f"{pipelined.get_property(props.execution_devices)}")
    # --8<-- [end:pipeline-parallel]
    result["pipeline_submodels"] = pipelined.get_property("HETERO_NUMBER_OF_SUBMODELS")
    result["pipeline_execution_devices"] = list(pipelined.get_property(props.execution_devices))
    policy = core.get_property("HETERO", hints.model_distribution_policy)
    result["hetero_default_distribution_policy"] = sorted(str(p).split(".")[-1] for p in policy)
    pipe_out = pipelined.create_infer_request().infer({0: frame})[0]
    result["pipeline_vs_one_device_max_abs"] = float(np.abs(pipe_out - reference).max())
    return result


if __name__ == "__main__":
    snippet_main(main, default_model=MODEL)
