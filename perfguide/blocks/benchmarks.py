"""Blocks of the Benchmarks page, drawn from the benchmark results files (``results/<id>.json``):
what is fastest first, then every measured configuration, then the harness's own checks."""

from __future__ import annotations

from perfguide.blocks import RenderError, data, fmt
from perfguide.blocks.charts import inline_svg, pyplot

# The bar the harness must clear against benchmark_app in the same run (issue: performance bar).
THROUGHPUT_BAR = 0.97  # harness offline FPS >= 0.97 x benchmark_app's
LATENCY_BAR = 1.03  # harness single-stream median <= 1.03 x benchmark_app's

# The ISA features that decide which kernels OpenVINO's CPU plugin can use.
KEY_ISA = {"avx2": "AVX2", "avx512f": "AVX-512", "avx512_vnni": "AVX512-VNNI",
           "avx512_bf16": "AVX512-BF16", "avx512_fp16": "AVX512-FP16", "amx_bf16": "AMX-BF16",
           "amx_int8": "AMX-INT8", "amx_fp16": "AMX-FP16"}


def _docs(what: str) -> list[tuple[data.Machine, dict]]:
    docs = data.benchmark_docs()
    if not docs and data.current() is None:
        raise RenderError(f"no results files for {what}: run `python scripts/benchmark.py regenerate`")
    return docs


def _records(doc: dict, model: str) -> list[dict]:
    return [r for r in doc["records"] if r["model"] == model and r["scenario"] != "llm"]


def config_label(record: dict) -> str:
    """A short label of what a record ran: scenario, hint, streams × requests, batch, precision."""
    cfg, compiled = record["config"], record.get("compiled") or {}
    parts = [record["scenario"]]
    if cfg.get("hint"):
        parts.append(cfg["hint"].upper())
    streams = cfg.get("streams") or compiled.get("streams")
    requests = cfg.get("requests") or compiled.get("requests")
    if streams and requests:
        parts.append(f"{streams} str × {requests} req")
    elif requests:
        parts.append(f"{requests} req")
    if (cfg.get("batch") or 1) > 1:
        parts.append(f"batch {cfg['batch']}")
    if cfg.get("precision"):
        parts.append(cfg["precision"])
    if cfg.get("full"):
        parts.append("full copies")
    if cfg.get("rate"):
        parts.append(f"{fmt.num(cfg['rate'])} q/s")
    return fmt.text(", ".join(str(p) for p in parts))


def _device_and_config(record: dict) -> str:
    """The device (and where a virtual one ran), then the configuration."""
    ran_on = (record.get("compiled") or {}).get("execution_devices") or []
    device = str(record["device"])
    if ran_on and ran_on != [device]:
        device += f" (on {', '.join(map(str, ran_on))})"
    label = config_label(record)
    if not record["config"].get("precision"):
        label += ", the device's default precision"
    return f"{fmt.text(device)}, {label}"


def isa_summary(flags: list[str]) -> str:
    names = [label for flag, label in KEY_ISA.items() if flag in flags]
    if not any(str(flag).startswith("amx") for flag in flags):
        names.append("no AMX")
    return ", ".join(names) or "–"


def machines_table() -> str:
    """Which machines have results, what they are, and whether their files are committed."""
    rows = []
    for machine, doc in _docs("the machines table"):
        m = doc["machine"]
        rows.append([f"`{fmt.text(m['id'])}`",
                     f"{fmt.text(m['cpu_model'])}, {m['cores_logical']} logical cores, "
                     f"{m['memory_gib']:.0f} GiB", isa_summary(m["isa"]),
                     f"{fmt.text(m['openvino'].split('-')[0])}, {fmt.text(m['date'][:10])}",
                     ("quick" if doc.get("quick") else "full") + f", {len(doc['records'])} records; "
                     + ("committed" if machine.committed else "**yours** (not committed)")])
    return fmt.table(["Machine", "CPU", "ISA", "OpenVINO, date", "Run and file"], rows)


