"""Dynamic shapes: static, dynamic and bounded dimensions, making a model static with ``reshape``,
and what a dynamic model costs next to a static model per length and next to padding into a few
buckets; what benchmark_app needs for a dynamic model.

Run it yourself:  python snippets/guide/dynamic-shapes.py --device CPU --model bert-base
(``--model`` also takes your own .xml or .onnx model with dynamic dimensions: a dynamic dimension
0 is fixed to 1, every other dynamic dimension takes each of LENGTHS in turn; the module says
what it fixed, or why it cannot run the model.)
"""

from __future__ import annotations

import re
import subprocess
import time

import numpy as np
import openvino as ov
import openvino.properties.hint as hints
import psutil

from perfguide.bench.models import first_line, input_name, static_shapes
from perfguide.errors import UsageError
from perfguide.inputs import random_inputs
from perfguide.snippet import snippet_main

MODEL = "bert-base"  # dynamic batch x sequence, like most text models
# The real devices. AUTO, HETERO and MULTI hand the dynamic model to the device beneath (the
# tests check it on a small model); BATCH cannot create a request for a bounded model.
DEVICES = ("CPU", "GPU")
LENGTHS = (16, 64, 128, 256)  # the mix of sequence lengths fed
BUCKETS = (64, 256)  # padding targets, each one of LENGTHS: its static model serves both ways
BOUND = 512  # the upper bound of the bounded variant: BERT has 512 positions
ROUNDS = 5  # interleaved rounds over every length, after the first inferences
LATENCY = {hints.performance_mode: hints.PerformanceMode.LATENCY}


# --8<-- [start:shape-at]
def shape_at(port: ov.Output, length) -> ov.PartialShape:
    """The input's shape with a dynamic dimension 0 (the batch) set to 1 and every other
    dynamic dimension set to ``length``: a number, or an ov.Dimension(low, high)."""
    if not isinstance(length, ov.Dimension):
        length = ov.Dimension(length)
    dims = []
    for axis, dim in enumerate(port.get_partial_shape()):
        if dim.is_static:
            dims.append(dim)
        else:
            dims.append(ov.Dimension(1) if axis == 0 else length)
    return ov.PartialShape(dims)
# --8<-- [end:shape-at]


# --8<-- [start:compile-variant]
def private_mib() -> float:
    """This process's resident memory that is its own (not pages of mapped files)."""
    info = psutil.Process().memory_info()
    return (info.rss - info.shared) / 2**20


def compile_variant(core: ov.Core, model_path: str, device: str, length=None):
    """Read the model, fix its dynamic dimensions to ``length`` (None: leave them as
    they are) and compile it: (compiled model, compile ms, MiB of memory it took)."""
    model = core.read_model(model_path)
    if length is not None:
        model.reshape({port: shape_at(port, length) for port in model.inputs})
    before, start = private_mib(), time.perf_counter()
    compiled = core.compile_model(model, device, LATENCY)
    return compiled, (time.perf_counter() - start) * 1000, private_mib() - before
# --8<-- [end:compile-variant]


# --8<-- [start:pad]
def pad_to(feed: list, model: ov.Model, length: int) -> list:
    """Each input padded with zeros to ``length`` along its dynamic dimensions (not
    the batch). For BERT, token id 0 is [PAD] and a mask of 0 hides the padding."""
    padded = []
    for port, array in zip(model.inputs, feed, strict=True):
        widths = [(0, length - array.shape[axis]) if dim.is_dynamic and axis > 0
                  else (0, 0) for axis, dim in enumerate(port.get_partial_shape())]
        padded.append(np.pad(array, widths))
    return padded
# --8<-- [end:pad]


