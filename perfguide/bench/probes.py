"""Probes of the machine itself: the practical peak (a large MatMul's GFLOP/s) and how steady its
speed is over a minute of one unchanging workload."""

from __future__ import annotations

import math
import os
import time

import numpy as np
import openvino as ov

from perfguide.bench.config import DEFAULT_REPEATS, BenchConfig
from perfguide.bench.log import log
from perfguide.bench.loops import Queue, run_offline
from perfguide.bench.models import check_precision, compile_model, compiled_info, shared_core
from perfguide.bench.scenarios import prepare, run_once
from perfguide.bench.stats import spread_pct, spread_warning, steadiness_stats
from perfguide.errors import UsageError


def matmul_model(m: int, k: int, n: int, seed: int = 0) -> ov.Model:
    """[m, k] input times a constant [k, n] weight (f32), built with openvino.opset."""
    import openvino.opset15 as ops

    rng = np.random.default_rng(seed)
    a = ops.parameter([m, k], ov.Type.f32, name="a")
    b = ops.constant(rng.standard_normal((k, n), dtype=np.float32) * np.float32(1 / np.sqrt(k)))
    out = ops.matmul(a, b, transpose_a=False, transpose_b=False)
    out.output(0).get_tensor().set_names({"c"})
    return ov.Model([out], [a], "matmul_peak")


def peak_matmul(
    device: str = "CPU",
    precision: str = "f32",
    shape: tuple[int, int, int] = (2048, 2048, 2048),
    *,
    seconds: float = 3.0,
    repeats: int = DEFAULT_REPEATS,
    min_count: int = 4,
) -> dict:
    """Achieved GFLOP/s of an m x k x n MatMul measured offline (throughput hint): the practical peak."""
    from perfguide.devices import check_device

    check_device(device)
    check_precision(device, precision)
    m, k, n = shape
    config = BenchConfig(hint="throughput", precision=precision)
    compiled = compile_model(shared_core(), matmul_model(m, k, n), device, config)
    rng = np.random.default_rng(0)
    inputs = [[rng.standard_normal((m, k), dtype=np.float32)]]
    q = Queue(compiled, None, inputs)
    runs = [run_offline(q, inputs, seconds, min_count, 1) for _ in range(repeats)]
    flop = 2.0 * m * k * n
    gflops = [flop * r.throughput_fps / 1e9 for r in runs]
    spread = spread_pct(gflops)
    warning = spread_warning(spread, f"{precision} MatMul GFLOP/s")
    if warning:
        log(f"warning: peak/{device}/{precision}: {warning}")
    return {
        "gflops": float(np.median(gflops)),
        "shape": [m, k, n],
        "device": device,
        "repeats": gflops,
        "spread_pct": spread,
        "warning": warning,
        "compiled": compiled_info(compiled, q.size),
    }


def steadiness(
    model: str | os.PathLike = "mobilenet",
    device: str = "CPU",
    *,
    seconds: float = 60.0,
    chunk_s: float = 1.0,
    precision: str = "f32",
) -> dict:
    """Single-stream median latency (request timer) of ``model`` in back-to-back runs of
    ``chunk_s`` for ``seconds``: how much, and for how long, the machine's speed changes under one
    steady workload. Every ratio on the Benchmarks page is read against this."""
    if not (math.isfinite(seconds) and math.isfinite(chunk_s) and 0 < 2 * chunk_s <= seconds):
        raise UsageError(f"steadiness needs 0 < 2 x chunk ({chunk_s:g} s) <= seconds ({seconds:g} s)")
    config = BenchConfig(hint="latency", precision=precision)
    p = prepare(model, device, "single-stream", config)
    run_once(p, 1.0, 1)  # warm
    n = round(seconds / chunk_s)
    p50 = [run_once(p, chunk_s, 1).runtime_p50_ms for _ in range(n)]
    return {
        "model": p.label,
        "device": device,
        "scenario": "single-stream",
        "config": p.config.record_config(),
        "chunk_s": chunk_s,
        "p50_ms": p50,
        **steadiness_stats(p50, chunk_s),
    }


def bandwidth(device: str = "CPU", *, mib: int = 512, repeats: int = 12,
              threads: int | None = None) -> dict:
    """The memory bandwidth this process sees, STREAM-style, on every core it may use.

    Two kernels, compiled by OpenVINO for ``device`` (so they run on the same threads as an
    inference): ``read`` sums the rows of an f32 array of ``mib`` MiB (what decode does to its
    weights: read each byte once) and ``triad`` computes ``a + 3 b`` (STREAM's triad; 3 arrays
    counted, the write's cache-line fill not). Both arrays are far larger than any cache. The
    best of ``repeats`` timed runs, as STREAM reports, after two untimed ones.
    """
    import openvino.opset15 as ops

    from perfguide.devices import check_device

    check_device(device)
    if mib < 64:
        raise UsageError(f"bandwidth needs arrays of at least 64 MiB (caches), not {mib}")
    rows = 1024
    cols = mib * 1024 * 1024 // 4 // rows
    shape = [rows, cols]
    a = ops.parameter(shape, ov.Type.f32, name="a")
    b = ops.parameter(shape, ov.Type.f32, name="b")
    read = ov.Model([ops.reduce_sum(a, ops.constant(np.array([1], dtype=np.int64)), False)], [a])
    triad = ov.Model([ops.add(a, ops.multiply(b, ops.constant(np.float32(3.0))))], [a, b])
    props = {"PERFORMANCE_HINT": "LATENCY"}
    if threads is not None:
        props["INFERENCE_NUM_THREADS"] = threads
    core = shared_core()
    rng = np.random.default_rng(0)
    arrays = [rng.random(shape, dtype=np.float32) for _ in range(2)]
    nbytes = arrays[0].nbytes
    result = {"device": device, "mib": mib}
    for name, model, moved in (("read", read, nbytes), ("triad", triad, 3 * nbytes)):
        compiled = core.compile_model(model, device, props)
        request = compiled.create_infer_request()
        feed = {i: ov.Tensor(arrays[i]) for i in range(len(model.inputs))}
        times = []
        for i in range(repeats + 2):
            t0 = time.perf_counter()
            request.infer(feed)
            if i >= 2:
                times.append(time.perf_counter() - t0)
        gbs = [moved / t / 1e9 for t in times]
        result[f"{name}_gbs"] = max(gbs)
        result[f"{name}_median_gbs"] = float(np.median(gbs))
    return result
