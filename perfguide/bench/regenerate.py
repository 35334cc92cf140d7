"""Running the regenerate plan into a results file: resumably, and without ever losing the file
that was there before.

Each finished point goes into a journal beside the results file (see :mod:`perfguide.journal`);
the results file itself is written once, atomically, at the end. ``resume`` continues a stopped
run with the same settings, code and machine, measuring only the points the journal lacks.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from perfguide.bench.config import Timing
from perfguide.bench.plan import KINDS, LLM_MODEL, QUICK_LLM_MODEL, QUICK_MODELS, Point, build_matrix
from perfguide.errors import UsageError

PACKAGE = Path(__file__).resolve().parent


@dataclass
class Options:
    """What ``benchmark.py regenerate`` was asked for (None: the default)."""

    quick: bool = False
    timing: Timing = field(default_factory=lambda: Timing(3.0, 3, 10))
    models: list[str] | None = None
    devices: list[str] | None = None
    only: list[str] | None = None
    machine_id: str | None = None
    results_dir: str | None = None
    dry_run: bool = False
    resume: bool = False
    argv: list[str] = field(default_factory=list)


def code_hash() -> str:
    """The hash of the measuring code (this package), by what it does (see pages.code_digest)."""
    import hashlib

    from perfguide.pages import code_digest

    parts = [f"{p.name}:{code_digest(p.read_text(encoding='utf-8'))}" for p in sorted(PACKAGE.glob("*.py"))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _assemble(doc: dict, ctx: dict) -> None:
    """Put the peak, steadiness and peer entries the points left in ``ctx`` into the document."""
    for key, value in ctx.items():
        part, _, name = key.partition("/")
        if part == "peak":
            section, _, entry = name.partition("/")
            doc.setdefault("peak", {}).setdefault(section, {})[entry] = value
        elif part == "steadiness":
            doc.setdefault("steadiness", {})[name] = value
        elif part == "peers":
            peer, _, model = name.partition("/")
            doc.setdefault("peers", {}).setdefault(peer, {})[model] = value


def regenerate(opts: Options) -> int:
    from perfguide import results
    from perfguide.devices import available_devices, check_device
    from perfguide.environment import check_same_cpu, cpu_facts, describe_machine, machine_id, slug
    from perfguide.interrupt import stop_on_signals
    from perfguide.journal import Journal
    from perfguide.llm_zoo import is_llm, resolve_llm
    from perfguide.paths import portable_doc
    from perfguide.zoo import ZOO, resolve_model

    quick, timing = opts.quick, opts.timing
    if opts.models:
        llms = [m for m in opts.models if is_llm(m)]
        models = [m for m in opts.models if m not in llms]
    else:
        models = list(QUICK_MODELS) if quick else list(ZOO)
        llms = [QUICK_LLM_MODEL if quick else LLM_MODEL]
    for m in models:
        resolve_model(m)
    for m in llms:
        resolve_llm(m)
    explicit_devices = opts.devices is not None
    devices = opts.devices or list(available_devices())
    for d in devices:
        check_device(d)
    kinds = set(opts.only or KINDS)
    mid = opts.machine_id or machine_id()
    if slug(mid) != mid:
        raise UsageError(f"--machine-id must be lower-case letters, digits and '-', e.g. {slug(mid)!r}")
    out_dir = Path(opts.results_dir) if opts.results_dir else results.results_dir()
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--results-dir {out_dir} is not a directory")
    path = results.results_path(mid, quick=quick, directory=out_dir)
    results.check_writable(path)
    previous = None
    subset = bool(opts.models or explicit_devices or opts.only)
    if path.exists():
        existing = results.load(path)  # a broken file is reported, never silently replaced
        check_same_cpu(path, existing["machine"])
        previous = existing if subset else None
    skipped: list[str] = []
    points = build_matrix(models, devices, quick=quick, timing=timing, auto_point=not explicit_devices,
                          kinds=kinds, skipped=skipped, llms=llms)  # fmt: skip
    for note in skipped:
        print(f"note: {note}", file=sys.stderr)
    estimate = sum(p.cost_s for p in points)
    if opts.dry_run:
        for p in points:
            print(f"{p.cost_s:7.1f} s  {p.label}")
        print(f"{len(points)} points, about {estimate / 60:.1f} min; would write {path}")
        return 0
    settings = {"seconds": timing.seconds, "repeats": timing.repeats, "min_count": timing.min_count}
    journal = Journal(path, {"results": path.name, "quick": quick, "settings": settings,
                             "models": models + llms,
                             "devices": devices, "kinds": sorted(kinds), "points": [p.label for p in points],
                             "code": code_hash(), "machine": cpu_facts()})  # fmt: skip
    done = journal.start(opts.resume)
    started = time.perf_counter()
    ctx: dict = {}
    records: list[dict] = []
    failures: list[dict] = []
    try:
        with stop_on_signals():
            reused = _run(points, done, journal, ctx, records, failures, estimate)
    except BaseException as exc:
        journal.stop(exc)
        raise
    machine = describe_machine(mid)
    command = "python scripts/benchmark.py regenerate" + (" " + " ".join(opts.argv) if opts.argv else "")
    duration = round(time.perf_counter() - started, 1)
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
    _assemble(doc, ctx)
    for key, value in (("failures", failures), ("skipped", skipped)):
        if value:
            doc[key] = value
        else:
            doc.pop(key, None)
    results.save_atomic(portable_doc(doc), path)
    journal.remove()
    print(f"wrote {path}: {len(records)} records in {duration / 60:.1f} min"
          + (f", {reused} of {len(points)} points reused from the journal" if opts.resume else "")
          + (f", {len(failures)} points failed" if failures else ""), file=sys.stderr)  # fmt: skip
    if path.resolve().parent == results.results_dir().resolve():  # what the site will show
        from perfguide.blocks.expand import report

        print("\n".join(report(doc["machine"]["id"])), file=sys.stderr)
    return 0


def _run(points: list[Point], done: dict, journal, ctx: dict, records: list[dict], failures: list[dict],
         estimate: float) -> int:  # fmt: skip
    """Measure every point the journal does not hold; return how many it held."""
    from tqdm import tqdm

    from perfguide.results import validate_record

    reused = 0
    with tqdm(total=round(estimate), unit="s", desc="regenerate", file=sys.stderr,
              bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} est. s [{elapsed}<{remaining}] {postfix}") as bar:
        for point in points:
            bar.set_postfix_str(point.label)
            kept = done.get(point.label)
            if kept is not None:
                try:
                    for record in kept["records"]:
                        validate_record(record, f"{journal.path}: {point.label}")
                except (UsageError, KeyError, TypeError) as exc:
                    tqdm.write(f"note: measuring {point.label} again: {exc}", file=sys.stderr)
                else:
                    records.extend(kept["records"])
                    ctx.update(kept["ctx"])
                    reused += 1
                    bar.update(point.cost_s)
                    continue
            before = dict(ctx)
            try:
                got = point.run(ctx)
            except Exception as exc:  # noqa: BLE001 - one point failing must not lose the others
                message = " ".join(str(exc).split())[:300]
                failures.append({"point": point.label, "error": f"{exc.__class__.__name__}: {message}"})
                tqdm.write(f"warning: {point.label} failed: {message}", file=sys.stderr)
            else:
                records.extend(got)
                changed = {k: v for k, v in ctx.items() if k not in before or before[k] is not v}
                journal.add(point.label, {"records": got, "ctx": changed})
            bar.update(point.cost_s)
    if reused:
        tqdm.write(f"reused {reused} of {len(points)} points from {journal.path}", file=sys.stderr)
    return reused
