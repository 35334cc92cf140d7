"""The Benchmarks page's LLM blocks, drawn from the ``llm`` records of the benchmark results
files: decode against the memory-bandwidth roofline, prefill against the MatMul peak, many users,
and llama.cpp on the same GGUF file."""

from __future__ import annotations

from perfguide.blocks import RenderError, data, fmt

# The performance bar (issue 14): f16 and int8 decode at batch 1 reach this fraction of the
# measured memory bandwidth.
BANDWIDTH_BAR = 0.70


def _llm_docs() -> list[tuple[data.Machine, dict]]:
    docs = [(m, d) for m, d in data.benchmark_docs()
            if any(r["scenario"] == "llm" for r in d["records"])]
    if not docs and data.current() is None:
        raise RenderError("no results file has LLM records: run "
                          "`python scripts/benchmark.py regenerate --only llm peak`")
    return docs


def _llm(doc: dict, **match) -> list[dict]:
    return [r for r in doc["records"] if r["scenario"] == "llm"
            and all(r["llm"].get(k) == v for k, v in match.items())]


def _bandwidth(doc: dict) -> float | None:
    probes = (doc.get("peak") or {}).get("bandwidth") or {}
    probe = probes.get("CPU") or next(iter(probes.values()), None)
    return probe["read_gbs"] if probe else None


def _settings(m: dict) -> str:
    extra = []
    if m["kv_cache_precision"]:
        extra.append(f"KV {fmt.text(m['kv_cache_precision'])}")
    if m["dq_group"] is not None:
        extra.append("dynamic quantization off" if m["dq_group"] == 0 else f"DQ group {m['dq_group']}")
    return ", ".join(extra) or "defaults"


def roofline() -> str:
    """Per machine: each weight format's decode (TPOT) against the bandwidth roofline, and its
    prefill against the MatMul peak, at the reference request (users = 1)."""
    def render(item: tuple[data.Machine, dict]) -> str:
        machine, doc = item
        matmul = ((doc.get("peak") or {}).get("matmul") or {})
        rows = []
        for r in _llm(doc, users=1):
            m = r["llm"]
            precision = (r.get("compiled") or {}).get("precision")
            top = (matmul.get(precision) or matmul.get("f32") or {}).get("gflops")
            fraction = m["bandwidth_fraction"]
            rows.append([
                f"`{fmt.text(r['model'])}`<br>{fmt.text(m['weights'])}, "
                f"{fmt.num(m['weight_bytes'] / 2**20, 0)} MiB",
                f"{m['prompt_tokens']} → {m['output_tokens']} tokens; {_settings(m)}",
                fmt.num(m["ttft_ms"]["p50"]), fmt.num(m["tpot_ms"]["p50"], 2),
                fmt.num(m["tokens_per_s"]),
                f"{fraction:.0%}" if fraction else "–",
                fmt.num(m["prefill_gflops"]),
                f"{m['prefill_gflops'] / top:.2f}" if top and m["prefill_gflops"] else "–",
            ])
        bandwidth = _bandwidth(doc)
        probe = (f"Read bandwidth measured by the harness: **{bandwidth:.1f} GB/s** (a sum over "
                 "512 MiB on every core, best of 12)." if bandwidth else
                 "No bandwidth probe in this file.")
        return (fmt.machine_stamp(machine, doc) + "\n\n" + probe + "\n\n" + fmt.table(
            ["Model and weights", "Request and settings", "TTFT p50 ms", "TPOT p50 ms", "Tokens/s",
             "Of bandwidth roofline", "Prefill GFLOP/s", "Of MatMul peak"], rows))

    return fmt.per_machine([(m, (m, d)) for m, d in _llm_docs()], render)


