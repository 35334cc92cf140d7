"""The benchmark harness: every scenario gives a valid, self-consistent record, and the command
line turns every bad input into one line on stderr with exit code 2.

Relations only, never absolute times (the machine is shared and noisy); runs are short
(fractions of a second) on a tiny model built here, or on the zoo's mobilenet.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import openvino as ov
import pytest

from perfguide import bench, results
from perfguide.bench import BenchConfig
from perfguide.errors import UsageError

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "benchmark.py"
SECONDS = 0.3
MIN_COUNT = 5


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small conv net saved as IR: compiles and runs in milliseconds."""
    import openvino.opset15 as ops

    rng = np.random.default_rng(0)
    x = ops.parameter([1, 8, 32, 32], ov.Type.f32, name="x")
    w = ops.constant(rng.standard_normal((16, 8, 3, 3), dtype=np.float32) * np.float32(0.1))
    y = ops.relu(ops.convolution(x, w, [1, 1], [1, 1], [1, 1], [1, 1]))
    y = ops.reduce_mean(y, ops.constant(np.array([2, 3], np.int64)), keep_dims=False)
    path = tmp_path_factory.mktemp("tiny") / "tiny.xml"
    ov.save_model(ov.Model([y], [x], "tiny"), str(path))
    return str(path)


def check_record(record: dict, scenario: str, batch: int = 1) -> dict:
    results.validate_record(record)
    assert record["scenario"] == scenario
    if scenario != "first-inference":
        lat = record["latency_ms"]
        assert lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
        assert record["count"] >= MIN_COUNT
        assert record["duration_s"] >= SECONDS
        expected = record["count"] * batch / record["duration_s"]
        assert record["throughput_fps"] == pytest.approx(expected, rel=1e-6)
    assert len(record["repeats"]) == 2
    assert record["peak_rss_mib"] > 0
    assert record["compiled"]["execution_devices"]
    return record


def measure(model: str, scenario: str, config: BenchConfig | None = None, **kw) -> dict:
    kw = {"seconds": SECONDS, "repeats": 2, "min_count": MIN_COUNT, **kw}
    return bench.measure(model, "CPU", scenario, config or BenchConfig(), **kw)


def test_single_stream(tiny_model: str) -> None:
    r = check_record(measure(tiny_model, "single-stream"), "single-stream")
    assert r["compiled"]["requests"] == 1
    assert r["config"]["hint"] == "latency" and r["compiled"]["hint"] == "LATENCY"
    assert r["model"] == "tiny" and r["id"].startswith("tiny/CPU/single-stream/hint=latency/batch=1")
    # The runtime's request timer runs inside the caller's clock, call by call.
    rt, caller = r["runtime_latency_ms"], r["latency_ms"]
    assert 0 < rt["min"] <= rt["p50"] <= rt["p99"] <= rt["max"]
    assert rt["p50"] <= caller["p50"] and rt["min"] <= caller["min"]
    assert 0 < r["caller_overhead_us"] < 1000 * caller["p50"]
    assert all(rep["runtime_p50_ms"] <= rep["p50_ms"] for rep in r["repeats"])


def test_only_single_stream_records_the_request_timer(tiny_model: str) -> None:
    r = measure(tiny_model, "offline", repeats=1)
    assert "runtime_latency_ms" not in r and "caller_overhead_us" not in r


def test_offline_with_two_requests_and_a_batch(tiny_model: str) -> None:
    r = check_record(measure(tiny_model, "offline", BenchConfig(requests=2, batch=4)), "offline", batch=4)
    assert r["compiled"]["requests"] == 2
    assert r["config"]["batch"] == 4 and r["count"] % 2 == 0


def test_offline_full_mode_and_explicit_settings(tiny_model: str) -> None:
    cfg = BenchConfig(hint="none", streams=1, threads=1, precision="f32", full=True)
    r = check_record(measure(tiny_model, "offline", cfg), "offline")
    assert r["compiled"]["streams"] == 1 and r["compiled"]["threads"] == 1
    assert r["compiled"]["precision"] == "f32" and r["config"]["full"] is True


