"""OpenVINO's benchmark_app, side by side with this harness on the same model and settings:
the check that the harness measures what the reference tool measures."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import openvino as ov

from perfguide.bench.config import (
    DEFAULT_HINT,
    DEFAULT_MIN_COUNT,
    DEFAULT_REPEATS,
    DEFAULT_SECONDS,
    BenchConfig,
    Timing,
)
from perfguide.bench.isolation import spawn
from perfguide.bench.memory import reset_peak_rss
from perfguide.bench.models import input_name
from perfguide.bench.scenarios import Prepared, empty_record, finish, prepare, run_once, summarize
from perfguide.bench.stats import alternate, spread_pct
from perfguide.errors import UsageError

COMPARE_MODES = ("offline", "single-stream")


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
    types = {input_name(p): _BAPP_TYPES.get(p.get_element_type().get_type_name()) for p in compiled.inputs}
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
    from perfguide.paths import portable

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
        done = spawn(cmd, timeout=seconds * 10 + 300)
        parsed = parse_benchmark_app(done.stdout, tmp)
    if done.returncode != 0 or "throughput_fps" not in parsed or "latency_ms_p50" not in parsed:
        tail = [ln for ln in (done.stdout + done.stderr).splitlines() if "ERROR" in ln or "rror" in ln]
        reason = (tail or (done.stdout + done.stderr).strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"benchmark_app failed ({done.returncode}): {reason.strip()}")
    parsed["command"] = portable(" ".join(cmd))  # no local path of this machine in a results file
    return parsed


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
    Timing(seconds, repeats, min_count)
    config = (config or BenchConfig()).resolved(mode)
    if mode == "single-stream" and (config.requests or 1) != 1:
        raise UsageError("single-stream runs one request: drop --requests")
    benchmark_app_path()
    whole = max(1, round(seconds))  # benchmark_app's -t takes whole seconds: both run that long
    reset_peak_rss()
    p = prepare(model, device, mode, config, seed=seed)
    pairs = alternate(lambda i: run_once(p, whole, min_count, seed=seed + i),
                      lambda i: run_benchmark_app(p, mode, whole), repeats)  # fmt: skip
    runs, theirs = [a for a, _ in pairs], [b for _, b in pairs]
    record = empty_record(p.label, device, mode, p.config)
    record["id"] += "/vs=benchmark_app"
    summarize(record, runs, "throughput" if mode == "offline" else "latency")
    finish(record, p)
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
