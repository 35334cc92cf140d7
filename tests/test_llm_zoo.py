"""The LLM zoo: architectures with the published shapes, deterministic GGUF files, a real
byte-level BPE tokenizer, the derived weight formats, and readers' own files."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfguide import llm_zoo
from perfguide.errors import UsageError


def test_qwen_has_the_published_parameter_count() -> None:
    recipe = llm_zoo.QWEN25_05B
    assert abs(recipe.shape.params / recipe.published_params - 1) < 0.02
    s = recipe.shape
    assert (s.layers, s.hidden, s.heads, s.kv_heads, s.ffn, s.vocab) == (24, 896, 14, 2, 4864, 151_936)


def test_two_builds_give_identical_bytes(tmp_path: Path) -> None:
    a = llm_zoo.write_gguf(llm_zoo.TINY, tmp_path / "a.gguf")
    b = llm_zoo.write_gguf(llm_zoo.TINY, tmp_path / "b.gguf")
    assert a.read_bytes() == b.read_bytes()


def test_the_gguf_file_holds_the_recipes_shape_and_tokenizer() -> None:
    path = llm_zoo.gguf_path("tiny-qwen2")
    assert llm_zoo.read_shape(path) == llm_zoo.TINY.shape
    import gguf

    reader = gguf.GGUFReader(str(path))
    tensors = {t.name: tuple(int(d) for d in reversed(t.shape)) for t in reader.tensors}
    assert tensors == llm_zoo.TINY.shape.tensor_shapes()
    assert llm_zoo.weight_bytes(path) == sum(int(t.n_bytes) for t in reader.tensors)


def test_the_tokenizer_is_a_byte_level_bpe_of_the_vocabulary_size() -> None:
    tokens, merges = llm_zoo.build_tokenizer(llm_zoo.QWEN25_05B.shape.vocab)
    assert len(tokens) == len(set(tokens)) == 151_936
    known = set(tokens)
    for merge in merges:
        left, right = merge.split(" ")
        assert left in known and right in known and left + right in known
    assert tokens[-3:] == list(llm_zoo.SPECIAL_TOKENS)


def test_genai_tokenizes_and_detokenizes_text_back() -> None:
    import openvino_genai as ov_genai

    tokenizer = ov_genai.Tokenizer(str(llm_zoo.model_dir("tiny-qwen2")))
    text = "the quick brown fox, 42 times!"
    ids = tokenizer.encode(text).input_ids.data[0].tolist()
    assert len(ids) < len(text.encode())  # merges joined bytes into longer tokens
    assert tokenizer.decode(ids) == text


def test_formats_are_folders_genai_loads() -> None:
    sizes = {fmt: llm_zoo.weight_bytes(llm_zoo.model_dir("tiny-qwen2", fmt)) for fmt in llm_zoo.FORMATS}
    assert sizes["f16"] > sizes["int8"] > sizes["int4"]
    for fmt in llm_zoo.FORMATS:
        assert llm_zoo.read_shape(llm_zoo.model_dir("tiny-qwen2", fmt)) == llm_zoo.TINY.shape


def test_prefill_flops_follow_the_shape() -> None:
    s = llm_zoo.QWEN25_05B.shape
    matrices = s.params - s.vocab * s.hidden - sum(
        n for name, dims in s.tensor_shapes().items() if len(dims) == 1 for n in dims)
    # Without attention, a prompt costs 2 FLOPs per layer weight per token, plus the lm_head once.
    attention = s.prefill_flops(1) - 2 * matrices - 2 * s.vocab * s.hidden
    assert 0 < attention < 1e-3 * s.prefill_flops(1)


def test_readers_files_are_checked(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown zoo LLM 'nope'"):
        llm_zoo.resolve_llm("nope")
    text = tmp_path / "model.xml"
    text.write_text("<net/>")
    with pytest.raises(UsageError, match="not an LLM"):
        llm_zoo.resolve_llm(text)
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"NOPE")
    with pytest.raises(UsageError, match="not a GGUF file"):
        llm_zoo.resolve_llm(fake)
    with pytest.raises(UsageError, match="lacks openvino_model.xml"):
        llm_zoo.resolve_llm(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(UsageError, match="unreadable LLM config"):
        llm_zoo.read_shape(tmp_path)
    with pytest.raises(UsageError, match="unknown weight format"):
        llm_zoo.model_dir("tiny-qwen2", "int3")
