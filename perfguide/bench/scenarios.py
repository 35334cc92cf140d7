"""The scenarios (MLPerf's names), each measured into one results record.

``single-stream``
    one request, synchronous, one inference at a time: the latency distribution.
``offline``
    every request in flight through ``ov.AsyncInferQueue``: the throughput. ``full=True``
    copies a fresh input into the request before every start.
``server``
    seeded Poisson arrivals at ``rate`` queries/s, each issued at its scheduled time; a latency
    counts from the *scheduled* arrival, so time spent queueing for a free request shows. With
    ``max_rate`` the highest rate whose p99 stays under ``p99_bound_ms`` is searched for.
``first-inference``
    read + compile + first inference, each in a fresh subprocess, cold and from a model cache.

Each timed scenario is repeated ``repeats`` times and the spread between repeats,
(max - min) / median, is reported with a warning above 5 %.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import openvino as ov

from perfguide.bench import loops
from perfguide.bench.config import (
    DEFAULT_MIN_COUNT,
    DEFAULT_REPEATS,
    DEFAULT_SECONDS,
    RECORD_FIELDS,
    BenchConfig,
    Timing,
)
from perfguide.bench.log import log
from perfguide.bench.memory import peak_rss_mib, reset_peak_rss, rss_mib
from perfguide.bench.models import (
    check_precision,
    compile_model,
    compiled_info,
    input_name,
    macs_per_frame,
    model_label,
    read_model,
    shared_core,
    static_shapes,
)
from perfguide.bench.stats import Run, latency_stats, spread_pct, spread_warning
from perfguide.errors import UsageError


def record_id(label: str, device: str, scenario: str, config: dict, suffix: str | None = None) -> str:
    """A stable key: ``model/device/scenario/hint=…/batch=…[/precision=…]…`` (null settings omitted)."""
    parts = [label, device, scenario]
    for key in RECORD_FIELDS:
        value = config.get(key)
        if value is None or value is False:
            continue
        if value is True:
            parts.append(key)
        elif isinstance(value, float):
            parts.append(f"{key}={value:g}")
        else:
            parts.append(f"{key}={value}")
    if config.get("max_rate"):
        parts.append("max_rate")
    if suffix:
        parts.append(suffix)
    return "/".join(parts)


def empty_record(label: str, device: str, scenario: str, config: BenchConfig) -> dict:
    cfg = config.record_config()
    rid = record_id(label, device, scenario, {**cfg, "max_rate": config.max_rate})
    return {
        "id": rid,
        "model": label,
        "device": device,
        "scenario": scenario,
        "config": cfg,
        "compiled": None,
        "throughput_fps": None,
        "latency_ms": None,
        "count": None,
        "duration_s": None,
        "repeats": [],
        "spread_pct": 0.0,
        "warning": None,
        "peak_rss_mib": None,
        "rss_after_compile_mib": None,
        "first_inference_ms": None,
        "server": None,
        "benchmark_app": None,
        "gflops": None,
    }


def summarize(record: dict, runs: list[Run], basis: str) -> dict:
    """Fill the measured fields from ``runs``: the median repeat's throughput/count/duration,
    latency percentiles over all repeats pooled, and the spread of ``basis`` between repeats."""
    key = (lambda r: r.throughput_fps) if basis == "throughput" else (lambda r: r.p50_ms)
    ordered = sorted(runs, key=key)
    median_run = ordered[(len(ordered) - 1) // 2]
    record["throughput_fps"] = median_run.throughput_fps
    record["count"] = median_run.count
    record["duration_s"] = median_run.duration_s
    record["latency_ms"] = latency_stats(np.concatenate([r.latencies_s for r in runs]))
    record["repeats"] = [
        {"throughput_fps": r.throughput_fps, "p50_ms": r.p50_ms, "p99_ms": r.p99_ms, "count": r.count,
         "duration_s": r.duration_s}
        for r in runs
    ]  # fmt: skip
    if all(r.runtime_latencies_s is not None for r in runs):
        record["runtime_latency_ms"] = latency_stats(np.concatenate([r.runtime_latencies_s for r in runs]))
        record["caller_overhead_us"] = 1e6 * float(np.median(np.concatenate(
            [r.latencies_s - r.runtime_latencies_s for r in runs])))  # fmt: skip
        for rep, r in zip(record["repeats"], runs, strict=True):
            rep["runtime_p50_ms"] = r.runtime_p50_ms
    record["spread_pct"] = spread_pct([key(r) for r in runs])
    what = "throughput" if basis == "throughput" else "median latency"
    add_warning(record, spread_warning(record["spread_pct"], what))
    return record


def add_warning(record: dict, warning: str | None) -> None:
    if warning:
        record["warning"] = f"{record['warning']}; {warning}" if record["warning"] else warning
        log(f"warning: {record['id']}: {warning}")


@dataclass
class Prepared:
    """A model read, reshaped and compiled for one scenario and configuration."""

    name: str
    label: str
    device: str
    scenario: str
    config: BenchConfig
    path: Path
    shapes: dict[str, list[int]]
    compiled: ov.CompiledModel
    inputs: list[list[np.ndarray]]
    rss_after_compile_mib: float
    queue: loops.Queue | None = None
    extras: dict = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return self.queue.size if self.queue else 1


def prepare(
    model: str | os.PathLike, device: str, scenario: str, config: BenchConfig, *, seed: int = 0,
    core: ov.Core | None = None,
) -> Prepared:  # fmt: skip
    """Resolve, read, reshape, compile, make inputs and requests (nothing is timed yet)."""
    from perfguide.devices import check_device
    from perfguide.inputs import random_inputs

    check_device(device)
    config = config.resolved(scenario)
    core = core or shared_core()
    check_precision(device, config.precision, core)
    ov_model, path, shapes = read_model(model, core, config.batch, config.seq_len)
    compiled = compile_model(core, ov_model, device, config)
    del ov_model
    inputs = []
    for s in range(4 if config.full else 1):
        arrays = random_inputs(compiled, seed=seed + s)
        inputs.append([arrays[input_name(port)] for port in compiled.inputs])
    queue = loops.Queue(compiled, config.requests, inputs) if scenario in ("offline", "server") else None
    return Prepared(
        name=str(model), label=model_label(model), device=device, scenario=scenario, config=config,
        path=path, shapes=shapes, compiled=compiled, inputs=inputs, rss_after_compile_mib=rss_mib(),
        queue=queue,
    )  # fmt: skip


def run_once(p: Prepared, seconds: float, min_count: int, *, rate: float | None = None, seed: int = 0) -> Run:
    """One timed repeat of ``p``'s scenario."""
    batch = p.config.batch
    if p.scenario == "single-stream":
        request = p.extras.get("request")
        if request is None:
            request = p.extras["request"] = p.compiled.create_infer_request()
        return loops.run_single_stream(p.compiled, p.inputs, seconds, min_count, batch, p.config.full,
                                       request)  # fmt: skip
    if p.scenario == "offline":
        return loops.run_offline(p.queue, p.inputs, seconds, min_count, batch, p.config.full)
    if p.scenario == "server":
        return loops.run_server(p.queue, p.inputs, seconds, min_count, batch, rate or p.config.rate, seed,
                                p.config.full)  # fmt: skip
    raise UsageError(f"scenario {p.scenario!r} is not measured in-process")