def test_zoo_model_records_gflops() -> None:
    r = check_record(measure("mobilenet", "offline", BenchConfig(precision="f32")), "offline")
    assert r["gflops"] == pytest.approx(2 * 300e6 * r["throughput_fps"] / 1e9, rel=0.2)


def test_dynamic_model_takes_seq_len(tmp_path: Path) -> None:
    import openvino.opset15 as ops

    ids = ops.parameter([-1, -1], ov.Type.i64, name="input_ids")
    table = ops.constant(np.random.default_rng(0).standard_normal((1000, 16), dtype=np.float32))
    emb = ops.gather(table, ids, ops.constant(np.int64(0)))
    out = ops.reduce_sum(emb, ops.constant(np.array([1], np.int64)), keep_dims=False)
    path = tmp_path / "dyn.xml"
    ov.save_model(ov.Model([out], [ids], "dyn"), str(path))
    r = measure(str(path), "single-stream", BenchConfig(seq_len=32, batch=2))
    check_record(r, "single-stream", batch=2)
    assert r["config"]["seq_len"] == 32


def test_server_latency_counts_from_the_scheduled_arrival() -> None:
    """Far above capacity, queries wait for a free request: p99 grows far past single-stream p50."""
    single = measure("mobilenet", "single-stream", BenchConfig(precision="f32"), repeats=1)
    offline = measure("mobilenet", "offline", BenchConfig(precision="f32"), repeats=1)
    rate = 20 * offline["throughput_fps"]
    cfg = BenchConfig(precision="f32", rate=rate)
    r = bench.measure("mobilenet", "CPU", "server", cfg, seconds=0.6, repeats=1, min_count=MIN_COUNT)
    results.validate_record(r)
    assert r["server"]["rate_qps"] == pytest.approx(rate)
    assert r["latency_ms"]["p99"] > 10 * single["latency_ms"]["p50"]
    assert r["latency_ms"]["p99"] > 0.2 * 600  # queueing grows through the run
    # At a gentle rate the queue stays short: the p99 stays far below the overloaded one.
    gentle = bench.measure("mobilenet", "CPU", "server", BenchConfig(precision="f32", rate=rate / 100),
                           seconds=SECONDS, repeats=2, min_count=MIN_COUNT)  # fmt: skip
    check_record(gentle, "server")
    assert gentle["latency_ms"]["p99"] < r["latency_ms"]["p99"] / 3


def test_server_max_rate(tiny_model: str) -> None:
    easy = measure(tiny_model, "server", BenchConfig(max_rate=True, p99_bound_ms=1e5), repeats=2)
    check_record(easy, "server")
    assert easy["server"]["max_rate_qps"] == pytest.approx(easy["server"]["rate_qps"])
    assert easy["server"]["max_rate_qps"] > 0 and easy["server"]["p99_bound_ms"] == 1e5
    impossible = measure(tiny_model, "server", BenchConfig(max_rate=True, p99_bound_ms=1e-6), repeats=2)
    results.validate_record(impossible)
    assert impossible["server"]["max_rate_qps"] is None and "no rate meets" in impossible["warning"]


def test_first_inference_cold_and_cached(tiny_model: str) -> None:
    r = check_record(measure(tiny_model, "first-inference"), "first-inference")
    fi = r["first_inference_ms"]
    assert fi["cold"] > 0 and fi["cached"] > 0
    assert r["spread_pct"] == max(fi["cold_spread_pct"], fi["cached_spread_pct"])
    assert r["throughput_fps"] is None and r["latency_ms"] is None


def test_peak_matmul() -> None:
    peak = bench.peak_matmul("CPU", "f32", (256, 256, 256), seconds=0.2, repeats=2)
    assert peak["gflops"] > 0 and peak["shape"] == [256, 256, 256]