def plan(model: ov.Model, lengths, buckets) -> list[str]:
    """What this module fixes and varies in ``model``, as lines to print; a UsageError, in one
    line, for a model it cannot run the same way as the zoo's bert-base."""
    fixed, varied = [], []
    for port in model.inputs:
        name, shape = input_name(port), port.get_partial_shape()
        if shape.rank.is_dynamic:
            raise UsageError(f"input {name!r} has a dynamic rank ({shape}): this page varies the "
                             "length of known dimensions; reshape the model to a fixed rank first")
        for axis, dim in enumerate(shape):
            if dim.is_static:
                continue
            if axis == 0:
                fixed.append(f"{name} dimension 0")
                continue
            low, high = dim.get_min_length(), dim.get_max_length()
            if low > min(lengths) or 0 <= high < BOUND:
                raise UsageError(f"input {name!r} dimension {axis} is bounded to {dim}: this page "
                                 f"feeds lengths {min(lengths)} to {max(lengths)} and bounds at "
                                 f"1..{BOUND}")
            varied.append(f"{name} dimension {axis}")
    if not varied:
        raise UsageError("the model has no dynamic dimension beyond the batch (inputs: "
                         + ", ".join(f"{input_name(p)}{p.get_partial_shape()}" for p in model.inputs)
                         + "): nothing for this page to vary")
    if not set(buckets) <= set(lengths):
        raise UsageError(f"every bucket {buckets} must be one of the lengths {lengths}")
    lines = [f"fixed to 1: {', '.join(fixed)}"] if fixed else []
    lines.append(f"varied over {', '.join(map(str, lengths))}: {', '.join(varied)}")
    return lines


def max_difference(reference: list[np.ndarray], other: list[np.ndarray]) -> float:
    """The largest difference between two inferences' outputs, ``other`` cut back to the
    reference's shape first (a padded input gives longer outputs)."""
    worst = 0.0
    for ref, out in zip(reference, other, strict=True):
        cut = out[tuple(slice(0, size) for size in ref.shape)]
        worst = max(worst, float(np.abs(cut.astype(np.float64) - ref).max()))
    return worst


_GROUP = re.compile(r"^\[ INFO \] (\d+)\. ")
_MEDIAN = re.compile(r"Median:\s+([0-9.]+)\s*(ms|us)")


def group_medians(stdout: str) -> list[float]:
    """benchmark_app's median latency (ms) of each data shape group, in -data_shape order."""
    medians, in_group = [], False
    for line in stdout.splitlines():
        if _GROUP.match(line):
            in_group = True
        elif in_group and (m := _MEDIAN.search(line)):
            medians.append(float(m[1]) / (1000 if m[2] == "us" else 1))
            in_group = False
    return medians


def main(device: str, model: str) -> dict:
    """Run every example of the Dynamic shapes page on ``device`` and return what it observed."""
    model_path = model
    result: dict = {"device": device, "lengths": list(LENGTHS), "buckets": list(BUCKETS),
                    "rounds": ROUNDS}
    for line in plan(ov.Core().read_model(model_path), LENGTHS, BUCKETS):
        print(line)
    try:
        return examples(device, model_path, LENGTHS, BUCKETS, ROUNDS, result)
    except RuntimeError as exc:  # OpenVINO's errors: many lines, with C++ locations
        raise UsageError(f"cannot run {model_path} on {device} this way: {first_line(exc)}") from None


