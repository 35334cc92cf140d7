"""Results files: schema, validation messages, atomic writes, merging and CSV export.

No measurement here: the records are synthetic, so this file runs in a few seconds.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
from pathlib import Path

import pytest

from perfguide import bench, results
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


def test_a_good_document_validates_and_round_trips(tmp_path: Path) -> None:
    doc = make_doc()
    path = results.save_atomic(doc, tmp_path / "m.json")
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
    with pytest.raises(UsageError, match="broken.json: not valid JSON"):
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
    path = results.save_atomic(make_doc(), tmp_path / "machine.json")
    before = path.read_bytes()
    newer = make_doc(records=[make_record(), make_record("other/CPU/offline/hint=throughput/batch=1")])
    module, name = target.split(".")
    monkeypatch.setattr({"json": json, "os": os}[module], name, _crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        results.save_atomic(newer, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["machine.json"]  # no temp file left


def test_ctrl_c_while_saving_leaves_the_previous_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = results.save_atomic(make_doc(), tmp_path / "machine.json")
    before = path.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(json, "dump", interrupted)
    with pytest.raises(KeyboardInterrupt):
        results.save_atomic(make_doc(records=[]), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["machine.json"]


def test_an_invalid_document_is_never_written(tmp_path: Path) -> None:
    path = results.save_atomic(make_doc(), tmp_path / "machine.json")
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
    results.save_atomic(make_doc("a-machine"), tmp_path / "a-machine.quick.json")
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


def test_spread_is_range_over_median() -> None:
    assert bench.spread_pct([100.0, 104.0, 110.0]) == pytest.approx(10 / 104 * 100)
    assert bench.spread_pct([5.0]) == 0.0
    assert bench.spread_pct([]) == 0.0


def test_spread_warning_above_five_percent_only() -> None:
    assert bench.spread_warning(bench.spread_pct([100.0, 103.0, 105.0])) is None  # 4.9 %
    warning = bench.spread_warning(bench.spread_pct([100.0, 103.0, 106.0]))  # 5.8 %
    assert warning and "5.8%" in warning


def test_a_noisy_set_of_repeats_puts_the_warning_in_the_record() -> None:
    import numpy as np

    def run(fps: float) -> bench.Run:
        return bench.Run(np.full(10, 1 / fps), count=10, duration_s=10 / fps, frames=10)

    quiet = bench._summarize(make_record(warning=None), [run(100), run(101), run(102)], "throughput")
    assert quiet["warning"] is None and quiet["spread_pct"] == pytest.approx(2 / 101 * 100)
    noisy = bench._summarize(make_record(warning=None), [run(100), run(110), run(120)], "throughput")
    assert noisy["spread_pct"] > 5 and "varies" in noisy["warning"]
    assert noisy["throughput_fps"] == pytest.approx(110)  # the median repeat


def test_latency_stats_are_ordered() -> None:
    import numpy as np

    stats = bench.latency_stats(np.random.default_rng(0).exponential(0.01, 1000))
    assert stats["min"] <= stats["p50"] <= stats["p90"] <= stats["p99"] <= stats["max"]
    assert stats["min"] <= stats["mean"] <= stats["max"]


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
        path = results.save_atomic(make_doc(), tmp_path / "new.json")
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


def test_steadiness_finds_the_slow_stretches() -> None:
    series = [4.0, 4.1, 4.0, 6.0, 6.1, 6.0, 4.0, 4.2, 6.2, 4.0]
    stats = bench.steadiness_stats(series, chunk_s=1.0)
    assert stats["fast_ms"] == pytest.approx(4.0)
    assert stats["slow_share"] == pytest.approx(0.4)  # 6.x > 1.2 x 4.0; 4.2 is not
    assert stats["switches"] == 2 and stats["longest_slow_s"] == 3.0
    assert stats["slowest_ms"] == 6.2 and stats["median_ms"] == pytest.approx(4.15)
    steady = bench.steadiness_stats([5.0] * 6, chunk_s=0.5)
    assert steady["slow_share"] == 0 and steady["switches"] == 0 and steady["longest_slow_s"] == 0
    with pytest.raises(ValueError, match="two positive"):
        bench.steadiness_stats([4.0], chunk_s=1.0)
    with pytest.raises(UsageError, match="chunk"):
        bench.steadiness("mobilenet", seconds=1.0, chunk_s=1.0)


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


def test_alternate_runs_the_pairs_in_abba_order() -> None:
    calls = []

    def tool(name: str):
        return lambda i: calls.append(f"{name}{i}") or f"{name}{i}"

    pairs = bench.alternate(tool("a"), tool("b"), 4)
    assert calls == ["a0", "b0", "b1", "a1", "a2", "b2", "b3", "a3"]
    assert pairs == [("a0", "b0"), ("a1", "b1"), ("a2", "b2"), ("a3", "b3")]  # (first, second) each
