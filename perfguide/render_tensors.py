"""Data blocks of the Inputs and tensors page: time per frame for each way of handing a frame
over, and what each copy costs on its own."""

from __future__ import annotations

from perfguide.render import RenderError, _page_entries, block, markdown_table

PAGE = "guide/tensors"


def _observed(entry: dict, key: str) -> dict:
    value = entry["observed"].get(key)
    if not value:
        raise RenderError(f"{PAGE}: the page results have no {key!r}: regenerate the page")
    return value


def _heading(machine: dict, entry: dict) -> str:
    return (f"*On **{machine['id']}** ({machine['cpu_model']}, {machine['cores_logical']} cores), "
            f"device `{entry['device']}`, model `{entry['model']}`:*\n\n")


@block("tensors-ways")
def tensors_ways() -> str:
    """Median time per frame of each way, against the default infer(frame)."""
    parts = []
    for machine, entry in _page_entries(PAGE):
        ways = _observed(entry, "ways")
        base = ways.get("infer(frame)")
        rows = [[f"`{name}`", f"{ms:.2f}", f"{ms / base:.2f}" if base else "–"] for name, ms in ways.items()]
        parts.append(_heading(machine, entry) + markdown_table(
            ["Way", "ms per frame (median)", "relative to infer(frame)"], rows))
    return "\n".join(parts)


@block("tensors-copies")
def tensors_copies() -> str:
    """Median cost of each copy or conversion on its own, in microseconds."""
    parts = []
    for machine, entry in _page_entries(PAGE):
        costs = _observed(entry, "copy_costs_us")
        obs = entry["observed"]
        sizes = f"(input {obs['input_mib']:.1f} MiB, output {obs['output_mib']:.1f} MiB)"
        rows = [[f"`{name.replace('  (copy)', '')}`", f"{us:,.0f}"] for name, us in costs.items()]
        parts.append(_heading(machine, entry).replace(":*", f" {sizes}:*") + markdown_table(
            ["Operation, once per frame", "µs (median)"], rows))
    return "\n".join(parts)
