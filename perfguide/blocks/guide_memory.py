"""Blocks of the Memory footprint page: the streams × requests table its snippet measured."""

from __future__ import annotations

from perfguide.blocks import data, fmt

PAGE = "guide/memory"


def table() -> str:
    """Per machine: resident memory added by each streams × requests configuration."""
    def render(e: data.Entry) -> str:
        rows = e.filled("table")
        return fmt.heading(e, ", each in a fresh process") + fmt.table(
            ["Streams", "Requests", "Resident memory added, MiB", "by compile_model", "by inference",
             "Peak, MiB"],
            [[str(r["streams"]), str(r["requests"]), f"{r['total_mib']:.0f}", f"{r['compile_mib']:.0f}",
              f"{r['infer_mib']:.0f}", f"{r['peak_mib']:.0f}"] for r in rows])

    return fmt.page_tabs(PAGE, render)
