"""llama.cpp as a peer: the same GGUF file, prompt, output length and thread count as an ``llm``
record of OpenVINO GenAI, run through llama-cpp-python, alternating with it in fresh processes.

llama-cpp-python is an optional install (it compiles llama.cpp from source, several minutes on
2 cores): ``scripts/install-llama-cpp.sh``. Without it the comparison is skipped with that reason.

Both sides decode greedily and ignore the end-of-sequence token. llama.cpp's side is timed on
this process's clock: TTFT is the prompt's ``eval`` plus picking the first token (the argmax of
its logits, as GenAI's greedy sampler does); TPOT is the mean time of each later one-token step.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from perfguide.bench.config import BenchConfig
from perfguide.errors import UsageError

INSTALL_HINT = "install it with scripts/install-llama-cpp.sh (builds llama.cpp from source)"
# The GGUF formats compared: the zoo's F16 file, and llama.cpp's own quantizations of it (which
# OpenVINO GenAI reads too), by llama.cpp's file type constant.
GGUF_FORMATS = {"f16": None, "q8_0": "LLAMA_FTYPE_MOSTLY_Q8_0", "q4_0": "LLAMA_FTYPE_MOSTLY_Q4_0"}


def llama_cpp_version() -> str | None:
    """llama-cpp-python's version, or None when it is not installed."""
    try:
        import llama_cpp
    except ImportError:
        return None
    return llama_cpp.__version__


def _threads(config: BenchConfig) -> int:
    from perfguide.environment import cores

    return config.threads or cores()[0]


def run_child(gguf: str, settings: dict, config: BenchConfig, seed: int = 0) -> dict:
    """In a fresh process: load ``gguf`` in llama.cpp, warm up, time one greedy generation."""
    import llama_cpp

    from perfguide import llm_zoo
    from perfguide.bench.llm import LLMSettings, prompt_ids

    s = LLMSettings(**settings).check()
    shape = llm_zoo.read_shape(llm_zoo.resolve_llm(gguf))
    threads = _threads(config)
    batch = max(512, s.prompt_tokens)
    llm = llama_cpp.Llama(model_path=str(gguf), n_ctx=s.prompt_tokens + s.output_tokens + 16,
                          n_batch=batch, n_ubatch=batch, n_threads=threads,
                          n_threads_batch=threads, seed=seed, verbose=False)
    vocab = llm.n_vocab()

    def generate(ids: list[int], n: int) -> tuple[float, list[float], list[int]]:
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(ids)
        token = int(np.argmax(np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(vocab,))))
        first = time.perf_counter() - t0
        tokens, steps = [token], []
        for _ in range(n - 1):
            t = time.perf_counter()
            llm.eval([token])
            token = int(np.argmax(np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(vocab,))))
            steps.append(time.perf_counter() - t)
            tokens.append(token)
        return first, steps, tokens

    generate(prompt_ids(shape, s.prompt_tokens, seed + 10_000)[0].tolist(), 2)  # warm-up
    first, steps, tokens = generate(prompt_ids(shape, s.prompt_tokens, seed)[0].tolist(),
                                    s.output_tokens)
    return {"ttft_ms": first * 1000.0, "tpot_ms": 1000.0 * float(np.mean(steps)),
            "tokens": tokens, "threads": threads}


def quantize(src: Path, dst: Path, fmt: str) -> Path:
    """``src`` (a GGUF file) quantized by llama.cpp to ``fmt`` (q8_0, q4_0), written to ``dst``."""
    import ctypes

    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, GGUF_FORMATS[fmt])
    params.nthread = _threads(BenchConfig())
    if llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params)):
        raise RuntimeError(f"llama.cpp could not quantize {src} to {fmt}")
    return dst


