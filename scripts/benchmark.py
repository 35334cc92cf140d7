#!/usr/bin/env python3
"""Measure OpenVINO inference performance; regenerate the results files the guide's numbers come from.

Every figure is taken by perfguide.bench; results files are written by perfguide.results.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from perfguide.errors import Parser, UsageError, run_cli

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

  # an LLM: time to first token, time per output token, memory (zoo LLM, or your .gguf/folder)
  python scripts/benchmark.py measure --model qwen2.5-0.5b --scenario llm --weights int4 \
      --prompt-tokens 512 --output-tokens 64
  python scripts/benchmark.py measure --model tiny-qwen2 --scenario llm --users 4

  # OpenVINO GenAI against llama.cpp on the same GGUF file (needs scripts/install-llama-cpp.sh)
  python scripts/benchmark.py compare-llama-cpp --model qwen2.5-0.5b --pairs 3

  # the same points measured by OpenVINO's benchmark_app, alternating with ours
  python scripts/benchmark.py compare-benchmark-app --model mobilenet --device CPU --seconds 5

  # what Python adds per call: the same single-stream loop in C++, taking turns with Python's
  python scripts/benchmark.py compare-cpp --model mobilenet --device CPU --seconds 5 --repeats 8

  # every number behind the docs (results/<machine-id>.json), or a quick pass (.quick.json)
  python scripts/benchmark.py regenerate
  python scripts/benchmark.py regenerate --quick --models mobilenet

  # a run that was stopped (Ctrl-C, a kill, a crash): continue it, measuring only what is missing
  python scripts/benchmark.py regenerate --resume

  # how steady is this machine? (a minute of 1 s runs; kept in your results file)
  python scripts/benchmark.py regenerate --only steadiness

  # check results files, and flatten one to CSV
  python scripts/benchmark.py validate
  python scripts/benchmark.py export-csv results/amd-epyc-2c-linux.json -o results.csv
"""


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


def add_llm_arguments(p: argparse.ArgumentParser, formats: bool = True) -> None:
    from perfguide.bench import KV_PRECISIONS, WEIGHTS

    g = p.add_argument_group("llm scenario")
    g.add_argument("--prompt-tokens", type=int, default=128, help="prompt length in tokens (default 128)")
    g.add_argument("--output-tokens", type=int, default=64,
                   help="tokens generated, greedy, end-of-sequence ignored (default 64)")
    if formats:
        g.add_argument("--weights", choices=WEIGHTS, default="f16",
                       help="a zoo LLM's weight format (default f16; int8/int4: NNCF compress_weights)")
        g.add_argument("--kv-cache-precision", choices=KV_PRECISIONS,
                       help="KV_CACHE_PRECISION (default: the device's)")
        g.add_argument("--dq-group", type=int,
                       help="DYNAMIC_QUANTIZATION_GROUP_SIZE (0: off; default: the device's)")
        g.add_argument("--users", type=int, default=1,
                       help="concurrent requests through continuous batching (default 1)")
    else:
        p.set_defaults(weights="f16", kv_cache_precision=None, dq_group=None, users=1)


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


def timing_from(args):
    from perfguide.bench import Timing

    return Timing(args.seconds, args.repeats, args.min_count)


def _check_output(path: str | None) -> None:
    from perfguide.results import check_writable

    if path and path != "-":
        check_writable(path)


def _write_json(obj, path: str) -> None:
    from perfguide.paths import portable_doc
    from perfguide.results import write_atomic

    text = json.dumps(portable_doc(obj), indent=1, allow_nan=False) + "\n"
    if path == "-":
        sys.stdout.write(text)
    else:
        try:
            write_atomic(text, path)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        print(f"wrote {path}", file=sys.stderr)


def _emit(record: dict, json_path: str | None) -> int:
    """A measured record, checked against the schema: to ``json_path`` or as a summary."""
    from perfguide import bench
    from perfguide.results import validate_record

    validate_record(record, record["id"])
    if json_path:
        _write_json(record, json_path)
    else:
        print(bench.summary(record))
    return 0


# --------------------------------------------------------------------------------------------
# measure


