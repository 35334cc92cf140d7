"""Decoder LLMs for the zoo: real architectures with random weights, written as GGUF files.

Each recipe writes a GGUF file (architecture ``qwen2``, F16 matrices, F32 norms) with the exact
shape of a published model and deterministic N(0, 0.02) weights, plus a byte-level BPE
tokenizer of the model's vocabulary size in the file's metadata. OpenVINO GenAI reads the
file directly; the other weight formats are derived from it:

- ``f16``: the OpenVINO model GenAI converts the GGUF file to (saved once, then reused);
- ``int8`` / ``int4``: that model with NNCF's ``compress_weights`` (INT8_ASYM, INT4_SYM),
  saved beside the same tokenizer models.

Entries live in the zoo's cache as ``<cache>/<name>-<hash12>/`` (``model.gguf`` and one folder
per format), built into a temporary folder and renamed into place, like the other zoo models.
The generated text is meaningless: the weights are random. What the models are good for is
what costs time and memory, which depends on the shapes alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from perfguide.errors import UsageError
from perfguide.zoo import build_atomically, cache_dir, prune_stale

FORMATS = ("f16", "int8", "int4")
# How NNCF compresses each derived format (None: the converted model as it is).
_NNCF_MODE = {"f16": None, "int8": "INT8_ASYM", "int4": "INT4_SYM"}
# Qwen2's special tokens, appended after the BPE vocabulary.
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
# What GenAI writes beside a GGUF file with enable_save_ov_model=True, and a folder needs.
_OV_FILES = ("openvino_model.xml", "openvino_model.bin", "openvino_tokenizer.xml",
             "openvino_tokenizer.bin", "openvino_detokenizer.xml", "openvino_detokenizer.bin")


@dataclass(frozen=True)
class LLMShape:
    """The dimensions of a decoder LLM (Qwen2 / Llama layout: GQA attention, gated MLP)."""

    layers: int
    hidden: int
    heads: int
    kv_heads: int
    ffn: int
    vocab: int
    context: int

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    def tensor_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every weight of a Qwen2 model, by its GGUF name, in numpy (row-major, out × in) order."""
        kv = self.kv_heads * self.head_dim
        shapes: dict[str, tuple[int, ...]] = {"token_embd.weight": (self.vocab, self.hidden)}
        for i in range(self.layers):
            b = f"blk.{i}."
            shapes.update({
                b + "attn_norm.weight": (self.hidden,),
                b + "attn_q.weight": (self.hidden, self.hidden),
                b + "attn_q.bias": (self.hidden,),
                b + "attn_k.weight": (kv, self.hidden),
                b + "attn_k.bias": (kv,),
                b + "attn_v.weight": (kv, self.hidden),
                b + "attn_v.bias": (kv,),
                b + "attn_output.weight": (self.hidden, self.hidden),
                b + "ffn_norm.weight": (self.hidden,),
                b + "ffn_gate.weight": (self.ffn, self.hidden),
                b + "ffn_up.weight": (self.ffn, self.hidden),
                b + "ffn_down.weight": (self.hidden, self.ffn),
            })
        shapes["output_norm.weight"] = (self.hidden,)  # tied embeddings: no output.weight
        return shapes

    @property
    def params(self) -> int:
        return sum(int(np.prod(s)) for s in self.tensor_shapes().values())

    def kv_bytes_per_token(self, element_bytes: float) -> float:
        """KV-cache bytes one token of context takes (keys and values, every layer)."""
        return 2 * self.layers * self.kv_heads * self.head_dim * element_bytes

    def prefill_flops(self, tokens: int) -> float:
        """FLOPs of a prompt of ``tokens``: 2 per matrix weight per token in the layers, the
        lm_head at the last token only (GenAI computes the logits of that one), and attention's
        QK^T and AV over the causal triangle."""
        kv = self.kv_heads * self.head_dim
        layer = 2 * self.hidden * self.hidden + 2 * self.hidden * kv + 3 * self.hidden * self.ffn
        attention = 2 * 2 * self.hidden * tokens * (tokens + 1) / 2
        return self.layers * (2 * layer * tokens + attention) + 2 * self.vocab * self.hidden

    def as_config(self) -> dict:
        """The Hugging Face config.json fields of this shape (written beside a converted model)."""
        return {
            "model_type": "qwen2", "num_hidden_layers": self.layers, "hidden_size": self.hidden,
            "num_attention_heads": self.heads, "num_key_value_heads": self.kv_heads,
            "intermediate_size": self.ffn, "vocab_size": self.vocab,
            "max_position_embeddings": self.context, "tie_word_embeddings": True,
        }