def bar() -> str:
    """Per machine: the performance bar — f16 and int8 decode at ≥ 70 % of the roofline, and
    int4's TPOT against f16's beside the byte ratio."""
    def render(item: tuple[data.Machine, dict]) -> str:
        machine, doc = item
        base = {r["llm"]["weights"]: r for r in _llm(doc, users=1, kv_cache_precision=None,
                                                       dq_group=None, prompt_tokens=128)}
        rows = []
        for fmt_name in ("f16", "int8"):
            r = base.get(fmt_name)
            fraction = r["llm"]["bandwidth_fraction"] if r else None
            verdict = ("–" if fraction is None else
                       "meets it" if fraction >= BANDWIDTH_BAR else "**misses it**")
            rows.append([f"{fmt_name} decode, share of the bandwidth roofline (bar: "
                         f"{BANDWIDTH_BAR:.0%})", f"{fraction:.0%}" if fraction else "–", verdict])
        f16, int4 = base.get("f16"), base.get("int4")
        if f16 and int4:
            speed = f16["llm"]["tpot_ms"]["p50"] / int4["llm"]["tpot_ms"]["p50"]
            size = f16["llm"]["weight_bytes"] / int4["llm"]["weight_bytes"]
            rows.append(["int4 against f16: TPOT speed-up, beside the weight bytes ratio",
                         f"{speed:.2f}× faster, {size:.2f}× fewer bytes", "reported"])
        return fmt.table(["Performance bar", f"On `{fmt.text(machine.id)}`", "Verdict"], rows)

    return fmt.per_machine([(m, (m, d)) for m, d in _llm_docs()], render)


def users() -> str:
    """Per machine: total tokens/s and each user's TPOT as concurrent users grow."""
    def render(item: tuple[data.Machine, dict]) -> str:
        machine, doc = item
        rows = []
        records = sorted(_llm(doc, kv_cache_precision=None, dq_group=None, prompt_tokens=128),
                         key=lambda r: (r["llm"]["weights"], r["llm"]["users"]))
        weights = {r["llm"]["weights"] for r in records if r["llm"]["users"] > 1}
        for r in records:
            m = r["llm"]
            if m["weights"] in weights:
                rows.append([fmt.text(m["weights"]), str(m["users"]), fmt.num(m["total_tokens_per_s"]),
                             fmt.num(m["tpot_ms"]["p50"], 2), fmt.num(m["ttft_ms"]["p50"])])
        if not rows:
            return fmt.machine_stamp(machine, doc) + "\n\nNo continuous-batching runs in this file.\n"
        return fmt.machine_stamp(machine, doc) + "\n\n" + fmt.table(
            ["Weights", "Users", "Tokens/s in all", "TPOT per user, ms", "TTFT, ms"], rows)

    return fmt.per_machine([(m, (m, d)) for m, d in _llm_docs()], render)


def llama_cpp() -> str:
    """Per machine: OpenVINO GenAI and llama.cpp on the same GGUF file, best run against best."""
    def render(item: tuple[data.Machine, dict]) -> str:
        machine, doc = item
        peers = (doc.get("peers") or {}).get("llama_cpp") or {}
        if not peers:
            return (fmt.machine_stamp(machine, doc) + "\n\nllama.cpp was not installed when this "
                    "file was made (`scripts/install-llama-cpp.sh` installs it).\n")
        rows = []
        for key, p in sorted(peers.items()):
            model = fmt.text(key.removesuffix(f"-{p['format']}"))
            what = f"`{model}` {fmt.text(p['format'].upper())}"
            for name, side in (("OpenVINO GenAI", p["openvino"]), ("llama.cpp", p["llama_cpp"])):
                rows.append([what, name, fmt.num(side["tokens_per_s"]), fmt.num(side["tpot_ms"], 2),
                             fmt.num(side["ttft_ms"])])
            rows.append([what, "**OpenVINO / llama.cpp**", f"**{p['tokens_per_s_ratio']:.2f}×**",
                         f"median pair {p['tpot_ratio_median']:.2f}×", f"{p['ttft_ratio']:.2f}×"])
        first = next(iter(peers.values()))
        return (fmt.machine_stamp(machine, doc) + f"\n\nllama-cpp-python {fmt.text(first['version'])}, "
                f"{first['threads']} threads each, prompt {first['settings']['prompt_tokens']} tokens, "
                f"{first['settings']['output_tokens']} generated; best of {len(first['pairs'])} "
                "alternating pairs of fresh processes. A ratio above 1: OpenVINO produced more tokens "
                "per second (or, for TTFT, took longer to the first token).\n\n"
                + fmt.table(["File", "Runtime", "Tokens/s", "TPOT ms", "TTFT ms"], rows))

    return fmt.per_machine([(m, (m, d)) for m, d in _llm_docs()], render)