def test_peak_rss_is_reset_per_measurement() -> None:
    import mmap

    # 64 MiB resident, mapped by hand: a NumPy array of that size may come from a heap that
    # malloc keeps after it is freed (once glibc has raised its mmap threshold), so its release
    # would not lower the resident set at all.
    big = mmap.mmap(-1, 64 * 2**20)
    for offset in range(0, len(big), mmap.PAGESIZE):  # touch every page (no 64 MiB temporary)
        big[offset] = 1
    with_big = bench.peak_rss_mib()
    big.close()
    if not bench.reset_peak_rss():
        pytest.skip("this kernel cannot reset the peak resident set")
    assert bench.peak_rss_mib() < with_big - 32


# --------------------------------------------------------------------------------------------
# The command line


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


def unsupported_precisions() -> list[str]:
    """The precisions this machine's CPU does not list (none on a CPU with native f16 and bf16)."""
    from perfguide.bench import PRECISIONS, supported_precisions

    return [p for p in PRECISIONS if p not in supported_precisions("CPU")]


def bad_cases(tmp: Path) -> dict[str, list[str]]:
    (tmp / "not-a-model.onnx").write_text("this is not a model")
    (tmp / "a-file").write_text("x")
    invalid = tmp / "invalid.json"
    invalid.write_text(json.dumps({"schema_version": 1, "machine": {}, "quick": False, "generated_by": "x",
                                   "records": [], "peak": {}}))  # fmt: skip
    m = ["measure", "--model", "mobilenet"]
    unsupported = unsupported_precisions()
    from perfguide.environment import machine_id

    other_cpu = tmp / "other-cpu"
    other_cpu.mkdir(exist_ok=True)
    theirs = json.loads((REPO / "results" / "amd-epyc-2c-linux.json").read_text())
    theirs["machine"]["isa"] = ["sse4_2"]  # a CPU this one is not, under this machine's id
    theirs["machine"]["id"], theirs["quick"] = machine_id(), True
    (other_cpu / f"{machine_id()}.quick.json").write_text(json.dumps(theirs))
    return {
        "missing model path": ["measure", "--model", str(tmp / "absent.xml"), "--scenario", "offline"],
        "unknown zoo name": ["measure", "--model", "alexnet", "--scenario", "offline"],
        "not a model": ["measure", "--model", str(tmp / "not-a-model.onnx"), "--scenario", "offline"],
        "unknown device": [*m, "--device", "NOPE", "--scenario", "offline"],
        "unknown scenario": [*m, "--scenario", "bogus"],
        "zero seconds": [*m, "--scenario", "offline", "--seconds", "0"],
        "negative seconds": [*m, "--scenario", "offline", "--seconds", "-3"],
        "zero streams": [*m, "--scenario", "offline", "--streams", "0"],
        "negative requests": [*m, "--scenario", "offline", "--requests", "-1"],
        "zero batch": [*m, "--scenario", "offline", "--batch", "0"],
        "zero rate": [*m, "--scenario", "server", "--rate", "0"],
        "negative rate": [*m, "--scenario", "server", "--rate", "-5"],
        "server without rate": [*m, "--scenario", "server"],
        "max-rate without bound": [*m, "--scenario", "server", "--max-rate"],
        **({"unsupported precision": [*m, "--scenario", "offline", "--precision", unsupported[0]]}
           if unsupported else {}),
        "unwritable output": [*m, "--scenario", "offline", "--json", str(tmp / "a-file" / "out.json")],
        "output is a folder": [*m, "--scenario", "offline", "--json", str(tmp)],
        "invalid results file": ["validate", str(invalid)],
        "not json": ["validate", str(tmp / "a-file")],
        "export of invalid file": ["export-csv", str(invalid)],
        "compare with zero seconds": ["compare-benchmark-app", "--model", "mobilenet", "--seconds", "0"],
        "regenerate unknown model": ["regenerate", "--quick", "--models", "nope", "--results-dir", str(tmp)],
        "regenerate unknown device": ["regenerate", "--quick", "--devices", "NOPE",
                                      "--results-dir", str(tmp)],
        "regenerate bad results dir": ["regenerate", "--quick", "--results-dir", str(tmp / "a-file")],
        "regenerate into another CPU's file": ["regenerate", "--quick", "--models", "mobilenet",
                                               "--results-dir", str(other_cpu)],
    }


