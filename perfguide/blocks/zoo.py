"""The model zoo's table: names, what they stand for, and the published size they are built to."""

from __future__ import annotations

from perfguide.blocks import fmt


def zoo_table() -> str:
    from perfguide.zoo import ZOO

    rows = [
        [f"`{r.name}`", r.description, f"{r.published_params / 1e6:.2f} M",
         f"{r.published_macs / 1e9:.2f} G" + (f" ({r.macs_note})" if r.macs_note else ""),
         r.source]
        for r in ZOO.values()
    ]
    return fmt.table(["Name", "Stands for", "Parameters", "MACs", "Published figures"], rows)