def _best(records: list[dict], scenario: str, f32_only: bool = False) -> dict | None:
    pool = [r for r in records if r["scenario"] == scenario and not r.get("benchmark_app")
            and (not f32_only or r["config"].get("precision") == "f32")]
    if scenario == "offline":
        pool = [r for r in pool if r.get("throughput_fps")]
        return max(pool, key=lambda r: r["throughput_fps"], default=None)
    pool = [r for r in pool if r.get("latency_ms")]
    return min(pool, key=lambda r: r["latency_ms"]["p50"], default=None)


def _reference(records: list[dict]) -> dict | None:
    """The record benchmark_app -hint throughput was compared at (f32, same model file)."""
    return next((r for r in records if (r.get("benchmark_app") or {}).get("mode") == "offline"
                 and r["config"].get("hint") == "throughput"), None)


def properties(record: dict) -> str:
    """The compile_model call that reproduces a record's configuration, as Python to paste."""
    cfg, lines = record["config"], []
    if cfg.get("hint") and cfg["hint"] != "none":
        lines.append(f'"PERFORMANCE_HINT": "{cfg["hint"].upper()}",')
    if cfg.get("streams"):
        lines.append(f'"NUM_STREAMS": {int(cfg["streams"])},')
    if cfg.get("threads"):
        lines.append(f'"INFERENCE_NUM_THREADS": {int(cfg["threads"])},')
    if cfg.get("precision"):
        lines.append(f'"INFERENCE_PRECISION_HINT": "{fmt.literal(cfg["precision"])}",')
    body = "".join(f"\n    {line}" for line in lines)
    call = f'compiled = core.compile_model(model, "{fmt.literal(record["device"])}", {{{body}\n}})'
    notes = []
    if (cfg.get("batch") or 1) > 1:
        notes.append(f"# first: model.reshape with a batch of {int(cfg['batch'])}")
    requests = cfg.get("requests") or (record.get("compiled") or {}).get("requests")
    if requests and int(requests) > 1:
        notes.append(f"# keep {int(requests)} requests in flight (an AsyncInferQueue of that size)")
    return "\n".join([*notes, call])


def fastest(model: str) -> str:
    """Per machine: the fastest configuration for latency and for throughput of ``model``, what
    precision adds on top of the best f32 configuration, and the properties to paste."""
    rows, code = [], []
    for machine, doc in _docs(f"model {model!r}"):
        records = _records(doc, model)
        lat, tput = _best(records, "single-stream"), _best(records, "offline")
        tput32, ref = _best(records, "offline", f32_only=True), _reference(records)
        if not (lat and tput):
            continue
        their = (ref or {}).get("benchmark_app", {}).get("throughput_fps")
        rows.append([
            f"`{fmt.text(machine.id)}`",
            f"{_device_and_config(lat)}: **{fmt.num(lat['latency_ms']['p50'], 2)} ms**",
            f"{_device_and_config(tput)}: **{fmt.num(tput['throughput_fps'])} FPS**",
            f"{fmt.num(tput32['throughput_fps'])} FPS" if tput32 else "–",
            f"{fmt.num(their)} FPS" if their else "–",
            (f"{tput32['throughput_fps'] / their:.2f}× · "
             f"{tput['throughput_fps'] / tput32['throughput_fps']:.2f}×"
             if their and tput32 else "–"),
        ])
        code.append((machine, "Lowest latency:\n\n```python\n" + properties(lat) + "\n```\n\n"
                     "Most throughput:\n\n```python\n" + properties(tput) + "\n```\n"))
    if not rows:
        if data.current() is not None:
            return ""
        raise RenderError(f"no results for model {model!r} in any results file")
    table = fmt.table(["Machine", "Lowest latency (single stream, p50)", "Most throughput (offline)",
                       "Best at f32", "benchmark_app -hint throughput, f32",
                       "Gain: configuration · precision"], rows)  # fmt: skip
    return (table + "\n*Gain: the best f32 configuration against `benchmark_app -hint throughput` at "
            "f32 (what the configuration buys), then the best configuration against the best at f32 "
            "(what a lower precision or another device buys).* The `compile_model` calls:\n\n"
            + fmt.per_machine(code, lambda body: body))


