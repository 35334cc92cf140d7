"""Renderers for the data blocks pages embed (see :mod:`perfguide.docs_hooks`).

Each renderer returns Markdown built from a single source of truth — the zoo's recipes, or a
results file — so no figure on a page is typed by hand.
"""

from __future__ import annotations

from collections.abc import Callable


class RenderError(Exception):
    """A data block cannot be rendered (missing or invalid data): fails the site build."""


BLOCKS: dict[str, Callable[..., str]] = {}


def block(name: str) -> Callable[[Callable[..., str]], Callable[..., str]]:
    def register(fn: Callable[..., str]) -> Callable[..., str]:
        BLOCKS[name] = fn
        return fn

    return register


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


@block("zoo-table")
def zoo_table() -> str:
    """The model zoo: names, what they stand for, and the published size they are built to."""
    from perfguide.zoo import ZOO

    rows = [
        [f"`{r.name}`", r.description, f"{r.published_params / 1e6:.2f} M",
         f"{r.published_macs / 1e9:.2f} G" + (f" ({r.macs_note})" if r.macs_note else ""),
         r.source]
        for r in ZOO.values()
    ]
    return markdown_table(["Name", "Stands for", "Parameters", "MACs", "Published figures"], rows)


# --- Benchmark results ------------------------------------------------------------------------

def _results() -> list[dict]:
    """Every committed results file, validated (a bad file fails the build, named)."""
    from perfguide import results
    from perfguide.errors import UsageError

    try:
        docs = results.load_all(results.results_dir())
    except UsageError as exc:
        raise RenderError(str(exc)) from exc
    if not docs:
        raise RenderError(f"no results files in {results.results_dir()}: run "
                          "`python scripts/benchmark.py regenerate`")
    return docs


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def config_label(record: dict) -> str:
    """A short, human label of what a record ran: scenario, hint, streams × requests, batch, precision."""
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
        parts.append(f"{_fmt(cfg['rate'])} q/s")
    return ", ".join(parts)


def machine_stamp(doc: dict) -> str:
    m = doc["machine"]
    quick = " — **quick run**, fewer and shorter measurements" if doc.get("quick") else ""
    return (f"*Measured on **{m['id']}**: {m['cpu_model']}, {m['cores_logical']} logical cores, "
            f"OpenVINO {m['openvino'].split('-')[0]}, Python {m['python']}, {m['date'][:10]}"
            f"{quick}.*")


def _side_by_side(parts: list[str]) -> str:
    """One column per machine when there are several (Material's grid), else the one part."""
    if len(parts) == 1:
        return parts[0]
    cards = "\n".join(f'<div markdown>\n\n{part}\n\n</div>' for part in parts)
    return f'<div class="grid" markdown>\n\n{cards}\n\n</div>\n'


def _model_records(doc: dict, model: str) -> list[dict]:
    return [r for r in doc["records"] if r["model"] == model]