def llm_settings_from(args) -> dict:
    from perfguide.bench import LLMSettings

    s = LLMSettings(prompt_tokens=args.prompt_tokens, output_tokens=args.output_tokens,
                    weights=args.weights, kv_cache_precision=args.kv_cache_precision,
                    dq_group=args.dq_group, users=args.users).check()
    return asdict(s)


def cmd_measure_llm(args) -> int:
    from perfguide import bench
    from perfguide.bench.llm import resolve
    from perfguide.devices import check_device

    settings = llm_settings_from(args)
    timing_from(args)
    check_device(args.device)
    _check_output(args.json)
    resolve(args.model, bench.LLMSettings(**settings))
    record = bench.measure_llm(args.model, args.device, settings, config_from(args).resolved("llm"),
                               repeats=args.repeats, load_repeats=args.load_repeats, seed=args.seed)
    return _emit(record, args.json)


def cmd_compare_llama(args) -> int:
    from perfguide import bench

    settings = llm_settings_from(args)
    result = bench.compare_llama_cpp(args.model, args.device, settings, config_from(args),
                                     pairs=args.pairs, gguf_format=args.gguf_format)
    if args.json:
        _write_json(result, args.json)
    else:
        ov, cpp = result["openvino"], result["llama_cpp"]
        print(f"{args.model} {args.gguf_format}: best of {args.pairs} alternating pairs, "
              f"{result['threads']} threads, llama-cpp-python {result['version']}")
        for name, side in (("OpenVINO GenAI", ov), ("llama.cpp", cpp)):
            print(f"  {name:15s} {side['tokens_per_s']:8.1f} tokens/s  TPOT {side['tpot_ms']:7.2f} ms  "
                  f"TTFT {side['ttft_ms']:8.1f} ms")
        print(f"  OpenVINO / llama.cpp: tokens/s x{result['tokens_per_s_ratio']:.2f}, "
              f"TTFT x{result['ttft_ratio']:.2f}")
    return 0


def cmd_measure(args) -> int:
    from perfguide import bench

    if args.scenario == "llm":
        return cmd_measure_llm(args)
    from perfguide.devices import check_device
    from perfguide.zoo import resolve_model

    timing_from(args)
    config = config_from(args).resolved(args.scenario)
    check_device(args.device)
    bench.check_precision(args.device, config.precision)
    _check_output(args.json)
    resolve_model(args.model)
    record = bench.measure(args.model, args.device, args.scenario, config, seconds=args.seconds,
                           repeats=args.repeats, min_count=args.min_count, seed=args.seed)  # fmt: skip
    return _emit(record, args.json)


# --------------------------------------------------------------------------------------------
# compare-cpp


def cmd_compare_cpp(args) -> int:
    from perfguide import bench
    from perfguide.devices import check_device
    from perfguide.zoo import resolve_model

    timing_from(args)
    config = config_from(args)
    if config.requests not in (None, 1):
        raise UsageError("single-stream runs one request: drop --requests")
    config.resolved("single-stream")
    check_device(args.device)
    bench.check_precision(args.device, config.precision)
    _check_output(args.json)
    resolve_model(args.model)
    record = bench.compare_cpp(args.model, args.device, config, seconds=args.seconds,
                               repeats=args.repeats, min_count=args.min_count, seed=args.seed)  # fmt: skip
    return _emit(record, args.json)


# --------------------------------------------------------------------------------------------
# compare-benchmark-app


def cmd_compare(args) -> int:
    from perfguide import bench
    from perfguide.devices import check_device
    from perfguide.zoo import resolve_model

    timing_from(args)
    modes = bench.COMPARE_MODES if args.mode == "both" else (args.mode,)
    config = config_from(args)
    if args.mode == "single-stream" and config.requests not in (None, 1):
        raise UsageError("single-stream runs one request: drop --requests or use --mode offline")
    for mode in modes:
        (config if mode == "offline" else _without_requests(config)).resolved(mode)
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