@dataclass(frozen=True)
class LLMRecipe:
    """One zoo LLM: its shape, how it is seeded, and the published parameter count."""

    name: str
    description: str
    shape: LLMShape
    published_params: int
    source: str
    rope_theta: float = 1_000_000.0
    rms_eps: float = 1e-6
    init_std: float = 0.02
    seed: int = 0
    version: int = 1


QWEN25_05B = LLMRecipe(
    name="qwen2.5-0.5b",
    description="Qwen2.5-0.5B's exact shape (24 layers, hidden 896, 14 query / 2 KV heads, "
    "FFN 4864, vocabulary 151 936, tied embeddings), random weights",
    shape=LLMShape(layers=24, hidden=896, heads=14, kv_heads=2, ffn=4864, vocab=151_936,
                   context=32_768),
    published_params=494_000_000,  # "Number of Parameters: 0.49B"; 494,032,768 counted
    source="Qwen2.5-0.5B model card and config.json (Qwen team, 2024)",
)
TINY = LLMRecipe(
    name="tiny-qwen2",
    description="A 2-layer Qwen2-architecture model (hidden 128, 4 query / 2 KV heads, FFN 256, "
    "vocabulary 4096) for tests: same code paths, seconds to build and run",
    shape=LLMShape(layers=2, hidden=128, heads=4, kv_heads=2, ffn=256, vocab=4096, context=2048),
    init_std=0.2,  # larger than 0.02, so that 2 layers outweigh the tied embedding's echo
    published_params=0, source="none: a test model of this project",
)
LLM_ZOO = {r.name: r for r in (QWEN25_05B, TINY)}


# --------------------------------------------------------------------------------------------
# The tokenizer


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's map from bytes to printable characters (what byte-level BPE tokens are spelt in)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    chars, extra = {}, 0
    for b in range(256):
        if b in printable:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return chars