def finish(record: dict, p: Prepared) -> dict:
    """Add what the device chose, the memory used, and the achieved GFLOP/s."""
    record["compiled"] = compiled_info(p.compiled, p.requests)
    record["rss_after_compile_mib"] = p.rss_after_compile_mib
    record["peak_rss_mib"] = peak_rss_mib()
    if record["throughput_fps"]:
        macs = macs_per_frame(p.name, p.shapes)
        if macs:
            record["gflops"] = 2.0 * macs * record["throughput_fps"] / 1e9
    return record


def measure(
    model: str | os.PathLike,
    device: str = "CPU",
    scenario: str = "offline",
    config: BenchConfig | None = None,
    *,
    seconds: float = DEFAULT_SECONDS,
    repeats: int = DEFAULT_REPEATS,
    min_count: int = DEFAULT_MIN_COUNT,
    seed: int = 0,
) -> dict:
    """Measure one scenario and return its results record (see perfguide/results_schema.json)."""
    timing = Timing(seconds, repeats, min_count)
    config = (config or BenchConfig()).resolved(scenario)
    if scenario == "first-inference":
        return measure_first_inference(model, device, config, repeats=timing.repeats)
    reset_peak_rss()
    p = prepare(model, device, scenario, config, seed=seed)
    record = empty_record(p.label, device, scenario, p.config)
    if scenario == "server" and config.max_rate:
        rate, max_rate, note = search_max_rate(p, seconds, min_count, seed=seed)
        add_warning(record, note)
    else:
        rate, max_rate = config.rate, None
    runs = [run_once(p, seconds, min_count, rate=rate, seed=seed + i) for i in range(repeats)]
    summarize(record, runs, "throughput" if scenario == "offline" else "latency")
    if scenario == "server":
        record["server"] = {"rate_qps": rate, "max_rate_qps": max_rate, "p99_bound_ms": config.p99_bound_ms}
    return finish(record, p)


def search_max_rate(p: Prepared, seconds: float, min_count: int, *, seed: int = 0, steps: int = 6):
    """The highest Poisson rate whose p99 stays within the bound: (rate to report, max rate, note).

    Starts from the offline capacity of the same compiled model (queries/s = fps / batch), then
    bisects between 0 and that; each probe is one run of ``seconds``.
    """
    bound = p.config.p99_bound_ms
    capacity = loops.run_offline(p.queue, p.inputs, seconds, min_count, p.config.batch).throughput_fps
    capacity /= p.config.batch
    probes: dict[float, float] = {}

    def p99_at(rate: float) -> float:
        run = loops.run_server(p.queue, p.inputs, seconds, min_count, p.config.batch, rate, seed,
                               p.config.full)  # fmt: skip
        probes[rate] = run.p99_ms
        return run.p99_ms

    if p99_at(capacity) <= bound:
        return capacity, capacity, None
    lo, hi = 0.0, capacity
    for _ in range(steps):
        mid = (lo + hi) / 2
        if p99_at(mid) <= bound:
            lo = mid
        else:
            hi = mid
    if lo > 0:
        return lo, lo, None
    lowest = min(probes)
    return lowest, None, (
        f"no rate meets p99 <= {bound:g} ms (p99 {probes[lowest]:.2f} ms even at {lowest:.3g} queries/s)"
    )