def examples(device: str, model_path: str, lengths, buckets, rounds: int, result: dict) -> dict:
    # --8<-- [start:read-shapes]
    core = ov.Core()
    model = core.read_model(model_path)
    for port in model.inputs:
        shape = port.get_partial_shape()
        # A dimension's bounds: min and max length, -1 for "no upper bound".
        bounds = [(dim.get_min_length(), dim.get_max_length()) for dim in shape]
        print(f"{port.get_any_name()}: {shape}, dynamic: {shape.is_dynamic}, "
              f"bounds: {bounds}")
    # --8<-- [end:read-shapes]
    result["read_shapes"] = {input_name(p): str(p.get_partial_shape()) for p in model.inputs}
    result["read_dynamic"] = all(p.get_partial_shape().is_dynamic for p in model.inputs)

    # --8<-- [start:bounded]
    bounded = core.read_model(model_path)
    # Batch 1, and every other dynamic dimension from 1 to 512 long.
    bounded.reshape({port: shape_at(port, ov.Dimension(1, 512))
                     for port in bounded.inputs})
    for port in bounded.inputs:
        print(f"bounded {port.get_any_name()}: {port.get_partial_shape()}")

    static = core.read_model(model_path)
    static.reshape({port: shape_at(port, 128) for port in static.inputs})
    for port in static.inputs:
        shape = port.get_partial_shape()
        print(f"static {port.get_any_name()}: {shape}, static: {shape.is_static}")
    # --8<-- [end:bounded]
    result["bounded_shapes"] = {input_name(p): str(p.get_partial_shape()) for p in bounded.inputs}
    result["static_shapes"] = {input_name(p): str(p.get_partial_shape()) for p in static.inputs}
    result["static_is_static"] = all(p.get_partial_shape().is_static for p in static.inputs)
    result["bound_dimension"] = [str(shape_at(p, ov.Dimension(1, BOUND))) for p in model.inputs]

    # One input per length, in the model's input order: random token ids, a mask of
    # ones, token types of zeros (or random values, for your own model).
    feeds = {n: list(random_inputs(model, seq_len=n).values()) for n in (*lengths, BOUND + 1)}

    # --8<-- [start:bounds-enforced]
    compiled_bounded = core.compile_model(bounded, device, LATENCY)
    print("compiled:", compiled_bounded.input(0).get_partial_shape())
    request = compiled_bounded.create_infer_request()
    request.infer(feeds[16])  # within the bounds
    try:
        request.infer(feeds[513])  # one token too many
    except RuntimeError as error:
        print("513 tokens refused:", str(error).strip().splitlines()[-1])
    # --8<-- [end:bounds-enforced]
    result["compiled_bounded_shapes"] = {input_name(p): str(p.get_partial_shape())
                                         for p in compiled_bounded.inputs}
    try:
        request.infer(feeds[BOUND + 1])
        result["outside_bounds_refused"] = False
    except RuntimeError as error:
        result["outside_bounds_refused"] = True
        result["outside_bounds_error"] = first_line(error)
    # compiled_bounded stays alive: memory it freed would be reused by the variants below and
    # make them look smaller than they are.

    # --8<-- [start:variants]
    variants = {"dynamic": compile_variant(core, model_path, device),
                "bounded": compile_variant(core, model_path, device,
                                           ov.Dimension(1, 512))}
    for n in lengths:  # one static model per length
        variants[n] = compile_variant(core, model_path, device, n)
    for name, (_, compile_ms, mib) in variants.items():
        print(f"compiled {name}: {compile_ms:.0f} ms, {mib:.0f} MiB")
    # --8<-- [end:variants]

    # --8<-- [start:first-inference]
    def timed(request: ov.InferRequest, feed: list) -> tuple[float, list]:
        start = time.perf_counter()
        outputs = request.infer(feed)
        return (time.perf_counter() - start) * 1000, list(outputs.values())

    requests = {name: compiled.create_infer_request()
                for name, (compiled, _, _) in variants.items()}
    first_ms, again_ms, run_mib = {}, {}, {}
    for name, request in requests.items():
        before = private_mib()
        for n in (lengths if name in ("dynamic", "bounded") else [name]):
            first_ms[name, n] = timed(request, feeds[n])[0]  # a shape it has not seen
            again_ms[name, n] = timed(request, feeds[n])[0]  # the same shape again
        run_mib[name] = private_mib() - before
    for (name, n), ms in first_ms.items():
        print(f"{name} at {n}: first {ms:.1f} ms, again {again_ms[name, n]:.1f} ms")
    # --8<-- [end:first-inference]

    # --8<-- [start:mix]
    def bucket(n: int) -> int:
        return min(b for b in buckets if b >= n)

    padded = {n: pad_to(feeds[n], model, bucket(n)) for n in lengths}
    ways = {  # what serves a sequence of n tokens: (request, input)
        "dynamic": lambda n: (requests["dynamic"], feeds[n]),
        "bounded": lambda n: (requests["bounded"], feeds[n]),
        "static per length": lambda n: (requests[n], feeds[n]),
        "padded to a bucket": lambda n: (requests[bucket(n)], padded[n]),
    }
    times = {(way, n): [] for way in ways for n in lengths}
    outputs = {}
    order, rng = list(ways), np.random.default_rng(0)
    for i in range(rounds):
        # The lengths in a new order each round.
        for n in map(int, rng.permutation(lengths)):
            # The ways take turns, in reversed order every other round.
            for way in order if i % 2 == 0 else order[::-1]:
                ms, outputs[way, n] = timed(*ways[way](n))
                times[way, n].append(ms)
    print("ms per inference at" + "".join(f"{n:>8}" for n in lengths))
    for way in ways:
        medians = [np.median(times[way, n]) for n in lengths]
        print(f"{way:<19}" + "".join(f"{ms:8.1f}" for ms in medians))
    # --8<-- [end:mix]

    short = {"dynamic": "dynamic", "bounded": "bounded", "static per length": "static",
             "padded to a bucket": "bucket"}
    for way, key in short.items():
        for n in lengths:
            result[f"{key}_ms_{n}"] = float(np.median(times[way, n]))
        result[f"{key}_mix_ms"] = sum(result[f"{key}_ms_{n}"] for n in lengths)
    for name, key in (("dynamic", "dynamic"), ("bounded", "bounded")):
        for n in lengths:
            result[f"{key}_first_ms_{n}"] = first_ms[name, n]
            result[f"{key}_again_ms_{n}"] = again_ms[name, n]
        result[f"{key}_first_total_ms"] = sum(first_ms[name, n] for n in lengths)
        result[f"{key}_again_total_ms"] = sum(again_ms[name, n] for n in lengths)
    for n in lengths:
        result[f"static_first_ms_{n}"] = first_ms[n, n]
        result[f"static_again_ms_{n}"] = again_ms[n, n]
    result["static_first_total_ms"] = sum(first_ms[n, n] for n in lengths)
    result["static_again_total_ms"] = sum(again_ms[n, n] for n in lengths)
    # What the first inference at each shape cost beyond a repeat, over all lengths: the
    # dynamic model's at each new shape, the static models' at their one shape.
    result["dynamic_new_shape_extra_ms"] = result["dynamic_first_total_ms"] - result["dynamic_again_total_ms"]
    result["static_first_extra_ms"] = result["static_first_total_ms"] - result["static_again_total_ms"]
    # How far apart two ways' figures were, in percent of the smaller, and the bar the page calls
    # "within the noise" of a few inferences on a shared machine.
    def gap_pct(a: float, b: float) -> float:
        return abs(a - b) / min(a, b) * 100

    result["dynamic_over_static_pct"] = (result["dynamic_mix_ms"] / result["static_mix_ms"] - 1) * 100
    result["dynamic_static_gap_pct"] = gap_pct(result["dynamic_mix_ms"], result["static_mix_ms"])
    result["bounded_dynamic_gap_pct"] = gap_pct(result["bounded_mix_ms"], result["dynamic_mix_ms"])
    result["noise_pct"] = 10.0
    result["times_ms"] = {f"{short[way]}_{n}": ms for (way, n), ms in times.items()}
    # Compile time and memory: the dynamic model once; one static model per length; the buckets.
    for name, key in (("dynamic", "dynamic"), ("bounded", "bounded")):
        result[f"{key}_compile_ms"] = variants[name][1]
        result[f"{key}_compile_mib"] = variants[name][2]
        result[f"{key}_mib"] = variants[name][2] + run_mib[name]
    for n in lengths:
        result[f"static_compile_ms_{n}"] = variants[n][1]
        result[f"static_mib_{n}"] = variants[n][2] + run_mib[n]
    result["static_compile_total_ms"] = sum(variants[n][1] for n in lengths)
    result["static_total_mib"] = sum(result[f"static_mib_{n}"] for n in lengths)
    result["bucket_compile_total_ms"] = sum(variants[b][1] for b in buckets)
    result["bucket_total_mib"] = sum(result[f"static_mib_{b}"] for b in buckets)
    result["static_models"], result["bucket_models"] = len(lengths), len(buckets)
    result["bounded_dynamic_mib_gap_pct"] = gap_pct(result["bounded_mib"], result["dynamic_mib"])

    # Every way gives the same answer for the same tokens (padding cut off again).
    result["output_scale"] = max(float(np.abs(o).max()) for n in lengths for o in outputs["dynamic", n])
    for way, key in short.items():
        if key != "dynamic":
            result[f"{key}_vs_dynamic_max_abs"] = max(
                max_difference(outputs["dynamic", n], outputs[way, n]) for n in lengths)
    result["ways_max_abs"] = max(result[f"{key}_vs_dynamic_max_abs"]
                                 for key in ("static", "bounded", "bucket"))
    result["no_difference"] = 0.0  # the bar of "identical, bit for bit" on the page
    # Padding is only harmless for a model told which positions are padding (BERT's mask).
    result["padding_is_masked"] = any("mask" in input_name(p).lower() for p in model.inputs)
    if not result["padding_is_masked"]:
        print("no input is named like a mask: the padded inputs feed the model zeros it does not "
              "know to ignore")

    # --8<-- [start:benchmark-app]
    # benchmark_app on the dynamic model: -shape sets the model's dimensions (here the
    # bounded ones), -data_shape the shapes of the inputs it feeds, in turn.
    shape_arg = ",".join(f"{port.get_any_name()}{port.get_partial_shape()}"
                         for port in bounded.inputs)
    data_shape_arg = ",".join(
        port.get_any_name() + "".join(str(shape_at(port, n)) for n in lengths)
        for port in model.inputs)
    command = ["benchmark_app", "-m", model_path, "-d", device,
               "-hint", "latency", "-api", "async", "-nireq", "1",
               "-shape", shape_arg, "-data_shape", data_shape_arg,
               "-pcseq", "-niter", str(3 * len(lengths))]
    print(" ".join(command))
    # --8<-- [end:benchmark-app]
    result["benchmark_app_shape"] = shape_arg
    result["benchmark_app_data_shape"] = data_shape_arg
    result["benchmark_app_command"] = command
    result.update(run_benchmark_app(command, lengths))

    # The harness (scripts/benchmark.py measure --seq-len N) measures a static model per length:
    # the shapes it reshapes the model to are this page's static ones.
    harness = {n: static_shapes(core.read_model(model_path), 1, n) for n in lengths}
    result["harness_shapes"] = {str(n): shapes for n, shapes in harness.items()}
    result["harness_matches_static"] = all(
        {input_name(p): [int(d) for d in shape_at(p, n).to_shape()] for p in model.inputs}
        == (shapes or {input_name(p): [int(d) for d in p.get_shape()] for p in model.inputs})
        for n, shapes in harness.items())
    return result


def run_benchmark_app(command: list[str], lengths) -> dict:
    """Run the benchmark_app command the page shows; its median latency at each length."""
    from perfguide.bench.bapp import benchmark_app_path

    try:
        program = benchmark_app_path()
    except UsageError as exc:
        print(f"benchmark_app not run: {exc}")
        return {"benchmark_app_ran": False}
    done = subprocess.run([program, *command[1:]], capture_output=True, text=True, timeout=600)
    medians = group_medians(done.stdout)
    found = {"benchmark_app_ran": True, "benchmark_app_returncode": done.returncode,
             "benchmark_app_groups": len(medians)}
    if done.returncode != 0:
        lines = [ln for ln in (done.stdout + done.stderr).splitlines() if ln.strip()]
        found["benchmark_app_error"] = lines[-1][:300] if lines else ""
        print(f"benchmark_app failed: {found['benchmark_app_error']}")
    for n, ms in zip(lengths, medians, strict=False):
        found[f"benchmark_app_ms_{n}"] = ms
    print("benchmark_app median ms per data shape:",
          ", ".join(f"{n}: {ms:.1f}" for n, ms in zip(lengths, medians, strict=False)))
    return found


if __name__ == "__main__":
    snippet_main(main, default_model=MODEL)
