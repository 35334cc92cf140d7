"""Blocks of the throughput page: the streams and batch sweeps its snippet measured, as a table
and as a latency–throughput chart."""

from __future__ import annotations

from perfguide.blocks import data, fmt
from perfguide.blocks.charts import inline_svg, pyplot

PAGE = "guide/throughput"


def _sweeps(e: data.Entry) -> tuple[list[dict], list[dict]]:
    return e.filled("streams_sweep"), e.value("batch_sweep")


def table() -> str:
    """Per machine: every configuration of the two sweeps with its figures."""
    def render(e: data.Entry) -> str:
        streams, batches = _sweeps(e)
        rows = [[f"{p['streams']} stream(s), {p['streams']} request(s), batch 1", f"{p['fps']:.1f}",
                 f"{p['latency_ms']:.1f}"] for p in streams]
        rows += [[f"1 stream, 1 request, batch {p['batch']}", f"{p['fps']:.1f}",
                  f"{p['latency_ms']:.1f}"] for p in batches]
        header = ["Configuration", "Images/s", "Median latency of one inference, ms"]
        return fmt.heading(e) + fmt.table(header, rows)

    return fmt.page_tabs(PAGE, render)


def sweep_svg(streams: list[dict], batches: list[dict], title: str) -> str:
    """Latency on x, throughput on y: one line per sweep, each point labelled."""
    plt = pyplot()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "throughput-sweep"}):
        fig, ax = plt.subplots(figsize=(7, 4.2), dpi=100)
        for points, key, label, marker in ((streams, "streams", "streams (batch 1)", "o"),
                                           (batches, "batch", "batch (1 stream)", "s")):
            if not points:
                continue
            xs, ys = [p["latency_ms"] for p in points], [p["fps"] for p in points]
            ax.plot(xs, ys, marker=marker, label=label, alpha=0.8)
            for p in points:
                ax.annotate(f"{p[key]} {'str' if key == 'streams' else 'b'}", (p["latency_ms"], p["fps"]),
                            fontsize=7, xytext=(4, 4), textcoords="offset points")
        ax.set_xlabel("median latency of one inference (ms, lower is better)")
        ax.set_ylabel("throughput (images/s, higher is better)")
        ax.set_title(title, fontsize=10)
        ax.set_ylim(bottom=0)
        ax.set_xlim(left=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        return inline_svg(fig)


def chart() -> str:
    """Per machine: the streams and batch sweeps on latency–throughput axes."""
    def render(e: data.Entry) -> str:
        streams, batches = _sweeps(e)
        return sweep_svg(streams, batches, f"{e.data['model']} on {e.machine.id} ({e.data['device']})")

    return fmt.page_tabs(PAGE, render)