def table(model: str) -> str:
    """Per machine: every configuration measured on ``model``, with its figures."""
    def render(item: tuple[data.Machine, dict]) -> str:
        machine, doc = item
        rows = []
        for r in _records(doc, model):
            lat = r.get("latency_ms") or {}
            first = r.get("first_inference_ms") or {}
            rows.append([
                fmt.text(r["device"]), config_label(r), fmt.num(r.get("throughput_fps")),
                fmt.num(lat.get("p50"), 2), fmt.num(lat.get("p99"), 2),
                (f"{fmt.num(first.get('cold'), 0)} / {fmt.num(first.get('cached'), 0)}" if first else "–"),
                fmt.num(r.get("peak_rss_mib"), 0),
            ])
        return fmt.machine_stamp(machine, doc) + "\n\n" + fmt.table(
            ["Device", "Configuration", "FPS", "p50 ms", "p99 ms", "First inference ms, cold / cached",
             "Peak RSS MiB"], rows)

    items = [(m, (m, d)) for m, d in _docs(f"model {model!r}") if _records(d, model)]
    if not items and data.current() is None:
        raise RenderError(f"no results for model {model!r} in any results file")
    return fmt.per_machine(items, render)


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both lower latency and higher throughput."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], -1.0
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def latency_throughput_svg(records: list[dict], title: str) -> str:
    """A latency–throughput scatter (each configuration a point), the Pareto front joined."""
    plt = pyplot()
    pts = [(r["latency_ms"]["p50"], r["throughput_fps"], r) for r in records
           if r.get("latency_ms") and r.get("throughput_fps")]
    if not pts:
        raise RenderError(f"{title}: no record has both a latency and a throughput")
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=100)
    scenarios = sorted({p[2]["scenario"] for p in pts})
    for scenario, marker in zip(scenarios, "osD^v<>", strict=False):
        xs = [p[0] for p in pts if p[2]["scenario"] == scenario]
        ys = [p[1] for p in pts if p[2]["scenario"] == scenario]
        ax.scatter(xs, ys, marker=marker, label=scenario, alpha=0.75)
    front = pareto_front([(p[0], p[1]) for p in pts])
    ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], "k--", lw=1, label="Pareto front")
    for i in front:
        label = config_label(pts[i][2]).replace("\\", "").split(", ", 1)[-1]
        ax.annotate(label, (pts[i][0], pts[i][1]), fontsize=7, xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel("median latency (ms, lower is better)")
    ax.set_ylabel("throughput (frames/s, higher is better)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return inline_svg(fig)


def chart(model: str) -> str:
    """Per machine: the latency–throughput chart of ``model``."""
    items = []
    for machine, doc in _docs(f"model {model!r}"):
        records = [r for r in _records(doc, model) if r["scenario"] != "first-inference"]
        if records:
            items.append((machine, (machine, records)))
    if not items and data.current() is None:
        raise RenderError(f"no results for model {model!r} to chart")
    return fmt.per_machine(items, lambda it: latency_throughput_svg(it[1], f"{model} on {it[0].id}"))


def app_check() -> str:
    """Per machine: harness against benchmark_app on the same model file and configuration."""
    def render(item: tuple[data.Machine, dict]) -> str:
        machine, doc = item
        rows = []
        for r in doc["records"]:
            b = r.get("benchmark_app")
            if not b:
                continue
            if b["mode"] == "offline":
                ours, unit = b.get("harness", r["throughput_fps"]), "FPS"
                theirs = b.get("theirs", b["throughput_fps"])
                ok, bar = b["ratio"] >= THROUGHPUT_BAR, f"≥ {THROUGHPUT_BAR}"
            else:  # older files have no request-timer figure: their harness latency is the caller's
                ours, unit = b.get("harness", r["latency_ms"]["p50"]), "ms p50"
                theirs = b.get("theirs", b["latency_ms_p50"])
                ok, bar = b["ratio"] <= LATENCY_BAR, f"≤ {LATENCY_BAR}"
            others = " / ".join(f"{b[k]:.3f}" for k in ("ratio_pairs", "ratio_pooled") if k in b) or "–"
            verdict = f"{b['ratio']:.3f} (bar {bar}: {'met' if ok else 'not met'})"
            rows.append([f"`{fmt.text(r['model'])}`", f"{fmt.text(r['device'])}, {config_label(r)}",
                         f"{fmt.num(ours, 2)} {unit}", f"{fmt.num(theirs, 2)} {unit}",
                         verdict if ok else f"**{verdict}**", others])
        checked = [r for r in doc["records"] if r.get("benchmark_app")]
        pairs = sorted({len(r["repeats"]) for r in checked})
        secs = sorted({round(rep["duration_s"]) for r in checked for rep in r["repeats"]})
        return (fmt.machine_stamp(machine, doc) + "\n\n" + fmt.table(
            ["Model", "Configuration", "Harness, best run", "benchmark_app, best run", "Ratio",
             "Ratio: pairs / medians"], rows)
            + f"\nEach row: {' to '.join(map(str, pairs))} runs of each tool, of "
              f"{' to '.join(map(str, secs))} s each.\n")

    items = [(m, (m, d)) for m, d in _docs("the benchmark_app check")
             if any(r.get("benchmark_app") for r in d["records"])]
    if not items and data.current() is None:
        raise RenderError("no results file has a benchmark_app comparison")
    return fmt.per_machine(items, render)


def per_call_noise_us(record: dict) -> float | None:
    """How far one language's run medians lie apart (the wider of the two, in µs): a difference
    between the languages smaller than this is the machine's noise, not Python's cost."""
    ours = [rep["p50_ms"] for rep in record.get("repeats", []) if rep.get("p50_ms")]
    theirs = [rep["p50_ms"] for rep in record["cpp"].get("repeats", [])]
    spans = [max(v) - min(v) for v in (ours, theirs) if len(v) > 1]
    return 1000.0 * max(spans) if spans else None


def per_call() -> str:
    """Per machine: the harness's single-stream loop in Python against the same loop in C++."""
    def render(item: tuple[data.Machine, dict]) -> str:
        machine, doc = item
        rows = []
        for r in doc["records"]:
            c = r.get("cpp")
            if not c:
                continue
            back = r.get("caller_overhead_us")
            noise = per_call_noise_us(r)
            adds = f"{fmt.num(c['python_adds_us'], 0)} µs"
            if noise is not None and abs(c["python_adds_us"]) <= noise:
                adds += ", within the noise"
            rows.append([f"`{fmt.text(r['model'])}`<br>{fmt.text(r['device'])}, {config_label(r)}",
                         f"{fmt.num(c['p50_ms'], 3)} ms", f"{fmt.num(c['python_p50_ms'], 3)} ms",
                         f"{fmt.num(back, 0)} µs" if back is not None else fmt.not_measured(),
                         adds if "noise" in adds else f"**{adds}**",
                         f"{fmt.num(c['python_adds_us_pairs'], 0)} µs" if "python_adds_us_pairs" in c
                         else fmt.not_measured(),
                         f"{fmt.num(noise, 0)} µs" if noise is not None else "– (one run)"])  # fmt: skip
        runs = sorted({len(r["cpp"].get("repeats", [])) for r in doc["records"] if r.get("cpp")})
        return (fmt.machine_stamp(machine, doc) + "\n\n" + fmt.table(
            ["Model", "C++ loop", "Python loop", "Return to Python", "Python adds per call",
             "Pair by pair", "Noise between runs"], rows)
            + f"\nMedians per call of each language's best run; {' to '.join(map(str, runs))} runs of "
              "each, taking turns.\n")

    docs = _docs("the Python against C++ comparison")
    items = [(m, (m, d)) for m, d in docs if any(r.get("cpp") for r in d["records"])]
    missing = [m.id for m, d in docs if not any(r.get("cpp") for r in d["records"])]
    out = fmt.per_machine(items, render) if items else ""
    if missing and data.current() is None:
        out += ("\n\n!!! note \"Not measured on every machine\"\n    The results files of "
                + ", ".join(f"**{fmt.text(m)}**" for m in missing)
                + " hold no Python-against-C++ comparison yet: `python scripts/benchmark.py "
                  "regenerate --only cpp` on such a machine adds it to its file.\n")
    return out


def steadiness_svg(probe: dict, title: str) -> str:
    """The probe's per-second medians over time, with the fast tenth and the slow threshold."""
    plt = pyplot()
    values = probe["p50_ms"]
    xs = [probe["chunk_s"] * (i + 1) for i in range(len(values))]
    fig, ax = plt.subplots(figsize=(7, 2.6), dpi=100)
    ax.plot(xs, values, "o-", ms=3, lw=1, label=f"median latency of each {probe['chunk_s']:g} s run")
    ax.axhline(probe["fast_ms"], color="tab:green", lw=1, ls="--", label="fast tenth")
    ax.axhline(probe["slow_factor"] * probe["fast_ms"], color="tab:red", lw=1, ls=":",
               label=f"slow: over {probe['slow_factor']:g}× the fast tenth")  # fmt: skip
    ax.set_xlabel("time (s)")
    ax.set_ylabel("ms")
    ax.set_ylim(bottom=0)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return inline_svg(fig)


def steadiness() -> str:
    """Per machine: one model's single-stream latency, second by second, and what it says."""
    def render(item: tuple[data.Machine, dict]) -> str:
        machine, doc = item
        out = [fmt.machine_stamp(machine, doc)]
        for device, probe in sorted(doc["steadiness"].items()):
            rows = [[f"`{fmt.text(probe['model'])}`, {fmt.text(device)}, single-stream f32",
                     f"{len(probe['p50_ms'])} × {probe['chunk_s']:g} s", f"{fmt.num(probe['fast_ms'], 2)} ms",
                     f"{fmt.num(probe['median_ms'], 2)} ms", f"{fmt.num(probe['slowest_ms'], 2)} ms",
                     f"{100 * probe['slow_share']:.0f}%", str(probe["switches"]),
                     f"{probe['longest_slow_s']:g} s"]]
            out.append(fmt.table(["Workload", "Runs", "Fast tenth", "Median run", "Slowest run",
                                  f"Over {probe['slow_factor']:g}× the fast tenth", "Slow stretches",
                                  "Longest"], rows))  # fmt: skip
            out.append(steadiness_svg(probe, f"{probe['model']} on {machine.id}, {device}"))
        return "\n\n".join(out)

    items = [(m, (m, d)) for m, d in _docs("the steadiness probe") if d.get("steadiness")]
    if not items and data.current() is None:
        raise RenderError("no results file has a steadiness probe: run "
                          "`python scripts/benchmark.py regenerate --only steadiness`")
    return fmt.per_machine(items, render)


def _matmul(doc: dict) -> dict:
    return (doc.get("peak") or {}).get("matmul") or {}


def peak() -> str:
    """Per machine: each model's best achieved GFLOP/s as a fraction of a large MatMul's."""
    def render(item: tuple[data.Machine, dict]) -> str:
        machine, doc = item
        matmul = _matmul(doc)
        rows = [[f"MatMul {'×'.join(map(str, v.get('shape', [])))}", fmt.text(prec), fmt.num(v["gflops"]),
                 "1.00"]
                for prec, v in sorted(matmul.items())]
        for model in dict.fromkeys(r["model"] for r in doc["records"]):
            rated = [r for r in doc["records"] if r["model"] == model and r.get("gflops")]
            if not rated:
                continue
            best = max(rated, key=lambda r: r["gflops"])
            prec = best["config"].get("precision") or (best.get("compiled") or {}).get("precision")
            top = (matmul.get(prec) or {}).get("gflops")
            rows.append([f"`{fmt.text(model)}` ({config_label(best)})", fmt.text(prec or "default"),
                         fmt.num(best["gflops"]), f"{best['gflops'] / top:.2f}" if top else "–"])
        heavy = (doc.get("peak") or {}).get("heavy") or {}
        side = [[f"`{fmt.text(h['model'])}` (offline, THROUGHPUT)", fmt.text(h["precision"]),
                 fmt.num(h["model_gflops"]), fmt.num(h["matmul_gflops"]), f"{h['fraction']:.2f}",
                 str(len(h["pairs"]))] for _, h in sorted(heavy.items())]
        side_table = ("\n\n**Side by side:** the heavy model and the MatMul, run in turn in fresh "
                      "processes; the fraction is the median over the pairs.\n\n" + fmt.table(
                          ["Model", "Precision", "Model GFLOP/s", "MatMul GFLOP/s", "Fraction", "Pairs"],
                          side)) if side else ""
        return (fmt.machine_stamp(machine, doc) + "\n\n" + fmt.table(
            ["Workload", "Precision", "GFLOP/s", "Fraction of MatMul peak"], rows) + side_table)

    items = [(m, (m, d)) for m, d in _docs("the peak") if _matmul(d)]
    if not items and data.current() is None:
        raise RenderError("no results file has a MatMul peak measurement")
    return fmt.per_machine(items, render)


def across() -> str:
    """One table, a row per machine: what bf16 and f16 buy over f32 (MatMul peak and the best
    offline run of each model), and the heavy model as a fraction of the machine's peak."""
    rows, models = [], []
    docs = _docs("the comparison across machines")
    for _, doc in docs:
        models += [m for m in dict.fromkeys(r["model"] for r in doc["records"] if r["scenario"] != "llm")
                   if m not in models]
    for machine, doc in docs:
        matmul = _matmul(doc)
        f32 = (matmul.get("f32") or {}).get("gflops")
        peaks = [f"{matmul[p]['gflops'] / f32:.1f}×" if f32 and p in matmul else "not run"
                 for p in ("bf16", "f16")]
        speedups = []
        for model in models:
            records = _records(doc, model)
            base = _best(records, "offline", f32_only=True)
            low = [r for r in records if r["scenario"] == "offline" and not r.get("benchmark_app")
                   and r["config"].get("precision") in ("bf16", "f16") and r.get("throughput_fps")]
            best = {p: max((r["throughput_fps"] for r in low if r["config"]["precision"] == p), default=None)
                    for p in ("bf16", "f16")}
            speedups.append(" / ".join(f"{best[p] / base['throughput_fps']:.2f}×" if best[p] and base else "–"
                                       for p in ("bf16", "f16")))
        heavy = (doc.get("peak") or {}).get("heavy") or {}
        fraction = ", ".join(f"{fmt.text(p)} {h['fraction']:.2f}" for p, h in sorted(heavy.items())) or "–"
        rows.append([f"`{fmt.text(machine.id)}`<br>{fmt.text(machine.traits)}", " / ".join(peaks),
                     *speedups, fraction])
    header = ["Machine", "MatMul bf16 / f16 vs f32",
              *[f"`{fmt.text(m)}` bf16 / f16 vs f32" for m in models], "Heavy model / MatMul peak"]
    return fmt.table(header, rows)
