"""The ``llm`` scenario of the harness (perfguide.bench.llm), the bandwidth probe, the llama.cpp
peer and their place in ``benchmark.py measure`` and ``regenerate``, on the 2-layer tiny-qwen2.
No time is compared with another: the records' shapes and the relations they must hold are."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from perfguide import bench, llm_zoo
from perfguide.bench.llm import KV_BYTES, LLMSettings
from perfguide.errors import UsageError
from perfguide.results import load, validate_record

REPO = Path(__file__).resolve().parents[1]
SMALL = {"prompt_tokens": 24, "output_tokens": 8}


def benchmark(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "scripts/benchmark.py", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def record() -> dict:
    return bench.measure_llm("tiny-qwen2", "CPU", SMALL, repeats=3, load_repeats=1)


def test_a_record_holds_ttft_tpot_memory_and_the_roofline(record: dict) -> None:
    validate_record(record, record["id"])
    m = record["llm"]
    assert record["scenario"] == "llm" and record["id"].endswith("weights=f16/prompt=24/output=8/users=1")
    for key in ("ttft_ms", "tpot_ms"):
        p = m[key]
        assert 0 < p["p50"] <= p["p90"] <= p["p99"]
    assert len(record["repeats"]) == 3 and len(m["tokens"]) == SMALL["output_tokens"]
    assert m["tokens_per_s"] == pytest.approx(1000 / m["tpot_ms"]["p50"])
    shape = llm_zoo.TINY.shape
    # The element size of whatever precision the device reported (u8 here; another CPU may differ).
    kv = shape.kv_bytes_per_token(KV_BYTES.get(m["kv_precision_used"] or "f16", 2.0))
    assert m["kv_bytes_per_token"] == kv
    assert m["bytes_per_token"] == m["weight_bytes"] + kv * (24 + 8 / 2)
    fraction = m["bytes_per_token"] / (m["tpot_ms"]["p50"] / 1000) / (m["bandwidth_gbs"] * 1e9)
    assert m["bandwidth_fraction"] == pytest.approx(fraction)
    assert m["load_ms"]["cold_ms"] > 0 and m["load_ms"]["cached_ms"] > 0
    assert record["peak_rss_mib"] > 0


def test_greedy_decoding_is_deterministic(record: dict) -> None:
    again = bench.measure_llm("tiny-qwen2", "CPU", SMALL, repeats=1, load_repeats=0)
    assert again["llm"]["tokens"] == record["llm"]["tokens"]


def test_many_users_report_the_total_and_each_users_rate() -> None:
    r = bench.measure_llm("tiny-qwen2", "CPU", {**SMALL, "users": 3, "weights": "int8"}, repeats=1,
                          load_repeats=0)
    validate_record(r, r["id"])
    m = r["llm"]
    assert m["users"] == 3 and m["bandwidth_fraction"] is None  # the roofline is batch 1's
    assert m["total_tokens_per_s"] > 0 and m["tokens_per_s"] > 0


@pytest.mark.parametrize(("settings", "message"), [
    ({"weights": "int3"}, "unknown weight format 'int3'"),
    ({"kv_cache_precision": "i4"}, "unknown KV-cache precision"),
    ({"output_tokens": 1}, "--output-tokens must be at least 2"),
    ({"prompt_tokens": 0}, "--prompt-tokens must be at least 1"),
    ({"users": 0}, "--users must be at least 1"),
    ({"dq_group": -1}, "--dq-group must be 0"),
])  # fmt: skip
def test_bad_settings_are_refused(settings: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        LLMSettings(**settings).check()


def test_a_prompt_longer_than_the_context_is_refused() -> None:
    with pytest.raises(UsageError, match="exceeds tiny-qwen2's context of 2048 tokens"):
        bench.measure_llm("tiny-qwen2", "CPU", {"prompt_tokens": 2040, "output_tokens": 16})


def test_continuous_batching_needs_a_folder() -> None:
    with pytest.raises(UsageError, match="needs an OpenVINO LLM folder"):
        bench.measure_llm(str(llm_zoo.gguf_path("tiny-qwen2")), "CPU", {**SMALL, "users": 2})


def test_a_readers_gguf_file_is_measured_as_gguf(tmp_path: Path) -> None:
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(llm_zoo.gguf_path("tiny-qwen2").read_bytes())
    r = bench.measure_llm(str(gguf), "CPU", SMALL, repeats=1, load_repeats=0)
    validate_record(r, r["id"])
    assert r["model"] == "mine" and r["llm"]["weights"] == "gguf"


def test_the_bandwidth_probe_reads_and_writes() -> None:
    probe = bench.bandwidth(mib=64, repeats=2)
    assert probe["read_gbs"] >= probe["read_median_gbs"] > 0
    assert probe["triad_gbs"] >= probe["triad_median_gbs"] > 0
    with pytest.raises(UsageError, match="at least 64 MiB"):
        bench.bandwidth(mib=8)


@pytest.mark.parametrize(("args", "message"), [
    (("--model", "tiny-qwen2", "--prompt-tokens", "4000"), "exceeds tiny-qwen2's context"),
    (("--model", "no-such-llm"), "unknown zoo LLM 'no-such-llm'"),
    (("--model", "tiny-qwen2", "--weights", "int3"), "invalid choice: 'int3'"),
    (("--model", "pyproject.toml"), "not an LLM"),
])  # fmt: skip
def test_measure_llm_bad_input_is_one_line(args: tuple[str, ...], message: str) -> None:
    done = benchmark("measure", "--scenario", "llm", *args)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and message in lines[0], done.stderr


def test_measure_llm_writes_a_valid_record(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    done = benchmark("measure", "--scenario", "llm", "--model", "tiny-qwen2", "--prompt-tokens", "16",
                     "--output-tokens", "4", "--repeats", "1", "--load-repeats", "0", "--json", str(out))
    assert done.returncode == 0, done.stderr
    validate_record(json.loads(out.read_text()))


def test_regenerate_quick_measures_the_llm_points(tmp_path: Path) -> None:
    """The quick matrix's LLM points on the tiny model, into a results file that validates."""
    done = benchmark("regenerate", "--quick", "--only", "llm", "peak", "llama-cpp", "--models",
                     "tiny-qwen2", "--machine-id", "llm-test", "--results-dir", str(tmp_path),
                     "--repeats", "1", timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    doc = load(tmp_path / "llm-test.quick.json")
    formats = {r["llm"]["weights"] for r in doc["records"] if r["scenario"] == "llm"}
    assert formats == {"f16", "int8", "int4"}
    assert doc["peak"]["bandwidth"]["CPU"]["read_gbs"] > 0
    if bench.llama_cpp_version() is None:
        assert "peers" not in doc
    else:
        assert doc["peers"]["llama_cpp"]["tiny-qwen2-f16"]["pairs"]


def test_compare_llama_cpp_says_how_to_install_it_when_missing() -> None:
    if bench.llama_cpp_version() is not None:
        pytest.skip("llama-cpp-python is installed here: the comparison itself is tested")
    done = benchmark("compare-llama-cpp", "--model", "tiny-qwen2")
    assert done.returncode == 2 and "scripts/install-llama-cpp.sh" in done.stderr


def test_compare_llama_cpp_on_the_same_file() -> None:
    if bench.llama_cpp_version() is None:
        pytest.skip("llama-cpp-python is not installed (optional: scripts/install-llama-cpp.sh)")
    result = bench.compare_llama_cpp("tiny-qwen2", "CPU", SMALL, pairs=1)
    assert result["tokens_per_s_ratio"] == pytest.approx(
        result["openvino"]["tokens_per_s"] / result["llama_cpp"]["tokens_per_s"])
    assert len(result["pairs"]) == 1
