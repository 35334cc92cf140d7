"""Results files: schema, validation messages, atomic writes, merging and CSV export.

No measurement here: the records are synthetic, so this file runs in a few seconds.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from perfguide import bench, paths, results
from perfguide.errors import UsageError


def make_record(rid: str = "m/CPU/offline/hint=throughput/batch=1/precision=f32", **over) -> dict:
    record = {
        "id": rid,
        "model": "m",
        "device": "CPU",
        "scenario": "offline",
        "config": {"hint": "throughput", "streams": None, "requests": None, "batch": 1, "precision": "f32",
                   "threads": None, "full": False, "rate": None, "p99_bound_ms": None, "seq_len": None},
        "compiled": {"streams": 2, "requests": 2, "precision": "f32", "threads": 2,
                     "execution_devices": ["CPU"], "hint": "THROUGHPUT"},
        "throughput_fps": 100.0,
        "latency_ms": {"p50": 10.0, "p90": 12.0, "p99": 15.0, "mean": 10.5, "min": 9.0, "max": 20.0},
        "count": 1000,
        "duration_s": 10.0,
        "repeats": [{"throughput_fps": 100.0, "p50_ms": 10.0}],
        "spread_pct": 1.0,
        "warning": None,
        "peak_rss_mib": 300.0,
        "first_inference_ms": None,
        "server": None,
        "benchmark_app": None,
        "gflops": None,
    }  # fmt: skip
    record.update(over)
    return record


def make_doc(machine_id: str = "test-machine-2c-linux", records: list[dict] | None = None) -> dict:
    machine = {
        "id": machine_id, "cpu_model": "Test CPU", "cores_physical": 2, "cores_logical": 2,
        "isa": ["avx2"], "memory_gib": 8.0, "os": "Linux", "python": "3.11.7", "openvino": "2026.4.1",
        "numpy": "2.2.0", "git_commit": None, "devices": {"CPU": "Test CPU"},
        "date": "2026-11-22T17:40:00+00:00",
    }  # fmt: skip
    doc = results.new_document(machine, quick=False, generated_by="test")
    doc["records"] = records if records is not None else [make_record()]
    doc["peak"] = {"matmul": {"f32": {"gflops": 100.0, "shape": [2048, 2048, 2048]}}}
    return doc


def test_schema_is_a_valid_json_schema() -> None:
    import jsonschema

    schema = results.schema()
    jsonschema.validators.validator_for(schema).check_schema(schema)


def own_path(tmp_path: Path, doc: dict | None = None) -> Path:
    """Where a document must be saved: its machine's own file name."""
    return tmp_path / results.expected_name(doc or make_doc())


