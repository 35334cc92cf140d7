"""A results record in a few lines, for the terminal."""

from __future__ import annotations


def summary(record: dict) -> str:
    """A few lines describing a record, for the terminal."""
    lines = [f"{record['id']}"]
    c = record.get("compiled") or {}
    if c:
        lines.append(
            f"  compiled: hint {c.get('hint')}, {c.get('streams')} streams, {c.get('requests')} requests, "
            f"{c.get('threads')} threads, precision {c.get('precision')}, "
            f"on {','.join(c.get('execution_devices', []))}"
        )
    if record.get("first_inference_ms"):
        f = record["first_inference_ms"]
        lines.append(f"  first inference: cold {f['cold']:.1f} ms (spread {f['cold_spread_pct']:.1f}%), "
                     f"cached {f['cached']:.1f} ms (spread {f['cached_spread_pct']:.1f}%)")  # fmt: skip
    if record.get("throughput_fps"):
        lines.append(f"  throughput: {record['throughput_fps']:.2f} frames/s "
                     f"({record['count']} inferences in {record['duration_s']:.2f} s)")  # fmt: skip
    lat = record.get("latency_ms")
    if lat:
        lines.append(f"  latency ms: p50 {lat['p50']:.2f}  p90 {lat['p90']:.2f}  p99 {lat['p99']:.2f}  "
                     f"mean {lat['mean']:.2f}  min {lat['min']:.2f}  max {lat['max']:.2f}")  # fmt: skip
    rt = record.get("runtime_latency_ms")
    if rt:
        lines.append(f"  by the runtime's request timer: p50 {rt['p50']:.2f}  p99 {rt['p99']:.2f} ms; "
                     f"the caller's clock adds {record['caller_overhead_us']:.0f} us (median)")  # fmt: skip
    if record.get("server"):
        s = record["server"]
        extra = f", max rate {s['max_rate_qps']:.2f}/s for p99 <= {s['p99_bound_ms']:g} ms" if s.get(
            "p99_bound_ms") else ""
        lines.append(f"  server: {s['rate_qps']:.2f} queries/s{extra}")
    if record.get("benchmark_app"):
        b = record["benchmark_app"]
        if b["mode"] == "offline":
            lines.append(f"  benchmark_app: {b['throughput_fps']:.2f} FPS (median run); best run / best run "
                         f"= {b['ratio']:.3f}")  # fmt: skip
        else:
            lines.append(
                f"  benchmark_app: median {b['latency_ms_p50']:.2f} ms (median run); best run / best "
                f"run = {b['ratio']:.3f} by the same request timer, {b['ratio_caller']:.3f} by the "
                "caller's clock"
            )
    if record.get("cpp"):
        c = record["cpp"]
        lines.append(f"  the same loop in C++: median {c['p50_ms']:.3f} ms against Python's "
                     f"{c['python_p50_ms']:.3f} ms (best runs): Python adds {c['python_adds_us']:.0f} us "
                     "per call")  # fmt: skip
    if record.get("gflops"):
        lines.append(f"  achieved: {record['gflops']:.1f} GFLOP/s")
    if record.get("llm"):
        lines.extend(_llm_lines(record["llm"]))
    lines.append(f"  repeats: {len(record['repeats'])}, spread {record['spread_pct']:.1f}%; "
                 f"peak RSS {record['peak_rss_mib']:.0f} MiB")  # fmt: skip
    if record.get("warning"):
        lines.append(f"  WARNING: {record['warning']}")
    return "\n".join(lines)


def _llm_lines(m: dict) -> list[str]:
    ttft, tpot = m["ttft_ms"], m["tpot_ms"]
    lines = [
        f"  {m['weights']} weights ({m['weight_bytes'] / 2**20:.0f} MiB), KV cache "
        f"{m['kv_precision_used'] or 'default'}, {m['users']} user(s), prompt {m['prompt_tokens']} "
        f"tokens, {m['output_tokens']} generated",
        f"  TTFT ms: p50 {ttft['p50']:.1f}  p90 {ttft['p90']:.1f}  p99 {ttft['p99']:.1f}",
        f"  TPOT ms: p50 {tpot['p50']:.2f}  p90 {tpot['p90']:.2f}  p99 {tpot['p99']:.2f}  "
        f"({m['tokens_per_s']:.1f} tokens/s per user, {m['total_tokens_per_s']:.1f} in all)",
    ]
    if m.get("bandwidth_fraction"):
        lines.append(f"  decode reads {m['bytes_per_token'] / 2**20:.0f} MiB a token: "
                     f"{m['bandwidth_fraction']:.0%} of the {m['bandwidth_gbs']:.1f} GB/s measured")
    if m.get("prefill_gflops"):
        lines.append(f"  prefill: {m['prefill_gflops']:.1f} GFLOP/s")
    if m.get("load_ms"):
        lines.append(f"  load: cold {m['load_ms']['cold_ms']:.0f} ms, from the model cache "
                     f"{m['load_ms']['cached_ms']:.0f} ms")
    return lines
