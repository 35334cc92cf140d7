"""The regenerate plan: every point the docs' numbers come from, pruned to what this machine can
run (2 cores: a few streams; precisions the device lists) and smaller with ``quick``.

A point's ``run(ctx)`` measures (each measurement in a fresh process) and returns its records;
what later points reuse or the results file keeps beside the records (a base record, the peak,
the steadiness probe) it puts into ``ctx`` under a flat key (``peak/matmul/f32``), so that a
resumed run can give it back from the journal.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace

from perfguide.bench.config import BenchConfig, Timing
from perfguide.errors import UsageError


@dataclass
class Point:
    """One thing to measure in the matrix: ``run(context)`` returns records (or updates peak)."""

    label: str
    kind: str  # one of KINDS
    run: Callable[[dict], list[dict]]
    cost_s: float = 10.0


KINDS = ("single-stream", "offline", "server", "first-inference", "benchmark-app", "cpp", "peak",
         "steadiness", "llm", "llama-cpp")
CNNS = ("yolov5n", "resnet50", "mobilenet")
HEAVY_MODEL = "bert-base"  # the zoo's heaviest: its GFLOP/s is set against the MatMul peak
SWEEP_MODELS = ("yolov5n", "resnet50")  # batch and streams sweeps: the models the docs chart
QUICK_MODELS = ("mobilenet", "yolov5n")
# The LLM points: the zoo's Qwen2.5-0.5B shape, or the 2-layer test model in a quick run.
LLM_MODEL, QUICK_LLM_MODEL = "qwen2.5-0.5b", "tiny-qwen2"
LLM_PROMPT, LLM_OUTPUT = 128, 64  # the reference request: prompt and generated tokens
LLM_PROMPTS = (32, 512)  # TTFT against prompt length (beside LLM_PROMPT)
LLM_LONG_PROMPT = 1024  # KV-cache precision: at a long context
LLM_USERS = (2, 4, 8)  # continuous batching
LLAMA_CPP_PAIRS = 3
LLAMA_CPP_FORMATS = ("f16", "q8_0", "q4_0")  # the same GGUF file for both runtimes, each format
SERVER_LOAD = 0.5  # server scenario at this fraction of the offline capacity
P99_FACTOR = 4.0  # max-rate bound: this many times the single-stream median latency
# The benchmark_app check in a full regenerate: at least this many alternating pairs of at least
# this many seconds each. The ratio it gives (best run against best run) is the one figure here
# measured against another tool, and a shared machine's speed jumps between states that last tens
# of seconds: more pairs, more chances for each tool to run while the machine is undisturbed.
COMPARE_PAIRS, COMPARE_SECONDS = 8, 5.0
# The steadiness probe: this model's single-stream latency in back-to-back 1 s runs, this long
# (a quick run: 10 x --seconds, at most STEADY_QUICK_SECONDS).
# What Python adds per call: its single-stream loop against the same loop in C++, on a small and
# a large model (the cost is per call, so it weighs most on the small one).
PER_CALL_MODELS = ("mobilenet", "resnet50")
STEADY_MODEL, STEADY_SECONDS, STEADY_QUICK_SECONDS = "mobilenet", 60.0, 10.0


def _pow2_upto(n: int) -> list[int]:
    values, v = [], 1
    while v < n:
        values.append(v)
        v *= 2
    return sorted(set(values + [n]))


def batch_blocker(model: str) -> str | None:
    """Why ``model`` cannot run at a batch above 1 (its graph fixes the batch), or None."""
    import openvino as ov

    from perfguide import bench

    try:
        bench.read_model(model, ov.Core(), batch=2)
    except UsageError as exc:
        return str(exc)[:300]
    return None


def build_matrix(models: list[str], devices: list[str], *, quick: bool, timing: Timing, auto_point: bool,
                 kinds: set[str], skipped: list[str] | None = None,
                 llms: list[str] = ()) -> list[Point]:  # fmt: skip
    """Every point of the docs' matrix (pruned for a 2-core machine; smaller with quick).

    Points that cannot run here are left out with a reason appended to ``skipped``. Point
    labels are unique: they are the points' ids in a journal.
    """
    skipped = skipped if skipped is not None else []
    from perfguide import bench
    from perfguide.devices import VIRTUAL, family
    from perfguide.environment import cores

    physical, _ = cores()
    points: list[Point] = []
    seconds, repeats = timing.seconds, timing.repeats
    kw = dict(seconds=seconds, repeats=repeats, min_count=timing.min_count)
    per_point = seconds * repeats + 2.0

    def add(label: str, kind: str, fn: Callable[[dict], list[dict]], cost: float | None = None) -> None:
        if kind in kinds:
            points.append(Point(label, kind, fn, cost or per_point))

    def alone(model: str, device: str, scenario: str, cfg: BenchConfig, **override) -> dict:
        """One measurement, in a fresh process (see bench.in_fresh_process)."""
        return bench.in_fresh_process("measure", model, device, scenario, config=cfg, **{**kw, **override})

    def measured(model: str, device: str, scenario: str, cfg: BenchConfig, key: str | None = None):
        def run(ctx: dict) -> list[dict]:
            record = alone(model, device, scenario, cfg)
            if key:
                ctx[key] = record
            return [record]

        return run

    def base(ctx: dict, key: str, model: str, device: str, scenario: str, cfg: BenchConfig) -> dict:
        """The record another point measured under ``key`` (measured now if it was not)."""
        if key not in ctx:
            ctx[key] = alone(model, device, scenario, cfg)
        return ctx[key]

    def server(model: str, device: str, cfg: BenchConfig, run_cfg: BenchConfig, suffix: str,
               **noted: float) -> list[dict]:  # fmt: skip
        """A server record at ``run_cfg``, its id saying how its rate or bound was derived."""
        record = alone(model, device, "server", run_cfg)
        settings = {**cfg.record_config(), "hint": "throughput"}
        record["id"] = bench.record_id(record["model"], device, "server", settings, suffix=suffix)
        record["server"].update(noted)
        return [record]

    def derived_server(model: str, device: str, cfg: BenchConfig, base_key: str, fraction: float):
        def run(ctx: dict) -> list[dict]:
            offline = base(ctx, base_key, model, device, "offline", cfg)
            rate = fraction * offline["throughput_fps"] / cfg.batch
            return server(model, device, cfg, replace(cfg, rate=rate), f"load={fraction:g}xoffline",
                          load_fraction=fraction)  # fmt: skip

        return run

    def max_rate(model: str, device: str, cfg: BenchConfig, latency_key: str, lat_cfg: BenchConfig):
        def run(ctx: dict) -> list[dict]:
            single = base(ctx, latency_key, model, device, "single-stream", lat_cfg)
            bound = round(P99_FACTOR * single["latency_ms"]["p50"], 3)
            return server(model, device, cfg, replace(cfg, max_rate=True, p99_bound_ms=bound),
                          f"max_rate/p99_bound={P99_FACTOR:g}xsingle_stream_p50", bound_factor=P99_FACTOR)

        return run

    cmp_kw = kw if quick else dict(kw, seconds=max(seconds, COMPARE_SECONDS),
                                   repeats=max(repeats, COMPARE_PAIRS))  # fmt: skip

    def compare(model: str, device: str, mode: str, cfg: BenchConfig):
        def run(ctx: dict) -> list[dict]:
            fresh = bench.in_fresh_process
            return [fresh("compare_benchmark_app", model, device, mode, config=cfg, **cmp_kw)]

        return run

    def versus_cpp(model: str, device: str, cfg: BenchConfig):
        def run(ctx: dict) -> list[dict]:
            return [bench.in_fresh_process("compare_cpp", model, device, config=cfg, **cmp_kw)]

        return run

    def first(model: str, device: str, cfg: BenchConfig):
        def run(ctx: dict) -> list[dict]:
            return [alone(model, device, "first-inference", cfg)]

        return run

    for device in devices:
        fam = family(device)
        if fam in VIRTUAL:
            for model in models[:1]:
                cfg = BenchConfig(hint="cumulative_throughput", precision=None)
                add(f"{model} {device} offline ctput", "offline", measured(model, device, "offline", cfg))
            continue
        precisions = ["f32"] + [p for p in ("bf16", "f16") if p in bench.supported_precisions(device)]
        streams = _pow2_upto(physical) if fam == "CPU" else [1, 2]
        for model in models:
            is_cnn = model in CNNS
            heavy = model == HEAVY_MODEL
            lat = BenchConfig(hint="latency", precision="f32")
            tput = BenchConfig(hint="throughput", precision="f32")
            lat_key, tput_key = f"{model}/{device}/lat", f"{model}/{device}/tput"
            cost = per_point * (1.5 if heavy else 1.0)
            add(f"{model} {device} single-stream latency f32", "single-stream",
                measured(model, device, "single-stream", lat, lat_key), cost)  # fmt: skip
            add(f"{model} {device} offline throughput f32", "offline",
                measured(model, device, "offline", tput, tput_key), cost)  # fmt: skip
            for p in precisions[1:]:
                add(f"{model} {device} single-stream latency {p}", "single-stream",
                    measured(model, device, "single-stream", BenchConfig(hint="latency", precision=p)), cost)
                add(f"{model} {device} offline throughput {p}", "offline",
                    measured(model, device, "offline", BenchConfig(hint="throughput", precision=p)), cost)
            if not quick and not heavy:
                # The other hints in both scenarios: what a hint does to latency and throughput.
                add(f"{model} {device} single-stream throughput-hint f32", "single-stream",
                    measured(model, device, "single-stream", BenchConfig(hint="throughput", precision="f32")))
                add(f"{model} {device} single-stream no-hint f32", "single-stream",
                    measured(model, device, "single-stream", BenchConfig(hint="none", precision="f32")))
                add(f"{model} {device} offline latency-hint f32", "offline",
                    measured(model, device, "offline", BenchConfig(hint="latency", precision="f32")))
                add(f"{model} {device} offline no-hint f32", "offline",
                    measured(model, device, "offline", BenchConfig(hint="none", precision="f32")))
                # Streams x requests by hand (hint none).
                sweep = model in SWEEP_MODELS
                for s in streams if sweep else sorted({1, streams[-1]}):
                    for r in ([s, 2 * s] if sweep else [s]):
                        cfg = BenchConfig(hint="none", streams=s, requests=r, precision="f32")
                        add(f"{model} {device} offline streams={s} requests={r} f32", "offline",
                            measured(model, device, "offline", cfg))  # fmt: skip
                # End to end: a fresh input copied in before every inference.
                cfg = BenchConfig(hint="throughput", precision="f32", full=True)
                add(f"{model} {device} offline full f32", "offline", measured(model, device, "offline", cfg))
            batch_problem = batch_blocker(model) if is_cnn else None
            if batch_problem:
                skipped.append(f"{model}: no batch sweep: {batch_problem}")
            if is_cnn and not batch_problem:
                batches = [4] if quick else [2, 4, 8]
                for b in batches:
                    cfg = BenchConfig(hint="throughput", batch=b, precision="f32")
                    add(f"{model} {device} offline batch={b} f32", "offline",
                        measured(model, device, "offline", cfg))  # fmt: skip
                    if not quick and model in SWEEP_MODELS:
                        add(f"{model} {device} single-stream batch={b} f32", "single-stream",
                            measured(model, device, "single-stream",
                                     BenchConfig(hint="latency", batch=b, precision="f32")))  # fmt: skip
            if heavy and not quick:
                for n in (64, 256):  # what sequence length costs
                    add(f"{model} {device} single-stream seq_len={n} f32", "single-stream",
                        measured(model, device, "single-stream", BenchConfig(hint="latency", precision="f32",
                                                                             seq_len=n)), cost)  # fmt: skip
            add(f"{model} {device} server {SERVER_LOAD:g}x offline", "server",
                derived_server(model, device, tput, tput_key, SERVER_LOAD), cost)
            if not heavy:
                add(f"{model} {device} server max-rate", "server",
                    max_rate(model, device, tput, lat_key, lat), seconds * (8 + repeats) + 3)
            add(f"{model} {device} first-inference", "first-inference",
                first(model, device, BenchConfig(hint="latency", precision="f32")),
                (3 + 2 * repeats) * (6 if heavy else 2.5))  # fmt: skip
            if fam == "CPU":
                whole = max(1, round(cmp_kw["seconds"]))
                cmp_cost = cmp_kw["repeats"] * (2 * whole + (8 if heavy else 4))
                for mode, cfg in (("offline", tput), ("single-stream", lat)):
                    add(f"{model} {device} vs benchmark_app {mode}", "benchmark-app",
                        compare(model, device, mode, cfg), cmp_cost)  # fmt: skip
                if model in PER_CALL_MODELS:
                    add(f"{model} {device} single-stream vs C++", "cpp", versus_cpp(model, device, lat),
                        cmp_kw["repeats"] * (2 * cmp_kw["seconds"] + 4))  # fmt: skip
        for p in precisions:
            shape = (2048, 2048, 2048)

            def peak(ctx: dict, p=p, device=device, shape=shape) -> list[dict]:
                result = bench.in_fresh_process("peak_matmul", device, p, shape, seconds=seconds,
                                                repeats=repeats)  # fmt: skip
                key = p if device == devices[0] else f"{device}/{p}"
                ctx[f"peak/matmul/{key}"] = result
                return []

            add(f"peak {device} matmul {p}", "peak", peak, seconds * repeats + 4)

            def heavy(ctx: dict, p=p, device=device, shape=shape) -> list[dict]:
                """The heavy model against the MatMul, alternating fresh processes (A B B A ...):
                its fraction of the practical peak as a ratio taken side by side."""
                cfg = BenchConfig(hint="throughput", precision=p)
                def run_matmul(_i: int) -> float:
                    return bench.in_fresh_process("peak_matmul", device, p, shape, seconds=seconds,
                                                  repeats=1)["gflops"]  # fmt: skip

                def run_model(_i: int) -> float:
                    return alone(HEAVY_MODEL, device, "offline", cfg, repeats=1)["gflops"]

                pairs = [{"matmul_gflops": mm, "model_gflops": got}
                         for mm, got in bench.alternate(run_matmul, run_model, repeats)]  # fmt: skip
                key = p if device == devices[0] else f"{device}/{p}"
                ctx[f"peak/heavy/{key}"] = {
                    "model": HEAVY_MODEL, "device": device, "precision": p, "shape": list(shape),
                    "config": cfg.record_config(), "pairs": pairs,
                    "fraction": statistics.median(q["model_gflops"] / q["matmul_gflops"] for q in pairs),
                    "model_gflops": statistics.median(q["model_gflops"] for q in pairs),
                    "matmul_gflops": statistics.median(q["matmul_gflops"] for q in pairs),
                }  # fmt: skip
                return []

            if HEAVY_MODEL in models:
                add(f"peak {device} {HEAVY_MODEL} vs matmul {p}", "peak", heavy,
                    repeats * (2.5 * seconds + 12))  # fmt: skip
        span = min(STEADY_QUICK_SECONDS, 10 * seconds) if quick else STEADY_SECONDS

        def steady(ctx: dict, device=device, span=span) -> list[dict]:
            ctx[f"steadiness/{device}"] = bench.in_fresh_process(
                "steadiness", STEADY_MODEL, device, seconds=span)
            return []

        add(f"steadiness {device} {STEADY_MODEL} {span:g} s", "steadiness", steady, span + 5)
    for device in devices:
        if family(device) == "CPU":
            for model in llms:
                llm_points(model, device, quick=quick, timing=timing, add=add)
        elif llms:
            skipped.append(f"{device}: no LLM points (this plan runs LLMs on CPU)")
    if auto_point and "offline" in kinds and models:
        cfg = BenchConfig(hint="cumulative_throughput")
        points.append(Point(f"{models[0]} AUTO offline ctput", "offline",
                            measured(models[0], "AUTO", "offline", cfg), per_point))  # fmt: skip
    labels = [point.label for point in points]
    if len(set(labels)) != len(labels):  # a journal keys points by label
        raise ValueError(f"two points share a label: {sorted({x for x in labels if labels.count(x) > 1})}")
    return points


def llm_points(model: str, device: str, *, quick: bool, timing: Timing, add: Callable) -> None:
    """The LLM points of one model and device (see docs/guide/llm.md for what each shows)."""
    from dataclasses import asdict

    from perfguide import bench
    from perfguide.bench.llm import LLMSettings

    repeats = timing.repeats
    cfg = BenchConfig(hint="latency")
    # One request of the reference length costs about this much on 2 cores (0.5 B parameters).
    per_run = 1.0 if quick else 5.0

    def llm(label: str, load_repeats: int = 0, **settings) -> None:
        s = LLMSettings(**{"prompt_tokens": LLM_PROMPT, "output_tokens": LLM_OUTPUT, **settings}).check()

        def run(ctx: dict) -> list[dict]:
            return [bench.in_fresh_process("measure_llm", model, device, asdict(s), config=cfg,
                                           repeats=repeats, load_repeats=load_repeats)]

        cost = (repeats + 1) * per_run * max(1, s.users // 2) + 3 * load_repeats * per_run + 8
        add(f"llm {model} {device} {label}", "llm", run, cost)

    for fmt in ("f16", "int8", "int4"):
        llm(fmt, load_repeats=1 if quick else 2, weights=fmt)
    if quick:
        llm("int8 users=2", weights="int8", users=2)
    else:
        for n in LLM_PROMPTS:
            llm(f"f16 prompt={n}", weights="f16", prompt_tokens=n, output_tokens=16)
        for kv in ("f16", "u8"):
            llm(f"f16 prompt={LLM_LONG_PROMPT} kv={kv}", weights="f16", prompt_tokens=LLM_LONG_PROMPT,
                output_tokens=32, kv_cache_precision=kv)
        llm("int8 dq=off", weights="int8", dq_group=0)
        for users in LLM_USERS:
            llm(f"int8 users={users}", weights="int8", users=users)

    def bandwidth(ctx: dict) -> list[dict]:
        ctx[f"peak/bandwidth/{device}"] = bench.in_fresh_process("bandwidth", device)
        return []

    add(f"peak {device} bandwidth", "peak", bandwidth, 10)
    pairs = 1 if quick else LLAMA_CPP_PAIRS

    def peer(gguf_format: str) -> Callable[[dict], list[dict]]:
        def run(ctx: dict) -> list[dict]:
            s = LLMSettings(prompt_tokens=LLM_PROMPT, output_tokens=LLM_OUTPUT)
            ctx[f"peers/llama_cpp/{model}-{gguf_format}"] = bench.in_fresh_process(
                "compare_llama_cpp", model, device, asdict(s), config=cfg, pairs=pairs,
                gguf_format=gguf_format)
            return []

        return run

    if bench.llama_cpp_version() is not None:
        for gguf_format in ("f16",) if quick else LLAMA_CPP_FORMATS:
            add(f"llm {model} {device} {gguf_format} vs llama.cpp", "llama-cpp", peer(gguf_format),
                pairs * 2 * (3 * per_run + (6 if quick else 20)))