# --------------------------------------------------------------------------------------------
# First inference (each in a fresh subprocess)


def _first_inference_run(path: Path, device: str, config: BenchConfig, cache_dir: str | None) -> dict:
    from perfguide.bench.isolation import child_command, run_child

    cmd = child_command("first-inference-child", "--model", str(path), "--device", device,
                        "--config", json.dumps(config.compile_config()))  # fmt: skip
    if cache_dir:
        cmd += ["--cache-dir", str(cache_dir)]
    return run_child(cmd, "first-inference child", timeout=900)[0]


def measure_first_inference(
    model: str | os.PathLike, device: str, config: BenchConfig, *, repeats: int = DEFAULT_REPEATS
) -> dict:
    """Cold and cached time to the first result, each run in a fresh process (median of repeats)."""
    from perfguide.devices import check_device
    from perfguide.zoo import resolve_model

    check_device(device)
    config = config.resolved("first-inference")
    Timing(repeats=repeats)
    check_precision(device, config.precision)
    path = Path(resolve_model(str(model)))
    record = empty_record(model_label(model), device, "first-inference", config)
    temp = None
    cache_dir = config.cache_dir
    if cache_dir is None:
        temp = tempfile.TemporaryDirectory(prefix="perfguide-cache-")
        cache_dir = temp.name
    started = time.perf_counter()
    try:
        _first_inference_run(path, device, config, cache_dir)  # fills the cache
        cold, cached = [], []
        for _ in range(repeats):  # alternate, so that noise falls on both alike
            cold.append(_first_inference_run(path, device, config, None))
            cached.append(_first_inference_run(path, device, config, cache_dir))
    finally:
        if temp is not None:
            temp.cleanup()
    cold_ms = [c["total_ms"] for c in cold]
    cached_ms = [c["total_ms"] for c in cached]
    record["first_inference_ms"] = {
        "cold": float(np.median(cold_ms)),
        "cached": float(np.median(cached_ms)),
        "cold_spread_pct": spread_pct(cold_ms),
        "cached_spread_pct": spread_pct(cached_ms),
        "cold_compile": float(np.median([c["compile_ms"] for c in cold])),
        "cached_compile": float(np.median([c["compile_ms"] for c in cached])),
        "first_infer": float(np.median([c["infer_ms"] for c in cold + cached])),
    }
    record["repeats"] = [
        {"throughput_fps": None, "p50_ms": None, "cold_ms": a, "cached_ms": b}
        for a, b in zip(cold_ms, cached_ms, strict=True)
    ]
    record["count"] = repeats
    record["duration_s"] = time.perf_counter() - started
    record["spread_pct"] = max(record["first_inference_ms"]["cold_spread_pct"],
                               record["first_inference_ms"]["cached_spread_pct"])  # fmt: skip
    add_warning(record, spread_warning(record["spread_pct"], "first-inference time"))
    record["peak_rss_mib"] = max(c["peak_rss_mib"] for c in cold + cached)
    record["rss_after_compile_mib"] = float(np.median([c["rss_after_compile_mib"] for c in cold]))
    record["compiled"] = cold[0]["compiled"]
    return record


def first_inference_child(model: str, device: str, config: BenchConfig, cache_dir: str | None) -> dict:
    """In this (fresh) process: read + compile + one inference, timed; inputs made untimed."""
    from perfguide.inputs import random_inputs

    config = replace(config, cache_dir=cache_dir)
    perf = time.perf_counter
    t0 = perf()
    core = ov.Core()
    model_obj = core.read_model(model)
    shapes = static_shapes(model_obj, config.batch, config.seq_len)
    if shapes is None:  # the fast path a cache is made for: compile straight from the file
        del model_obj
        t_read = perf()
        compiled = compile_model(core, model, device, config)
    else:
        model_obj.reshape({name: ov.PartialShape(dims) for name, dims in shapes.items()})
        t_read = perf()
        compiled = compile_model(core, model_obj, device, config)
    t_compiled = perf()
    arrays = random_inputs(compiled)  # not timed: the application's data is ready
    data = [arrays[input_name(port)] for port in compiled.inputs]
    t_inputs = perf()
    request = compiled.create_infer_request()
    request.infer(dict(enumerate(data)), share_outputs=True)
    t_done = perf()
    return {
        "total_ms": ((t_compiled - t0) + (t_done - t_inputs)) * 1000.0,
        "read_ms": (t_read - t0) * 1000.0,
        "compile_ms": (t_compiled - t0) * 1000.0,
        "infer_ms": (t_done - t_inputs) * 1000.0,
        "peak_rss_mib": peak_rss_mib(),
        "rss_after_compile_mib": rss_mib(),
        "compiled": compiled_info(compiled, 1),
    }