@block("benchmark-table")
def benchmark_table(model: str) -> str:
    """Per machine: every configuration measured on ``model``, with its figures."""
    parts = []
    for doc in _results():
        records = _model_records(doc, model)
        if not records:
            continue
        rows = []
        for r in records:
            lat = r.get("latency_ms") or {}
            first = r.get("first_inference_ms") or {}
            bapp = r.get("benchmark_app") or {}
            rows.append([
                r["device"], config_label(r), _fmt(r.get("throughput_fps")),
                _fmt(lat.get("p50"), 2), _fmt(lat.get("p90"), 2), _fmt(lat.get("p99"), 2),
                (f"{_fmt(first.get('cold'), 0)} / {_fmt(first.get('cached'), 0)}" if first else "–"),
                _fmt(r.get("peak_rss_mib"), 0),
                _fmt(bapp.get("ratio"), 3) if bapp else "–",
            ])
        table = markdown_table(
            ["Device", "Configuration", "FPS", "p50 ms", "p90 ms", "p99 ms",
             "First inference ms (cold / cached)", "Peak RSS MiB", "vs benchmark_app"], rows)
        parts.append(f"{machine_stamp(doc)}\n\n{table}")
    if not parts:
        raise RenderError(f"no results for model {model!r} in any results file")
    return _side_by_side(parts)


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both lower latency and higher throughput."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], -1.0
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def pyplot():
    """matplotlib's pyplot on the headless Agg backend (charts are rendered at build time)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def inline_svg(fig) -> str:
    """A figure as an SVG element to inline in a page: no XML prolog, no date, no external asset."""
    import io

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    pyplot().close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


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
    ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], "k--", lw=1,
            label="Pareto front")
    for i in front:
        ax.annotate(config_label(pts[i][2]).split(", ", 1)[-1], (pts[i][0], pts[i][1]),
                    fontsize=7, xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel("median latency (ms, lower is better)")
    ax.set_ylabel("throughput (frames/s, higher is better)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return inline_svg(fig)


@block("benchmark-chart")
def benchmark_chart(model: str) -> str:
    """Per machine: the latency–throughput chart of ``model``, drawn from the results file."""
    parts = []
    for doc in _results():
        records = [r for r in _model_records(doc, model) if r["scenario"] != "first-inference"]
        if records:
            svg = latency_throughput_svg(records, f"{model} on {doc['machine']['id']}")
            parts.append(f'<div class="perf-chart">\n{svg}\n</div>')
    if not parts:
        raise RenderError(f"no results for model {model!r} to chart")
    return _side_by_side(parts)


# The ISA features that decide which kernels OpenVINO's CPU plugin can use.
KEY_ISA = {"avx2": "AVX2", "avx512f": "AVX-512", "avx512_vnni": "AVX512-VNNI",
           "avx512_bf16": "AVX512-BF16", "avx512_fp16": "AVX512-FP16", "amx_bf16": "AMX-BF16",
           "amx_int8": "AMX-INT8", "amx_fp16": "AMX-FP16"}


def isa_summary(flags: list[str]) -> str:
    """The key ISA features a machine has, and whether it has AMX at all."""
    names = [label for flag, label in KEY_ISA.items() if flag in flags]
    if not any(flag.startswith("amx") for flag in flags):
        names.append("no AMX")
    return ", ".join(names) or "–"


@block("benchmark-machines")
def benchmark_machines() -> str:
    """Which machines have results, with what they are and what they ran."""
    rows = []
    for doc in _results():
        m = doc["machine"]
        rows.append([f"`{m['id']}`", m["cpu_model"], str(m["cores_logical"]),
                     isa_summary(m["isa"]), f"{m['memory_gib']:.0f} GiB",
                     m["openvino"].split("-")[0], m["date"][:10],
                     "quick" if doc.get("quick") else "full", str(len(doc["records"]))])
    return markdown_table(["Machine", "CPU", "Cores", "ISA", "Memory", "OpenVINO", "Date",
                           "Run", "Records"], rows)


# --- Page results: what a page's own snippet printed and observed ---------------------------

def _page_entries(page: str) -> list[tuple[dict, dict]]:
    """(machine, entry) for every machine whose page results include ``page``."""
    from perfguide import pages
    from perfguide.errors import UsageError

    try:
        docs = pages.load_all()
    except UsageError as exc:
        raise RenderError(str(exc)) from exc
    found = [(d["machine"], d["pages"][page]) for d in docs if page in d["pages"]]
    if not found:
        raise RenderError(f"no page results for {page!r}: run `python scripts/pages.py regenerate {page}`")
    return found


def _observed(entry: dict, key: str, page: str) -> float:
    try:
        return entry["observed"][key]
    except KeyError:
        raise RenderError(f"{page}: the page results have no value {key!r}") from None


def _per_machine(page: str, text_of) -> str:
    entries = _page_entries(page)
    if len(entries) == 1:
        return text_of(entries[0][1])
    return "; ".join(f"{text_of(e)} on {m['id']}" for m, e in entries)


@block("page-output")
def page_output(page: str) -> str:
    """What the page's snippet module printed on each measured machine, with the machine named."""
    parts = []
    for machine, entry in _page_entries(page):
        title = (f"Output on {machine['id']} ({machine['cpu_model']}, {machine['cores_logical']} cores, "
                 f"{entry['device']}, {entry['model']}, OpenVINO {machine['openvino'].split('-')[0]}, "
                 f"{entry.get('date', machine['date'])[:10]})")
        body = "\n".join("    " + line for line in entry["output"].rstrip().splitlines())
        parts.append(f'??? example "{title}"\n\n    ```text\n{body}\n    ```\n')
    return "\n".join(parts)


@block("value")
def value(page: str, key: str, digits: str = "1") -> str:
    """One value a page's snippet observed, e.g. ``{{ value guide/introduction throughput_fps }}``."""
    return _per_machine(page, lambda e: f"{_observed(e, key, page):.{int(digits)}f}")


@block("ratio")
def ratio(page: str, numerator: str, denominator: str) -> str:
    """How many times larger one observed value is than another, e.g. ``1.8×``."""
    return _per_machine(
        page, lambda e: f"{_observed(e, numerator, page) / _observed(e, denominator, page):.1f}×")


