"""From the legacy API: today's equivalent of every Inference Engine name the old optimization
guides use, one small section per mapping, each read back; and proof that the removed names are
gone.

Run it yourself:  python snippets/guide/legacy.py --device CPU --model mobilenet
(``--model`` also takes your own .xml or .onnx image model with one static f32 NCHW input.)
"""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path

import numpy as np
import openvino as ov
import openvino.properties as props
import openvino.properties.device as device_props
import openvino.properties.hint as hints
import openvino.properties.intel_gpu.hint as intel_gpu_hint
from openvino.preprocess import PrePostProcessor

from perfguide.errors import UsageError
from perfguide.snippet import snippet_main

DEVICES = ("CPU",)  # most legacy keys were CPU keys; the GPU and NPU rows are guarded sections
MODEL = "mobilenet"

# Names the legacy guides use that must be gone today (checked, not assumed).
REMOVED_MODULES = ("openvino.inference_engine", "openvino.runtime", "openvino.tools.mo")
REMOVED_DEVICES = ("MYRIAD", "HDDL", "FPGA", "HETERO:FPGA,CPU")
REMOVED_CPU_KEYS = {"CPU_THROUGHPUT_STREAMS": "2", "CPU_THREADS_NUM": "1", "ENFORCE_BF16": "NO"}


def _last_line(error: Exception) -> str:
    return str(error).strip().splitlines()[-1].strip()


