"""Probes of the machine itself: the practical peak (a large MatMul's GFLOP/s) and how steady its
speed is over a minute of one unchanging workload."""

from __future__ import annotations

import math
import os

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
