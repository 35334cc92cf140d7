"""Blocks of the Inputs and tensors page: time per frame for each way of handing a frame over,
and what each copy costs on its own."""

from __future__ import annotations

from perfguide.blocks import data, fmt

PAGE = "guide/tensors"


def ways() -> str:
    """Median time per frame of each way, against the default infer(frame)."""
    def render(e: data.Entry) -> str:
        found = e.filled("ways", dict)
        base = found.get("infer(frame)")
        rows = [[fmt.code(name), f"{ms:.2f}", f"{ms / base:.2f}" if base else "–"]
                for name, ms in found.items()]
        return fmt.heading(e) + fmt.table(["Way", "ms per frame (median)", "relative to infer(frame)"], rows)

    return fmt.page_tabs(PAGE, render)


def copies() -> str:
    """Median cost of each copy or conversion on its own, in microseconds."""
    def render(e: data.Entry) -> str:
        costs = e.filled("copy_costs_us", dict)
        sizes = f" (input {e.number('input_mib'):.1f} MiB, output {e.number('output_mib'):.1f} MiB)"
        rows = [[fmt.code(name.replace("  (copy)", "")), f"{us:,.0f}"] for name, us in costs.items()]
        return fmt.heading(e, sizes) + fmt.table(["Operation, once per frame", "µs (median)"], rows)

    return fmt.page_tabs(PAGE, render)
