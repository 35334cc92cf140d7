"""Checks on what the LLM inference page's examples observed (on the zoo's 2-layer tiny-qwen2:
the same code paths as qwen2.5-0.5b, in seconds), and on how the module treats a reader's own
model. No time is compared: sizes, counts and the agreement of outputs are."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_script, run_snippet
from perfguide import llm_zoo

PAGE = Path("guide/llm.py")
MODULE = load_snippet(PAGE)
DEVICES = device_params(MODULE)


@pytest.mark.parametrize("device", DEVICES)
def test_weight_formats_shrink_the_weights(device: str) -> None:
    r = run_snippet(PAGE, device)
    mib = r["weight_mib"]
    assert mib["f16"] > mib["int8"] > mib["int4"]
    # int8 is one byte a weight (plus a scale and zero point per row), int4 half a byte (plus
    # a scale per group of 128): close to 2x and 4x fewer bytes than f16.
    assert 1.8 < mib["f16"] / mib["int8"] <= 2.0
    assert 3.3 < r["int4_byte_ratio"] <= 4.0


@pytest.mark.parametrize("device", DEVICES)
def test_fewer_bits_agree_less_with_f16(device: str) -> None:
    r = run_snippet(PAGE, device)
    for fmt in ("int8", "int4"):
        assert 0 <= r[f"{fmt}_prefix"] <= r["output_tokens"]
        assert 0.0 <= r[f"{fmt}_share"] <= 1.0
        assert r[f"{fmt}_logit_error"] > 0  # compression changes the logits at all
    assert r["int8_logit_error"] < r["int4_logit_error"]


@pytest.mark.parametrize("device", DEVICES)
def test_a_u8_kv_cache_takes_half_the_bytes_of_f16(device: str) -> None:
    r = run_snippet(PAGE, device)
    shape = llm_zoo.TINY.shape
    assert r["kv_bytes_f16"] == shape.kv_bytes_per_token(2) == 2 * r["kv_bytes_u8"]
    assert r["kv_mib_f16"] == pytest.approx(r["kv_bytes_f16"] * r["kv_context"] / 2**20)


@pytest.mark.parametrize("device", DEVICES)
def test_every_example_produced_its_figures(device: str) -> None:
    r = run_snippet(PAGE, device)
    for n in MODULE.PROMPTS:
        assert r[f"ttft_ms_{n}"] > 0 and r[f"tpot_ms_{n}"] > 0
    for users in MODULE.USERS:
        assert r[f"users_{users}_tokens_per_s"] > 0
        assert r[f"users_{users}_per_user"] == pytest.approx(r[f"users_{users}_tokens_per_s"] / users)
    for key in ("load_cold_ms", "load_cached_ms", "prefix_on_next_ms", "prefix_off_next_ms"):
        assert r[key] > 0
    assert r["text_chars"] > 0  # a text prompt comes back as text


def test_a_model_that_is_not_an_llm_is_refused_in_one_line(tmp_path: Path) -> None:
    for bad in ("no-such-llm", str(tmp_path), "/etc/hostname"):
        done = run_script("snippets/guide/llm.py", "--model", bad)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), done.stderr


def test_a_readers_gguf_file_runs_like_a_zoo_llm(tmp_path: Path) -> None:
    """The page's code on a GGUF file of the reader's: converted, compressed with NNCF into a
    temporary folder, and run through every example."""
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(llm_zoo.gguf_path("tiny-qwen2").read_bytes())
    done = run_script("snippets/guide/llm.py", "--model", str(gguf), "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"int4_logit_error"' in done.stdout
