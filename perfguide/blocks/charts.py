"""Charts drawn at build time with matplotlib, inlined as SVG images (no external asset, no date)."""

from __future__ import annotations

import base64
import html
import io


def pyplot():
    """matplotlib's pyplot on the headless Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    # Labels carry strings from results files: "$" is text, never mathtext (nor an error).
    matplotlib.rcParams["text.parse_math"] = False
    import matplotlib.pyplot as plt

    return plt


def inline_svg(fig, alt: str = "chart") -> str:
    """A figure as an SVG image inlined in the page (a data URL), in the site's chart style."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    pyplot().close(fig)
    svg = buffer.getvalue()
    # As an image, not inline markup: its text (which carries strings from results files) is
    # never read as Markdown or HTML by the page, and nothing in an SVG image can run.
    data = base64.b64encode(svg[svg.index("<svg"):].encode()).decode()
    image = f'<img alt="{html.escape(alt)}" src="data:image/svg+xml;base64,{data}">'
    return f'<div class="perf-chart">{image}</div>\n'


def svg_of(chart: str) -> str:
    """The SVG text inside a chart that :func:`inline_svg` made (for tests and readers)."""
    return base64.b64decode(chart.split("base64,", 1)[1].split('"', 1)[0]).decode()
