"""Blocks of the Performance hints page: what each hint resolved to, read back."""

from __future__ import annotations

from perfguide.blocks import data, fmt

PAGE = "guide/hints"


def table() -> str:
    """Per machine: streams, threads, precision and requests each configuration got."""
    def render(e: data.Entry) -> str:
        rows = e.filled("table")
        return fmt.heading(e) + fmt.table(
            ["Configuration", "Streams", "Threads (all streams)", "Precision hint", "Heavy layers ran in",
             "Optimal requests", "Runs on"],
            [[fmt.code(r["configuration"]), fmt.text(r["streams"]), fmt.text(r["threads"]),
              fmt.code(r["precision"]), fmt.text(r["ran_in"]), fmt.text(r["requests"]),
              fmt.text(", ".join(r["devices"]))] for r in rows])

    return fmt.page_tabs(PAGE, render)
