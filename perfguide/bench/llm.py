"""The ``llm`` scenario: time to first token, time per output token and memory of a decoder LLM
run by OpenVINO GenAI, for one prompt length, output length, weight format and KV-cache setting.

Greedy decoding with ``ignore_eos``, so every run produces exactly ``output_tokens`` tokens.
Each repeat gets its own random prompt (token ids drawn from a seeded generator): a repeated
prompt could be served from the prefix cache, and the first token would not be computed.

``users == 1`` drives ``LLMPipeline.generate`` (what a single-user application calls);
``users > 1`` submits every user's request at once to a ``ContinuousBatchingPipeline`` and steps
it, timing each user's tokens as they arrive: total tokens/s and each user's TTFT and TPOT.

Decode at batch 1 reads every weight once per token: ``bytes_per_token / TPOT`` against the
machine's read bandwidth (:func:`perfguide.bench.probes.bandwidth`, measured in the same
process) is how close the runtime comes to that limit. Prefill is compute-bound: its FLOPs over
TTFT is set against the MatMul peak on the Benchmarks page.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from perfguide.bench.config import DEFAULT_REPEATS, BenchConfig, Timing
from perfguide.bench.log import log
from perfguide.bench.memory import peak_rss_mib, reset_peak_rss
from perfguide.bench.stats import spread_pct, spread_warning
from perfguide.errors import UsageError

KV_PRECISIONS = ("f16", "bf16", "u8", "f32")
KV_BYTES = {"f16": 2.0, "bf16": 2.0, "u8": 1.0, "f32": 4.0}  # u8 adds a scale per group: ignored
WEIGHTS = ("f16", "int8", "int4", "gguf")  # gguf: GenAI reads the GGUF file itself


@dataclass(frozen=True)
class LLMSettings:
    """What one LLM measurement runs (the scenario's own settings; checked by :meth:`check`)."""

    prompt_tokens: int = 128
    output_tokens: int = 64
    weights: str = "f16"  # a zoo LLM's format; ignored (recorded as "user") for a user's model
    kv_cache_precision: str | None = None  # None: the device's default
    dq_group: int | None = None  # dynamic quantization group size; 0 turns it off
    users: int = 1

    def check(self) -> LLMSettings:
        if self.weights not in WEIGHTS:
            raise UsageError(f"unknown weight format {self.weights!r}; choose one of: {', '.join(WEIGHTS)}")
        if self.kv_cache_precision is not None and self.kv_cache_precision not in KV_PRECISIONS:
            raise UsageError(f"unknown KV-cache precision {self.kv_cache_precision!r}; "
                             f"choose one of: {', '.join(KV_PRECISIONS)}")
        if not isinstance(self.prompt_tokens, int) or self.prompt_tokens < 1:
            raise UsageError(f"--prompt-tokens must be at least 1, not {self.prompt_tokens}")
        if not isinstance(self.output_tokens, int) or self.output_tokens < 2:
            raise UsageError(f"--output-tokens must be at least 2 (TPOT needs a second token), "
                             f"not {self.output_tokens}")
        if self.dq_group is not None and self.dq_group < 0:
            raise UsageError(f"--dq-group must be 0 (off) or a group size, not {self.dq_group}")
        if not isinstance(self.users, int) or self.users < 1:
            raise UsageError(f"--users must be at least 1, not {self.users}")
        return self

    def suffix(self) -> str:
        """The part of a record id that names these settings."""
        parts = [f"weights={self.weights}", f"prompt={self.prompt_tokens}",
                 f"output={self.output_tokens}"]
        if self.kv_cache_precision:
            parts.append(f"kv={self.kv_cache_precision}")
        if self.dq_group is not None:
            parts.append(f"dq={self.dq_group}")
        parts.append(f"users={self.users}")
        return "/".join(parts)


@dataclass
class Resolved:
    """A model to run: the path GenAI loads, its label, shape and weight bytes."""

    path: Path
    label: str
    weights: str
    shape: object  # llm_zoo.LLMShape | None
    weight_bytes: int


def resolve(model: str | os.PathLike, settings: LLMSettings) -> Resolved:
    """A zoo LLM in ``settings.weights`` (built if needed) or a user's GGUF file / folder."""
    from perfguide import llm_zoo
    from perfguide.bench.models import model_label

    label = model_label(model)
    if isinstance(model, str) and model in llm_zoo.LLM_ZOO:
        path = llm_zoo.resolve_llm(model, settings.weights)
        weights = settings.weights
    else:
        path = llm_zoo.resolve_llm(model)
        weights = "gguf" if Path(path).is_file() else "user"
    shape = llm_zoo.read_shape(path)
    if shape is not None and settings.prompt_tokens + settings.output_tokens > shape.context:
        raise UsageError(f"a prompt of {settings.prompt_tokens} tokens plus {settings.output_tokens} "
                         f"output tokens exceeds {label}'s context of {shape.context} tokens")
    if settings.users > 1 and path.is_file():
        raise UsageError("--users > 1 (continuous batching) needs an OpenVINO LLM folder, not a "
                         "GGUF file; convert it once with: python scripts/zoo.py llm-convert FILE FOLDER")
    return Resolved(path, label, weights, shape, llm_zoo.weight_bytes(path))


def properties(config: BenchConfig, settings: LLMSettings, cache_dir: str | None = None) -> dict:
    """The OpenVINO properties GenAI passes to the device for these settings."""
    import openvino as ov

    props: dict = {}
    if settings.kv_cache_precision:
        props["KV_CACHE_PRECISION"] = getattr(ov.Type, settings.kv_cache_precision)
    if settings.dq_group is not None:
        props["DYNAMIC_QUANTIZATION_GROUP_SIZE"] = settings.dq_group
    if config.threads is not None:
        props["INFERENCE_NUM_THREADS"] = config.threads
    if cache_dir:
        props["CACHE_DIR"] = str(cache_dir)
    return props


def prompt_ids(shape, tokens: int, seed: int) -> np.ndarray:
    """A [1, tokens] prompt of random ordinary token ids (none of the special tokens at the end)."""
    vocab = shape.vocab - 3 if shape is not None else 1000
    rng = np.random.default_rng(seed)
    return rng.integers(256, vocab, size=(1, tokens), dtype=np.int64)


def generation_config(output_tokens: int):
    import openvino_genai as ov_genai

    cfg = ov_genai.GenerationConfig()
    cfg.max_new_tokens = cfg.min_new_tokens = output_tokens
    cfg.ignore_eos = True
    cfg.do_sample = False
    return cfg


def _tokenized(ids: np.ndarray):
    import openvino as ov
    import openvino_genai as ov_genai

    return ov_genai.TokenizedInputs(ov.Tensor(ids), ov.Tensor(np.ones_like(ids)))


def generate_once(pipe, ids: np.ndarray, output_tokens: int) -> dict:
    """One greedy generation through ``LLMPipeline``: its TTFT, TPOT and tokens (GenAI's clock)."""
    result = pipe.generate(_tokenized(ids), generation_config(output_tokens))
    m = result.perf_metrics
    tokens = list(result.tokens[0])
    if len(tokens) != output_tokens:
        raise RuntimeError(f"asked for {output_tokens} tokens, got {len(tokens)}")
    return {"ttft_ms": float(m.get_ttft().mean), "tpot_ms": float(m.get_tpot().mean),
            "tokens": tokens}


def serve_users(pipe, prompts: list[np.ndarray], output_tokens: int) -> dict:
    """Every prompt submitted at once to a ContinuousBatchingPipeline, stepped to the end; each
    user's token arrival times on this process's clock."""
    cfg = generation_config(output_tokens)
    start = time.perf_counter()
    import openvino as ov

    handles = [pipe.add_request(i, ov.Tensor(ids), cfg) for i, ids in enumerate(prompts)]
    arrivals: list[list[float]] = [[] for _ in prompts]
    while pipe.has_non_finished_requests():
        pipe.step()
        now = time.perf_counter()
        for user, handle in enumerate(handles):
            while handle.can_read():
                out = handle.read()
                for seq in out.values():
                    arrivals[user].extend([now] * len(seq.generated_ids))
    wall = time.perf_counter() - start
    for user, times in enumerate(arrivals):
        if len(times) != output_tokens:
            raise RuntimeError(f"user {user} got {len(times)} tokens, not {output_tokens}")
    ttft = [(t[0] - start) * 1000.0 for t in arrivals]
    tpot = [(t[-1] - t[0]) * 1000.0 / (output_tokens - 1) for t in arrivals]
    return {"ttft_ms": float(np.mean(ttft)), "tpot_ms": float(np.mean(tpot)),
            "ttft_max_ms": float(np.max(ttft)), "tpot_max_ms": float(np.max(tpot)),
            "total_tokens_per_s": len(prompts) * output_tokens / wall, "wall_s": wall}


def open_pipeline(r: Resolved, device: str, config: BenchConfig, settings: LLMSettings,
                  cache_dir: str | None = None):
    """Load ``r`` for ``settings.users`` users: (pipeline, seconds it took to load)."""
    import openvino_genai as ov_genai

    props = properties(config, settings, cache_dir)
    t0 = time.perf_counter()
    if settings.users == 1:
        pipe = ov_genai.LLMPipeline(str(r.path), device, **props)
    else:
        scheduler = ov_genai.SchedulerConfig()
        scheduler.max_num_seqs = settings.users
        scheduler.dynamic_split_fuse = True
        scheduler.enable_prefix_caching = False
        scheduler.max_num_batched_tokens = max(256, settings.users)
        needed = settings.users * (settings.prompt_tokens + settings.output_tokens)
        scheduler.num_kv_blocks = -(-needed // 32) + settings.users  # blocks of 32 tokens
        pipe = ov_genai.ContinuousBatchingPipeline(str(r.path), scheduler, device, props)
    return pipe, time.perf_counter() - t0


def percentiles(values: list[float]) -> dict:
    a = np.asarray(values, dtype=float)
    return {"p50": float(np.percentile(a, 50)), "p90": float(np.percentile(a, 90)),
            "p99": float(np.percentile(a, 99)), "mean": float(a.mean())}


def load_child(model: str, device: str, settings: dict, config: BenchConfig,
               cache_dir: str | None = None) -> dict:
    """In a fresh process: the time to load (read, convert if GGUF, compile) the pipeline."""
    s = LLMSettings(**settings).check()
    r = resolve(model, s)
    _, seconds = open_pipeline(r, device, config, s, cache_dir)
    return {"load_ms": seconds * 1000.0, "peak_rss_mib": peak_rss_mib()}


def run_child(model: str, device: str, settings: dict, config: BenchConfig,
              cache_dir: str | None = None, seed: int = 0) -> dict:
    """In a fresh process: load, warm up and time one generation (one side of a peer pair)."""
    s = LLMSettings(**settings).check()
    r = resolve(model, s)
    pipe, _ = open_pipeline(r, device, config, s, cache_dir)
    run = run_repeats(pipe, r, s, 1, seed)[0]
    return {"ttft_ms": run["ttft_ms"], "tpot_ms": run["tpot_ms"], "tokens": run.get("tokens")}


def load_times(model: str, device: str, settings: LLMSettings, config: BenchConfig,
               repeats: int) -> dict:
    """Cold and cached load, each in a fresh process, alternating (median of ``repeats``)."""
    from perfguide.bench.isolation import in_fresh_process

    with tempfile.TemporaryDirectory(prefix="perfguide-llm-cache-") as cache:
        args = (model, device, asdict(settings))
        in_fresh_process("llm_load", *args, config=config, cache_dir=cache)  # fills the cache
        cold, cached = [], []
        for _ in range(repeats):
            cold.append(in_fresh_process("llm_load", *args, config=config)["load_ms"])
            cached.append(in_fresh_process("llm_load", *args, config=config, cache_dir=cache)["load_ms"])
    return {"cold_ms": float(np.median(cold)), "cached_ms": float(np.median(cached)),
            "cold_spread_pct": spread_pct(cold), "cached_spread_pct": spread_pct(cached)}


def run_repeats(pipe, r: Resolved, settings: LLMSettings, repeats: int, seed: int) -> list[dict]:
    """``repeats`` timed generations (after one short warm-up), a fresh prompt each."""
    n, p = settings.output_tokens, settings.prompt_tokens
    if settings.users == 1:
        generate_once(pipe, prompt_ids(r.shape, p, seed + 10_000), 2)
        return [generate_once(pipe, prompt_ids(r.shape, p, seed + i), n) for i in range(repeats)]
    serve_users(pipe, [prompt_ids(r.shape, p, seed + 10_000 + u) for u in range(settings.users)], 2)
    return [serve_users(pipe, [prompt_ids(r.shape, p, seed + 100 * i + u)
                               for u in range(settings.users)], n) for i in range(repeats)]


def measure_llm(model: str, device: str = "CPU", settings: dict | None = None,
                config: BenchConfig | None = None, *, repeats: int = DEFAULT_REPEATS,
                load_repeats: int = 1, seed: int = 0, bandwidth_gbs: float | None = None) -> dict:
    """Measure one LLM configuration and return its results record (scenario ``llm``)."""
    from perfguide.bench.probes import bandwidth
    from perfguide.bench.scenarios import add_warning, empty_record
    from perfguide.devices import check_device

    check_device(device)
    s = LLMSettings(**(settings or {})).check()
    config = config or BenchConfig(hint="latency")
    Timing(repeats=repeats)
    r = resolve(model, s)
    record = empty_record(r.label, device, "llm", config)
    record["id"] = f"{record['id']}/{s.suffix().replace('weights=' + s.weights, 'weights=' + r.weights)}"
    started = time.perf_counter()
    loads = load_times(model, device, s, config, load_repeats) if load_repeats else None
    reset_peak_rss()
    pipe, load_s = open_pipeline(r, device, config, s)
    runs = run_repeats(pipe, r, s, repeats, seed)
    del pipe
    record["peak_rss_mib"] = peak_rss_mib()  # before the bandwidth probe's arrays
    if bandwidth_gbs is None and device == "CPU":
        bandwidth_gbs = bandwidth(threads=config.threads)["read_gbs"]
    kv_precision = s.kv_cache_precision or _default_kv_precision(device)
    block = llm_block(r, s, runs, kv_precision, bandwidth_gbs)
    block["load_ms"] = loads
    record["llm"] = block
    record["count"] = repeats
    record["duration_s"] = time.perf_counter() - started
    record["repeats"] = [{"throughput_fps": None, "p50_ms": None, "ttft_ms": run["ttft_ms"],
                          "tpot_ms": run["tpot_ms"]} for run in runs]
    record["spread_pct"] = spread_pct([run["tpot_ms"] for run in runs])
    add_warning(record, spread_warning(record["spread_pct"], "TPOT"))
    record["compiled"] = _device_defaults(device, config, s)
    log(f"{record['id']}: TTFT {block['ttft_ms']['p50']:.1f} ms, TPOT {block['tpot_ms']['p50']:.2f} ms")
    return record


def _device_defaults(device: str, config: BenchConfig, s: LLMSettings) -> dict:
    """The record's ``compiled`` block: GenAI does not expose the model it compiled, so this is
    what the device uses unless told otherwise (its inference precision), and what was asked."""
    import openvino as ov

    try:
        precision = ov.Core().get_property(device, "INFERENCE_PRECISION_HINT").to_string()
    except Exception:  # noqa: BLE001 - a device without the property
        precision = None
    return {"streams": None, "requests": s.users, "precision": precision,
            "threads": config.threads, "execution_devices": [device], "hint": None}


def _default_kv_precision(device: str) -> str | None:
    import openvino as ov

    try:
        value = ov.Core().get_property(device, "KV_CACHE_PRECISION")
    except Exception:  # noqa: BLE001 - a device without the property
        return None
    return str(value.get_type_name() if hasattr(value, "get_type_name") else value).lower()


def llm_block(r: Resolved, s: LLMSettings, runs: list[dict], kv_precision: str | None,
              bandwidth_gbs: float | None) -> dict:
    """The ``llm`` part of a record: settings, what was timed, and the two physical limits."""
    tpot = percentiles([run["tpot_ms"] for run in runs])
    ttft = percentiles([run["ttft_ms"] for run in runs])
    block = {
        **asdict(s), "weights": r.weights, "kv_precision_used": kv_precision,
        "ttft_ms": ttft, "tpot_ms": tpot, "tokens_per_s": 1000.0 / tpot["p50"],
        "total_tokens_per_s": float(np.median([run.get("total_tokens_per_s", 1000.0 / run["tpot_ms"])
                                               for run in runs])),
        "weight_bytes": r.weight_bytes, "kv_bytes_per_token": None, "bytes_per_token": None,
        "bandwidth_gbs": bandwidth_gbs, "bandwidth_fraction": None, "prefill_gflops": None,
        "load_ms": None,
    }
    if s.users == 1:
        block["tokens"] = [int(t) for t in runs[0]["tokens"][:64]]
    if r.shape is not None:
        kv = r.shape.kv_bytes_per_token(KV_BYTES.get(kv_precision or "f16", 2.0))
        context = s.prompt_tokens + s.output_tokens / 2  # the mean context a decode step reads
        per_token = r.weight_bytes + kv * context * s.users
        block["kv_bytes_per_token"] = kv
        block["bytes_per_token"] = per_token
        block["prefill_gflops"] = r.shape.prefill_flops(s.prompt_tokens) * s.users / (ttft["p50"] * 1e6)
        if bandwidth_gbs and s.users == 1:
            block["bandwidth_fraction"] = per_token / (tpot["p50"] / 1000.0) / (bandwidth_gbs * 1e9)
    return block