@pytest.fixture(scope="module")
def bad_outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess]:
    """Every bad-input case, run in parallel subprocesses (each imports openvino)."""
    from concurrent.futures import ThreadPoolExecutor

    tmp = tmp_path_factory.mktemp("bad")
    cases = bad_cases(tmp)
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = dict(zip(cases, pool.map(lambda args: run(*args, timeout=120), cases.values()), strict=True))
    return done


CASE_NAMES = [
    "missing model path", "unknown zoo name", "not a model", "unknown device", "unknown scenario",
    "zero seconds", "negative seconds", "zero streams", "negative requests", "zero batch", "zero rate",
    "negative rate", "server without rate", "max-rate without bound",
    *(["unsupported precision"] if unsupported_precisions() else []),
    "unwritable output", "output is a folder", "invalid results file", "not json", "export of invalid file",
    "compare with zero seconds", "regenerate unknown model", "regenerate unknown device",
    "regenerate bad results dir", "regenerate into another CPU's file",
]  # fmt: skip


@pytest.mark.parametrize("case", CASE_NAMES)
def test_bad_input_is_one_line_and_exit_2(bad_outcomes: dict, case: str) -> None:
    done = bad_outcomes[case]
    assert done.returncode == 2, (case, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, (case, done.stderr)
    assert lines[0].startswith("error: ") and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_bad_input_messages_say_what_is_wrong(bad_outcomes: dict) -> None:
    assert "available here: CPU" in bad_outcomes["unknown device"].stderr
    assert "invalid.json" in bad_outcomes["invalid results file"].stderr
    assert "machine" in bad_outcomes["invalid results file"].stderr
    assert "--rate" in bad_outcomes["server without rate"].stderr
    assert "--p99-ms" in bad_outcomes["max-rate without bound"].stderr
    assert "bogus" in bad_outcomes["unknown scenario"].stderr
    assert "another CPU" in bad_outcomes["regenerate into another CPU's file"].stderr


def test_a_precision_the_device_does_not_list_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check itself, on any CPU: a device that lists only FP32 refuses bf16 and f16."""
    from perfguide import bench

    class Core:
        def get_property(self, device: str, name: str) -> list[str]:
            assert name == "OPTIMIZATION_CAPABILITIES"
            return ["FP32", "INT8"]

    for precision in ("bf16", "f16"):
        with pytest.raises(UsageError, match=f"cannot run precision {precision} here; supported: f32"):
            bench.check_precision("CPU", precision, Core())
    bench.check_precision("CPU", "f32", Core())
    bench.check_precision("AUTO", "f16", Core())  # a virtual device: its real devices decide


def test_every_bad_case_is_tested() -> None:
    assert set(CASE_NAMES) == set(bad_cases(Path("/tmp")).keys())


def test_help_shows_examples() -> None:
    done = run("--help")
    assert done.returncode == 0 and "examples:" in done.stdout and "regenerate --quick" in done.stdout


def test_measure_cli_writes_a_valid_record(tiny_model: str, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "record.json"
    done = run("measure", "--model", tiny_model, "--scenario", "offline", "--seconds", "0.2",
               "--repeats", "2", "--requests", "2", "--json", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = json.loads(out.read_text())
    check = results.validate_record(record)
    assert check["compiled"]["requests"] == 2


def test_compare_benchmark_app_gives_positive_ratios(tmp_path: Path) -> None:
    out = tmp_path / "compare.json"
    done = run("compare-benchmark-app", "--model", "mobilenet", "--seconds", "1", "--repeats", "2",
               "--json", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    records = json.loads(out.read_text())
    assert [r["benchmark_app"]["mode"] for r in records] == ["offline", "single-stream"]
    for r in records:
        results.validate_record(r)
        b = r["benchmark_app"]
        assert b["ratio"] > 0 and b["throughput_fps"] > 0 and b["latency_ms_p50"] > 0
        assert r["id"].endswith("/vs=benchmark_app")
    offline, single = records[0]["benchmark_app"], records[1]["benchmark_app"]
    # Best run against best run: the most frames per second, the lowest median latency.
    assert offline["harness"] == max(rep["throughput_fps"] for rep in records[0]["repeats"])
    assert offline["theirs"] == max(rep["throughput_fps"] for rep in offline["repeats"])
    assert offline["ratio"] == pytest.approx(offline["harness"] / offline["theirs"])
    # Like for like: the latency ratio is taken on the runtime's request timer, as benchmark_app's.
    assert single["harness"] == min(rep["runtime_p50_ms"] for rep in records[1]["repeats"])
    assert single["theirs"] == min(rep["latency_ms_p50"] for rep in single["repeats"])
    assert single["ratio"] == pytest.approx(single["harness"] / single["theirs"])
    assert single["ratio_caller"] >= single["ratio"]
    pairs = [rep["runtime_p50_ms"] / bapp["latency_ms_p50"]
             for rep, bapp in zip(records[1]["repeats"], single["repeats"], strict=True)]  # fmt: skip
    assert single["ratio_pairs"] == pytest.approx(sum(pairs) / 2)  # the median of two


def test_compare_cpp_times_the_same_loop_in_both_languages(tmp_path: Path) -> None:
    """The C++ loop runs on the same model file and properties, taking turns with Python's; the
    record's figures are the best runs' medians, and Python's caller clock encloses the request
    timer it reads (so its median can never be below that timer's)."""
    out = tmp_path / "cpp.json"
    done = run("compare-cpp", "--model", "mobilenet", "--seconds", "0.5", "--repeats", "2",
               "--json", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = results.validate_record(json.loads(out.read_text()))
    c = record["cpp"]
    assert record["id"].endswith("/vs=cpp") and record["scenario"] == "single-stream"
    assert len(c["repeats"]) == 2 and all(rep["count"] >= 10 for rep in c["repeats"])
    assert c["p50_ms"] == min(rep["p50_ms"] for rep in c["repeats"])
    assert c["python_p50_ms"] == min(rep["p50_ms"] for rep in record["repeats"])
    assert c["python_p50_ms"] >= c["python_runtime_p50_ms"]
    assert c["python_adds_us"] == pytest.approx(1000 * (c["python_p50_ms"] - c["p50_ms"]))
    done = run("compare-cpp", "--model", "mobilenet", "--requests", "2")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: single-stream runs one request: drop --requests"


def test_regenerate_quick_writes_its_own_file_and_nothing_else(tmp_path: Path) -> None:
    from test_results import make_doc

    other = results.save_atomic(make_doc("other-machine-8c-linux"), tmp_path / "other-machine-8c-linux.json")
    full = results.save_atomic(make_doc("test-box-2c-linux"), tmp_path / "test-box-2c-linux.json")
    other_before, full_before = other.read_bytes(), full.read_bytes()
    done = run("regenerate", "--quick", "--models", "mobilenet", "--seconds", "0.3", "--repeats", "2",
               "--only", "single-stream", "offline", "steadiness", "--results-dir", str(tmp_path),
               "--machine-id", "test-box-2c-linux")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert other.read_bytes() == other_before  # another machine's file is never touched
    assert full.read_bytes() == full_before  # a quick run never replaces a full one
    quick = tmp_path / "test-box-2c-linux.quick.json"
    doc = results.load(quick)
    assert doc["quick"] is True and doc["machine"]["id"] == "test-box-2c-linux"
    ids = [r["id"] for r in doc["records"]]
    assert "mobilenet/CPU/offline/hint=throughput/batch=1/precision=f32" in ids
    assert "mobilenet/CPU/single-stream/hint=latency/batch=1/precision=f32" in ids
    assert {r["scenario"] for r in doc["records"]} == {"single-stream", "offline"}
    probe = doc["steadiness"]["CPU"]  # 10 x --seconds in a quick run: 3 s of 1 s runs
    assert probe["model"] == "mobilenet" and len(probe["p50_ms"]) == 3
    assert probe["fast_ms"] <= probe["median_ms"] <= probe["slowest_ms"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["other-machine-8c-linux.json", "test-box-2c-linux.json", "test-box-2c-linux.quick.json"]
    )  # no temp file left behind

    csv_path = tmp_path / "out" / "quick.csv"
    done = run("export-csv", str(quick), "-o", str(csv_path))
    assert done.returncode == 0, done.stderr
    import csv

    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(doc["records"])
    assert [r["id"] for r in rows] == ids

    done = run("validate", str(quick), str(other))
    assert done.returncode == 0 and done.stdout.count("ok: ") == 2

    # A partial run updates the file: its records and probes stay, the run that made it is kept.
    done = run("regenerate", "--quick", "--models", "mobilenet", "--seconds", "0.2", "--only", "steadiness",
               "--results-dir", str(tmp_path), "--machine-id", "test-box-2c-linux")  # fmt: skip
    assert done.returncode == 0, done.stderr
    again = results.load(quick)
    assert [r["id"] for r in again["records"]] == ids
    assert again["generated_by"] == doc["generated_by"] and again["duration_s"] == doc["duration_s"]
    assert len(again["steadiness"]["CPU"]["p50_ms"]) == 2  # 10 x 0.2 s of 1 s runs
    (update,) = again["updates"]
    assert update["kinds"] == ["steadiness"] and update["records"] == 0
    assert "--only steadiness" in update["command"] and update["date"] == again["machine"]["date"]


def test_a_steadiness_probe_needs_two_chunks() -> None:
    with pytest.raises(UsageError, match="chunk"):
        bench.steadiness("mobilenet", seconds=1.0, chunk_s=1.0)


def test_missing_benchmark_app_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from perfguide.bench import bapp

    monkeypatch.setattr(bapp.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError, match="benchmark_app not found"):
        bench.benchmark_app_path()


def test_benchmark_app_keeps_the_inputs_native_type(tiny_model: str) -> None:
    """benchmark_app would feed an image-like input as u8: it must get the model's f32."""
    p = bench.prepare(tiny_model, "CPU", "offline", BenchConfig())
    cmd = bench.benchmark_app_command(p, "offline", 1, "/tmp/report", None)
    assert cmd[cmd.index("-ip") + 1] == "f32"
    assert cmd[cmd.index("-shape") + 1] == "x[1,8,32,32]"
    assert cmd[cmd.index("-hint") + 1] == "throughput" and cmd[cmd.index("-api") + 1] == "async"


def test_a_measurement_in_a_fresh_process_returns_its_record(tiny_model: str) -> None:
    """regenerate measures each point in a new process: the record comes back whole."""
    config = BenchConfig(precision="f32")
    r = bench.in_fresh_process("measure", tiny_model, "CPU", "single-stream", config=config,
                               seconds=SECONDS, repeats=2, min_count=MIN_COUNT)  # fmt: skip
    check_record(r, "single-stream")
    assert r["config"]["precision"] == "f32"


def test_a_fresh_process_reports_bad_input_as_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such model file"):
        bench.in_fresh_process("measure", str(tmp_path / "missing.xml"), "CPU", "offline",
                               seconds=SECONDS, repeats=1, min_count=MIN_COUNT)  # fmt: skip
    with pytest.raises(ValueError, match="not one of"):
        bench.in_fresh_process("os.system", "true")


def test_the_config_fields_a_record_keeps_are_the_schemas() -> None:
    """One list of settings: the record's config block, its id and the schema agree."""
    from perfguide.bench.config import COMPILE_FIELDS, RECORD_FIELDS

    config = results.schema()["$defs"]["config"]
    assert list(RECORD_FIELDS) == config["required"] == list(config["properties"])
    assert set(COMPILE_FIELDS) < set(RECORD_FIELDS)
    cfg = BenchConfig(hint="none", streams=2, batch=4, full=True, seq_len=64)
    assert bench.record_id("m", "CPU", "offline", cfg.record_config()) == (
        "m/CPU/offline/hint=none/streams=2/batch=4/full/seq_len=64")


def test_timing_is_checked_when_made() -> None:
    for bad in ({"seconds": 0}, {"seconds": float("nan")}, {"repeats": 0}, {"min_count": 0}):
        with pytest.raises(UsageError):
            bench.Timing(**bad)