def cmd_regenerate(args) -> int:
    from perfguide.bench import Timing
    from perfguide.bench.regenerate import Options, regenerate

    timing = Timing(args.seconds if args.seconds is not None else (1.0 if args.quick else 3.0),
                    args.repeats if args.repeats is not None else 3, args.min_count)  # fmt: skip
    return regenerate(Options(quick=args.quick, timing=timing, models=args.models, devices=args.devices,
                              only=args.only, machine_id=args.machine_id, results_dir=args.results_dir,
                              dry_run=args.dry_run, resume=args.resume, argv=args.argv))  # fmt: skip


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
    """ok: <file> for each good results file, one line for each bad one (exit 2): the checks the
    site build makes, a file's name and two files of one machine in a folder included."""
    from perfguide import results

    files = [Path(f) for f in args.files] or results.files_in(results.results_dir())
    if not files:
        print(f"no results files in {results.results_dir()}", file=sys.stderr)
        return 0
    return results.report_checked(results.check_each(files), lambda doc: f"{len(doc['records'])} records"
                                  + (", quick" if doc["quick"] else ""))  # fmt: skip


# --------------------------------------------------------------------------------------------


def build_parser() -> Parser:
    from perfguide.bench import SCENARIOS
    from perfguide.bench.plan import KINDS

    parser = Parser(
        prog="benchmark.py",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    m = sub.add_parser("measure", help="measure one scenario on one model and device",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    m.add_argument("--model", required=True,
                   help="zoo name (yolov5n, resnet50, mobilenet, bert-base) or a .xml/.onnx file; "
                        "with --scenario llm a zoo LLM (qwen2.5-0.5b, tiny-qwen2), a .gguf file or "
                        "an OpenVINO LLM folder")
    m.add_argument("--device", default="CPU", help="OpenVINO device (default CPU)")
    m.add_argument("--scenario", required=True, choices=SCENARIOS)
    add_config_arguments(m)
    s = m.add_argument_group("server scenario")
    s.add_argument("--rate", type=_float, help="Poisson arrivals, queries per second")
    s.add_argument("--max-rate", action="store_true", help="search the highest rate whose p99 <= --p99-ms")
    s.add_argument("--p99-ms", type=_float, help="the p99 latency bound of --max-rate, ms")
    add_llm_arguments(m)
    add_run_arguments(m, 10.0)
    m.add_argument("--load-repeats", type=int, default=1,
                   help="llm: cold and cached loads timed in fresh processes (default 1; 0: none)")
    m.add_argument("--json", metavar="OUT", help="write the results record to OUT ('-': stdout)")
    m.set_defaults(func=cmd_measure)

    lc = sub.add_parser("compare-llama-cpp", help="an LLM in OpenVINO GenAI and in llama.cpp, side by side",
                        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    lc.add_argument("--model", required=True, help="zoo LLM (qwen2.5-0.5b, tiny-qwen2) or a .gguf file")
    lc.add_argument("--device", default="CPU")
    lc.add_argument("--threads", type=int, help="threads for both (default: the physical cores)")
    lc.add_argument("--pairs", type=int, default=3, help="alternating pairs of fresh processes (default 3)")
    lc.add_argument("--gguf-format", choices=("f16", "q8_0", "q4_0"), default="f16",
                    help="a zoo LLM's F16 file or llama.cpp's Q8_0/Q4_0 quantization of it (default f16)")
    add_llm_arguments(lc, formats=False)
    lc.add_argument("--json", metavar="OUT", help="write the comparison to OUT ('-': stdout)")
    lc.set_defaults(func=cmd_compare_llama, hint="latency", streams=None, requests=None, batch=1,
                    precision=None, full=False, seq_len=None, cache_dir=None)

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

    cc = sub.add_parser("compare-cpp", help="single-stream in Python and the same loop in C++, taking turns",
                        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    cc.add_argument("--model", required=True)
    cc.add_argument("--device", default="CPU")
    add_config_arguments(cc)
    add_run_arguments(cc, 5.0)
    cc.add_argument("--json", metavar="OUT", help="write the record to OUT ('-': stdout)")
    cc.set_defaults(func=cmd_compare_cpp)

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
    r.add_argument("--resume", action="store_true",
                   help="continue a stopped run (same command) from its journal, measuring only the "
                        "points it lacks")
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
