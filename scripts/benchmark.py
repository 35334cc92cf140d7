#!/usr/bin/env python3
"""Measure OpenVINO inference performance; regenerate the results files the guide's numbers come from.

Every figure is taken by perfguide.bench; results files are written by perfguide.results.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from perfguide.errors import UsageError, run_cli  # noqa: E402

EPILOG = """\
examples:
  # latency of one request at a time (10 s x 3 repeats), printed
  python scripts/benchmark.py measure --model yolov5n --device CPU --scenario single-stream

  # throughput with every request in flight, 2 streams, bf16, as a JSON record
  python scripts/benchmark.py measure --model resnet50 --scenario offline --hint none --streams 2 \\
      --precision bf16 --json out.json

  # your own model; Poisson arrivals at 50 queries/s; or the highest rate with p99 <= 40 ms
  python scripts/benchmark.py measure --model my/model.xml --scenario server --rate 50
  python scripts/benchmark.py measure --model mobilenet --scenario server --max-rate --p99-ms 40

  # time to the first result, cold and from a model cache (fresh processes)
  python scripts/benchmark.py measure --model bert-base --scenario first-inference --seq-len 128

  # the same points measured by OpenVINO's benchmark_app, alternating with ours
  python scripts/benchmark.py compare-benchmark-app --model mobilenet --device CPU --seconds 5

  # every number behind the docs (results/<machine-id>.json), or a quick pass (.quick.json)
  python scripts/benchmark.py regenerate
  python scripts/benchmark.py regenerate --quick --models mobilenet

  # how steady is this machine? (a minute of 1 s runs; kept in your results file)
  python scripts/benchmark.py regenerate --only steadiness

  # check results files, and flatten one to CSV
  python scripts/benchmark.py validate
  python scripts/benchmark.py export-csv results/amd-epyc-2c-linux.json -o results.csv
"""


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line on stderr and exit code 2 (via run_cli)."""

    def error(self, message: str):  # noqa: D401 - argparse's signature
        raise UsageError(f"{self.prog}: {message}")


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    return value


def add_config_arguments(p: argparse.ArgumentParser) -> None:
    from perfguide.bench import HINTS, PRECISIONS

    g = p.add_argument_group("configuration")
    g.add_argument("--hint", choices=HINTS,
                   help="performance hint (default: latency for single-stream and first-inference, "
                        "throughput for offline and server)")  # fmt: skip
    g.add_argument("--streams", type=int, help="NUM_STREAMS (default: the hint's choice)")
    g.add_argument("--requests", type=int,
                   help="infer requests in flight (default: the compiled model's optimal number)")
    g.add_argument("--batch", type=int, default=1, help="batch size (dim 0 of every input; default 1)")
    g.add_argument("--precision", choices=PRECISIONS, help="inference precision (default: the device's)")
    g.add_argument("--threads", type=int, help="INFERENCE_NUM_THREADS (default: the device's)")
    g.add_argument("--cache-dir", help="model cache folder (CACHE_DIR)")
    g.add_argument("--seq-len", type=int, help="length given to dynamic non-batch dims (default 128)")
    g.add_argument("--full", action="store_true",
                   help="copy a fresh input into the request before every inference (not inference only)")


def add_run_arguments(p: argparse.ArgumentParser, seconds: float) -> None:
    g = p.add_argument_group("measurement")
    g.add_argument("--seconds", type=_float, default=seconds,
                   help=f"minimum duration of each timed repeat (default {seconds:g})")  # fmt: skip
    g.add_argument("--repeats", type=int, default=3, help="timed repeats (default 3)")
    g.add_argument("--min-count", type=int, default=10, help="minimum inferences per repeat (default 10)")
    g.add_argument("--seed", type=int, default=0, help="seed of the random inputs and arrivals")


def config_from(args) -> object:
    from perfguide.bench import BenchConfig

    return BenchConfig(
        hint=args.hint, streams=args.streams, requests=args.requests, batch=args.batch,
        precision=args.precision, threads=args.threads, full=args.full,
        rate=getattr(args, "rate", None), max_rate=getattr(args, "max_rate", False),
        p99_bound_ms=getattr(args, "p99_ms", None), seq_len=args.seq_len, cache_dir=args.cache_dir,
    )  # fmt: skip


def _check_run_args(args) -> None:
    if not (math.isfinite(args.seconds) and args.seconds > 0):
        raise UsageError(f"--seconds must be a positive number, not {args.seconds:g}")
    if args.repeats < 1:
        raise UsageError(f"--repeats must be at least 1, not {args.repeats}")
    if args.min_count < 1:
        raise UsageError(f"--min-count must be at least 1, not {args.min_count}")


