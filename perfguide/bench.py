"""The one measuring core: every number in the guide is taken by this module.

Scenarios (MLPerf's names):

``single-stream``
    one request, synchronous, one inference at a time: the latency distribution.
``offline``
    every request in flight through ``ov.AsyncInferQueue``: the throughput. Inputs are written
    into each request's tensors once (inference only, as ``benchmark_app`` does); ``full=True``
    copies a fresh input into the request before every start.
``server``
    seeded Poisson arrivals at ``rate`` queries/s, each issued at its scheduled time; a latency
    counts from the *scheduled* arrival, so time spent queueing for a free request shows. With
    ``max_rate`` the highest rate whose p99 stays under ``p99_bound_ms`` is searched for.
``first-inference``
    read + compile + first inference, each in a fresh subprocess, cold and from a model cache.

Every timed loop runs for at least ``seconds`` AND ``min_count`` inferences, after warming
every request, with ``time.perf_counter``; it is repeated ``repeats`` times and the spread
between repeats, (max - min) / median, is reported with a warning above 5 %.

Python API: :func:`measure` (a results record), :func:`compare_benchmark_app`,
:func:`peak_matmul`, :func:`steadiness`. ``python -m perfguide.bench first-inference-child ...``
is the child process of the first-inference scenario.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import openvino as ov

from perfguide.devices import VIRTUAL, family
from perfguide.errors import UsageError

SCENARIOS = ("single-stream", "offline", "server", "first-inference")
HINTS = ("latency", "throughput", "cumulative_throughput", "none")
PRECISIONS = ("f32", "bf16", "f16")
# The hint a scenario gets when none is asked for: the one each scenario is about.
DEFAULT_HINT = {
    "single-stream": "latency",
    "offline": "throughput",
    "server": "throughput",
    "first-inference": "latency",
}
SPREAD_WARN_PCT = 5.0
DEFAULT_SECONDS = 10.0
DEFAULT_REPEATS = 3
DEFAULT_MIN_COUNT = 10
_PERF_MODE = {
    "latency": "LATENCY",
    "throughput": "THROUGHPUT",
    "cumulative_throughput": "CUMULATIVE_THROUGHPUT",
}
_PRECISION_TYPE = {"f32": ov.Type.f32, "bf16": ov.Type.bf16, "f16": ov.Type.f16}
_CAPABILITY = {"f32": "FP32", "bf16": "BF16", "f16": "FP16"}


def _log(message: str) -> None:
    """A note for the person running the benchmark (stderr, never mixed into JSON on stdout)."""
    try:
        from tqdm import tqdm

        tqdm.write(message, file=sys.stderr)
    except Exception:  # noqa: BLE001
        print(message, file=sys.stderr)


# --------------------------------------------------------------------------------------------
# Configuration


@dataclass
class BenchConfig:
    """What to compile and how to drive it. ``None`` leaves a setting to the device / hint."""

    hint: str | None = None  # None: the scenario's own (DEFAULT_HINT)
    streams: int | None = None
    requests: int | None = None
    batch: int = 1
    precision: str | None = None  # None: the device's default inference precision
    threads: int | None = None
    full: bool = False  # offline/server/single-stream: copy a fresh input before every start
    rate: float | None = None  # server: queries per second
    max_rate: bool = False  # server: search the highest rate meeting p99_bound_ms
    p99_bound_ms: float | None = None
    seq_len: int | None = None  # the length given to dynamic non-batch dims (128 when None)
    cache_dir: str | None = None

    def resolved(self, scenario: str) -> BenchConfig:
        """A copy with the scenario's default hint filled in."""
        return replace(self, hint=self.hint or DEFAULT_HINT[scenario])

    def record_config(self) -> dict:
        """The ``config`` block of a record (settings that change what is measured)."""
        return {
            "hint": self.hint,
            "streams": self.streams,
            "requests": self.requests,
            "batch": self.batch,
            "precision": self.precision,
            "threads": self.threads,
            "full": self.full,
            "rate": self.rate,
            "p99_bound_ms": self.p99_bound_ms,
            "seq_len": self.seq_len,
        }