def main(device: str, model: str) -> dict:
    """Run every mapping of the From the legacy API page on ``device`` and return what it observed."""
    model_path = model
    result: dict = {"device": device}
    if device.split(":")[0].split(".")[0] != "CPU":
        raise UsageError(f"this page's examples read back CPU settings: use --device CPU, not {device}")

    # --8<-- [start:core]
    # InferenceEngine::Core
    core = ov.Core()
    # Core::ReadNetwork -> CNNNetwork
    model = core.read_model(model_path)
    # Core::LoadNetwork -> ExecutableNetwork
    compiled = core.compile_model(model, device)
    # ExecutableNetwork::CreateInferRequest
    request = compiled.create_infer_request()
    # --8<-- [end:core]
    port = model.input(0)
    shape = port.get_partial_shape()
    if len(model.inputs) != 1 or shape.is_dynamic or port.get_element_type() != ov.Type.f32 \
            or shape.rank.get_length() != 4:
        raise UsageError(f"this page needs a model with one static f32 NCHW input: {model_path}")
    rng = np.random.default_rng(0)
    frame = rng.random(tuple(port.shape), dtype=np.float32)

    # --8<-- [start:get-blob]
    input_tensor = request.get_input_tensor(0)  # InferRequest::GetBlob(input name)
    # write into the memory the request allocated for the device
    input_tensor.data[:] = frame
    request.infer()  # InferRequest::Infer
    scores = request.get_output_tensor(0).data.copy()  # GetBlob(output name)
    print(f"GetBlob -> get_input_tensor: input {input_tensor.shape}, "
          f"output {scores.shape}")
    # --8<-- [end:get-blob]
    result["get_blob_output_shape"] = list(scores.shape)

    # --8<-- [start:set-blob]
    # InferRequest::SetBlob(input name, blob)
    request.set_input_tensor(0, ov.Tensor(frame))
    request.infer()
    same = np.array_equal(request.get_output_tensor(0).data, scores)
    print(f"SetBlob -> set_input_tensor: same scores: {same}")
    # --8<-- [end:set-blob]
    result["set_blob_same_output"] = bool(same)

    # --8<-- [start:u8-input]
    # InputInfo::setPrecision(Precision::U8): the model takes bytes,
    # the conversion runs inside it
    ppp = PrePostProcessor(core.read_model(model_path))
    ppp.input(0).tensor().set_element_type(ov.Type.u8)
    ppp.input(0).preprocess().convert_element_type(ov.Type.f32)
    u8_compiled = core.compile_model(ppp.build(), device)
    print(f"Precision::U8 -> PrePostProcessor: input type "
          f"{u8_compiled.input(0).get_element_type().get_type_name()}")
    # --8<-- [end:u8-input]
    result["u8_input_type"] = u8_compiled.input(0).get_element_type().get_type_name()
    u8_frame = rng.integers(0, 256, size=tuple(port.shape), dtype=np.uint8)
    u8_out = u8_compiled.create_infer_request().infer({0: u8_frame})[0]
    f32_out = compiled.create_infer_request().infer({0: u8_frame.astype(np.float32)})[0]
    result["u8_vs_f32_max_abs"] = float(np.abs(u8_out - f32_out).max())
    result["u8_output_scale"] = float(np.abs(f32_out).max())

    # --8<-- [start:streams]
    # benchmark_app -nstreams 2, or the CPU_THROUGHPUT_STREAMS /
    # KEY_GPU_THROUGHPUT_STREAMS keys
    two_streams = core.compile_model(model, device, {props.streams.num: 2})
    print(f"-nstreams 2 -> props.streams.num: "
          f"{two_streams.get_property(props.streams.num)} streams")
    # --8<-- [end:streams]
    result["streams_read_back"] = two_streams.get_property(props.streams.num)

    # --8<-- [start:threads]
    # KEY_CPU_THREADS_NUM (OMP_NUM_THREADS never had an effect: OpenVINO uses TBB)
    one_thread = core.compile_model(model, "CPU", {props.inference_num_threads: 1})
    print(f"KEY_CPU_THREADS_NUM 1 -> props.inference_num_threads: "
          f"{one_thread.get_property(props.inference_num_threads)}")
    # --8<-- [end:threads]
    result["threads_read_back"] = one_thread.get_property(props.inference_num_threads)

    # --8<-- [start:precision]
    # benchmark_app -enforcebf16=false: keep f32 where the CPU would use bf16 on its own
    f32_only = core.compile_model(
        model, "CPU", {hints.inference_precision: ov.Type.f32})
    print(f"-enforcebf16=false -> hints.inference_precision: "
          f"{f32_only.get_property(hints.inference_precision).get_type_name()}")
    if "BF16" in core.get_property("CPU", device_props.capabilities):
        bf16 = core.compile_model(
            model, "CPU", {hints.inference_precision: ov.Type.bf16})
        print(f"-enforcebf16=true -> hints.inference_precision: "
              f"{bf16.get_property(hints.inference_precision).get_type_name()}")
    # --8<-- [end:precision]
    result["f32_read_back"] = f32_only.get_property(hints.inference_precision).get_type_name()
    result["cpu_has_bf16"] = "BF16" in core.get_property("CPU", device_props.capabilities)
    if result["cpu_has_bf16"]:
        result["bf16_read_back"] = bf16.get_property(hints.inference_precision).get_type_name()

    def heavy_precisions(each: ov.CompiledModel) -> list[str]:
        return sorted({op.get_rt_info()["runtimePrecision"].astype(str)
                       for op in each.get_runtime_model().get_ordered_ops()
                       if op.get_rt_info()["layerType"].astype(str) in ("Convolution", "FullyConnected")})

    result["f32_heavy_layers_ran_in"] = heavy_precisions(f32_only)
    result["default_heavy_layers_ran_in"] = heavy_precisions(compiled)
    if result["cpu_has_bf16"]:
        result["bf16_heavy_layers_ran_in"] = heavy_precisions(bf16)

    # --8<-- [start:gpu-fp16-quantized]
    # ENABLE_FP16_FOR_QUANTIZED_MODELS: the layers an int8 model keeps in floating
    # point run in the GPU's inference precision, f16 by default; ask for f32 to keep
    # them in f32.
    if "GPU" in core.available_devices:
        gpu = core.compile_model(model, "GPU", {hints.inference_precision: ov.Type.f16})
        print(f"GPU inference precision: "
              f"{gpu.get_property(hints.inference_precision).get_type_name()}")
    # --8<-- [end:gpu-fp16-quantized]

    # --8<-- [start:gpu-throttle]
    # KEY_CLDND_PLUGIN_THROTTLE: let the GPU driver poll less,
    # to leave CPU time to others
    if "GPU" in core.available_devices:
        throttled = core.compile_model(model, "GPU", {
            intel_gpu_hint.queue_throttle: intel_gpu_hint.ThrottleLevel.LOW,
        })
        print(f"GPU queue throttle: "
              f"{throttled.get_property(intel_gpu_hint.queue_throttle)}")
    # --8<-- [end:gpu-throttle]
    result["gpu_queue_throttle_name"] = str(intel_gpu_hint.queue_throttle)
    result["gpu_sections_ran"] = "GPU" in core.available_devices

    # --8<-- [start:optimal-requests]
    # ExecutableNetwork::GetMetric(OPTIMAL_NUMBER_OF_INFER_REQUESTS)
    jobs = two_streams.get_property(props.optimal_number_of_infer_requests)
    # was: from openvino.runtime import AsyncInferQueue
    queue = ov.AsyncInferQueue(two_streams, jobs)
    for _ in range(2 * jobs):
        queue.start_async({0: frame})
    queue.wait_all()
    print(f"OPTIMAL_NUMBER_OF_INFER_REQUESTS -> "
          f"props.optimal_number_of_infer_requests: {jobs}")
    # --8<-- [end:optimal-requests]
    result["optimal_requests"] = jobs

    # --8<-- [start:exec-graph]
    # ExecutableNetwork::GetExecGraphInfo: the graph the device really runs,
    # one rt_info per node
    runtime = compiled.get_runtime_model()
    first = runtime.get_ordered_ops()[1].get_rt_info()
    print(f"GetExecGraphInfo -> get_runtime_model: "
          f"{len(runtime.get_ordered_ops())} nodes, e.g. "
          f"{first['layerType'].astype(str)} in "
          f"{first['runtimePrecision'].astype(str)}")
    # --8<-- [end:exec-graph]
    result["exec_graph_nodes"] = len(runtime.get_ordered_ops())

    # --8<-- [start:perf-counters]
    # benchmark_app -pc, KEY_PERF_COUNT and InferRequest::GetPerformanceCounts
    profiled = core.compile_model(model, device, {props.enable_profiling: True})
    profiled_request = profiled.create_infer_request()
    profiled_request.infer({0: frame})  # the first inference also prepares weights...
    profiled_request.infer({0: frame})  # ...so read the counters of the second
    slowest = max(profiled_request.profiling_info, key=lambda info: info.real_time)
    print(f"GetPerformanceCounts -> profiling_info: "
          f"{len(profiled_request.profiling_info)} entries, "
          f"slowest {slowest.node_type} ({slowest.exec_type}) "
          f"{slowest.real_time.total_seconds() * 1e6:.0f} us")
    # --8<-- [end:perf-counters]
    result["profiling_entries"] = len(profiled_request.profiling_info)
    result["profiling_read_back"] = profiled.get_property(props.enable_profiling)

    # --8<-- [start:exclusive]
    # KEY_EXCLUSIVE_ASYNC_REQUESTS is gone.
    # To keep two models from running at the same time, give each one stream and one
    # request, and run them in turn from the application.
    one_at_a_time = {hints.performance_mode: hints.PerformanceMode.LATENCY,
                     hints.num_requests: 1}
    detector = core.compile_model(model, device, one_at_a_time).create_infer_request()
    classifier = core.compile_model(model, device, one_at_a_time).create_infer_request()
    for _ in range(2):
        detector.infer({0: frame})  # synchronous: returns when done...
        classifier.infer({0: frame})  # ...so the two never overlap
    each_model = detector.get_compiled_model()
    print(f"one at a time: {each_model.get_property(props.streams.num)} stream, "
          f"{each_model.get_property(props.optimal_number_of_infer_requests)} "
          "request each")
    # --8<-- [end:exclusive]
    result["one_at_a_time_streams"] = detector.get_compiled_model().get_property(props.streams.num)
    result["one_at_a_time_requests"] = detector.get_compiled_model().get_property(
        props.optimal_number_of_infer_requests)

    # --8<-- [start:model-priority]
    # "No notion of request priorities" is no longer true: models have a priority, and
    # AUTO gives the better device to the higher-priority model when models compete.
    urgent = core.compile_model(
        model, "AUTO", {hints.model_priority: hints.Priority.HIGH})
    print(f"model priority: {urgent.get_property(hints.model_priority)}")
    # --8<-- [end:model-priority]
    result["model_priority_read_back"] = str(urgent.get_property(hints.model_priority)).split(".")[-1]

    # --8<-- [start:npu]
    # MYRIAD (Neural Compute Stick 2), HDDL and FPGA plugins are gone; today's Intel
    # accelerator for low-power inference is the NPU.
    if "NPU" in core.available_devices:
        on_npu = core.compile_model(model, "NPU")
        print(f"NPU runs on {on_npu.get_property(props.execution_devices)}")
    # --8<-- [end:npu]

    # --8<-- [start:hetero-affinity]
    # CNNLayer::affinity = "CPU" (manual HETERO affinity):
    # set it in every operation's rt_info
    pinned = core.read_model(model_path)
    for op in pinned.get_ops():
        op.get_rt_info()["affinity"] = "CPU"
    hetero = core.compile_model(pinned, "HETERO:CPU")
    print(f"HETERO affinity -> rt_info['affinity']: "
          f"runs on {hetero.get_property(props.execution_devices)}")
    # --8<-- [end:hetero-affinity]
    result["hetero_affinity_devices"] = list(hetero.get_property(props.execution_devices))

    # --8<-- [start:multi]
    # MULTI:GPU,CPU -> AUTO:GPU,CPU with the CUMULATIVE_THROUGHPUT hint
    everywhere = core.compile_model(model, "AUTO", {
        hints.performance_mode: hints.PerformanceMode.CUMULATIVE_THROUGHPUT,
    })
    print(f"MULTI -> AUTO + CUMULATIVE_THROUGHPUT: "
          f"runs on {everywhere.get_property(props.execution_devices)}")
    # --8<-- [end:multi]
    result["multi_replacement_devices"] = list(everywhere.get_property(props.execution_devices))

    # --8<-- [start:convert]
    # Model Optimizer (mo) -> ov.convert_model in Python, or the ovc command line.
    # ov.save_model stores weights in f16 by default (compress_to_fp16=False keeps f32).
    onnx_path = Path(model_path).with_suffix(".onnx")
    if onnx_path.exists():
        converted = ov.convert_model(onnx_path)
        with tempfile.TemporaryDirectory() as folder:
            ov.save_model(converted, Path(folder) / "model.xml")
            saved_mib = (Path(folder) / "model.bin").stat().st_size / 2**20
        print(f"mo -> ov.convert_model + ov.save_model: {saved_mib:.1f} MiB of weights")
    # --8<-- [end:convert]
    result["converted"] = onnx_path.exists()
    if onnx_path.exists():
        result["converted_vs_read_max_abs"] = float(np.abs(
            core.compile_model(converted, device).create_infer_request().infer({0: frame})[0]
            - compiled.create_infer_request().infer({0: frame})[0]).max())
        result["output_scale"] = float(np.abs(scores).max())
        result["saved_f16_mib"] = saved_mib
        with tempfile.TemporaryDirectory() as folder:
            ov.save_model(converted, Path(folder) / "model.xml", compress_to_fp16=False)
            result["saved_f32_mib"] = (Path(folder) / "model.bin").stat().st_size / 2**20
        with tempfile.TemporaryDirectory() as folder:
            ov.save_model(converted, Path(folder) / "model.xml")  # the default: f16 weights
            f16_request = core.compile_model(Path(folder) / "model.xml", device, {
                hints.inference_precision: ov.Type.f32}).create_infer_request()
            f32_request = core.compile_model(converted, device, {
                hints.inference_precision: ov.Type.f32}).create_infer_request()
            result["saved_f16_vs_f32_max_abs"] = float(np.abs(
                f16_request.infer({0: frame})[0] - f32_request.infer({0: frame})[0]).max())
            del f16_request

    # The removed column of the page's table, checked: each of these must fail today.
    gone: dict[str, str] = {}
    for module in REMOVED_MODULES:
        try:
            importlib.import_module(module)
        except ImportError as error:
            gone[f"import {module}"] = _last_line(error)
    for name in REMOVED_DEVICES:
        try:
            core.compile_model(model, name)
        except RuntimeError as error:
            gone[f"compile_model(model, {name!r})"] = _last_line(error)
    for key, value in REMOVED_CPU_KEYS.items():
        try:
            core.compile_model(model, "CPU", {key: value})
        except RuntimeError as error:
            gone[f"{key}={value}"] = _last_line(error)
    for what, why in gone.items():
        print(f"gone: {what}: {why}")
    result["gone"] = gone
    # EXCLUSIVE_ASYNC_REQUESTS: no longer a public property (not listed, no Python constant),
    # yet the CPU plugin still accepts the string; recorded so the page can say so truthfully.
    listed = core.get_property("CPU", props.supported_properties)
    result["exclusive_listed"] = "EXCLUSIVE_ASYNC_REQUESTS" in listed
    try:
        exclusive = core.compile_model(model, "CPU", {
            "EXCLUSIVE_ASYNC_REQUESTS": True, hints.performance_mode: hints.PerformanceMode.THROUGHPUT})
        result["exclusive_accepted"] = True
        result["exclusive_streams"] = exclusive.get_property(props.streams.num)
    except RuntimeError:
        result["exclusive_accepted"] = False
    return result


if __name__ == "__main__":
    snippet_main(main, default_model=MODEL)