def build_tokenizer(vocab_size: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """A byte-level BPE vocabulary of ``vocab_size`` tokens (specials last) and its merges.

    The 256 byte tokens come first; each merge joins two tokens already in the vocabulary
    into one that is not, so every merge produces a token of the vocabulary. Merges join
    letters into words (with or without GPT-2's leading-space mark ``Ġ``): first every
    letter pair, then longer pieces drawn from a seeded generator, so the result is the same
    on every machine. It is a real BPE (text is split and merged as GPT-2's tokenizer does);
    its merges are not learnt from a corpus, which only matters for how short the encodings
    of real text are.
    """
    chars = _bytes_to_unicode()
    vocab = [chars[b] for b in range(256)]
    known = set(vocab)
    merges: list[str] = []
    target = vocab_size - len(SPECIAL_TOKENS)

    def add(left: str, right: str) -> None:
        if left + right not in known and len(vocab) < target:
            merges.append(f"{left} {right}")
            vocab.append(left + right)
            known.add(left + right)

    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    space = chars[ord(" ")]  # "Ġ"
    for a in letters:
        add(space, a)
    for a in letters:
        for b in letters:
            add(a, b)
    rng = np.random.default_rng(seed)
    pieces = vocab[256:]  # words and word pieces: what later merges join
    short = [p for p in pieces if len(p.lstrip(space)) <= 2]  # what they join onto a word
    while len(vocab) < target:
        for u, v in rng.random((4096, 2)):
            left, right = pieces[int(u * len(pieces))], short[int(v * len(short))].lstrip(space)
            if len(left) + len(right) <= 10 and left + right not in known:
                add(left, right)
                pieces.append(vocab[-1])
    return [*vocab, *SPECIAL_TOKENS], merges


# --------------------------------------------------------------------------------------------
# Building


def recipe_key(recipe: LLMRecipe) -> str:
    """12 hex digits that change whenever the recipe could build something different."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(json.dumps(asdict(recipe), sort_keys=True).encode())
    return digest.hexdigest()[:12]


def write_gguf(recipe: LLMRecipe, path: str | os.PathLike) -> Path:
    """Write ``recipe`` as a GGUF file (byte-identical on every call)."""
    import gguf

    path = Path(path)
    writer = gguf.GGUFWriter(str(path), arch="qwen2")
    shape = recipe.shape
    writer.add_name(recipe.name)
    writer.add_context_length(shape.context)
    writer.add_embedding_length(shape.hidden)
    writer.add_block_count(shape.layers)
    writer.add_feed_forward_length(shape.ffn)
    writer.add_head_count(shape.heads)
    writer.add_head_count_kv(shape.kv_heads)
    writer.add_rope_freq_base(recipe.rope_theta)
    writer.add_layer_norm_rms_eps(recipe.rms_eps)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    tokens, merges = build_tokenizer(shape.vocab, recipe.seed)
    n_special = len(SPECIAL_TOKENS)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(tokens)
    writer.add_token_types(
        [gguf.TokenType.NORMAL] * (len(tokens) - n_special) + [gguf.TokenType.CONTROL] * n_special
    )
    writer.add_token_merges(merges)
    eos = len(tokens) - n_special  # <|endoftext|>
    writer.add_eos_token_id(eos)
    writer.add_bos_token_id(eos)
    writer.add_pad_token_id(eos)
    writer.add_add_bos_token(False)
    rng = np.random.default_rng(recipe.seed)
    for name, dims in shape.tensor_shapes().items():
        if len(dims) == 1:
            # Norm scales are ones (as initialised); biases small. Kept in F32, as converters do.
            data = (np.ones(dims) if name.endswith("norm.weight")
                    else rng.normal(0.0, recipe.init_std, dims)).astype(np.float32)
        else:
            data = rng.normal(0.0, recipe.init_std, dims).astype(np.float16)
        writer.add_tensor(name, data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def get_recipe(name: str) -> LLMRecipe:
    try:
        return LLM_ZOO[name]
    except KeyError:
        raise UsageError(f"unknown zoo LLM {name!r}; zoo LLMs: {', '.join(LLM_ZOO)}") from None


def entry_dir(name: str) -> Path:
    return cache_dir() / f"{name}-{recipe_key(get_recipe(name))}"


def gguf_path(name: str) -> Path:
    """The cached GGUF file of a zoo LLM, built if needed (older recipes' entries deleted)."""
    final = entry_dir(name) / "gguf"
    if not (final / "model.gguf").is_file():
        build_atomically(final, lambda tmp: write_gguf(get_recipe(name), tmp / "model.gguf"),
                         lambda d: (d / "model.gguf").is_file())
        prune_stale(name, keep=final.parent)
    return final / "model.gguf"


def convert_gguf(gguf_file: Path, out_dir: Path) -> Path:
    """The OpenVINO model and tokenizer GenAI converts ``gguf_file`` to, saved in ``out_dir``
    with a config.json of the model's shape (what :func:`read_shape` reads)."""
    import openvino_genai as ov_genai

    work = out_dir / ".gguf"
    work.mkdir(parents=True)
    (work / gguf_file.name).symlink_to(gguf_file)
    ov_genai.LLMPipeline(str(work / gguf_file.name), "CPU", enable_save_ov_model=True)
    for name in _OV_FILES:
        (work / name).rename(out_dir / name)
    shutil.rmtree(work)
    (out_dir / "config.json").write_text(json.dumps(read_shape(gguf_file).as_config(), indent=1))
    return out_dir


def compress(src: Path, dst: Path, fmt: str) -> Path:
    """``src``'s OpenVINO LLM folder with its weights compressed to ``fmt`` by NNCF, in ``dst``."""
    import nncf
    import openvino as ov

    model = ov.Core().read_model(str(src / "openvino_model.xml"))
    mode = getattr(nncf.CompressWeightsMode, _NNCF_MODE[fmt])
    # ratio=1 and all_layers: every matrix in the format named (the embedding too), so the
    # format's bytes are what decode reads; group 128 is NNCF's default for INT4.
    kwargs = {"ratio": 1.0, "group_size": 128, "all_layers": True} if fmt == "int4" else {}
    model = nncf.compress_weights(model, mode=mode, **kwargs)
    dst.mkdir(parents=True, exist_ok=True)
    ov.save_model(model, str(dst / "openvino_model.xml"), compress_to_fp16=False)
    for name in (*_OV_FILES[2:], "config.json"):
        shutil.copy2(src / name, dst / name)
    return dst


def model_dir(name: str, fmt: str = "f16") -> Path:
    """The cached OpenVINO LLM folder of a zoo LLM in weight format ``fmt``, built if needed."""
    check_format(fmt)
    final = entry_dir(name) / fmt
    if not _complete(final):
        if fmt == "f16":
            gguf_file = gguf_path(name)
            build_atomically(final, lambda tmp: convert_gguf(gguf_file, tmp), _complete)
        else:
            src = model_dir(name, "f16")
            build_atomically(final, lambda tmp: compress(src, tmp, fmt), _complete)
    return final


def _complete(folder: Path) -> bool:
    return all((folder / f).is_file() for f in _OV_FILES)


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise UsageError(f"unknown weight format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    return fmt


def is_llm(name_or_path: str | os.PathLike) -> bool:
    """Whether a model argument names an LLM: a zoo LLM, a .gguf file, or a folder."""
    if isinstance(name_or_path, str) and name_or_path in LLM_ZOO:
        return True
    path = Path(name_or_path).expanduser()
    return path.suffix.lower() == ".gguf" or path.is_dir()


def resolve_llm(name_or_path: str | os.PathLike, fmt: str = "f16") -> Path:
    """A zoo LLM's folder (or its GGUF file with fmt="gguf"), or a user's GGUF file or folder.

    A user's path is checked for what GenAI needs: a ``.gguf`` file, or a folder holding an
    OpenVINO model with its tokenizer and detokenizer. Problems raise one-line UsageErrors.
    """
    if isinstance(name_or_path, str) and name_or_path in LLM_ZOO:
        return gguf_path(name_or_path) if fmt == "gguf" else model_dir(name_or_path, fmt)
    path = Path(name_or_path).expanduser()
    zoo = ", ".join(LLM_ZOO)
    if not path.exists():
        raise UsageError(f"unknown zoo LLM {str(name_or_path)!r} and no such file or folder; "
                         f"zoo LLMs: {zoo}")
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise UsageError(f"not an LLM: {path} (give a .gguf file or an OpenVINO LLM folder)")
        with path.open("rb") as f:
            if f.read(4) != b"GGUF":
                raise UsageError(f"not a GGUF file: {path} (it does not start with 'GGUF')")
        return path
    missing = [f for f in ("openvino_model.xml", "openvino_model.bin", "openvino_tokenizer.xml",
                           "openvino_detokenizer.xml") if not (path / f).is_file()]
    if missing:
        raise UsageError(f"not an OpenVINO LLM folder: {path} lacks {', '.join(missing)}")
    return path


def read_shape(model: Path) -> LLMShape | None:
    """The dimensions of a GGUF file (its metadata) or an OpenVINO LLM folder (its config.json,
    as Hugging Face writes it); None when the folder has no config.json to say."""
    if model.is_file():
        import gguf

        reader = gguf.GGUFReader(str(model))

        def field(key: str):
            f = reader.fields[key]
            return f.contents()

        arch = field("general.architecture")
        heads = int(field(f"{arch}.attention.head_count"))
        return LLMShape(
            layers=int(field(f"{arch}.block_count")), hidden=int(field(f"{arch}.embedding_length")),
            heads=heads, kv_heads=int(field(f"{arch}.attention.head_count_kv")),
            ffn=int(field(f"{arch}.feed_forward_length")), vocab=len(field("tokenizer.ggml.tokens")),
            context=int(field(f"{arch}.context_length")),
        )
    config = model / "config.json"
    if not config.is_file():
        return None
    try:
        c = json.loads(config.read_text())
        return LLMShape(
            layers=int(c["num_hidden_layers"]), hidden=int(c["hidden_size"]),
            heads=int(c["num_attention_heads"]),
            kv_heads=int(c.get("num_key_value_heads", c["num_attention_heads"])),
            ffn=int(c["intermediate_size"]), vocab=int(c["vocab_size"]),
            context=int(c.get("max_position_embeddings", 0)) or 1 << 30,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"unreadable LLM config: {config} ({exc.__class__.__name__}: {exc})") from None


def weight_bytes(model: Path) -> int:
    """Bytes of the weights decode reads per token: the .bin file (or the GGUF file's tensors)."""
    if model.is_file():
        import gguf

        return sum(int(t.n_bytes) for t in gguf.GGUFReader(str(model)).tensors)
    return (model / "openvino_model.bin").stat().st_size
