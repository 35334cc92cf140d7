"""Checks on what the LLM inference page's examples observed (on the zoo's 2-layer tiny-qwen2:
the same code paths as qwen2.5-0.5b, in seconds), in Python (OpenVINO GenAI) and in C++ (the
OpenVINO runtime alone, on the same model folders), and on how the module treats a reader's own
model. No time is compared: sizes, counts and the agreement of outputs are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import built_programs, device_params, load_snippet, run_script, run_snippet, snippet_cases
from perfguide import cpp, llm_zoo
from perfguide.errors import UsageError

PAGE = Path("guide/llm.py")
MODULE = load_snippet(PAGE)
DEVICES = device_params(MODULE)
CASES = snippet_cases(PAGE)


@pytest.mark.parametrize(("device", "language"), CASES)
def test_weight_formats_shrink_the_weights(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    mib = r["weight_mib"]
    assert mib["f16"] > mib["int8"] > mib["int4"]
    # int8 is one byte a weight (plus a scale and zero point per row), int4 half a byte (plus
    # a scale per group of 128): close to 2x and 4x fewer bytes than f16.
    assert 1.8 < mib["f16"] / mib["int8"] <= 2.0
    assert 3.3 < r["int4_byte_ratio"] <= 4.0


@pytest.mark.parametrize(("device", "language"), CASES)
def test_fewer_bits_agree_less_with_f16(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    for fmt in ("int8", "int4"):
        assert 0 <= r[f"{fmt}_prefix"] <= r["output_tokens"]
        assert 0.0 <= r[f"{fmt}_share"] <= 1.0
        assert r[f"{fmt}_logit_error"] > 0  # compression changes the logits at all
    assert r["int8_logit_error"] < r["int4_logit_error"]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_a_u8_kv_cache_takes_half_the_bytes_of_f16(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    shape = llm_zoo.TINY.shape
    assert r["kv_bytes_f16"] == shape.kv_bytes_per_token(2) == 2 * r["kv_bytes_u8"]
    assert r["kv_mib_f16"] == pytest.approx(r["kv_bytes_f16"] * r["kv_context"] / 2**20)


@pytest.mark.parametrize(("device", "language"), CASES)
def test_every_example_produced_its_figures(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    for n in MODULE.PROMPTS:
        assert r[f"ttft_ms_{n}"] > 0 and r[f"tpot_ms_{n}"] > 0
    for users in MODULE.USERS:
        assert r[f"users_{users}_tokens_per_s"] > 0
        assert r[f"users_{users}_per_user"] == pytest.approx(r[f"users_{users}_tokens_per_s"] / users)
    for key in ("load_cold_ms", "load_cached_ms", "prefix_on_next_ms", "prefix_off_next_ms"):
        assert r[key] > 0
    assert r["text_chars"] > 0  # a text prompt comes back as text


def cpp_prompt(vocab: int, tokens: int, seed: int) -> np.ndarray:
    """The prompt llm.cpp's random_prompt makes: std::mt19937(seed)'s raw outputs, which numpy's
    RandomState(seed) draws too (the same Mersenne Twister, seeded the same way), modulo the
    range [256, vocab - 3)."""
    raw = np.random.RandomState(seed).randint(0, 2**32, size=tokens, dtype=np.uint32)
    return (256 + raw.astype(np.int64) % (vocab - 259))[None]


@pytest.mark.parametrize("device", DEVICES)
def test_python_and_cpp_agree(device: str) -> None:
    """GenAI in Python and the runtime's own loop in C++ on the same folders: the same shape
    facts and sizes read, the same runtime precisions and KV-cache default; the same text for
    the same text prompt (tokenizer, greedy loop, detokenizer); and, for the C++ prompt of the
    formats example made again here, GenAI's greedy tokens agree with f16 exactly as the C++
    loop's did, and the model's logits move as much as C++ measured."""
    import openvino as ov
    import openvino_genai as ov_genai

    py, cc = run_snippet(PAGE, device, "python"), run_snippet(PAGE, device, "cpp")
    for key in ("prompts", "output_tokens", "layers", "kv_heads", "head_dim", "weight_mib",
                "runtime_weights", "f16_runs_as_f32", "kv_default", "kv_context", "context_limit",
                "kv_bytes_f16", "kv_bytes_u8", "kv_mib_limit_u8", "system_prompt", "prompt_growth"):
        assert cc[key] == py[key], key
    assert cc["text_chars"] == py["text_chars"]

    folders = {fmt: llm_zoo.model_dir(MODULE.TEST_MODEL, fmt) for fmt in llm_zoo.FORMATS}
    ids = cpp_prompt(llm_zoo.read_shape(folders["f16"]).vocab, 128, seed=1)
    config = ov_genai.GenerationConfig(max_new_tokens=py["output_tokens"],
                                       min_new_tokens=py["output_tokens"], ignore_eos=True,
                                       do_sample=False)
    prompt = ov_genai.TokenizedInputs(ov.Tensor(ids), ov.Tensor(np.ones_like(ids)))
    tokens, logits = {}, {}
    core = ov.Core()
    for fmt, folder in folders.items():
        tokens[fmt] = list(ov_genai.LLMPipeline(str(folder), device).generate(prompt, config).tokens[0])
        compiled = core.compile_model(folder / "openvino_model.xml", "CPU")
        request = compiled.create_infer_request()
        request.infer({"input_ids": ids, "attention_mask": np.ones_like(ids),
                       "position_ids": np.arange(ids.shape[1], dtype=np.int64)[None],
                       "beam_idx": np.zeros(1, dtype=np.int32)})
        logits[fmt] = request.get_tensor("logits").data[0, -1].astype(np.float64)
    for fmt in ("int8", "int4"):
        same = [a == b for a, b in zip(tokens["f16"], tokens[fmt], strict=True)]
        assert cc[f"{fmt}_prefix"] == (same.index(False) if False in same else len(same)), fmt
        assert cc[f"{fmt}_share"] == pytest.approx(sum(same) / len(same)), fmt
        error = np.abs(logits[fmt] - logits["f16"]).max() / np.abs(logits["f16"]).max()
        assert cc[f"{fmt}_logit_error"] == pytest.approx(error, rel=1e-3), fmt


def test_a_model_that_is_not_an_llm_is_refused_in_one_line(tmp_path: Path) -> None:
    for bad in ("no-such-llm", str(tmp_path), "/etc/hostname"):
        done = run_script("snippets/guide/llm.py", "--model", bad)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), done.stderr


def test_the_cpp_program_refuses_what_it_cannot_run_in_one_line(tmp_path: Path) -> None:
    """A folder that is not an LLM's, a device that runs no LLM, and no tokenizers extension:
    each a one-line refusal (exit 2, which perfguide.cpp.run turns into a UsageError)."""
    built_programs()
    (tmp_path / "openvino_model.xml").write_text("<net/>")
    f16 = str(llm_zoo.model_dir(MODULE.TEST_MODEL, "f16"))
    extension = {"OPENVINO_TOKENIZERS_LIB": str(cpp.tokenizers_library())}
    for model, device, env, says in ((str(tmp_path), "CPU", extension, "not an OpenVINO LLM folder"),
                                     (f16, "AUTO", extension, "not AUTO"),
                                     (f16, "CPU", {"OPENVINO_TOKENIZERS_LIB": ""}, "openvino_tokenizers")):
        with pytest.raises(UsageError, match=says):
            cpp.run("guide/llm", device, model, env=env)


def test_a_readers_gguf_file_runs_like_a_zoo_llm(tmp_path: Path) -> None:
    """The page's code on a GGUF file of the reader's: converted, compressed with NNCF into a
    temporary folder, and run through every example."""
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(llm_zoo.gguf_path("tiny-qwen2").read_bytes())
    done = run_script("snippets/guide/llm.py", "--model", str(gguf), "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"int4_logit_error"' in done.stdout


def test_a_readers_gguf_file_runs_in_cpp_too(tmp_path: Path) -> None:
    """The C++ program on the same reader's file: its three folders made the Python way (NNCF is
    Python's), then every example run on them."""
    built_programs()
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(llm_zoo.gguf_path("tiny-qwen2").read_bytes())
    observed = cpp.run_page("guide/llm", "CPU", str(gguf))["observed"]
    assert observed["int8_logit_error"] < observed["int4_logit_error"]