@block("claim")
def claim(page: str, left: str, relation: str, right: str) -> str:
    """Guard a sentence of prose: fails the build unless ``left relation right`` holds on every
    measured machine. Renders nothing."""
    import operator

    ops = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}
    if relation not in ops:
        raise RenderError(f"claim relation must be one of {', '.join(ops)}, not {relation!r}")
    for machine, entry in _page_entries(page):
        a, b = _observed(entry, left, page), _observed(entry, right, page)
        if not ops[relation](a, b):
            raise RenderError(f"the prose claims {left} {relation} {right} for {page}, but on "
                              f"{machine['id']} the data says {a:.4g} vs {b:.4g}")
    return ""


# --- The harness against benchmark_app, and against the machine's practical peak -------------

# The bar the harness must clear against benchmark_app in the same run (issue: performance bar).
THROUGHPUT_BAR = 0.97  # harness offline FPS >= 0.97 x benchmark_app's
LATENCY_BAR = 1.03  # harness single-stream median <= 1.03 x benchmark_app's


def _best_offline(records: list[dict]) -> dict | None:
    offline = [r for r in records if r["scenario"] == "offline" and r.get("throughput_fps")
               and not r.get("benchmark_app")]
    return max(offline, key=lambda r: r["throughput_fps"], default=None)


def _device_and_config(record: dict) -> str:
    """The device (and where a virtual one ran), then the configuration: "AUTO (on CPU), offline, …"."""
    ran_on = (record.get("compiled") or {}).get("execution_devices") or []
    device = record["device"]
    if ran_on and ran_on != [device]:
        device += f" (on {', '.join(ran_on)})"
    label = config_label(record)
    if not record["config"].get("precision"):
        label += ", the device's default precision"
    return f"{device}, {label}"


@block("benchmark-app-check")
def benchmark_app_check() -> str:
    """Per machine: harness vs benchmark_app ratios, and the best swept configuration vs
    benchmark_app's THROUGHPUT default."""
    parts = []
    for doc in _results():
        rows = []
        for r in doc["records"]:
            b = r.get("benchmark_app")
            if not b:
                continue
            caller = "–"
            if b["mode"] == "offline":
                ours, unit = b.get("harness", r["throughput_fps"]), "FPS"
                theirs = b.get("theirs", b["throughput_fps"])
                ok = b["ratio"] >= THROUGHPUT_BAR
                bar = f"≥ {THROUGHPUT_BAR}"
            else:
                # Older files have no request-timer figure: their harness latency is the caller's.
                ours, unit = b.get("harness", r["latency_ms"]["p50"]), "ms p50"
                theirs = b.get("theirs", b["latency_ms_p50"])
                ok = b["ratio"] <= LATENCY_BAR
                bar = f"≤ {LATENCY_BAR}"
                if "ratio_caller" in b:
                    caller = (f"{_fmt(b['harness_caller'], 2)} ms ({b['ratio_caller']:.3f}); "
                              f"+{r['caller_overhead_us']:.0f} µs a call")
            others = " / ".join(f"{b[k]:.3f}" for k in ("ratio_pairs", "ratio_pooled") if k in b) or "–"
            verdict = f"{b['ratio']:.3f} (bar {bar}: {'met' if ok else 'not met'})"
            verdict = verdict if ok else f"**{verdict}**"
            rows.append([f"`{r['model']}`", f"{r['device']}, {config_label(r)}", f"{_fmt(ours, 2)} {unit}",
                         f"{_fmt(theirs, 2)} {unit}", verdict, others, caller])
        if not rows:
            continue
        table = markdown_table(["Model", "Configuration", "Harness, best run", "benchmark_app, best run",
                                "Ratio", "Ratio: pairs / medians", "Harness by the caller's clock (ratio)"],
                               rows)  # fmt: skip
        checked = [r for r in doc["records"] if r.get("benchmark_app")]
        pairs = sorted({len(r["repeats"]) for r in checked})
        secs = sorted({round(rep["duration_s"]) for r in checked for rep in r["repeats"]})
        table += (f"\n\nEach row: {' to '.join(map(str, pairs))} runs of each tool, of "
                  f"{' to '.join(map(str, secs))} s each.\n")
        best_rows = []
        for model in dict.fromkeys(r["model"] for r in doc["records"]):
            mine = [r for r in doc["records"] if r["model"] == model]
            ref = next((r for r in mine if (r.get("benchmark_app") or {}).get("mode") == "offline"
                        and r["config"].get("hint") == "throughput"), None)
            best = _best_offline(mine)
            if ref and best:
                their = ref["benchmark_app"]["throughput_fps"]
                best_rows.append([f"`{model}`", _device_and_config(best), _fmt(best["throughput_fps"]),
                                  _device_and_config(ref).replace("offline, ", ""), _fmt(their),
                                  f"{best['throughput_fps'] / their:.2f}×"])
        best_table = ("\n**Best configuration the sweep found, against `benchmark_app -hint "
                      "throughput` in the configuration it was compared at** (a different precision "
                      "or device is part of the gain):\n\n" + markdown_table(
                          ["Model", "Best configuration", "FPS", "benchmark_app configuration",
                           "benchmark_app FPS", "Gain"], best_rows)) if best_rows else ""
        parts.append(f"{machine_stamp(doc)}\n\n{table}{best_table}")
    if not parts:
        raise RenderError("no results file has a benchmark_app comparison")
    return _side_by_side(parts)


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