def test_a_good_document_validates_and_round_trips(tmp_path: Path) -> None:
    doc = make_doc()
    path = results.save_atomic(doc, own_path(tmp_path))
    assert results.load(path) == doc


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda d: d.pop("machine"), "machine"),
        (lambda d: d["records"][0].__setitem__("scenario", "bogus"), "scenario"),
        (lambda d: d["records"][0].__setitem__("throughput_fps", -1.0), "throughput_fps"),
        (lambda d: d["records"][0]["config"].__setitem__("batch", 0), "batch"),
        (lambda d: d["records"][0]["latency_ms"].__setitem__("p50", 30.0), "ordered"),
        (lambda d: d["records"].append(copy.deepcopy(d["records"][0])), "duplicate id"),
        (lambda d: d.__setitem__("schema_version", 2), "schema_version"),
    ],
)
def test_an_invalid_document_is_named_with_the_reason(tmp_path: Path, mutate, reason: str) -> None:
    doc = make_doc()
    mutate(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(UsageError) as err:
        results.load(path)
    message = str(err.value)
    assert str(path) in message and reason in message
    assert "\n" not in message


def test_invalid_json_and_missing_file_are_usage_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 1,')
    with pytest.raises(UsageError, match="broken.json: invalid results file: at line 1 column 22: not valid"):
        results.load(broken)
    with pytest.raises(UsageError, match="no such results file"):
        results.load(tmp_path / "absent.json")


def test_first_inference_and_server_records_validate() -> None:
    fi = make_record(
        "m/CPU/first-inference/hint=latency/batch=1", scenario="first-inference", throughput_fps=None,
        latency_ms=None, count=3, repeats=[{"throughput_fps": None, "p50_ms": None, "cold_ms": 5.0}],
        first_inference_ms={"cold": 300.0, "cached": 100.0, "cold_spread_pct": 2.0, "cached_spread_pct": 3.0},
    )  # fmt: skip
    server = make_record("m/CPU/server/hint=throughput/batch=1/rate=5", scenario="server",
                         server={"rate_qps": 5.0, "max_rate_qps": None, "p99_bound_ms": None})  # fmt: skip
    results.validate(make_doc(records=[fi, server]))
    server_without_block = make_record("m/CPU/server/x", scenario="server")
    with pytest.raises(UsageError, match="server"):
        results.validate(make_doc(records=[server_without_block]))


def _crash(*args, **kwargs):
    raise RuntimeError("simulated crash while writing")


@pytest.mark.parametrize("target", ["json.dump", "os.replace", "os.fsync"])
def test_a_crash_while_saving_leaves_the_previous_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    path = results.save_atomic(make_doc(), own_path(tmp_path))
    before = path.read_bytes()
    newer = make_doc(records=[make_record(), make_record("other/CPU/offline/hint=throughput/batch=1")])
    module, name = target.split(".")
    monkeypatch.setattr({"json": json, "os": os}[module], name, _crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        results.save_atomic(newer, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temp file left


def test_ctrl_c_while_saving_leaves_the_previous_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = results.save_atomic(make_doc(), own_path(tmp_path))
    before = path.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(json, "dump", interrupted)
    with pytest.raises(KeyboardInterrupt):
        results.save_atomic(make_doc(records=[]), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_an_invalid_document_is_never_written(tmp_path: Path) -> None:
    path = results.save_atomic(make_doc(), own_path(tmp_path))
    before = path.read_bytes()
    bad = make_doc()
    bad["records"][0]["count"] = 0
    with pytest.raises(UsageError):
        results.save_atomic(bad, path)
    assert path.read_bytes() == before


def test_upsert_replaces_by_id_and_appends_new_ones() -> None:
    doc = make_doc(records=[make_record("a"), make_record("b")])
    results.upsert(doc, [make_record("b", throughput_fps=222.0), make_record("c")])
    assert [r["id"] for r in doc["records"]] == ["a", "b", "c"]
    assert doc["records"][1]["throughput_fps"] == 222.0


def test_load_all_puts_full_runs_first(tmp_path: Path) -> None:
    quick = make_doc("a-machine")
    quick["quick"] = True
    results.save_atomic(quick, tmp_path / "a-machine.quick.json")
    results.save_atomic(make_doc("b-machine"), tmp_path / "b-machine.json")
    results.save_atomic(make_doc("c-machine"), tmp_path / "c-machine.json")
    docs = results.load_all(tmp_path)
    assert [d["machine"]["id"] for d in docs] == ["b-machine", "c-machine", "a-machine"]
    assert results.load_all(tmp_path / "absent") == []


def test_to_csv_has_one_row_per_record_with_flattened_columns() -> None:
    doc = make_doc(records=[make_record("a"), make_record("b", warning="noisy, very")])
    rows = list(csv.DictReader(io.StringIO(results.to_csv(doc))))
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[0]["latency_ms.p99"] == "15.0"
    assert rows[0]["compiled.execution_devices"] == "CPU"
    assert rows[0]["config.streams"] == ""
    assert rows[1]["warning"] == "noisy, very"
    assert rows[0]["machine"] == "test-machine-2c-linux"


def test_check_writable(tmp_path: Path) -> None:
    assert results.check_writable(tmp_path / "new" / "deeper" / "out.json")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a directory"):
        results.check_writable(tmp_path / "file" / "out.json")
    with pytest.raises(UsageError, match="is a directory"):
        results.check_writable(tmp_path)


def test_results_path_names() -> None:
    assert results.results_path("m-2c-linux", directory="r") == Path("r/m-2c-linux.json")
    assert results.results_path("m-2c-linux", quick=True, directory="r") == Path("r/m-2c-linux.quick.json")


# --------------------------------------------------------------------------------------------
# The statistics every record relies on


def test_a_noisy_set_of_repeats_puts_the_warning_in_the_record() -> None:
    import numpy as np

    def run(fps: float) -> bench.Run:
        return bench.Run(np.full(10, 1 / fps), count=10, duration_s=10 / fps, frames=10)

    quiet = bench.summarize(make_record(warning=None), [run(100), run(101), run(102)], "throughput")
    assert quiet["warning"] is None and quiet["spread_pct"] == pytest.approx(2 / 101 * 100)
    noisy = bench.summarize(make_record(warning=None), [run(100), run(110), run(120)], "throughput")
    assert noisy["spread_pct"] > 5 and "varies" in noisy["warning"]
    assert noisy["throughput_fps"] == pytest.approx(110)  # the median repeat


def test_record_ids_are_stable() -> None:
    cfg = bench.BenchConfig(hint="throughput", precision="f32").record_config()
    expected = "yolov5n/CPU/offline/hint=throughput/batch=1/precision=f32"
    assert bench.record_id("yolov5n", "CPU", "offline", cfg) == expected
    cfg = bench.BenchConfig(hint="none", streams=2, requests=4, batch=8, full=True).record_config()
    expected = "m/CPU/offline/hint=none/streams=2/requests=4/batch=8/full"
    assert bench.record_id("m", "CPU", "offline", cfg) == expected


def test_benchmark_app_output_is_parsed() -> None:
    stdout = "[ INFO ]    Median:        3.21 ms\n[ INFO ] Throughput:   311.50 FPS\n"
    assert bench.parse_benchmark_app(stdout) == {"throughput_fps": 311.5, "latency_ms_p50": 3.21}
    parsed = bench.parse_benchmark_app("   Median:        850.00 us\nThroughput: 1.2e3 FPS")
    assert parsed == {"throughput_fps": 1200.0, "latency_ms_p50": 0.85}


def test_a_new_results_file_is_readable_by_others(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        path = results.save_atomic(make_doc(), own_path(tmp_path))
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.fixture
def _only():
    """Render benchmark blocks from the given results documents alone (a committed machine)."""
    from perfguide.blocks import data

    def use(*docs: dict) -> None:
        found = [(data.Machine(d["machine"], True, "x"), d) for d in docs]
        data.reset(data.Build(pages=[], benchmarks=found))

    yield use
    data.reset()


def test_the_heavy_models_side_by_side_fraction_is_rendered(_only) -> None:
    from perfguide import blocks

    doc = make_doc()
    pairs = [{"matmul_gflops": 100.0, "model_gflops": 80.0}, {"matmul_gflops": 90.0, "model_gflops": 81.0}]
    doc["peak"]["heavy"] = {"f32": {"model": "bert-base", "precision": "f32", "fraction": 0.85,
                                    "model_gflops": 80.5, "matmul_gflops": 95.0, "pairs": pairs}}  # fmt: skip
    results.validate(doc, "doc")
    _only(doc)
    table = blocks.get("benchmark-peak").function()()
    row = next(line for line in map(str.strip, table.splitlines())
               if line.startswith("| `bert-base` (offline"))
    assert "| 0.85 | 2 |" in row
    doc["peak"]["heavy"]["f32"]["pairs"] = []
    with pytest.raises(UsageError, match="pairs"):
        results.validate(doc, "doc")


def test_the_steadiness_probe_is_rendered_and_validated(_only) -> None:
    from perfguide import blocks

    doc = make_doc()
    series = [4.0, 4.0, 6.0, 6.0, 4.0]
    doc["steadiness"] = {"CPU": {"model": "mobilenet", "device": "CPU", "chunk_s": 1.0, "p50_ms": series,
                                 **bench.steadiness_stats(series, 1.0)}}  # fmt: skip
    results.validate(doc, "doc")
    _only(doc)
    out = blocks.get("benchmark-steadiness").function()()
    row = next(line for line in map(str.strip, out.splitlines()) if line.startswith("| `mobilenet`, CPU"))
    assert "| 5 × 1 s | 4.00 ms |" in row and "| 40% | 1 | 2 s |" in row
    assert "data:image/svg+xml;base64," in out
    doc["steadiness"]["CPU"]["slow_share"] = 1.5
    with pytest.raises(UsageError, match="slow_share"):
        results.validate(doc, "doc")
    _only(make_doc())
    with pytest.raises(blocks.RenderError, match="--only steadiness"):
        blocks.get("benchmark-steadiness").function()()


def test_the_benchmark_app_check_says_whether_each_bar_is_met(_only) -> None:
    from perfguide import blocks

    def checked(mode: str, ratio: float) -> dict:
        block = {"mode": mode, "throughput_fps": 100.0, "latency_ms_p50": 10.0, "ratio": ratio,
                 "harness": 10.0 * ratio, "theirs": 10.0, "ratio_pairs": ratio, "ratio_pooled": ratio}
        if mode == "single-stream":
            block.update(ratio_caller=ratio + 0.01, harness_caller=10.0 * ratio + 0.1)
        scenario = "offline" if mode == "offline" else "single-stream"
        run = {"throughput_fps": 100.0, "p50_ms": 10.0, "duration_s": 5.0}
        return make_record(f"m/CPU/{scenario}/{ratio}/vs=benchmark_app", scenario=scenario,
                           benchmark_app=block, caller_overhead_us=100.0, repeats=[run])  # fmt: skip

    doc = make_doc(records=[checked("offline", 0.98), checked("offline", 0.96),
                            checked("single-stream", 1.02), checked("single-stream", 1.04)])  # fmt: skip
    results.validate(doc, "doc")
    _only(doc)
    rows = [line for line in map(str.strip, blocks.get("benchmark-app-check").function()().splitlines())
            if line.startswith("| `m`")]
    assert "| 0.980 (bar ≥ 0.97: met) |" in rows[0]
    assert "| **0.960 (bar ≥ 0.97: not met)** |" in rows[1]
    assert "| 1.020 (bar ≤ 1.03: met) |" in rows[2]
    assert "| **1.040 (bar ≤ 1.03: not met)** |" in rows[3]


def test_the_per_call_block_sets_python_beside_cpp_and_names_machines_without_it(_only) -> None:
    from perfguide import blocks

    cpp = {"p50_ms": 1.9, "python_p50_ms": 1.98, "python_runtime_p50_ms": 1.94, "python_adds_us": 80.0,
           "python_adds_us_pairs": 61.0, "repeats": [{"p50_ms": 1.9, "count": 500, "duration_s": 1.0}],
           "spread_pct": 1.0}
    run = {"throughput_fps": 500.0, "p50_ms": 1.98, "duration_s": 1.0}
    record = make_record("m/CPU/single-stream/vs=cpp", scenario="single-stream", cpp=cpp,
                         caller_overhead_us=40.0, repeats=[run])  # fmt: skip
    doc = make_doc(records=[record])
    results.validate(doc, "doc")
    _only(doc)
    out = blocks.get("benchmark-per-call").function()()
    (row,) = [line.strip() for line in out.splitlines() if line.strip().startswith("| `m`")]
    assert "| 1.900 ms | 1.980 ms | 40 µs | **80 µs** | 61 µs | – (one run) |" in row
    # With runs to judge by: a difference inside their spread is said to be noise.
    record["repeats"] = [run, {**run, "p50_ms": 2.1}]
    record["cpp"]["repeats"] = [cpp["repeats"][0], {**cpp["repeats"][0], "p50_ms": 1.95}]
    _only(make_doc(records=[record]))
    out = blocks.get("benchmark-per-call").function()()
    (row,) = [line.strip() for line in out.splitlines() if line.strip().startswith("| `m`")]
    assert "| 80 µs, within the noise | 61 µs | 120 µs |" in row
    record["cpp"]["python_adds_us"] = 200.0
    _only(make_doc(records=[record]))
    out = blocks.get("benchmark-per-call").function()()
    assert "| **200 µs** |" in out
    _only(make_doc())  # a machine whose file predates the comparison: said, not hidden
    out = blocks.get("benchmark-per-call").function()()
    assert "Not measured on every machine" in out and "regenerate --only cpp" in out
    record["cpp"]["python_adds_us"] = 1e300  # beyond its bound
    with pytest.raises(UsageError):
        results.validate(make_doc(records=[record]), "doc")


# --------------------------------------------------------------------------------------------
# Untrusted results files: every hostile file is refused, in one line naming the file and field

SCRIPT = "<script>alert(1)</script>"
REFUSAL = re.compile(r"^error: (?P<file>\S+): invalid (?P<kind>(page )?results file): at (?P<field>\S+): "
                     r"(?P<why>.+)$")


@dataclass
class Hostile:
    """One hostile file: its name, how a good document is spoiled (or its text replaced), and
    the field and reason its refusal must name. The document's machine id is the file's stem."""

    file: str
    spoil: Callable[[dict], object]
    field: str
    why: str

    def write(self, folder: Path, good: dict) -> Path:
        doc = copy.deepcopy(good)
        doc["machine"]["id"] = self.file.removesuffix(".json").removesuffix(".quick")
        text = self.spoil(doc)
        path = folder / self.file
        path.write_text(text if isinstance(text, str) else json.dumps(doc, indent=1))  # NaN written as NaN
        return path


def _set(value, *keys):
    """A spoiler that sets doc[k1][k2]... = value."""
    def spoil(doc: dict) -> None:
        inner = doc
        for k in keys[:-1]:
            inner = inner[k]
        inner[keys[-1]] = value
    return spoil


def _pad(limit: int) -> Callable[[dict], str]:
    """A spoiler that writes the document followed by white space up to one byte over ``limit``."""
    def spoil(doc: dict) -> str:
        text = json.dumps(doc, indent=1)
        return text + " " * (limit + 1 - len(text.encode()))
    return spoil


def refused_by_validate(script: str, files: list[Path]) -> dict[str, re.Match]:
    """Run ``<script> validate FILES``: it must exit 2 with exactly one refusal line per file it
    does not print ok for. Returns file name -> the parsed refusal line."""
    from conftest import run_script

    done = run_script(script, "validate", *map(str, files))
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    found = {}
    for line in lines:
        m = REFUSAL.match(line)
        assert m, f"not a one-line refusal naming file and field: {line!r}"
        name = Path(m["file"]).name
        assert name not in found, f"two lines for {name}"
        found[name] = m
    ok = {Path(line.split()[1]).name for line in done.stdout.splitlines() if line.startswith("ok: ")}
    assert ok | set(found) == {f.name for f in files} and not ok & set(found)
    return found


def committed_benchmark() -> dict:
    return json.loads((results.REPO_ROOT / "results" / "amd-epyc-2c-linux.json").read_text())


GOOD = "hostile-good.json"
BENCH_HOSTILE = [
    Hostile("hostile-html-id.json", _set(SCRIPT, "machine", "id"), "machine.id", "does not match"),
    Hostile("hostile-html-model.json", _set('<img src=x onerror="alert(1)">', "records", 0, "model"),
            "records[0].model", "does not match"),
    Hostile("hostile-html-device.json", _set({SCRIPT: "x"}, "machine", "devices"), "machine.devices",
            "does not match"),
    Hostile("hostile-nan.json", _set(float("nan"), "records", 0, "throughput_fps"),
            "records[0].throughput_fps", "NaN is not a finite number"),
    Hostile("hostile-infinity.json", _set(float("inf"), "machine", "memory_gib"), "machine.memory_gib",
            "Infinity is not a finite number"),
    Hostile("hostile-huge.json", _set(10**15, "machine", "cores_logical"), "machine.cores_logical",
            "greater than the maximum"),
    Hostile("hostile-type.json", _set("1000", "records", 0, "count"), "records[0].count",
            "is not of type 'integer'"),
    Hostile("hostile-unknown.json", _set("x", "records", 1, "comment"), "records[1].comment",
            "unknown field 'comment'"),
    Hostile("hostile-unknown-top.json", _set({}, "extras"), "extras", "unknown field 'extras'"),
    Hostile("hostile-long.json", _set("x" * 300, "machine", "cpu_model"), "machine.cpu_model", "is too long"),
    Hostile("hostile-oversized.json", _pad(results.SIZE_LIMIT), "(file)", "over the limit of 8 MiB"),
    Hostile("hostile-name.json", _set("someone-else-2c-linux", "machine", "id"), "machine.id",
            "is named someone-else-2c-linux.json, not hostile-name.json"),
    Hostile("hostile-quick.quick.json", _set(False, "quick"), "quick", "is named hostile-quick.json"),
    Hostile("zz-duplicate.json", _set(GOOD.removesuffix(".json"), "machine", "id"), "machine.id",
            "the full run of machine 'hostile-good' is also in "),
    Hostile("hostile-path.json", _set("see /home/alice/perf/run.log", "records", 2, "warning"),
            "records[2].warning", "absolute local path '/home/alice/perf/run.log'"),
    Hostile("hostile-dup-key.json",
            lambda d: json.dumps(d, indent=1).replace('"quick": false', '"quick": false, "quick": true'),
            "(file)", "key 'quick' given twice"),
]


def _check_refusal(m: re.Match, case: Hostile, folder: Path, kind: str) -> None:
    assert m["file"] == str(folder / case.file) and m["kind"] == kind
    assert m["field"] == case.field, m.group(0)
    assert case.why in m["why"], m.group(0)


@pytest.mark.parametrize("case", BENCH_HOSTILE, ids=lambda c: c.file)
def test_a_hostile_results_file_is_refused_naming_file_and_field(tmp_path: Path, case: Hostile) -> None:
    good = Hostile(GOOD, lambda d: None, "", "").write(tmp_path, committed_benchmark())
    path = case.write(tmp_path, committed_benchmark())
    checked = dict((p, err) for p, _, err in results.check_each(results.files_in(tmp_path)))
    assert checked[good] is None
    message = str(checked[path])
    m = REFUSAL.match("error: " + message)
    assert m and "\n" not in message, message
    _check_refusal(m, case, tmp_path, "results file")
    if case.file == "zz-duplicate.json":  # both files named
        assert str(good) in message
    with pytest.raises(UsageError) as err:
        results.load_all(tmp_path)
    assert str(err.value) == message


def test_validate_refuses_every_hostile_results_file_with_exit_2(tmp_path: Path) -> None:
    files = [Hostile(GOOD, lambda d: None, "", "").write(tmp_path, committed_benchmark())]
    files += [case.write(tmp_path, committed_benchmark()) for case in BENCH_HOSTILE]
    found = refused_by_validate("scripts/benchmark.py", files)
    assert GOOD not in found
    for case in BENCH_HOSTILE:
        _check_refusal(found[case.file], case, tmp_path, "results file")


def test_the_size_limit_is_checked_before_the_file_is_read(tmp_path: Path, monkeypatch) -> None:
    path = Hostile("m-2c-linux.json", _pad(4000), "", "").write(tmp_path, make_doc())
    opened = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda *a, **k: opened.append(a) or real_open(*a, **k))
    with pytest.raises(UsageError, match=r"m-2c-linux.json: invalid results file: at \(file\): 4001 bytes, "
                       "over the limit of 4000 bytes"):
        results.read_json(path, limit=4000)
    assert opened == []
    assert results.read_json(path, limit=4001) == make_doc("m-2c-linux")  # one byte more: read


def test_the_committed_results_files_are_valid_and_portable() -> None:
    docs = results.load_all()
    assert len(docs) >= 2
    shared = Path("/work/shared/contributed-results")
    for doc in docs:
        assert paths.first_absolute_path(doc) is None
    if shared.is_dir():
        results.load_each(results.files_in(shared))


def test_the_site_build_refuses_a_hostile_results_file_with_the_same_line(tmp_path: Path) -> None:
    """In-process (data.load, what the hook calls) and as a real build: the same one line."""
    from conftest import REPO, build_site
    from perfguide.blocks import RenderError, data

    doc = committed_benchmark()
    doc["machine"]["id"] = "zz-hostile-results"
    doc["records"][0]["warning"] = "noisy: see /home/alice/perf/run.log"
    target = REPO / "results" / "zz-hostile-results.json"
    with pytest.raises(UsageError) as err:
        results.validate(doc, target)
    expected = str(err.value)
    assert expected.startswith(f"{target}: invalid results file: at records[0].warning: absolute local path")
    done = build_site(tmp_path / "site", {target: doc})
    assert done.returncode != 0
    assert expected in done.stdout + done.stderr
    assert not target.exists()
    folder = tmp_path / "repo-results"
    folder.mkdir()
    (folder / target.name).write_text(json.dumps(doc))
    import unittest.mock

    with unittest.mock.patch.object(results, "results_dir", lambda: folder):
        with pytest.raises(RenderError) as render:
            data.load()
    assert str(render.value) == expected.replace(str(target), str(folder / target.name))


# --------------------------------------------------------------------------------------------
# Absolute local paths: found, and rewritten into portable forms


def _unbounded(node, where: str = "") -> list[str]:
    """Every place in a schema where a string, array, number or object is not bounded."""
    found = []
    if "/allOf/" in where:  # conditions (if/then/else) that narrow a type, not fields
        return found
    if isinstance(node, dict):
        kinds = node.get("type", [])
        kinds = kinds if isinstance(kinds, list) else [kinds]
        for kind, bound in (("string", "maxLength"), ("array", "maxItems"), ("number", "maximum"),
                            ("integer", "maximum")):
            if kind in kinds and bound not in node:
                found.append(f"{where}: {kind} without {bound}")
        if "properties" in node and node.get("additionalProperties") is not False:
            found.append(f"{where}: object open to unknown fields")
        if isinstance(node.get("additionalProperties"), dict) and "maxProperties" not in node:
            found.append(f"{where}: mapping without maxProperties")
        for key, value in node.items():
            found += _unbounded(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _unbounded(value, f"{where}/{i}")
    return found


@pytest.mark.parametrize("name", ["results_schema.json", "pages_schema.json"])
def test_every_string_array_number_and_object_of_the_schemas_is_bounded(name: str) -> None:
    schema = json.loads((Path(results.__file__).with_name(name)).read_text())
    assert _unbounded(schema) == []
    assert schema["additionalProperties"] is False


def test_absolute_paths_are_found_where_they_are() -> None:
    doc = {"records": [{"id": "mobilenet/CPU/offline/hint=throughput/batch=1/precision=f32",
                        "benchmark_app": {"command": "benchmark_app -m /work/x/model.xml -d CPU"}}],
           "skipped": ["cannot reshape f32[2,255,80,80] (opset1::Add model.24.m.0[0]:f32[2,255,80,80])"],
           "machine": {"openvino": "2026.4.1-22982-e213a147257-releases/2026/4",
                       "devices": {"HETERO:CPU": "x", "MULTI:CPU,GPU": "y", "C:\\Users\\a\\b": "z"}}}
    assert list(paths.absolute_paths(doc)) == [
        ("records[0].benchmark_app.command", "/work/x/model.xml"),
        ("machine.devices.C:\\Users\\a\\b", "C:\\Users\\a\\b"),
    ]
    for text in ("mobilenet/CPU/offline/hint=throughput", "f32[2,255,80,80]", "frames/s", "1 / 2",
                 "https://docs.openvino.ai/2026/index.html", "</b></a>", "~/models/m.xml", "./a/b",
                 "/s", "AUTO", "GPU.0", "TMPDIR/perfguide-bapp", "<tmp>/perfguide-bapp-1"):
        assert paths.find(text) == [], text
    for text, found in [("/tmp/x", ["/tmp/x"]), ("see /home/u/a.txt.", ["/home/u/a.txt"]),
                        ("-report_folder=/tmp/p-1/", ["/tmp/p-1/"]), ("'/root/.cache/z'", ["/root/.cache/z"]),
                        ("PATH=/usr/bin:/opt/x/bin", ["/usr/bin", "/opt/x/bin"]),
                        ("D:/models/m.xml", ["D:/models/m.xml"]), ("file:///home/u/x", ["/home/u/x"])]:
        assert paths.find(text) == found, text


def test_portable_rewrites_each_kind_of_local_path(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import tempfile

    monkeypatch.delenv("PERFGUIDE_CACHE", raising=False)
    monkeypatch.setenv("HOME", "/home/alice")
    repo, tmp = results.REPO_ROOT, tempfile.gettempdir()
    cases = {
        f"{repo}/results/x.json": "results/x.json",
        f"cd {repo} && make": "cd . && make",
        f"-m {repo}/.cache/zoo/yolov5n-c044ff212891/model.xml -d CPU":
            "-m .cache/zoo/yolov5n-c044ff212891/model.xml -d CPU",
        f"{sys.prefix}/bin/benchmark_app -d CPU": "benchmark_app -d CPU",
        f"-report_folder {tmp}/perfguide-bapp-wv5s61c3 -json_stats":
            "-report_folder <tmp>/perfguide-bapp-wv5s61c3 -json_stats",
        "/home/alice/models/m.xml": "~/models/m.xml",
        "cannot read /opt/models/m.xml.": "cannot read m.xml.",
        "C:\\Users\\alice\\m.onnx": "m.onnx",
    }
    for text, expected in cases.items():
        assert paths.portable(text) == expected, text
        assert paths.portable(expected) == expected  # portable forms stay as they are
    monkeypatch.setenv("PERFGUIDE_CACHE", "/srv/zoo")
    assert paths.portable("/srv/zoo/bert-base-1/model.xml") == "<zoo-cache>/bert-base-1/model.xml"
    untouched = ("mobilenet/CPU/offline/hint=throughput/batch=1/precision=f32 f32[2,255,80,80] "
                 "releases/2026/4 HETERO:CPU MULTI:CPU,GPU https://example.org/a/b </b>")
    assert paths.portable(untouched) == untouched


def test_portable_doc_rewrites_every_string_and_nothing_else() -> None:
    doc = {"a": [f"{results.REPO_ROOT}/x/y", 1.5, None, True], f"{results.REPO_ROOT}/k/l": {"n": 3}}
    before = copy.deepcopy(doc)
    assert paths.portable_doc(doc) == {"a": ["x/y", 1.5, None, True], "k/l": {"n": 3}}
    assert doc == before  # a new document: the old one is untouched
