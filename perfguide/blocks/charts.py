"""Charts drawn at build time with matplotlib, inlined as SVG (no external asset, no date)."""

from __future__ import annotations

import io


def pyplot():
    """matplotlib's pyplot on the headless Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def inline_svg(fig) -> str:
    """A figure as an SVG element to inline in a page, wrapped for the site's chart style."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    pyplot().close(fig)
    svg = buffer.getvalue()
    return f'<div class="perf-chart">\n{svg[svg.index("<svg"):]}\n</div>\n'