def gguf_file(model: str, fmt: str) -> Path:
    """The GGUF file of ``model`` in ``fmt``: a zoo LLM's F16 file or its llama.cpp
    quantization (cached beside it); a reader's GGUF file as it is (``fmt`` must be f16)."""
    from perfguide import llm_zoo
    from perfguide.zoo import build_atomically

    if fmt not in GGUF_FORMATS:
        raise UsageError(f"unknown GGUF format {fmt!r}; choose one of: {', '.join(GGUF_FORMATS)}")
    src = llm_zoo.resolve_llm(model, "gguf")
    if not src.is_file():
        raise UsageError(f"the llama.cpp comparison needs a GGUF file, and {model} is a folder")
    if fmt == "f16":
        return src
    if model not in llm_zoo.LLM_ZOO:
        raise UsageError(f"--gguf-format {fmt} quantizes a zoo LLM; for your own file, give it "
                         "already quantized with --gguf-format f16")
    final = llm_zoo.entry_dir(model) / f"gguf-{fmt}"
    if not (final / "model.gguf").is_file():
        build_atomically(final, lambda tmp: quantize(src, tmp / "model.gguf", fmt),
                         lambda d: (d / "model.gguf").is_file())
    return final / "model.gguf"


def compare_llama_cpp(model: str, device: str = "CPU", settings: dict | None = None,
                      config: BenchConfig | None = None, *, pairs: int = 3,
                      gguf_format: str = "f16") -> dict:
    """OpenVINO GenAI and llama.cpp on one GGUF file, alternating fresh processes ``pairs``
    times; the best run of each side (its lowest TPOT) and every pair.

    Both load the very same file: a zoo LLM's F16 file, or its Q8_0 / Q4_0 quantization made
    by llama.cpp (``gguf_format``), or a reader's GGUF file. OpenVINO converts it when it loads
    (not timed here: TTFT and TPOT are). Both use the same number of threads.
    """
    from perfguide.bench.isolation import in_fresh_process
    from perfguide.bench.llm import LLMSettings

    version = llama_cpp_version()
    if version is None:
        raise UsageError(f"llama-cpp-python is not installed; {INSTALL_HINT}")
    if device != "CPU":
        raise UsageError(f"the llama.cpp comparison runs on CPU, not {device}")
    if pairs < 1:
        raise UsageError(f"--pairs must be at least 1, not {pairs}")
    s = LLMSettings(**{**(settings or {}), "weights": "gguf", "users": 1}).check()
    gguf = gguf_file(model, gguf_format)
    config = config or BenchConfig(hint="latency")
    threads = _threads(config)
    config = BenchConfig(hint=config.hint, threads=threads)
    rows = []
    for i in range(pairs):
        ov = in_fresh_process("llm_run", str(gguf), device, asdict(s), config=config, seed=i)
        cpp = in_fresh_process("llama_cpp_run", str(gguf), asdict(s), config=config, seed=i)
        rows.append({"openvino": {k: ov[k] for k in ("ttft_ms", "tpot_ms")},
                     "llama_cpp": {k: cpp[k] for k in ("ttft_ms", "tpot_ms")}})

    def best(side: str) -> dict:
        run = min((r[side] for r in rows), key=lambda r: r["tpot_ms"])
        fastest_ttft = min(r[side]["ttft_ms"] for r in rows)
        return {"tpot_ms": run["tpot_ms"], "tokens_per_s": 1000.0 / run["tpot_ms"],
                "ttft_ms": fastest_ttft}

    ov_best, cpp_best = best("openvino"), best("llama_cpp")
    return {
        "version": version, "threads": threads, "pairs": rows, "format": gguf_format,
        "settings": {"prompt_tokens": s.prompt_tokens, "output_tokens": s.output_tokens},
        "gguf_bytes": os.path.getsize(gguf),
        "openvino": ov_best, "llama_cpp": cpp_best,
        "tokens_per_s_ratio": ov_best["tokens_per_s"] / cpp_best["tokens_per_s"],
        "ttft_ratio": ov_best["ttft_ms"] / cpp_best["ttft_ms"],
        "tpot_ratio_median": statistics.median(r["openvino"]["tpot_ms"] / r["llama_cpp"]["tpot_ms"]
                                               for r in rows),
    }