def _check_output(path: str | None) -> None:
    from perfguide.results import check_writable

    if path and path != "-":
        check_writable(path)


def _write_json(obj, path: str) -> None:
    from perfguide.results import write_atomic

    text = json.dumps(obj, indent=1, allow_nan=False) + "\n"
    if path == "-":
        sys.stdout.write(text)
    else:
        try:
            write_atomic(text, path)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        print(f"wrote {path}", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# measure


def cmd_measure(args) -> int:
    from perfguide import bench
    from perfguide.devices import check_device
    from perfguide.results import validate_record
    from perfguide.zoo import resolve_model

    _check_run_args(args)
    config = config_from(args).resolved(args.scenario)
    bench.check_config(args.scenario, config, seconds=args.seconds, repeats=args.repeats)
    check_device(args.device)
    bench.check_precision(args.device, config.precision)
    _check_output(args.json)
    resolve_model(args.model)
    record = bench.measure(args.model, args.device, args.scenario, config, seconds=args.seconds,
                           repeats=args.repeats, min_count=args.min_count, seed=args.seed)  # fmt: skip
    validate_record(record, record["id"])
    if args.json:
        _write_json(record, args.json)
    else:
        print(bench.summary(record))
    return 0


# --------------------------------------------------------------------------------------------
# compare-benchmark-app


def cmd_compare(args) -> int:
    from perfguide import bench
    from perfguide.devices import check_device
    from perfguide.zoo import resolve_model

    _check_run_args(args)
    modes = bench.COMPARE_MODES if args.mode == "both" else (args.mode,)
    config = config_from(args)
    if args.mode == "single-stream" and config.requests not in (None, 1):
        raise UsageError("single-stream runs one request: drop --requests or use --mode offline")
    for mode in modes:
        cfg = (config if mode == "offline" else _without_requests(config)).resolved(mode)
        bench.check_config(mode, cfg, seconds=args.seconds, repeats=args.repeats)
    check_device(args.device)
    bench.check_precision(args.device, config.precision)
    bench.benchmark_app_path()
    _check_output(args.json)
    resolve_model(args.model)
    records = []
    for mode in modes:
        cfg = config if mode == "offline" else _without_requests(config)
        try:
            record = bench.compare_benchmark_app(args.model, args.device, mode, cfg, seconds=args.seconds,
                                                 repeats=args.repeats, min_count=args.min_count,
                                                 seed=args.seed)  # fmt: skip
        except RuntimeError as exc:  # benchmark_app itself failed: say so in one line
            raise UsageError(str(exc)) from None
        records.append(record)
        if not args.json:
            print(bench.summary(record))
    if args.json:
        _write_json(records, args.json)
    return 0


def _without_requests(config):
    from dataclasses import replace

    return replace(config, requests=None)


# --------------------------------------------------------------------------------------------
# regenerate


@dataclass
class Point:
    """One thing to measure in the matrix: ``run(context)`` returns records (or updates peak)."""

    label: str
    kind: str  # single-stream, offline, server, first-inference, benchmark-app, peak
    run: Callable[[dict], list[dict]]
    cost_s: float = 10.0


KINDS = ("single-stream", "offline", "server", "first-inference", "benchmark-app", "peak", "steadiness")
CNNS = ("yolov5n", "resnet50", "mobilenet")
HEAVY_MODEL = "bert-base"  # the zoo's heaviest: its GFLOP/s is set against the MatMul peak
SWEEP_MODELS = ("yolov5n", "resnet50")  # batch and streams sweeps: the models the docs chart
QUICK_MODELS = ("mobilenet", "yolov5n")
SERVER_LOAD = 0.5  # server scenario at this fraction of the offline capacity
P99_FACTOR = 4.0  # max-rate bound: this many times the single-stream median latency
# The benchmark_app check in a full regenerate: at least this many alternating pairs of at least
# this many seconds each. The ratio it gives (best run against best run) is the one figure here
# measured against another tool, and a shared machine's speed jumps between states that last tens
# of seconds: more pairs, more chances for each tool to run while the machine is undisturbed.
COMPARE_PAIRS, COMPARE_SECONDS = 8, 5.0
# The steadiness probe: this model's single-stream latency in back-to-back 1 s runs, this long
# (a quick run: 10 x --seconds, at most STEADY_QUICK_SECONDS).
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


def build_matrix(models: list[str], devices: list[str], *, quick: bool, seconds: float, repeats: int,
                 min_count: int, auto_point: bool, kinds: set[str],
                 skipped: list[str] | None = None) -> list[Point]:  # fmt: skip
    """Every point of the docs' matrix (pruned for a 2-core machine; smaller with quick).

    Points that cannot run here are left out with a reason appended to ``skipped``.
    """
    skipped = skipped if skipped is not None else []
    from perfguide import bench
    from perfguide.bench import BenchConfig
    from perfguide.devices import VIRTUAL, family
    from perfguide.environment import cores

    physical, _ = cores()
    points: list[Point] = []
    kw = dict(seconds=seconds, repeats=repeats, min_count=min_count)
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

    def derived_server(model: str, device: str, cfg: BenchConfig, base_key: str, fraction: float):
        def run(ctx: dict) -> list[dict]:
            base = ctx.get(base_key) or alone(model, device, "offline", cfg)
            ctx[base_key] = base
            rate = fraction * base["throughput_fps"] / cfg.batch
            from dataclasses import replace

            record = alone(model, device, "server", replace(cfg, rate=rate))
            settings = {**cfg.record_config(), "hint": "throughput"}
            suffix = f"load={fraction:g}xoffline"
            record["id"] = bench.record_id(model, device, "server", settings, suffix=suffix)
            record["server"]["load_fraction"] = fraction
            return [record]

        return run

    def max_rate(model: str, device: str, cfg: BenchConfig, latency_key: str, lat_cfg: BenchConfig):
        def run(ctx: dict) -> list[dict]:
            base = ctx.get(latency_key) or alone(model, device, "single-stream", lat_cfg)
            ctx[latency_key] = base
            bound = round(P99_FACTOR * base["latency_ms"]["p50"], 3)
            from dataclasses import replace

            record = alone(model, device, "server", replace(cfg, max_rate=True, p99_bound_ms=bound))
            settings = {**cfg.record_config(), "hint": "throughput"}
            suffix = f"max_rate/p99_bound={P99_FACTOR:g}xsingle_stream_p50"
            record["id"] = bench.record_id(model, device, "server", settings, suffix=suffix)
            record["server"]["bound_factor"] = P99_FACTOR
            return [record]

        return run

    cmp_kw = kw if quick else dict(kw, seconds=max(seconds, COMPARE_SECONDS),
                                   repeats=max(repeats, COMPARE_PAIRS))  # fmt: skip

    def compare(model: str, device: str, mode: str, cfg: BenchConfig):
        def run(ctx: dict) -> list[dict]:
            fresh = bench.in_fresh_process
            return [fresh("compare_benchmark_app", model, device, mode, config=cfg, **cmp_kw)]

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
        for p in precisions:
            shape = (2048, 2048, 2048)

            def peak(ctx: dict, p=p, device=device, shape=shape) -> list[dict]:
                result = bench.in_fresh_process("peak_matmul", device, p, shape, seconds=seconds,
                                                repeats=repeats)  # fmt: skip
                ctx.setdefault("peak", {}).setdefault("matmul", {})
                key = p if device == devices[0] else f"{device}/{p}"
                ctx["peak"]["matmul"][key] = result
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
                ctx.setdefault("peak", {}).setdefault("heavy", {})[key] = {
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
            ctx.setdefault("steadiness", {})[device] = bench.in_fresh_process(
                "steadiness", STEADY_MODEL, device, seconds=span)
            return []

        add(f"steadiness {device} {STEADY_MODEL} {span:g} s", "steadiness", steady, span + 5)
    if auto_point and "offline" in kinds and models:
        cfg = BenchConfig(hint="cumulative_throughput")
        points.append(Point(f"{models[0]} AUTO offline ctput", "offline",
                            measured(models[0], "AUTO", "offline", cfg), per_point))  # fmt: skip
    return points


def cmd_regenerate(args) -> int:
    from perfguide import results
    from perfguide.devices import available_devices, check_device
    from perfguide.environment import check_same_cpu, describe_machine, machine_id, slug
    from perfguide.zoo import ZOO, resolve_model

    quick = args.quick
    seconds = args.seconds if args.seconds is not None else (1.0 if quick else 3.0)
    if not (math.isfinite(seconds) and seconds > 0):
        raise UsageError(f"--seconds must be a positive number, not {seconds:g}")
    repeats = args.repeats if args.repeats is not None else 3
    if repeats < 1:
        raise UsageError(f"--repeats must be at least 1, not {repeats}")
    if args.min_count < 1:
        raise UsageError(f"--min-count must be at least 1, not {args.min_count}")
    models = args.models or (list(QUICK_MODELS) if quick else list(ZOO))
    for m in models:
        resolve_model(m)
    explicit_devices = args.devices is not None
    devices = args.devices or list(available_devices())
    for d in devices:
        check_device(d)
    kinds = set(args.only or KINDS)
    mid = args.machine_id or machine_id()
    if slug(mid) != mid:
        raise UsageError(f"--machine-id must be lower-case letters, digits and '-', e.g. {slug(mid)!r}")
    out_dir = Path(args.results_dir) if args.results_dir else results.results_dir()
    path = results.results_path(mid, quick=quick, directory=out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--results-dir {out_dir} is not a directory")
    results.check_writable(path)
    previous = None
    subset = bool(args.models or explicit_devices or args.only)
    if path.exists():
        existing = results.load(path)  # a broken file is reported, never silently replaced
        check_same_cpu(path, existing["machine"])
        previous = existing if subset else None
    skipped: list[str] = []
    points = build_matrix(models, devices, quick=quick, seconds=seconds, repeats=repeats,
                          min_count=args.min_count, auto_point=not explicit_devices, kinds=kinds,
                          skipped=skipped)  # fmt: skip
    for note in skipped:
        print(f"note: {note}", file=sys.stderr)
    estimate = sum(p.cost_s for p in points)
    if args.dry_run:
        for p in points:
            print(f"{p.cost_s:7.1f} s  {p.label}")
        print(f"{len(points)} points, about {estimate / 60:.1f} min; would write {path}")
        return 0
    print(f"{len(points)} points, about {estimate / 60:.1f} min; writing {path}", file=sys.stderr)

    from tqdm import tqdm

    started = time.perf_counter()
    ctx: dict = {}
    records: list[dict] = []
    failures: list[dict] = []
    with tqdm(total=round(estimate), unit="s", desc="regenerate", file=sys.stderr,
              bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} est. s [{elapsed}<{remaining}] {postfix}") as bar:
        for point in points:
            bar.set_postfix_str(point.label)
            try:
                records.extend(point.run(ctx))
            except Exception as exc:  # noqa: BLE001 - one point failing must not lose the others
                message = " ".join(str(exc).split())[:300]
                failures.append({"point": point.label, "error": f"{exc.__class__.__name__}: {message}"})
                tqdm.write(f"warning: {point.label} failed: {message}", file=sys.stderr)
            bar.update(point.cost_s)
    machine = describe_machine(mid)
    command = "python scripts/benchmark.py regenerate" + (" " + " ".join(args.argv) if args.argv else "")
    duration = round(time.perf_counter() - started, 1)
    settings = {"seconds": seconds, "repeats": repeats, "min_count": args.min_count}
    if previous is not None:
        # A partial run updates the file: the run that made it keeps its command, duration and
        # settings, and this one is listed under "updates".
        doc = previous
        doc["machine"], doc["quick"] = machine, quick
        results.upsert(doc, records)
        doc.setdefault("updates", []).append(
            {"command": command, "date": machine["date"], "git_commit": machine["git_commit"],
             "duration_s": duration, "settings": settings, "records": len(records),
             "kinds": sorted(kinds)})  # fmt: skip
    else:
        doc = results.new_document(machine, quick=quick, generated_by=command)
        doc["records"] = records
        doc["duration_s"], doc["settings"] = duration, settings
    for part, entries in ctx.get("peak", {}).items():  # matmul, heavy
        doc.setdefault("peak", {}).setdefault(part, {}).update(entries)
    doc.setdefault("steadiness", {}).update(ctx.get("steadiness", {}))
    if not doc["steadiness"]:
        doc.pop("steadiness")
    if failures:
        doc["failures"] = failures
    else:
        doc.pop("failures", None)
    if skipped:
        doc["skipped"] = skipped
    else:
        doc.pop("skipped", None)
    results.save_atomic(doc, path)
    print(f"wrote {path}: {len(records)} records in {duration / 60:.1f} min"
          + (f", {len(failures)} points failed" if failures else ""), file=sys.stderr)  # fmt: skip
    if path.resolve().parent == results.results_dir().resolve():  # what the site will show
        from perfguide.blocks.expand import report

        print("\n".join(report(doc["machine"]["id"])), file=sys.stderr)
    return 0


# --------------------------------------------------------------------------------------------
# export-csv and validate


def cmd_export_csv(args) -> int:
    from perfguide import results

    doc = results.load(args.results)
    if args.output and args.output != "-":
        results.check_writable(args.output)
        results.write_atomic(results.to_csv(doc), args.output)
        print(f"wrote {args.output}: {len(doc['records'])} rows", file=sys.stderr)
    else:
        sys.stdout.write(results.to_csv(doc))
    return 0


def cmd_validate(args) -> int:
    from perfguide import results

    files = [Path(f) for f in args.files] or sorted(results.results_dir().glob("*.json"))
    if not files:
        print(f"no results files in {results.results_dir()}", file=sys.stderr)
        return 0
    failed = []
    for f in files:
        try:
            doc = results.load(f)
        except UsageError as exc:
            failed.append(str(exc))
            continue
        print(f"ok: {f} ({len(doc['records'])} records{', quick' if doc['quick'] else ''})")
    for message in failed[:-1]:
        print(f"error: {message}", file=sys.stderr)
    if failed:
        raise UsageError(failed[-1])
    return 0


# --------------------------------------------------------------------------------------------


def build_parser() -> Parser:
    from perfguide.bench import SCENARIOS

    parser = Parser(
        prog="benchmark.py",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)

    m = sub.add_parser("measure", help="measure one scenario on one model and device",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    m.add_argument("--model", required=True,
                   help="zoo name (yolov5n, resnet50, mobilenet, bert-base) or a .xml/.onnx file")
    m.add_argument("--device", default="CPU", help="OpenVINO device (default CPU)")
    m.add_argument("--scenario", required=True, choices=SCENARIOS)
    add_config_arguments(m)
    s = m.add_argument_group("server scenario")
    s.add_argument("--rate", type=_float, help="Poisson arrivals, queries per second")
    s.add_argument("--max-rate", action="store_true", help="search the highest rate whose p99 <= --p99-ms")
    s.add_argument("--p99-ms", type=_float, help="the p99 latency bound of --max-rate, ms")
    add_run_arguments(m, 10.0)
    m.add_argument("--json", metavar="OUT", help="write the results record to OUT ('-': stdout)")
    m.set_defaults(func=cmd_measure)

    c = sub.add_parser("compare-benchmark-app", help="measure with this harness and with benchmark_app",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    c.add_argument("--model", required=True)
    c.add_argument("--device", default="CPU")
    c.add_argument("--mode", choices=("offline", "single-stream", "both"), default="both",
                   help="offline throughput, single-stream latency, or both (default)")
    add_config_arguments(c)
    add_run_arguments(c, 10.0)
    c.add_argument("--json", metavar="OUT", help="write the records (a JSON list) to OUT")
    c.set_defaults(func=cmd_compare)

    r = sub.add_parser("regenerate", help="run the docs' matrix and write results/<machine-id>.json",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    r.add_argument("--quick", action="store_true",
                   help="a few points in a few minutes, written to <machine-id>.quick.json")
    r.add_argument("--results-dir", help="where results files live (default: the repository's results/)")
    r.add_argument("--models", nargs="+", help="zoo names or model files (default: the whole zoo)")
    r.add_argument("--devices", nargs="+",
                   help="devices (default: every real device here, plus one AUTO point)")
    r.add_argument("--only", nargs="+", choices=KINDS, help="measure only these kinds of points")
    r.add_argument("--machine-id", help="name of the results file (default: from the CPU model, cores, OS)")
    r.add_argument("--seconds", type=_float, help="per repeat (default 3; 1 with --quick)")
    r.add_argument("--repeats", type=int, help="timed repeats per point (default 3)")
    r.add_argument("--min-count", type=int, default=10, help="minimum inferences per repeat (default 10)")
    r.add_argument("--dry-run", action="store_true", help="list the points and the time estimate only")
    r.set_defaults(func=cmd_regenerate)

    e = sub.add_parser("export-csv", help="flatten a results file to CSV, one row per record")
    e.add_argument("results", metavar="RESULTS.json")
    e.add_argument("-o", "--output", metavar="OUT.csv", help="default: stdout")
    e.set_defaults(func=cmd_export_csv)

    v = sub.add_parser("validate", help="check results files against the schema")
    v.add_argument("files", nargs="*", metavar="FILES", help="default: every results/*.json")
    v.set_defaults(func=cmd_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    args.argv = argv[1:] if argv and argv[0] == "regenerate" else []
    return args.func(args)


if __name__ == "__main__":
    sys.exit(run_cli(main))
