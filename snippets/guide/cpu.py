"""CPU checklist: threads, streams, pinning, core types, NUMA, what the CPU can do, and what
happens when the application or a second process wants the same cores.

Run it yourself:  python snippets/guide/cpu.py --device CPU --model mobilenet
(``--model`` also takes the path of your own .xml or .onnx image model.)
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import threading
import time

import numpy as np
import openvino as ov
import openvino.properties as props
import openvino.properties.device as device_props
import openvino.properties.hint as hints
from threadpoolctl import threadpool_limits

from perfguide.environment import isa_flags
from perfguide.errors import UsageError
from perfguide.snippet import snippet_main

DEVICES = ("CPU",)  # every example here is about the CPU plugin
# mobilenet: a few milliseconds per inference, so every comparison below stays quick.
MODEL = "mobilenet"
FRAMES = 40  # per measurement; small counts keep the page quick, the harness measures for real
ROUNDS = 3  # interleaved rounds of each latency measurement; the best median is kept
WORKER_FRAMES = 40  # per process in the two-process example


# --8<-- [start:worker]
def run_worker(model_path: str, threads: int, pinning: bool, frames: int) -> None:
    """One inference process: compile, wait for "go", run ``frames`` inferences."""
    core = ov.Core()
    compiled = core.compile_model(model_path, "CPU", {
        hints.performance_mode: hints.PerformanceMode.LATENCY,
        props.inference_num_threads: threads,  # this process's share of the cores
        hints.enable_cpu_pinning: pinning,
    })
    request = compiled.create_infer_request()
    frame = np.random.default_rng(0).random(tuple(compiled.input(0).shape),
                                            dtype=np.float32)
    request.infer({0: frame})
    print("ready", flush=True)
    sys.stdin.readline()  # every process starts together
    for _ in range(frames):
        request.infer({0: frame})
# --8<-- [end:worker]


def main(device: str, model: str, frames: int = FRAMES) -> dict:
    """Run every example of the CPU checklist on ``device`` and return what it observed."""
    if device.split(".")[0] != "CPU":
        raise UsageError(f"the CPU checklist runs on the CPU device, not {device!r}")
    model_path = model
    result: dict = {"device": device}
    core = ov.Core()
    model = core.read_model(model_path)
    image_input = model.input(0)
    if image_input.partial_shape.is_dynamic or image_input.partial_shape.rank.get_length() != 4:
        raise UsageError(f"this page needs an image model with one static NCHW input: {model_path}")
    frame = np.random.default_rng(0).random(tuple(image_input.shape), dtype=np.float32)

    # --8<-- [start:capabilities]
    print(f"{device}: {core.get_property(device, device_props.full_name)}")
    capabilities = core.get_property(device, device_props.capabilities)
    print(f"  OpenVINO capabilities: {', '.join(capabilities)}")
    print("  default inference precision: "
          f"{core.get_property(device, hints.inference_precision)}")

    cpu_flags = set()
    # Linux: the instruction sets the processor reports
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as cpuinfo:
            cpu_flags = next((set(line.split(":", 1)[1].split()) for line in cpuinfo
                              if line.startswith("flags")), set())
    for flag, meaning in [("avx2", "AVX2"), ("avx512f", "AVX-512"),
                          ("avx512_vnni", "AVX-512 VNNI (int8 dot products)"),
                          ("avx512_bf16", "AVX512_BF16 (bf16 dot products)"),
                          ("avx512_fp16", "AVX512-FP16 (f16 arithmetic)"),
                          ("amx_bf16", "AMX-BF16 (bf16 matrix tiles)"),
                          ("amx_int8", "AMX-INT8 (int8 matrix tiles)")]:
        print(f"  {meaning}: {'yes' if flag in cpu_flags else 'no'}")
    # --8<-- [end:capabilities]
    result["capabilities"] = list(capabilities)
    result["default_precision"] = str(core.get_property(device, hints.inference_precision))
    result["section_flags"] = sorted(cpu_flags)
    result["isa"] = isa_flags()  # the same flags as perfguide.environment records for the machine
    result["has_bf16_instructions"] = "avx512_bf16" in cpu_flags or "amx_bf16" in cpu_flags
    result["has_amx"] = any(f.startswith("amx") for f in cpu_flags)

    # --8<-- [start:threads]
    def median_latency_ms(compiled: ov.CompiledModel, count: int = frames) -> float:
        request = compiled.create_infer_request()
        request.infer({0: frame})  # warm-up
        times = []
        for _ in range(count):
            start = time.perf_counter()
            request.infer({0: frame})
            times.append((time.perf_counter() - start) * 1000)
        return float(np.median(times))

    # The cores this process may use: physical ones (an SMT sibling shares its core's
    # units) within its affinity mask, as a container or taskset limits it. The LATENCY
    # hint gives its single CPU stream exactly these; os.cpu_count() counts neither.
    cores = core.compile_model(
        model, "CPU", {hints.performance_mode: hints.PerformanceMode.LATENCY}
    ).get_property(props.inference_num_threads)
    by_threads = {}
    for threads in sorted({1, cores}):
        compiled = core.compile_model(model, device, {
            hints.performance_mode: hints.PerformanceMode.LATENCY,
            props.inference_num_threads: threads,
        })
        by_threads[threads] = compiled
        print(f"inference_num_threads={threads}: the compiled model uses "
              f"{compiled.get_property(props.inference_num_threads)} thread(s)")
    # Interleave the measurements so that noise from elsewhere hits every setting alike.
    latency = {
        threads: min(median_latency_ms(by_threads[threads]) for _ in range(ROUNDS))
        for threads in by_threads
    }
    for threads, ms in latency.items():
        print(f"  {threads} thread(s): median latency {ms:.2f} ms")
    # --8<-- [end:threads]
    result["cores"] = cores
    result["threads_read_back"] = {str(t): c.get_property(props.inference_num_threads)
                                   for t, c in by_threads.items()}
    result["one_thread_latency_ms"] = latency[1]
    result["all_threads_latency_ms"] = latency[cores]
    del by_threads, compiled

    # --8<-- [start:streams]
    for config in ({hints.performance_mode: hints.PerformanceMode.LATENCY},
                   {hints.performance_mode: hints.PerformanceMode.THROUGHPUT},
                   {props.streams.num: cores}):
        compiled = core.compile_model(model, device, config)
        streams = compiled.get_property(props.streams.num)
        threads = compiled.get_property(props.inference_num_threads)
        print(f"{', '.join(f'{k}={v}' for k, v in config.items())}: "
              f"{streams} stream(s) sharing {threads} thread(s), "
              f"{compiled.get_property(props.optimal_number_of_infer_requests)} "
              "request(s) to keep them busy")
    # --8<-- [end:streams]
    latency_model = core.compile_model(model, device, {hints.performance_mode: hints.PerformanceMode.LATENCY})
    throughput_model = core.compile_model(
        model, device, {hints.performance_mode: hints.PerformanceMode.THROUGHPUT})
    result["latency_hint_streams"] = latency_model.get_property(props.streams.num)
    result["throughput_hint_streams"] = throughput_model.get_property(props.streams.num)
    result["throughput_hint_threads"] = throughput_model.get_property(props.inference_num_threads)
    result["explicit_streams"] = compiled.get_property(props.streams.num)
    del latency_model, throughput_model, compiled

    # --8<-- [start:pinning]
    asked = {
        # let the OS move inference threads between cores
        hints.enable_cpu_pinning: False,
        # use both logical cores of a physical core
        hints.enable_hyper_threading: True,
        # hybrid CPUs only
        hints.scheduling_core_type: hints.SchedulingCoreType.ECORE_ONLY,
    }
    compiled = core.compile_model(model, device, asked)
    for key, value in asked.items():
        print(f"{key}: asked {value}, "
              f"the compiled model uses {compiled.get_property(key)}")
    default = core.compile_model(model, device)
    print("defaults here: "
          + ", ".join(f"{key}={default.get_property(key)}" for key in asked))
    # --8<-- [end:pinning]
    result["pinning"] = {str(k): str(compiled.get_property(k)) for k in asked}
    result["pinning_defaults"] = {str(k): str(default.get_property(k)) for k in asked}
    result["asked_pinning_read_back"] = compiled.get_property(hints.enable_cpu_pinning)
    result["asked_core_type_read_back"] = str(compiled.get_property(hints.scheduling_core_type))
    del compiled, default

    # --8<-- [start:where-threads-run]
    def cpu_sets_while_inferring(compiled: ov.CompiledModel,
                                 count: int = 30) -> set[str]:
        """The CPU sets the process's threads were allowed while inferences ran
        (Linux)."""
        request = compiled.create_infer_request()
        seen, running = set(), threading.Event()

        def watch() -> None:
            while running.is_set():
                for status in glob.glob("/proc/self/task/*/status"):
                    try:
                        with open(status) as lines:
                            seen.update(line.split()[1] for line in lines
                                        if line.startswith("Cpus_allowed_list"))
                    except OSError:  # the thread has just ended
                        pass

        running.set()
        watcher = threading.Thread(target=watch)
        watcher.start()
        for _ in range(count):
            request.infer({0: frame})
        running.clear()
        watcher.join()
        return seen

    for pinning in (True, False):
        compiled = core.compile_model(model, device, {
            hints.performance_mode: hints.PerformanceMode.LATENCY,
            props.inference_num_threads: 1,
            hints.enable_cpu_pinning: pinning,
        })
        cpu_sets = sorted(cpu_sets_while_inferring(compiled))
        print(f"one inference thread, pinning {pinning}: "
              f"CPU sets seen {', '.join(cpu_sets)}")
        # --8<-- [end:where-threads-run]
        result[f"cpu_sets_pinning_{pinning}".lower()] = cpu_sets
    single = [int(s) for s in result["cpu_sets_pinning_true"] if s.isdigit()]
    result["pinned_to_one_cpu"] = bool(single)
    result["pinned_cpu"] = min(single) if single else None
    result["unpinned_single_cpu_sets"] = [s for s in result["cpu_sets_pinning_false"] if s.isdigit()]
    del compiled

    # --8<-- [start:numa]
    sockets = {
        open(path).read().strip()
        for path in glob.glob(
            "/sys/devices/system/cpu/cpu[0-9]*/topology/physical_package_id")
    }
    numa_nodes = glob.glob("/sys/devices/system/node/node[0-9]*")
    print(f"{len(sockets) or '?'} socket(s), {len(numa_nodes) or '?'} NUMA node(s)")
    # TENSOR_PARALLEL spreads each inference's work over every socket instead of
    # keeping it on one. Accepted everywhere; with a single socket there is nothing
    # for it to spread.
    compiled = core.compile_model(model, device, {
        hints.performance_mode: hints.PerformanceMode.LATENCY,
        hints.model_distribution_policy: {
            hints.ModelDistributionPolicy.TENSOR_PARALLEL
        },
    })
    print("model_distribution_policy: "
          f"{compiled.get_property(hints.model_distribution_policy)}")
    # --8<-- [end:numa]
    result["sockets"] = len(sockets)
    result["numa_nodes"] = len(numa_nodes)
    policy = compiled.get_property(hints.model_distribution_policy)
    result["distribution_policy"] = sorted(str(p) for p in policy)
    del compiled

    # --8<-- [start:app-threads]
    def numpy_work(stop: threading.Event, products: list,
                   blas_threads: int | None = None) -> None:
        """The rest of the application: matrix products on numpy's own thread pool,
        which takes every core unless limited (threadpoolctl sets the BLAS library's
        thread count)."""
        matrix = np.random.default_rng(1).random((384, 384))
        with threadpool_limits(limits=blas_threads):
            while not stop.is_set():
                matrix @ matrix
                products.append(1)

    def numpy_alone(seconds: float = 0.25) -> float:
        stop, products = threading.Event(), []
        worker = threading.Thread(target=numpy_work, args=(stop, products))
        worker.start()
        time.sleep(seconds)
        stop.set()
        worker.join()
        return len(products) / seconds

    def inference_fps(compiled: ov.CompiledModel, with_numpy: bool,
                      blas_threads: int | None = None,
                      seconds: float = 0.25) -> tuple[float, float]:
        """Inference frames/s, and numpy products/s beside it (0 without numpy)."""
        request = compiled.create_infer_request()
        request.infer({0: frame})
        stop, products = threading.Event(), []
        worker = threading.Thread(target=numpy_work,
                                  args=(stop, products, blas_threads))
        if with_numpy:
            worker.start()
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            request.infer({0: frame})
            done += 1
        elapsed = time.perf_counter() - start
        stop.set()
        if with_numpy:
            worker.join()
        return done / elapsed, len(products) / elapsed

    half = max(1, cores // 2)
    all_cores = core.compile_model(model, device, {
        hints.performance_mode: hints.PerformanceMode.LATENCY,
    })
    half_cores = core.compile_model(model, device, {
        hints.performance_mode: hints.PerformanceMode.LATENCY,
        props.inference_num_threads: half,
    })
    runs = {
        "inference alone": lambda: inference_fps(all_cores, with_numpy=False),
        "numpy alone": lambda: (0.0, numpy_alone()),
        f"together, inference on {cores} threads":
            lambda: inference_fps(all_cores, with_numpy=True),
        f"together, inference on {half} thread(s)":
            lambda: inference_fps(half_cores, with_numpy=True),
        f"together, inference on {half}, numpy on {cores - half} thread(s)":
            lambda: inference_fps(half_cores, with_numpy=True,
                                  blas_threads=cores - half),
    }
    best = {}
    for _ in range(ROUNDS - 1):  # interleaved rounds; each configuration keeps its best
        for name, run in runs.items():
            fps, products = run()
            if sum(best.get(name, (0.0, 0.0))) < fps + products:
                best[name] = (fps, products)
    for name, (fps, products) in best.items():
        print(f"{name}: {fps:.0f} inferences/s, {products:.0f} numpy products/s")
    # --8<-- [end:app-threads]
    (alone_fps, _), (_, numpy_rate) = best["inference alone"], best["numpy alone"]
    shared_fps, shared_numpy = best[f"together, inference on {cores} threads"]
    half_fps, half_numpy = best[f"together, inference on {half} thread(s)"]
    split_fps, split_numpy = best[f"together, inference on {half}, numpy on {cores - half} thread(s)"]
    result.update(split_fps=split_fps, split_numpy_rate=split_numpy,
                  split_fps_fraction=split_fps / alone_fps, split_numpy_fraction=split_numpy / numpy_rate)
    result.update(alone_fps=alone_fps, numpy_alone_rate=numpy_rate, shared_fps=shared_fps,
                  shared_numpy_rate=shared_numpy, half_threads=half, half_fps=half_fps,
                  half_numpy_rate=half_numpy)
    result["shared_fps_fraction"] = shared_fps / alone_fps
    result["shared_numpy_fraction"] = shared_numpy / numpy_rate
    result["half_fps_fraction"] = half_fps / alone_fps
    result["half_numpy_fraction"] = half_numpy / numpy_rate

    # --8<-- [start:two-processes]
    def run_processes(count: int, threads: int, pinning: bool = True) -> float:
        """Start ``count`` inference processes together; their total frames per
        second."""
        workers = [
            subprocess.Popen(
                [sys.executable, __file__, "--worker", model_path, str(threads),
                 str(int(pinning)), str(WORKER_FRAMES)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for _ in range(count)
        ]
        for worker in workers:
            worker.stdout.readline()  # "ready": compiled and warmed up
        start = time.perf_counter()
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        if any(worker.wait() != 0 for worker in workers):
            raise RuntimeError("an inference process failed")
        return count * WORKER_FRAMES / (time.perf_counter() - start)

    two_all_cores = run_processes(2, threads=cores)
    two_half_pinned = run_processes(2, threads=half)
    two_half_unpinned = run_processes(2, threads=half, pinning=False)
    print(f"two processes, {cores} threads each: {two_all_cores:.0f} frames/s in total")
    print(f"two processes, {half} thread(s) each, pinned: "
          f"{two_half_pinned:.0f} frames/s in total")
    print(f"two processes, {half} thread(s) each, not pinned: "
          f"{two_half_unpinned:.0f} frames/s in total")
    # --8<-- [end:two-processes]
    result.update(two_all_cores_fps=two_all_cores, two_half_pinned_fps=two_half_pinned,
                  two_half_unpinned_fps=two_half_unpinned)

    # --8<-- [start:omp]
    probe = (
        "import openvino as ov, openvino.properties as props\n"
        f"compiled = ov.Core().compile_model({model_path!r}, 'CPU')\n"
        "names = {line.rstrip().split('/')[-1] for line in open('/proc/self/maps')}\n"
        "prefixes = ('libtbb', 'libgomp', 'libiomp', 'libomp')\n"
        "libs = {n.split('.so')[0] for n in names if n.startswith(prefixes)}\n"
        "print(compiled.get_property(props.inference_num_threads),"
        " ' '.join(sorted(libs)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True,
                          text=True, check=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    omp_threads, _, threading_libs = done.stdout.strip().partition(" ")
    print(f"with OMP_NUM_THREADS=1 the CPU plugin still uses {omp_threads} thread(s); "
          f"threading libraries loaded: {threading_libs}")
    # --8<-- [end:omp]
    result["omp_env_threads"] = int(omp_threads)
    result["threading_libs"] = threading_libs.split()
    return result


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:  # one inference process, started by run_processes
        run_worker(sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1", int(sys.argv[5]))
    else:
        snippet_main(main, default_model=MODEL)