@block("benchmark-steadiness")
def benchmark_steadiness() -> str:
    """Per machine: one model's single-stream latency, second by second, and what it says."""
    parts = []
    for doc in _results():
        for device, probe in sorted((doc.get("steadiness") or {}).items()):
            n = len(probe["p50_ms"])
            slow_pct = 100 * probe["slow_share"]
            rows = [[f"`{probe['model']}`, {device}, single-stream f32",
                     f"{n} × {probe['chunk_s']:g} s", f"{_fmt(probe['fast_ms'], 2)} ms",
                     f"{_fmt(probe['median_ms'], 2)} ms", f"{_fmt(probe['slowest_ms'], 2)} ms",
                     f"{slow_pct:.0f}%", str(probe["switches"]), f"{probe['longest_slow_s']:g} s"]]
            table = markdown_table(["Workload", "Runs", "Fast tenth", "Median run", "Slowest run",
                                    f"Runs over {probe['slow_factor']:g}× the fast tenth",
                                    "Slow stretches", "Longest stretch"], rows)  # fmt: skip
            svg = steadiness_svg(probe, f"{probe['model']} on {doc['machine']['id']}, {device}")
            parts.append(f"{machine_stamp(doc)}\n\n{table}\n\n<div class=\"perf-chart\">\n{svg}\n</div>")
    if not parts:
        raise RenderError("no results file has a steadiness probe: run "
                          "`python scripts/benchmark.py regenerate --only steadiness`")
    return _side_by_side(parts)


@block("benchmark-peak")
def benchmark_peak() -> str:
    """Per machine: each model's best achieved GFLOP/s as a fraction of a large MatMul's."""
    parts = []
    for doc in _results():
        matmul = (doc.get("peak") or {}).get("matmul") or {}
        if not matmul:
            continue
        rows = [[f"MatMul {'×'.join(map(str, v.get('shape', [])))}", prec, _fmt(v["gflops"]), "1.00"]
                for prec, v in sorted(matmul.items())]
        for model in dict.fromkeys(r["model"] for r in doc["records"]):
            rated = [r for r in doc["records"] if r["model"] == model and r.get("gflops")]
            if not rated:
                continue
            best = max(rated, key=lambda r: r["gflops"])
            prec = best["config"].get("precision") or (best.get("compiled") or {}).get("precision")
            peak = (matmul.get(prec) or {}).get("gflops")
            rows.append([f"`{model}` ({config_label(best)})", prec or "default", _fmt(best["gflops"]),
                         f"{best['gflops'] / peak:.2f}" if peak else "–"])
        heavy = (doc.get("peak") or {}).get("heavy") or {}
        side = [[f"`{h['model']}` (offline, THROUGHPUT)", h["precision"], _fmt(h["model_gflops"]),
                 _fmt(h["matmul_gflops"]), f"{h['fraction']:.2f}", str(len(h["pairs"]))]
                for _, h in sorted(heavy.items())]
        side_table = ("\n\n**Side by side:** the heavy model and the MatMul, run in turn in fresh "
                      "processes; the fraction is the median over the pairs.\n\n" + markdown_table(
                          ["Model", "Precision", "Model GFLOP/s", "MatMul GFLOP/s", "Fraction", "Pairs"],
                          side)) if side else ""
        parts.append(f"{machine_stamp(doc)}\n\n" + markdown_table(
            ["Workload", "Precision", "GFLOP/s", "Fraction of MatMul peak"], rows) + side_table)
    if not parts:
        raise RenderError("no results file has a MatMul peak measurement")
    return _side_by_side(parts)
