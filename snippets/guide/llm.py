"""LLM inference: loading a decoder LLM with OpenVINO GenAI (and from a model cache), the two
phases of generation (prefill: time to first token; decode: time per output token), weight
formats and what they cost in output agreement, KV-cache precision, many users through
continuous batching, and prefix caching for a shared system prompt.

Run it yourself:  python snippets/guide/llm.py --device CPU --model qwen2.5-0.5b
(``--model`` also takes your own GGUF file or OpenVINO LLM folder — with openvino_model.xml,
openvino_tokenizer.xml and openvino_detokenizer.xml; its int8 and int4 variants are made here
with NNCF, in a temporary folder.)
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import openvino as ov
import openvino_genai as ov_genai

from perfguide import llm_zoo
from perfguide.snippet import snippet_main

MODEL = "qwen2.5-0.5b"  # Qwen2.5-0.5B's shape, random weights (the LLM zoo)
MODEL_KIND = "llm"  # --model takes a zoo LLM, a GGUF file or an OpenVINO LLM folder
TEST_MODEL = "tiny-qwen2"  # what the tests run: the same code paths in seconds
# GenAI's LLM pipelines run on these; AUTO, HETERO, MULTI and BATCH are not LLM devices.
DEVICES = ("CPU", "GPU", "NPU")
PROMPTS = (32, 128, 512)  # prompt lengths, tokens
OUTPUT = 32  # tokens generated per request
LONG_PROMPT = 1024  # the KV-cache example's context
USERS = (1, 2, 4)
SYSTEM_PROMPT = 512  # tokens every request of the prefix-caching example starts with


def random_prompt(vocab: int, tokens: int, seed: int) -> ov_genai.TokenizedInputs:
    """A prompt of exactly ``tokens`` random ordinary token ids (the model is random too)."""
    ids = np.random.default_rng(seed).integers(256, vocab - 3, size=(1, tokens), dtype=np.int64)
    return ov_genai.TokenizedInputs(ov.Tensor(ids), ov.Tensor(np.ones_like(ids)))


def variants(model: str, folder: Path) -> dict[str, Path]:
    """The model in f16, int8 and int4 weights: the zoo's folders, or a reader's model
    converted (if GGUF) and compressed with NNCF into ``folder``."""
    if model in llm_zoo.LLM_ZOO:
        return {fmt: llm_zoo.model_dir(model, fmt) for fmt in llm_zoo.FORMATS}
    path = Path(model)
    if path.is_file():  # GGUF: the OpenVINO model GenAI converts it to
        path = llm_zoo.convert_gguf(path, folder / "f16")
    out = {"f16": path}
    for fmt in ("int8", "int4"):
        out[fmt] = llm_zoo.compress(path, folder / fmt, fmt)
    return out


def main(device: str, model: str) -> dict:
    """Run every example of the LLM inference page on ``device`` and return what it observed."""
    with tempfile.TemporaryDirectory(prefix="perfguide-llm-") as tmp:
        return examples(device, model, Path(tmp))


def examples(device: str, model: str, tmp: Path) -> dict:
    folders = variants(model, tmp)
    shape = llm_zoo.read_shape(folders["f16"])
    vocab = shape.vocab
    result: dict = {"device": device, "prompts": list(PROMPTS), "output_tokens": OUTPUT,
                    "weight_mib": {}, "layers": shape.layers, "kv_heads": shape.kv_heads,
                    "head_dim": shape.head_dim}
    cache_dir = tmp / "model-cache"

    # --8<-- [start:load]
    # The first load reads the model and compiles it for the device; with CACHE_DIR it
    # also stores the compiled model, and every later load reads that instead.
    start = time.perf_counter()
    pipe = ov_genai.LLMPipeline(str(folders["f16"]), device, CACHE_DIR=str(cache_dir))
    cold_s = time.perf_counter() - start
    del pipe
    start = time.perf_counter()
    pipe = ov_genai.LLMPipeline(str(folders["f16"]), device, CACHE_DIR=str(cache_dir))
    cached_s = time.perf_counter() - start
    print(f"load: {cold_s:.2f} s cold, {cached_s:.2f} s from the model cache")
    # --8<-- [end:load]
    result["load_cold_ms"], result["load_cached_ms"] = cold_s * 1000, cached_s * 1000

    # --8<-- [start:generate]
    config = ov_genai.GenerationConfig()
    config.max_new_tokens = OUTPUT
    config.min_new_tokens = OUTPUT  # exactly OUTPUT tokens ...
    config.ignore_eos = True  # ... even if the model says it is done
    config.do_sample = False  # greedy: the most likely token every time

    def generate(pipe: ov_genai.LLMPipeline, prompt) -> tuple[float, float, list]:
        """(TTFT ms, TPOT ms, output) of one request, from GenAI's own metrics. A text
        prompt goes in a list, so that the result carries its metrics; token ids give
        token ids back."""
        out = pipe.generate([prompt] if isinstance(prompt, str) else prompt, config)
        metrics = out.perf_metrics
        output = out.texts if isinstance(prompt, str) else list(out.tokens[0])
        return metrics.get_ttft().mean, metrics.get_tpot().mean, output

    pipe.generate("warm up", max_new_tokens=2)
    ttft, tpot, texts = generate(pipe, "The fastest way to run a model is")
    print(f"TTFT {ttft:.1f} ms, TPOT {tpot:.2f} ms ({1000 / tpot:.1f} tokens/s)")
    # --8<-- [end:generate]
    result["text_chars"] = len(texts[0])

    # --8<-- [start:prompt-length]
    for n in PROMPTS:  # a fresh random prompt each, so nothing is served from a cache
        ttft, tpot, _ = generate(pipe, random_prompt(vocab, n, seed=n))
        print(f"prompt {n:4d} tokens: TTFT {ttft:7.1f} ms, TPOT {tpot:6.2f} ms")
        result[f"ttft_ms_{n}"], result[f"tpot_ms_{n}"] = ttft, tpot
    # --8<-- [end:prompt-length]
    del pipe
    first, last = PROMPTS[0], PROMPTS[-1]
    result["ttft_growth"] = result[f"ttft_ms_{last}"] / result[f"ttft_ms_{first}"]
    result["tpot_growth"] = result[f"tpot_ms_{last}"] / result[f"tpot_ms_{first}"]
    result["prompt_growth"] = last / first

    # --8<-- [start:formats]
    prompt = random_prompt(vocab, 128, seed=1)
    outputs = {}
    for fmt, folder in folders.items():  # f16, int8, int4
        pipe = ov_genai.LLMPipeline(str(folder), device)
        generate(pipe, random_prompt(vocab, 16, seed=2))  # warm up
        ttft, tpot, outputs[fmt] = generate(pipe, prompt)
        mib = (folder / "openvino_model.bin").stat().st_size / 2**20
        print(f"{fmt}: {mib:6.0f} MiB of weights, TPOT {tpot:6.2f} ms")
        result[f"tpot_ms_{fmt}"], result["weight_mib"][fmt] = tpot, mib
        del pipe
    # --8<-- [end:formats]
    for fmt in ("f16", "int8", "int4"):
        result[f"weight_mib_{fmt}"] = result["weight_mib"][fmt]
    result["int8_speedup"] = result["tpot_ms_f16"] / result["tpot_ms_int8"]
    result["int4_speedup"] = result["tpot_ms_f16"] / result["tpot_ms_int4"]
    result["int4_byte_ratio"] = result["weight_mib_f16"] / result["weight_mib_int4"]

    # --8<-- [start:agreement]
    def matching(reference: list[int], other: list[int]) -> tuple[int, float]:
        """Tokens before the first difference, and the share of equal positions."""
        same = [a == b for a, b in zip(reference, other, strict=True)]
        first_miss = same.index(False) if False in same else len(same)
        return first_miss, sum(same) / len(same)

    def last_logits(folder: Path, ids: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """The logits of the token after ``ids``, from the OpenVINO model itself, and
        the precisions the device keeps the matrix weights in (its runtime model)."""
        compiled = ov.Core().compile_model(folder / "openvino_model.xml", "CPU")
        ops = compiled.get_runtime_model().get_ordered_ops()
        kept = sorted({op.input(1).get_element_type().get_type_name() for op in ops
                       if op.get_rt_info()["layerType"].astype(str)
                       == "FullyConnected"})
        request = compiled.create_infer_request()
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids),
                "position_ids": np.arange(ids.shape[1], dtype=np.int64)[None],
                "beam_idx": np.zeros(1, dtype=np.int32)}
        request.infer({k: v for k, v in feed.items()
                       if any(k in p.get_names() for p in compiled.inputs)})
        return request.get_tensor("logits").data[0, -1].astype(np.float64), kept

    ids = prompt.input_ids.data
    reference, kept = last_logits(folders["f16"], ids)
    print(f"f16: the CPU multiplies with {', '.join(kept)} weights")
    result["runtime_weights"] = {"f16": kept}
    for fmt in ("int8", "int4"):
        prefix, share = matching(outputs["f16"], outputs[fmt])
        logits, kept = last_logits(folders[fmt], ids)
        print(f"{fmt}: the CPU multiplies with {', '.join(kept)} weights")
        result["runtime_weights"][fmt] = kept
        error = np.abs(logits - reference).max() / np.abs(reference).max()
        top1 = int(logits.argmax() == reference.argmax())
        print(f"{fmt} vs f16: first {prefix} tokens equal, {share:.0%} of positions; "
              f"largest logit error {error:.1%} of the largest logit, "
              f"same top token: {top1}")
        result[f"{fmt}_prefix"], result[f"{fmt}_share"] = prefix, share
        result[f"{fmt}_logit_error"], result[f"{fmt}_same_top"] = error, top1
    # --8<-- [end:agreement]
    result["f16_runs_as_f32"] = int(result["runtime_weights"]["f16"] == ["f32"])

    # --8<-- [start:kv-cache]
    default = ov.Core().get_property(device, "KV_CACHE_PRECISION")
    print(f"{device} keeps the KV cache in {default.get_type_name()} by default")
    long_prompt = random_prompt(vocab, LONG_PROMPT, seed=3)
    for precision in ("f16", "u8"):
        pipe = ov_genai.LLMPipeline(str(folders["int8"]), device,
                                    KV_CACHE_PRECISION=getattr(ov.Type, precision))
        generate(pipe, random_prompt(vocab, 16, seed=4))  # warm up
        ttft, tpot, _ = generate(pipe, long_prompt)
        # Keys and values, every layer: 2 x layers x KV heads x head size per token.
        per_token = 2 * shape.layers * shape.kv_heads * shape.head_dim
        per_token *= 2 if precision == "f16" else 1
        mib = per_token * (LONG_PROMPT + OUTPUT) / 2**20
        print(f"KV cache {precision}: {per_token} bytes a token, {mib:.1f} MiB at "
              f"{LONG_PROMPT + OUTPUT} tokens; TPOT {tpot:.2f} ms")
        result[f"kv_bytes_{precision}"], result[f"kv_mib_{precision}"] = per_token, mib
        result[f"kv_tpot_ms_{precision}"] = tpot
        del pipe
    # --8<-- [end:kv-cache]
    result["kv_context"] = LONG_PROMPT + OUTPUT
    result["kv_default"] = default.get_type_name()
    result["context_limit"] = shape.context
    for precision in ("f16", "u8"):  # the cache of one conversation as long as the model allows
        result[f"kv_mib_limit_{precision}"] = result[f"kv_bytes_{precision}"] * shape.context / 2**20

    # --8<-- [start:users]
    scheduler = ov_genai.SchedulerConfig()
    scheduler.max_num_seqs = max(USERS)  # requests decoded together
    scheduler.cache_size = 1  # GB of KV cache the scheduler may use
    pipe = ov_genai.ContinuousBatchingPipeline(str(folders["int8"]), scheduler, device)
    for users in USERS:
        prompts = [random_prompt(vocab, 128, seed=100 + users * 10 + u).input_ids
                   for u in range(users)]
        start = time.perf_counter()
        done = pipe.generate(prompts, [config] * users)
        seconds = time.perf_counter() - start
        generated = sum(len(d.m_generation_ids[0]) for d in done)
        print(f"{users} users: {generated / seconds:6.1f} tokens/s in all, "
              f"{generated / seconds / users:6.1f} per user")
        result[f"users_{users}_tokens_per_s"] = generated / seconds
        result[f"users_{users}_per_user"] = generated / seconds / users
    del pipe
    # --8<-- [end:users]
    result["users_gain"] = (result[f"users_{max(USERS)}_tokens_per_s"]
                            / result["users_1_tokens_per_s"])

    # --8<-- [start:prefix-caching]
    system = random_prompt(vocab, SYSTEM_PROMPT, seed=5).input_ids.data
    for caching in (False, True):
        scheduler = ov_genai.SchedulerConfig()
        scheduler.enable_prefix_caching = caching
        scheduler.cache_size = 1
        pipe = ov_genai.LLMPipeline(str(folders["int8"]), device,
                                    scheduler_config=scheduler)
        ttfts = []
        for user in range(3):  # the same system prompt, then each user's own question
            question = random_prompt(vocab, 16, seed=200 + user).input_ids.data
            ids = np.concatenate([system, question], axis=1)
            mask = np.ones_like(ids)
            inputs = ov_genai.TokenizedInputs(ov.Tensor(ids), ov.Tensor(mask))
            ttfts.append(generate(pipe, inputs)[0])
        print(f"prefix caching {'on ' if caching else 'off'}: TTFT of the first user "
              f"{ttfts[0]:.1f} ms, of the next ones {np.mean(ttfts[1:]):.1f} ms")
        key = "on" if caching else "off"
        result[f"prefix_{key}_first_ms"] = ttfts[0]
        result[f"prefix_{key}_next_ms"] = float(np.mean(ttfts[1:]))
        del pipe
    # --8<-- [end:prefix-caching]
    result["prefix_speedup"] = result["prefix_off_next_ms"] / result["prefix_on_next_ms"]
    result["system_prompt"] = SYSTEM_PROMPT
    return result


if __name__ == "__main__":
    snippet_main(main, default_model=MODEL, kind=MODEL_KIND)
