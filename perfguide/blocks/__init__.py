"""Data blocks: generated content that pages ask for with ``{{ name args }}``.

:data:`REGISTRY` lists every block by name, each as ``"module:function"`` inside this package,
so that the list is complete without importing anything; :func:`get` imports a block's module
when a page first uses it. How a page's Markdown is expanded (per-machine regions, conditional
prose, fenced code kept literal) is :mod:`perfguide.blocks.expand`; what a build reads is
:mod:`perfguide.blocks.data`.

Three kinds of block:

- ``table``: a whole block of Markdown on its own line (a table, a chart, an output box); outside
  a per-machine region it renders one linked content tab per machine.
- ``inline``: one machine's figure or fact inside a sentence; only inside a region.
- ``guard``: renders nothing when the prose holds on the region's machine; fails the build for a
  committed machine, and renders a visible note for a reader's machine, when it does not.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass


class RenderError(Exception):
    """A data block cannot be rendered (missing or invalid data): fails the site build."""


class NotMeasured(RenderError):
    """A stale page result (from an older version of its snippet) lacks a value the page now
    quotes: the figure shows as not measured, never as a build failure or a made-up number."""


@dataclass(frozen=True)
class Block:
    name: str
    target: str  # "module:function" in this package
    kind: str  # "table", "inline" or "guard"

    def function(self) -> Callable[..., str]:
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(f"{__name__}.{module}"), attr)


def _blocks(kind: str, **targets: str) -> dict[str, Block]:
    return {name.replace("_", "-"): Block(name.replace("_", "-"), target, kind)
            for name, target in targets.items()}


REGISTRY: dict[str, Block] = {
    **_blocks("table",
              zoo_table="zoo:zoo_table",
              page_output="prose:page_output",
              run_it_yourself="prose:run_it_yourself",
              benchmark_machines="benchmarks:machines_table",
              benchmark_fastest="benchmarks:fastest",
              benchmark_table="benchmarks:table",
              benchmark_chart="benchmarks:chart",
              benchmark_app_check="benchmarks:app_check",
              benchmark_per_call="benchmarks:per_call",
              benchmark_steadiness="benchmarks:steadiness",
              benchmark_peak="benchmarks:peak",
              benchmark_across="benchmarks:across",
              benchmark_llm_roofline="benchmarks_llm:roofline",
              benchmark_llm_bar="benchmarks_llm:bar",
              benchmark_llm_users="benchmarks_llm:users",
              benchmark_llm_llama_cpp="benchmarks_llm:llama_cpp",
              async_timeline="guide_async:timeline",
              async_loops="guide_async:loops",
              hints_table="guide_hints:table",
              measuring_loops="guide_measuring:loops",
              measuring_chart="guide_measuring:chart",
              measuring_conversions="guide_measuring:conversions",
              memory_table="guide_memory:table",
              precision_table="guide_precision:table",
              precision_chart="guide_precision:chart",
              preprocessing_table="guide_preprocessing:table",
              tensors_ways="guide_tensors:ways",
              tensors_copies="guide_tensors:copies",
              throughput_sweep_table="guide_throughput:table",
              throughput_sweep_chart="guide_throughput:chart"),
    **_blocks("inline",
              value="prose:value",
              ratio="prose:ratio",
              observed="prose:observed",
              isa="prose:isa"),
    **_blocks("guard",
              claim="guards:claim_block",
              has="guards:has_block",
              lacks="guards:lacks_block",
              same_runs_in="guards:same_runs_in_block"),
}  # fmt: skip


def get(name: str) -> Block:
    try:
        return REGISTRY[name]
    except KeyError:
        raise RenderError(f"unknown data block {name!r}; known: {', '.join(sorted(REGISTRY))}") from None
