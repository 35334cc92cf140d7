"""Renderers for the data blocks pages embed (see :mod:`perfguide.docs_hooks`).

Each renderer returns Markdown built from a single source of truth — the zoo's recipes, or a
results file — so no figure on a page is typed by hand.
"""

from __future__ import annotations

from collections.abc import Callable


class RenderError(Exception):
    """A data block cannot be rendered (missing or invalid data): fails the site build."""


BLOCKS: dict[str, Callable[..., str]] = {}


def block(name: str) -> Callable[[Callable[..., str]], Callable[..., str]]:
    def register(fn: Callable[..., str]) -> Callable[..., str]:
        BLOCKS[name] = fn
        return fn

    return register


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


@block("zoo-table")
def zoo_table() -> str:
    """The model zoo: names, what they stand for, and the published size they are built to."""
    from perfguide.zoo import ZOO

    rows = [
        [f"`{r.name}`", r.description, f"{r.published_params / 1e6:.2f} M",
         f"{r.published_macs / 1e9:.2f} G" + (f" ({r.macs_note})" if r.macs_note else ""),
         r.source]
        for r in ZOO.values()
    ]
    return markdown_table(["Name", "Stands for", "Parameters", "MACs", "Published figures"], rows)
