"""Memory footprint: what reading, compiling, streams and requests cost in resident memory, and
how to give it back.

Run it yourself:  python snippets/guide/memory.py --device CPU --model resnet50
(``--model`` also takes the path of your own .xml or .onnx model.)
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys

import numpy as np
import openvino as ov
import openvino.properties as props
import openvino.properties.hint as hints
import psutil

from perfguide.errors import UsageError
from perfguide.snippet import snippet_main

DEVICES = ("CPU",)  # resident memory of the host process: where the CPU plugin keeps everything
# resnet50: about 100 MB of weights, so what reading and compiling cost stands out.
MODEL = "resnet50"
STREAMS = (1, 2)
REQUESTS = (1, 2, 4)
MIB = 2**20


# --8<-- [start:footprint]
def footprint(
    model_path: str, device: str, mmap: bool, streams: int, requests: int
) -> dict:
    """Resident memory (MiB) added by each step, in a process that has done nothing
    else yet."""
    process = psutil.Process()
    core = ov.Core()
    core.set_property({props.enable_mmap: mmap})
    base, base_file = process.memory_info().rss, process.memory_info().shared
    model = core.read_model(model_path)
    after_read = process.memory_info().rss
    config = {props.streams.num: streams, hints.num_requests: requests}
    compiled = core.compile_model(model, device, config)
    after_compile = process.memory_info().rss
    pool = [compiled.create_infer_request() for _ in range(requests)]
    inputs = {0: np.random.default_rng(0).random(tuple(compiled.input(0).shape),
                                                 dtype=np.float32)}
    for _ in range(2):  # all requests at once, so that every stream runs
        for request in pool:
            request.start_async(inputs)
        for request in pool:
            request.wait()
    after_infer = process.memory_info().rss
    # Pages of files: weights mapped by mmap.
    file_backed = process.memory_info().shared - base_file
    # The peak: VmHWM, this process's high-water mark (Linux). Not ru_maxrss, which
    # a child inherits from the process that started it, fork and exec included.
    with open("/proc/self/status") as status:
        peak = 1024 * next(int(line.split()[1]) for line in status
                           if line.startswith("VmHWM:"))
    return {"read_mib": (after_read - base) / MIB,
            "compile_mib": (after_compile - after_read) / MIB,
            "infer_mib": (after_infer - after_compile) / MIB,
            "total_mib": (after_infer - base) / MIB,
            "file_backed_mib": file_backed / MIB, "peak_mib": (peak - base) / MIB}


def measure(
    model_path: str, device: str, mmap: bool = True, streams: int = 1, requests: int = 1
) -> dict:
    """Run ``footprint`` in a fresh Python process, so that nothing freed earlier is
    reused."""
    done = subprocess.run(
        [sys.executable, __file__, "--footprint", json.dumps(
            [model_path, device, mmap, streams, requests])],
        capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])
# --8<-- [end:footprint]


def main(device: str, model: str) -> dict:
    """Run every example of the Memory footprint page on ``device`` and return what it observed."""
    if device.split(".")[0] != "CPU":
        raise UsageError(f"the memory page measures the CPU device's host memory, not {device!r}")
    model_path = model
    result: dict = {"device": device}
    inputs = ov.Core().read_model(model_path).inputs
    if len(inputs) != 1 or inputs[0].partial_shape.is_dynamic:
        raise UsageError(f"this page needs a model with one static input: {model_path}")

    # --8<-- [start:release]
    process = psutil.Process()
    core = ov.Core()
    before = process.memory_info().rss
    model = core.read_model(model_path)
    compiled_model = core.compile_model(
        model, device, {hints.performance_mode: hints.PerformanceMode.THROUGHPUT})
    requests = [
        compiled_model.create_infer_request()
        for _ in range(
            compiled_model.get_property(props.optimal_number_of_infer_requests)
        )
    ]
    inputs = {0: np.random.default_rng(0).random(tuple(compiled_model.input(0).shape),
                                                 dtype=np.float32)}
    for request in requests:
        request.infer(inputs)
    loaded = process.memory_info().rss
    count = len(requests)

    # Every reference: the model is freed with the last.
    del request, requests, compiled_model, model
    gc.collect()
    released = process.memory_info().rss
    print(f"resident memory: +{(loaded - before) / MIB:.0f} MiB with the model "
          f"compiled and {count} requests run, "
          f"+{(released - before) / MIB:.0f} MiB after releasing them")
    # --8<-- [end:release]
    result["release_requests"] = count
    result["loaded_mib"] = (loaded - before) / MIB
    result["released_mib"] = (released - before) / MIB
    result["given_back_mib"] = (loaded - released) / MIB

    # --8<-- [start:mmap]
    mapped = measure(model_path, device, mmap=True)
    copied = measure(model_path, device, mmap=False)
    for name, step in (("mmap on ", mapped), ("mmap off", copied)):
        print(f"{name}: read_model +{step['read_mib']:.0f} MiB, "
              f"compile_model +{step['compile_mib']:.0f} MiB, "
              f"in all +{step['total_mib']:.0f} MiB "
              f"of which {step['file_backed_mib']:.0f} MiB "
              f"file-backed; peak +{step['peak_mib']:.0f} MiB")
    # --8<-- [end:mmap]
    result["mmap"] = mapped
    result["no_mmap"] = copied
    result.update(mmap_read_mib=mapped["read_mib"], no_mmap_read_mib=copied["read_mib"],
                  mmap_total_mib=mapped["total_mib"], no_mmap_total_mib=copied["total_mib"],
                  mmap_peak_mib=mapped["peak_mib"], no_mmap_peak_mib=copied["peak_mib"],
                  mmap_compile_mib=mapped["compile_mib"], no_mmap_compile_mib=copied["compile_mib"],
                  mmap_file_mib=mapped["file_backed_mib"], no_mmap_file_mib=copied["file_backed_mib"],
                  mmap_anonymous_mib=mapped["total_mib"] - mapped["file_backed_mib"],
                  no_mmap_anonymous_mib=copied["total_mib"] - copied["file_backed_mib"])

    # --8<-- [start:compile-threads]
    try:
        core.compile_model(model_path, device, {props.compilation_num_threads: 1})
        accepted = True
        print(f"{device} accepts compilation_num_threads")
    except RuntimeError as error:  # the plugin names the property it does not take
        accepted = False
        print(f"{device} rejects compilation_num_threads: "
              f"{str(error).strip().splitlines()[-1]}")
    # --8<-- [end:compile-threads]
    result["compile_threads_accepted"] = accepted

    # --8<-- [start:streams-and-requests]
    table = []
    for streams in STREAMS:
        for count in REQUESTS:
            step = mapped if (streams, count) == (1, 1) else measure(
                model_path, device, streams=streams, requests=count)
            table.append({"streams": streams, "requests": count, **step})
            print(f"{streams} stream(s), {count} request(s): "
                  f"+{step['total_mib']:.0f} MiB resident "
                  f"(compile +{step['compile_mib']:.0f}, "
                  f"inference +{step['infer_mib']:.0f}), "
                  f"peak +{step['peak_mib']:.0f} MiB")
    # --8<-- [end:streams-and-requests]
    result["table"] = table
    by = {(row["streams"], row["requests"]): row for row in table}
    result.update(
        s1r1_mib=by[1, 1]["total_mib"], s1r4_mib=by[1, max(REQUESTS)]["total_mib"],
        s2r1_mib=by[2, 1]["total_mib"], s2r4_mib=by[2, max(REQUESTS)]["total_mib"],
        s1r1_peak_mib=by[1, 1]["peak_mib"], s2r4_peak_mib=by[2, max(REQUESTS)]["peak_mib"],
        max_requests=max(REQUESTS))
    result["per_request_mib_one_stream"] = (by[1, max(REQUESTS)]["total_mib"] - by[1, 1]["total_mib"]) / (
        max(REQUESTS) - 1)
    result["extra_mib_s2r4"] = by[2, max(REQUESTS)]["total_mib"] - by[1, 1]["total_mib"]
    result["second_stream_mib"] = by[2, 1]["total_mib"] - by[1, 1]["total_mib"]
    return result


if __name__ == "__main__":
    if sys.argv[1:2] == ["--footprint"]:  # one measurement, started by measure() in a fresh process
        print(json.dumps(footprint(*json.loads(sys.argv[2]))))
    else:
        snippet_main(main, default_model=MODEL)