def check_config(scenario: str, config: BenchConfig, *, seconds: float = 1.0, repeats: int = 1) -> None:
    """Raise UsageError for anything out of range or inconsistent, before any work is done."""
    if scenario not in SCENARIOS:
        raise UsageError(f"unknown scenario {scenario!r}; choose one of: {', '.join(SCENARIOS)}")
    if config.hint is not None and config.hint not in HINTS:
        raise UsageError(f"unknown hint {config.hint!r}; choose one of: {', '.join(HINTS)}")
    if config.precision is not None and config.precision not in PRECISIONS:
        raise UsageError(f"unknown precision {config.precision!r}; choose one of: {', '.join(PRECISIONS)}")
    if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds > 0):
        raise UsageError(f"--seconds must be a positive number, not {seconds}")
    if repeats < 1:
        raise UsageError(f"--repeats must be at least 1, not {repeats}")
    for name in ("streams", "requests", "batch", "threads", "seq_len"):
        value = getattr(config, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1, not {value}")
    if config.rate is not None and not (math.isfinite(config.rate) and config.rate > 0):
        raise UsageError(f"--rate must be a positive number of queries per second, not {config.rate}")
    bound = config.p99_bound_ms
    if bound is not None and not (math.isfinite(bound) and bound > 0):
        raise UsageError(f"--p99-ms must be a positive number of milliseconds, not {config.p99_bound_ms}")
    if scenario == "server":
        if config.rate is None and not config.max_rate:
            raise UsageError("the server scenario needs --rate QPS or --max-rate --p99-ms BOUND")
        if config.rate is not None and config.max_rate:
            raise UsageError("give either --rate or --max-rate, not both")
        if config.max_rate and config.p99_bound_ms is None:
            raise UsageError("--max-rate needs --p99-ms BOUND (the p99 latency to stay under)")
    else:
        if config.rate is not None or config.max_rate or config.p99_bound_ms is not None:
            raise UsageError(f"--rate, --max-rate and --p99-ms apply to --scenario server, not {scenario}")
    if scenario == "first-inference" and config.full:
        raise UsageError("--full applies to single-stream, offline and server, not first-inference")


def check_precision(device: str, precision: str | None, core: ov.Core | None = None) -> None:
    """Raise UsageError if ``device`` does not list ``precision`` in OPTIMIZATION_CAPABILITIES."""
    if precision is None or family(device) in VIRTUAL:
        return
    supported = supported_precisions(device, core)
    if precision not in supported:
        raise UsageError(
            f"{device} cannot run precision {precision} here; supported: {', '.join(supported)}"
        )


def supported_precisions(device: str, core: ov.Core | None = None) -> list[str]:
    """The precisions of PRECISIONS that ``device`` lists in OPTIMIZATION_CAPABILITIES."""
    try:
        caps = set((core or _core()).get_property(device, "OPTIMIZATION_CAPABILITIES"))
    except Exception:  # noqa: BLE001 - a device that cannot say: assume f32 only
        return ["f32"]
    return [p for p in PRECISIONS if _CAPABILITY[p] in caps or p == "f32"]


def compile_properties(config: BenchConfig) -> dict[str, Any]:
    """OpenVINO properties for ``config`` (hint already resolved)."""
    props: dict[str, Any] = {}
    if config.hint and config.hint != "none":
        props["PERFORMANCE_HINT"] = _PERF_MODE[config.hint]
        if config.requests is not None:  # as benchmark_app -nireq does: size the hint for them
            props["PERFORMANCE_HINT_NUM_REQUESTS"] = config.requests
    if config.streams is not None:
        props["NUM_STREAMS"] = config.streams
    if config.threads is not None:
        props["INFERENCE_NUM_THREADS"] = config.threads
    if config.precision is not None:
        props["INFERENCE_PRECISION_HINT"] = _PRECISION_TYPE[config.precision]
    if config.cache_dir is not None:
        props["CACHE_DIR"] = str(config.cache_dir)
    return props


# --------------------------------------------------------------------------------------------
# Statistics


def spread_pct(values: list[float] | np.ndarray) -> float:
    """(max - min) / median of ``values``, in percent; 0 for fewer than two values."""
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    if arr.size < 2:
        return 0.0
    median = float(np.median(arr))
    if median <= 0:
        return 0.0
    return float((arr.max() - arr.min()) / median * 100.0)


def spread_warning(spread: float, what: str = "result", limit: float = SPREAD_WARN_PCT) -> str | None:
    """The warning text when ``spread`` (percent) exceeds ``limit``, else None."""
    if spread > limit:
        return (
            f"{what} varies {spread:.1f}% between repeats (more than {limit:g}%): "
            "the machine was busy or the run too short; rerun or raise --seconds"
        )
    return None


def latency_stats(latencies_s: list[float] | np.ndarray) -> dict[str, float]:
    """p50/p90/p99/mean/min/max in milliseconds (linear-interpolated percentiles)."""
    ms = np.asarray(latencies_s, dtype=float) * 1000.0
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    return {
        "p50": float(p50),
        "p90": float(p90),
        "p99": float(p99),
        "mean": float(ms.mean()),
        "min": float(ms.min()),
        "max": float(ms.max()),
    }


@dataclass
class Run:
    """One timed repeat: per-inference latencies (s), inferences done, wall time, frames.

    ``runtime_latencies_s`` (single-stream only): each inference as the runtime's own request
    timer saw it (``InferRequest.latency``), which is what benchmark_app reports; it leaves out
    the return from the runtime to the Python caller that ``latencies_s`` includes.
    """

    latencies_s: np.ndarray
    count: int
    duration_s: float
    frames: int
    runtime_latencies_s: np.ndarray | None = None

    @property
    def throughput_fps(self) -> float:
        return self.frames / self.duration_s

    @property
    def p50_ms(self) -> float:
        return float(np.median(self.latencies_s) * 1000.0)

    @property
    def p99_ms(self) -> float:
        return float(np.percentile(self.latencies_s, 99) * 1000.0)

    @property
    def runtime_p50_ms(self) -> float:
        return float(np.median(self.runtime_latencies_s) * 1000.0)


# --------------------------------------------------------------------------------------------
# Memory


def _read_status_kib(field_name: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    """Reset this process's peak resident set (Linux ``clear_refs`` 5); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib() -> float:
    """Peak resident memory since the last reset_peak_rss() (else since the process started)."""
    hwm = _read_status_kib("VmHWM")
    if hwm is not None:
        return hwm / 1024.0
    import resource

    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / (2**20 if sys.platform == "darwin" else 1024.0)


def rss_mib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


# --------------------------------------------------------------------------------------------
# Models


@cache
def _core() -> ov.Core:
    return ov.Core()


def model_label(name_or_path: str | os.PathLike) -> str:
    """What a record calls the model: the zoo name, or the file's stem for a user's own file."""
    from perfguide.zoo import ZOO

    if isinstance(name_or_path, str) and name_or_path in ZOO:
        return name_or_path
    return Path(name_or_path).stem


def _input_name(port) -> str:
    return port.get_any_name() if port.get_names() else port.get_node().get_friendly_name()


def static_shapes(model: ov.Model, batch: int, seq_len: int | None) -> dict[str, list[int]] | None:
    """Input shapes to reshape ``model`` to (dim 0 = batch, other dynamic dims = seq_len).

    None when the model already has exactly these shapes (nothing to reshape).
    """
    shapes: dict[str, list[int]] = {}
    changed = False
    for port in model.inputs:
        partial = port.get_partial_shape()
        if partial.rank.is_dynamic:
            raise UsageError(f"input {_input_name(port)!r} has a dynamic rank: cannot benchmark it")
        dims = []
        for axis, dim in enumerate(partial):
            if axis == 0:
                want = batch
            elif dim.is_static:
                want = dim.get_length()
            else:
                want = seq_len or 128
            if dim.is_dynamic or dim.get_length() != want:
                changed = True
            dims.append(want)
        shapes[_input_name(port)] = dims
    return shapes if changed else None


def read_model(name_or_path: str | os.PathLike, core: ov.Core, batch: int = 1, seq_len: int | None = None):
    """Read a zoo model or a user's file and make it static: (model, path, shapes)."""
    from perfguide.zoo import ZOO, model_path
    from perfguide.zoo import read_model as zoo_read_model

    name = str(name_or_path)
    model = zoo_read_model(name, core)  # a UsageError for a bad name, path or file
    path = model_path(name) if name in ZOO else Path(name).expanduser()
    shapes = static_shapes(model, batch, seq_len)
    if shapes:
        try:
            model.reshape({name: ov.PartialShape(dims) for name, dims in shapes.items()})
        except Exception as exc:  # noqa: BLE001 - OpenVINO raises a multi-line RuntimeError
            raise UsageError(f"cannot reshape {path} to {shapes}: {_first_line(exc)}") from None
    final = {_input_name(p): [int(d) for d in p.get_shape()] for p in model.inputs}
    return model, Path(path), final


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    useful = [ln for ln in lines if not ln.startswith(("Exception from", "Check '"))]
    return (useful or lines or [exc.__class__.__name__])[0][:300]


def compile_model(core: ov.Core, model, device: str, config: BenchConfig) -> ov.CompiledModel:
    try:
        return core.compile_model(model, device, compile_properties(config))
    except Exception as exc:  # noqa: BLE001
        raise UsageError(f"cannot compile for {device} with {compile_properties(config)}: "
                         f"{_first_line(exc)}") from None  # fmt: skip


def _prop(compiled: ov.CompiledModel, key: str):
    try:
        return compiled.get_property(key)
    except Exception:  # noqa: BLE001 - not every device reports every property
        return None


def compiled_info(compiled: ov.CompiledModel, requests: int | None) -> dict:
    """The ``compiled`` block: what the device actually chose."""
    precision = _prop(compiled, "INFERENCE_PRECISION_HINT")
    hint = _prop(compiled, "PERFORMANCE_HINT")
    devices = _prop(compiled, "EXECUTION_DEVICES") or []
    streams = _prop(compiled, "NUM_STREAMS")
    threads = _prop(compiled, "INFERENCE_NUM_THREADS")
    optimal = _prop(compiled, "OPTIMAL_NUMBER_OF_INFER_REQUESTS")
    return {
        "streams": int(streams) if isinstance(streams, int) else None,
        "requests": requests,
        "precision": precision.to_string() if isinstance(precision, ov.Type) else (
            str(precision) if precision else None),
        "threads": int(threads) if isinstance(threads, int) else None,
        "execution_devices": [str(d) for d in devices],
        "hint": str(getattr(hint, "name", hint)) if hint not in (None, "") else None,
        "optimal_requests": int(optimal) if isinstance(optimal, int) else None,
    }


@cache
def _macs_for(label: str, shapes_key: tuple) -> int | None:
    from perfguide.flops import count_macs
    from perfguide.zoo import ZOO, describe, model_path

    shapes = {name: list(dims) for name, dims in shapes_key}
    if label in ZOO:
        info = describe(label)
        if shapes == info["reference_shapes"]:
            return int(info["macs"])
        import onnx

        return int(count_macs(onnx.load(model_path(label, "onnx")), shapes))
    return None


def macs_per_frame(name_or_path: str | os.PathLike, shapes: dict[str, list[int]]) -> int | None:
    """Multiply-accumulates of one frame (batch 1) at ``shapes``; None if it cannot be counted."""
    one = {name: [1, *dims[1:]] if dims else dims for name, dims in shapes.items()}
    key = tuple(sorted((k, tuple(v)) for k, v in one.items()))
    try:
        from perfguide.zoo import ZOO

        if isinstance(name_or_path, str) and name_or_path in ZOO:
            return _macs_for(name_or_path, key)
        path = Path(name_or_path)
        if path.suffix.lower() == ".onnx":
            import onnx

            from perfguide.flops import count_macs

            return int(count_macs(onnx.load(path), one))
    except Exception:  # noqa: BLE001 - a model whose MACs cannot be counted just has no gflops
        return None
    return None


# --------------------------------------------------------------------------------------------
# Timed loops


def _fill(request, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Copy ``arrays`` into the request's input tensors; return views of those tensors."""
    views = []
    for index, array in enumerate(arrays):
        view = request.get_input_tensor(index).data
        np.copyto(view, array, casting="unsafe")
        views.append(view)
    return views


def _warm_seconds(seconds: float) -> float:
    return min(1.0, 0.1 * seconds)


def run_single_stream(
    compiled: ov.CompiledModel, inputs: list[list[np.ndarray]], seconds: float, min_count: int,
    batch: int, full: bool = False, request=None,
) -> Run:  # fmt: skip
    """One request, synchronous, one inference at a time (inputs written once unless full)."""
    request = request or compiled.create_infer_request()
    views = _fill(request, inputs[0])
    perf = time.perf_counter
    # The pybind method itself: no per-call input dispatch, outputs shared (not copied).
    base_infer = super(ov.InferRequest, request).infer

    def infer() -> None:
        base_infer({}, True, False)

    warm_until = perf() + _warm_seconds(seconds)
    infer()
    while perf() < warm_until:
        infer()
    latencies, runtime = [], []
    append, append_runtime = latencies.append, runtime.append
    n_inputs = len(inputs)
    gc_was = gc.isenabled()
    gc.disable()
    try:
        start = perf()
        deadline = start + seconds
        count = 0
        while True:
            t0 = perf()
            if full:  # the copy of a fresh input is part of what is timed
                for view, array in zip(views, inputs[count % n_inputs], strict=True):
                    np.copyto(view, array, casting="unsafe")
            base_infer({}, True, False)
            t1 = perf()
            append(t1 - t0)
            append_runtime(request.latency)  # ms, read after t1: not part of what is timed
            count += 1
            if t1 >= deadline and count >= min_count:
                break
        duration = perf() - start
    finally:
        if gc_was:
            gc.enable()
    return Run(np.asarray(latencies), count, duration, count * batch, np.asarray(runtime) / 1000.0)


class _Queue:
    """An AsyncInferQueue with no Python callback, as benchmark_app runs it.

    A Python callback would have to take the GIL on every completion before the request is free
    again, which costs measurable throughput on a small model. Each request's latency is read
    instead from the runtime's own request timer (``InferRequest.latency``) when the request
    comes back idle, and for the ones still in flight at the end.
    """

    def __init__(self, compiled: ov.CompiledModel, requests: int | None, inputs: list[list[np.ndarray]]):
        self.queue = ov.AsyncInferQueue(compiled, requests or 0)
        self.size = len(self.queue)
        self.requests = [self.queue[i] for i in range(self.size)]
        self.views = [_fill(self.requests[i], inputs[i % len(inputs)]) for i in range(self.size)]
        # The base class's start_async skips the wrapper's per-call input dispatch.
        self._start = super(ov.AsyncInferQueue, self.queue).start_async

    def warm(self, seconds: float) -> None:
        """Run every request at least once, then keep all busy for ``seconds``."""
        for slot in range(self.size):
            self.queue.get_idle_request_id()
            self._start({}, slot)
        self.queue.wait_all()
        perf = time.perf_counter
        until = perf() + seconds
        get_idle, start = self.queue.get_idle_request_id, self._start
        while perf() < until:
            start({}, get_idle())
        self.queue.wait_all()


def run_offline(
    q: _Queue, inputs: list[list[np.ndarray]], seconds: float, min_count: int, batch: int, full: bool = False
) -> Run:
    """Keep every request of the queue busy for ``seconds``; throughput = frames / wall time."""
    q.warm(_warm_seconds(seconds))
    perf = time.perf_counter
    get_idle, start, requests, views = q.queue.get_idle_request_id, q._start, q.requests, q.views
    size = q.size
    latencies_ms: list[float] = []
    append = latencies_ms.append
    started = [False] * size
    n_inputs = len(inputs)
    gc_was = gc.isenabled()
    gc.disable()
    try:
        t_start = perf()
        deadline = t_start + seconds
        count = 0
        while True:
            slot = get_idle()
            if started[slot]:  # back from its last inference: its timer holds that latency
                append(requests[slot].latency)
            started[slot] = True
            if full:
                for view, array in zip(views[slot], inputs[count % n_inputs], strict=True):
                    np.copyto(view, array, casting="unsafe")
            start({}, slot)
            count += 1
            if count >= min_count and count % size == 0 and perf() >= deadline:
                break
        q.queue.wait_all()
        duration = perf() - t_start
    finally:
        if gc_was:
            gc.enable()
    latencies_ms += [requests[slot].latency for slot in range(size) if started[slot]]
    return Run(np.asarray(latencies_ms) / 1000.0, count, duration, count * batch)


def run_server(
    q: _Queue, inputs: list[list[np.ndarray]], seconds: float, min_count: int, batch: int, rate: float,
    seed: int = 0, full: bool = False,
) -> Run:  # fmt: skip
    """Poisson arrivals at ``rate``/s; latency counted from each query's scheduled arrival:
    the wait for a free request, plus the inference by the runtime's request timer."""
    q.warm(_warm_seconds(seconds))
    rng = np.random.default_rng(seed)
    perf, sleep = time.perf_counter, time.sleep
    get_idle, start, requests, views = q.queue.get_idle_request_id, q._start, q.requests, q.views
    queued_s = [None] * q.size  # per request: how long its current query waited to start
    latencies_s: list[float] = []
    append = latencies_s.append
    n_inputs = len(inputs)
    chunk = min(100_000, max(64, int(rate * seconds * 1.5) + 16))
    t_start = perf()
    deadline = t_start + seconds
    arrivals = t_start + np.cumsum(rng.exponential(1.0 / rate, chunk))
    count = 0
    gc_was = gc.isenabled()
    gc.disable()
    try:
        while True:
            if count == len(arrivals):
                more = arrivals[-1] + np.cumsum(rng.exponential(1.0 / rate, chunk))
                arrivals = np.concatenate([arrivals, more])
            scheduled = float(arrivals[count])
            if scheduled >= deadline and count >= min_count:
                break
            wait = scheduled - perf()
            if wait > 0:
                sleep(wait)
            slot = get_idle()  # blocks while every request is busy: that is the queueing
            if queued_s[slot] is not None:
                append(queued_s[slot] + requests[slot].latency / 1000.0)
            if full:
                for view, array in zip(views[slot], inputs[count % n_inputs], strict=True):
                    np.copyto(view, array, casting="unsafe")
            now = perf()
            queued_s[slot] = now - scheduled
            start({}, slot)
            count += 1
            if now >= deadline and count >= min_count:  # far over capacity: stop on time
                break
        q.queue.wait_all()
        # The arrivals cover [t_start, deadline]: an idle end of the window is part of it.
        duration = max(perf() - t_start, seconds)
    finally:
        if gc_was:
            gc.enable()
    latencies_s += [waited + requests[slot].latency / 1000.0
                    for slot, waited in enumerate(queued_s) if waited is not None]  # fmt: skip
    return Run(np.asarray(latencies_s), count, duration, count * batch)


# --------------------------------------------------------------------------------------------
# Records


def record_id(label: str, device: str, scenario: str, config: dict, suffix: str | None = None) -> str:
    """A stable key: ``model/device/scenario/hint=…/batch=…[/precision=…]…`` (null settings omitted)."""
    parts = [label, device, scenario]
    for key in ("hint", "streams", "requests", "batch", "precision", "threads", "full", "rate",
                "p99_bound_ms", "seq_len"):  # fmt: skip
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


def _empty_record(label: str, device: str, scenario: str, config: BenchConfig) -> dict:
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


def _summarize(record: dict, runs: list[Run], basis: str) -> dict:
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
    _add_warning(record, spread_warning(record["spread_pct"], what))
    return record


def _add_warning(record: dict, warning: str | None) -> None:
    if warning:
        record["warning"] = f"{record['warning']}; {warning}" if record["warning"] else warning
        _log(f"warning: {record['id']}: {warning}")


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
    queue: _Queue | None = None
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
    check_config(scenario, config)
    core = core or _core()
    check_precision(device, config.precision, core)
    ov_model, path, shapes = read_model(model, core, config.batch, config.seq_len)
    compiled = compile_model(core, ov_model, device, config)
    del ov_model
    n_sets = 1
    if config.full:
        n_sets = 4
    inputs = []
    for s in range(n_sets):
        arrays = random_inputs(compiled, seed=seed + s)
        inputs.append([arrays[_input_name(port)] for port in compiled.inputs])
    queue = None
    if scenario in ("offline", "server"):
        queue = _Queue(compiled, config.requests, inputs)
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
        return run_single_stream(p.compiled, p.inputs, seconds, min_count, batch, p.config.full, request)
    if p.scenario == "offline":
        return run_offline(p.queue, p.inputs, seconds, min_count, batch, p.config.full)
    if p.scenario == "server":
        return run_server(p.queue, p.inputs, seconds, min_count, batch, rate or p.config.rate, seed,
                          p.config.full)  # fmt: skip
    raise UsageError(f"scenario {p.scenario!r} is not measured in-process")


def _finish(record: dict, p: Prepared) -> dict:
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
    config = (config or BenchConfig()).resolved(scenario)
    check_config(scenario, config, seconds=seconds, repeats=repeats)
    if scenario == "first-inference":
        return measure_first_inference(model, device, config, repeats=repeats)
    reset_peak_rss()
    p = prepare(model, device, scenario, config, seed=seed)
    record = _empty_record(p.label, device, scenario, p.config)
    if scenario == "server" and config.max_rate:
        rate, max_rate, note = search_max_rate(p, seconds, min_count, seed=seed)
        _add_warning(record, note)
    else:
        rate, max_rate = config.rate, None
    runs = [run_once(p, seconds, min_count, rate=rate, seed=seed + i) for i in range(repeats)]
    _summarize(record, runs, "throughput" if scenario == "offline" else "latency")
    if scenario == "server":
        record["server"] = {"rate_qps": rate, "max_rate_qps": max_rate, "p99_bound_ms": config.p99_bound_ms}
    return _finish(record, p)


def search_max_rate(p: Prepared, seconds: float, min_count: int, *, seed: int = 0, steps: int = 6):
    """The highest Poisson rate whose p99 stays within the bound: (rate to report, max rate, note).

    Starts from the offline capacity of the same compiled model (queries/s = fps / batch), then
    bisects between 0 and that; each probe is one run of ``seconds``.
    """
    bound = p.config.p99_bound_ms
    capacity = run_offline(p.queue, p.inputs, seconds, min_count, p.config.batch).throughput_fps
    capacity /= p.config.batch
    probes: dict[float, float] = {}

    def p99_at(rate: float) -> float:
        run = run_server(p.queue, p.inputs, seconds, min_count, p.config.batch, rate, seed, p.config.full)
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


def _child_command(path: Path, device: str, config: BenchConfig, cache_dir: str | None) -> list[str]:
    cfg = {k: v for k, v in asdict(config).items() if k in ("hint", "streams", "requests", "batch",
                                                            "precision", "threads", "seq_len")}  # fmt: skip
    cmd = [sys.executable, "-m", "perfguide.bench", "first-inference-child", "--model", str(path),
           "--device", device, "--config", json.dumps(cfg)]  # fmt: skip
    if cache_dir:
        cmd += ["--cache-dir", str(cache_dir)]
    return cmd


def _run_child(cmd: list[str]) -> dict:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        if done.returncode == 2:
            raise UsageError(last.removeprefix("error: "))
        raise RuntimeError(f"first-inference child failed ({done.returncode}): {last}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_first_inference(
    model: str | os.PathLike, device: str, config: BenchConfig, *, repeats: int = DEFAULT_REPEATS
) -> dict:
    """Cold and cached time to the first result, each run in a fresh process (median of repeats)."""
    from perfguide.devices import check_device
    from perfguide.zoo import resolve_model

    check_device(device)
    config = config.resolved("first-inference")
    check_config("first-inference", config, repeats=repeats)
    check_precision(device, config.precision)
    path = Path(resolve_model(str(model)))
    record = _empty_record(model_label(model), device, "first-inference", config)
    temp = None
    cache_dir = config.cache_dir
    if cache_dir is None:
        temp = tempfile.TemporaryDirectory(prefix="perfguide-cache-")
        cache_dir = temp.name
    started = time.perf_counter()
    try:
        _run_child(_child_command(path, device, config, cache_dir))  # fills the cache
        cold, cached = [], []
        for _ in range(repeats):  # alternate, so that noise falls on both alike
            cold.append(_run_child(_child_command(path, device, config, None)))
            cached.append(_run_child(_child_command(path, device, config, cache_dir)))
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
    _add_warning(record, spread_warning(record["spread_pct"], "first-inference time"))
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
    data = [arrays[_input_name(port)] for port in compiled.inputs]
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


# --------------------------------------------------------------------------------------------
# benchmark_app, side by side


def benchmark_app_path() -> str:
    """OpenVINO's benchmark_app beside this Python (the venv's bin), else on PATH."""
    beside = Path(sys.executable).parent / ("benchmark_app.exe" if os.name == "nt" else "benchmark_app")
    if beside.is_file():
        return str(beside)
    found = shutil.which("benchmark_app")
    if found:
        return found
    raise UsageError(
        "benchmark_app not found beside "
        f"{sys.executable} or on PATH; it comes with the openvino package (pip install openvino)"
    )


def benchmark_app_command(
    p: Prepared, mode: str, seconds: int, report_dir: str, config_file: str | None
) -> list[str]:
    """The benchmark_app command that measures what ``p`` measures."""
    cfg = p.config
    cmd = [benchmark_app_path(), "-m", str(p.path), "-d", p.device, "-t", str(seconds),
           "-hint", cfg.hint or DEFAULT_HINT[p.scenario],
           "-api", "sync" if mode == "single-stream" else "async",
           "-report_folder", report_dir, "-json_stats"]  # fmt: skip
    shape = ",".join(f"{name}[{','.join(str(d) for d in dims)}]" for name, dims in p.shapes.items())
    cmd += ["-shape", shape]
    cmd += _native_input_precision(p.compiled)
    if mode == "offline":
        if cfg.requests is not None:
            cmd += ["-nireq", str(cfg.requests)]
        cmd += ["-inference_only", "false" if cfg.full else "true"]
    if cfg.precision:
        cmd += ["-infer_precision", cfg.precision]
    if cfg.cache_dir:
        cmd += ["-cdir", str(cfg.cache_dir)]
    if config_file:
        cmd += ["-load_config", config_file]
    return cmd


_BAPP_TYPES = {"boolean": "bool", "f16": "f16", "f32": "f32", "f64": "f64", "i8": "i8", "i16": "i16",
               "i32": "i32", "i64": "i64", "u8": "u8", "u16": "u16", "u32": "u32", "u64": "u64"}  # fmt: skip


def _native_input_precision(compiled: ov.CompiledModel) -> list[str]:
    """benchmark_app arguments that keep every input's own element type.

    By default benchmark_app turns an image-like input (3 channels) into u8 and converts it
    inside the model: a different, lighter workload than the f32 model the harness runs.
    """
    types = {_input_name(p): _BAPP_TYPES.get(p.get_element_type().get_type_name()) for p in compiled.inputs}
    if not types or None in types.values():
        return []
    if len(set(types.values())) == 1:
        return ["-ip", next(iter(types.values()))]
    if any(c in name for name in types for c in ",:[] "):
        return []
    return ["-iop", ",".join(f"{name}:{t}" for name, t in types.items())]


_FLOAT = r"([0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)"


def parse_benchmark_app(stdout: str, report_dir: str | None = None) -> dict:
    """Throughput (FPS) and median latency (ms) from benchmark_app's JSON report or its stdout."""
    out: dict[str, float] = {}
    report = Path(report_dir, "benchmark_report.json") if report_dir else None
    if report and report.is_file():
        try:
            results = json.loads(report.read_text()).get("execution_results", {})
            out["throughput_fps"] = float(results["throughput"])
            out["latency_ms_p50"] = float(results["latency (ms)"])
            out["count"] = int(results.get("total number of iterations", 0))
        except (KeyError, ValueError, json.JSONDecodeError):
            out = {}
    if "throughput_fps" not in out:
        m = re.search(rf"Throughput:\s*{_FLOAT}\s*FPS", stdout)
        if m:
            out["throughput_fps"] = float(m.group(1))
    if "latency_ms_p50" not in out:
        m = re.search(rf"Median:\s*{_FLOAT}\s*(ms|us)", stdout)
        if m:
            out["latency_ms_p50"] = float(m.group(1)) / (1000.0 if m.group(2) == "us" else 1.0)
    return out


def run_benchmark_app(p: Prepared, mode: str, seconds: int) -> dict:
    """One benchmark_app run on ``p``'s model file and configuration."""
    with tempfile.TemporaryDirectory(prefix="perfguide-bapp-") as tmp:
        extra = {}
        if p.config.streams is not None:
            extra["NUM_STREAMS"] = str(p.config.streams)
        if p.config.threads is not None:
            extra["INFERENCE_NUM_THREADS"] = str(p.config.threads)
        config_file = None
        if extra:  # -load_config sets them without benchmark_app's "hint must be none" rule
            config_file = str(Path(tmp, "config.json"))
            Path(config_file).write_text(json.dumps({p.device: extra}))
        cmd = benchmark_app_command(p, mode, seconds, tmp, config_file)
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds * 10 + 300)
        parsed = parse_benchmark_app(done.stdout, tmp)
    if done.returncode != 0 or "throughput_fps" not in parsed or "latency_ms_p50" not in parsed:
        tail = [ln for ln in (done.stdout + done.stderr).splitlines() if "ERROR" in ln or "rror" in ln]
        reason = (tail or (done.stdout + done.stderr).strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"benchmark_app failed ({done.returncode}): {reason.strip()}")
    parsed["command"] = " ".join(cmd)
    return parsed


COMPARE_MODES = ("offline", "single-stream")


def alternate(first: Callable[[int], Any], second: Callable[[int], Any], times: int) -> list[tuple[Any, Any]]:
    """``times`` pairs (first(i), second(i)), run in A B B A A B ... order, so that a drift in the
    machine's speed during the series falls on both alike."""
    pairs = []
    for i in range(times):
        if i % 2 == 0:
            a = first(i)
            pairs.append((a, second(i)))
        else:
            b = second(i)
            pairs.append((first(i), b))
    return pairs


def compare_benchmark_app(
    model: str | os.PathLike,
    device: str = "CPU",
    mode: str = "offline",
    config: BenchConfig | None = None,
    *,
    seconds: float = DEFAULT_SECONDS,
    repeats: int = DEFAULT_REPEATS,
    min_count: int = DEFAULT_MIN_COUNT,
    seed: int = 0,
) -> dict:
    """Our ``mode`` measurement and benchmark_app's on the same model file and configuration,
    alternating (ours, theirs) ``repeats`` times; a record with a ``benchmark_app`` block.

    ratio = our best run / their best run: the highest offline throughput, or for single-stream
    the lowest median latency by the runtime's request timer (the one benchmark_app reports), with
    ``ratio_caller`` beside it for our best median by the caller's clock. A shared machine's speed
    jumps between states that last tens of seconds; noise only ever slows a run down, so each
    tool's best run is the one the machine disturbed least, and the two tools, taking turns, get
    the same chances at it. ``ratio_pairs`` (the median over the pairs of ours / theirs) and
    ``ratio_pooled`` (our median run / theirs) are kept beside it.
    """
    if mode not in COMPARE_MODES:
        raise UsageError(f"unknown comparison mode {mode!r}; choose one of: {', '.join(COMPARE_MODES)}")
    config = (config or BenchConfig()).resolved(mode)
    check_config(mode, config, seconds=seconds, repeats=repeats)
    if mode == "single-stream" and (config.requests or 1) != 1:
        raise UsageError("single-stream runs one request: drop --requests")
    benchmark_app_path()
    whole = max(1, round(seconds))  # benchmark_app's -t takes whole seconds: both run that long
    reset_peak_rss()
    p = prepare(model, device, mode, config, seed=seed)
    pairs = alternate(lambda i: run_once(p, whole, min_count, seed=seed + i),
                      lambda i: run_benchmark_app(p, mode, whole), repeats)  # fmt: skip
    runs, theirs = [a for a, _ in pairs], [b for _, b in pairs]
    record = _empty_record(p.label, device, mode, p.config)
    record["id"] += "/vs=benchmark_app"
    _summarize(record, runs, "throughput" if mode == "offline" else "latency")
    _finish(record, p)
    their_fps = float(np.median([t["throughput_fps"] for t in theirs]))
    their_p50 = float(np.median([t["latency_ms_p50"] for t in theirs]))
    caller: dict[str, float] = {}
    if mode == "offline":
        ours_each = np.array([r.throughput_fps for r in runs])
        theirs_each = np.array([t["throughput_fps"] for t in theirs])
        best = np.max
    else:
        # Like for like: benchmark_app reports each inference by the runtime's request timer, so
        # the ratio uses the same timer; the caller's clock (which adds the return to Python) is
        # compared beside it.
        ours_each = np.array([r.runtime_p50_ms for r in runs])
        theirs_each = np.array([t["latency_ms_p50"] for t in theirs])
        best = np.min
        caller_best = float(best(np.array([r.p50_ms for r in runs])))
        caller = {"ratio_caller": caller_best / float(best(theirs_each)), "harness_caller": caller_best}
    ours_best, theirs_best = float(best(ours_each)), float(best(theirs_each))
    record["benchmark_app"] = {
        "mode": mode,
        "throughput_fps": their_fps,  # benchmark_app's median run
        "latency_ms_p50": their_p50,
        "ratio": ours_best / theirs_best,  # best run against best run: the least disturbed by noise
        "harness": ours_best,
        "theirs": theirs_best,
        **caller,
        # The two other ways to pair the runs up, kept so a reader can judge the noise.
        "ratio_pairs": float(np.median(ours_each / theirs_each)),  # median over back-to-back pairs
        "ratio_pooled": float(np.median(ours_each) / np.median(theirs_each)),  # median vs median run
        "repeats": [
            {"throughput_fps": t["throughput_fps"], "latency_ms_p50": t["latency_ms_p50"]} for t in theirs
        ],
        "spread_pct": spread_pct([t["throughput_fps"] if mode == "offline" else t["latency_ms_p50"]
                                  for t in theirs]),  # fmt: skip
        "command": theirs[-1]["command"],
    }
    return record


# --------------------------------------------------------------------------------------------
# The practical peak: a large MatMul


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
    compiled = compile_model(_core(), matmul_model(m, k, n), device, config)
    rng = np.random.default_rng(0)
    inputs = [[rng.standard_normal((m, k), dtype=np.float32)]]
    q = _Queue(compiled, None, inputs)
    runs = [run_offline(q, inputs, seconds, min_count, 1) for _ in range(repeats)]
    flop = 2.0 * m * k * n
    gflops = [flop * r.throughput_fps / 1e9 for r in runs]
    spread = spread_pct(gflops)
    warning = spread_warning(spread, f"{precision} MatMul GFLOP/s")
    if warning:
        _log(f"warning: peak/{device}/{precision}: {warning}")
    return {
        "gflops": float(np.median(gflops)),
        "shape": [m, k, n],
        "device": device,
        "repeats": gflops,
        "spread_pct": spread,
        "warning": warning,
        "compiled": compiled_info(compiled, q.size),
    }


# --------------------------------------------------------------------------------------------
# How steady is this machine? One model's latency, second by second

STEADY_SLOW = 1.2  # a second counts as slow when its median is this many times the fast tenth's


def steadiness_stats(p50_ms: list[float], chunk_s: float, slow: float = STEADY_SLOW) -> dict:
    """What a series of back-to-back short runs says about the machine's speed over time.

    ``fast_ms`` is the 10th percentile of the runs' medians (the machine undisturbed); a run is
    slow when its median is over ``slow`` times that. ``longest_slow_s`` is the longest stretch of
    consecutive slow runs, ``switches`` how often the series went from fast to slow.
    """
    values = np.asarray(p50_ms, dtype=float)
    if values.size < 2 or not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError("steadiness needs at least two positive medians")
    fast = float(np.percentile(values, 10))
    is_slow = values > slow * fast
    longest = run = switches = 0
    for i, s in enumerate(is_slow):
        run = run + 1 if s else 0
        longest = max(longest, run)
        switches += int(bool(s) and i > 0 and not is_slow[i - 1])
    return {
        "fast_ms": fast,
        "median_ms": float(np.median(values)),
        "slowest_ms": float(values.max()),
        "slow_factor": slow,
        "slow_share": float(is_slow.mean()),
        "longest_slow_s": longest * chunk_s,
        "switches": switches,
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


# --------------------------------------------------------------------------------------------
# Human-readable summary


def summary(record: dict) -> str:
    """A few lines describing a record, for the terminal."""
    lines = [f"{record['id']}"]
    c = record.get("compiled") or {}
    if c:
        lines.append(
            f"  compiled: hint {c.get('hint')}, {c.get('streams')} streams, {c.get('requests')} requests, "
            f"{c.get('threads')} threads, precision {c.get('precision')}, "
            f"on {','.join(c.get('execution_devices', []))}"
        )
    if record.get("first_inference_ms"):
        f = record["first_inference_ms"]
        lines.append(f"  first inference: cold {f['cold']:.1f} ms (spread {f['cold_spread_pct']:.1f}%), "
                     f"cached {f['cached']:.1f} ms (spread {f['cached_spread_pct']:.1f}%)")  # fmt: skip
    if record.get("throughput_fps"):
        lines.append(f"  throughput: {record['throughput_fps']:.2f} frames/s "
                     f"({record['count']} inferences in {record['duration_s']:.2f} s)")  # fmt: skip
    lat = record.get("latency_ms")
    if lat:
        lines.append(f"  latency ms: p50 {lat['p50']:.2f}  p90 {lat['p90']:.2f}  p99 {lat['p99']:.2f}  "
                     f"mean {lat['mean']:.2f}  min {lat['min']:.2f}  max {lat['max']:.2f}")  # fmt: skip
    rt = record.get("runtime_latency_ms")
    if rt:
        lines.append(f"  by the runtime's request timer: p50 {rt['p50']:.2f}  p99 {rt['p99']:.2f} ms; "
                     f"the caller's clock adds {record['caller_overhead_us']:.0f} us (median)")  # fmt: skip
    if record.get("server"):
        s = record["server"]
        extra = f", max rate {s['max_rate_qps']:.2f}/s for p99 <= {s['p99_bound_ms']:g} ms" if s.get(
            "p99_bound_ms") else ""
        lines.append(f"  server: {s['rate_qps']:.2f} queries/s{extra}")
    if record.get("benchmark_app"):
        b = record["benchmark_app"]
        if b["mode"] == "offline":
            lines.append(f"  benchmark_app: {b['throughput_fps']:.2f} FPS (median run); best run / best run "
                         f"= {b['ratio']:.3f}")  # fmt: skip
        else:
            lines.append(
                f"  benchmark_app: median {b['latency_ms_p50']:.2f} ms (median run); best run / best "
                f"run = {b['ratio']:.3f} by the same request timer, {b['ratio_caller']:.3f} by the "
                "caller's clock"
            )
    if record.get("gflops"):
        lines.append(f"  achieved: {record['gflops']:.1f} GFLOP/s")
    lines.append(f"  repeats: {len(record['repeats'])}, spread {record['spread_pct']:.1f}%; "
                 f"peak RSS {record['peak_rss_mib']:.0f} MiB")  # fmt: skip
    if record.get("warning"):
        lines.append(f"  WARNING: {record['warning']}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# One measurement in a fresh process


def in_fresh_process(func: str, *args: Any, config: BenchConfig | None = None, **kwargs: Any) -> Any:
    """``bench.<func>(*args, config=config, **kwargs)`` run in a new Python process; its result.

    A process that has already compiled and run other models measures the next one slower: on the
    2-core machine, mobilenet's single-stream median came out 25% above a fresh process's, pair by
    pair, after a dozen other measurements (the runtime's idle threads from earlier models stay
    behind). benchmark_app always starts fresh, so ``regenerate`` runs every point this way.
    """
    if func not in _ISOLATED:
        raise ValueError(f"{func!r} is not one of {sorted(_ISOLATED)}")
    payload = {"func": func, "args": list(args), "kwargs": kwargs,
               "config": asdict(config) if config is not None else None}  # fmt: skip
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [sys.executable, "-m", "perfguide.bench", "call", json.dumps(payload, default=str)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = done.stderr.strip().splitlines()
    for line in lines:  # the child's warnings, shown where the parent shows its own
        if line.strip() and done.returncode == 0:
            _log(line)
    if done.returncode != 0:
        last = (lines or ["(no output)"])[-1]
        if done.returncode == 2:
            raise UsageError(last.removeprefix("error: "))
        raise RuntimeError(f"{func} in a fresh process failed ({done.returncode}): {last}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------
# ``python -m perfguide.bench first-inference-child`` and ``python -m perfguide.bench call``


def _child_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m perfguide.bench")
    sub = parser.add_subparsers(dest="command", required=True)
    child = sub.add_parser("first-inference-child", help="time read + compile + first inference once")
    child.add_argument("--model", required=True)
    child.add_argument("--device", required=True)
    child.add_argument("--config", default="{}", help="BenchConfig fields as JSON")
    child.add_argument("--cache-dir")
    call = sub.add_parser("call", help="run one measuring function (see in_fresh_process)")
    call.add_argument("payload", help='JSON: {"func": ..., "args": [...], "kwargs": {...}, "config": {...}}')
    args = parser.parse_args(argv)
    if args.command == "call":
        payload = json.loads(args.payload)
        kwargs = payload.get("kwargs") or {}
        if payload.get("config") is not None:
            kwargs["config"] = BenchConfig(**payload["config"])
        result = _ISOLATED[payload["func"]](*payload.get("args", []), **kwargs)
        print(json.dumps(result, allow_nan=False))
        return 0
    config = BenchConfig(**json.loads(args.config))
    print(json.dumps(first_inference_child(args.model, args.device, config, args.cache_dir)))
    return 0


_ISOLATED = {"measure": measure, "compare_benchmark_app": compare_benchmark_app, "peak_matmul": peak_matmul,
             "steadiness": steadiness}  # fmt: skip


if __name__ == "__main__":
    from perfguide.errors import run_cli

    sys.exit(run_cli(_child_main))
