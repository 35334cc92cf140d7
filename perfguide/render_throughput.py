"""Data blocks of the throughput page: the streams and batch sweeps its snippet measured, as a
table and as a latency–throughput chart."""

from __future__ import annotations

from perfguide.render import RenderError, _page_entries, block, inline_svg, markdown_table, pyplot

PAGE = "guide/throughput"


def _sweeps(entry: dict) -> tuple[list[dict], list[dict]]:
    try:
        streams, batches = entry["observed"]["streams_sweep"], entry["observed"]["batch_sweep"]
    except KeyError:
        raise RenderError(f"{PAGE}: the page results have no sweeps: regenerate the page") from None
    if not streams:
        raise RenderError(f"{PAGE}: the streams sweep is empty")
    return streams, batches


def _heading(machine: dict, entry: dict) -> str:
    return (f"*On **{machine['id']}** ({machine['cpu_model']}, {machine['cores_logical']} cores), "
            f"device `{entry['device']}`, model `{entry['model']}`:*\n\n")


@block("throughput-sweep-table")
def sweep_table() -> str:
    """Per measured machine: every configuration of the two sweeps with its figures."""
    parts = []
    for machine, entry in _page_entries(PAGE):
        streams, batches = _sweeps(entry)
        rows = [[f"{p['streams']} stream(s), {p['streams']} request(s), batch 1", f"{p['fps']:.1f}",
                 f"{p['latency_ms']:.1f}"] for p in streams]
        rows += [[f"1 stream, 1 request, batch {p['batch']}", f"{p['fps']:.1f}",
                  f"{p['latency_ms']:.1f}"] for p in batches]
        parts.append(_heading(machine, entry) + markdown_table(
            ["Configuration", "Images/s", "Median latency of one inference, ms"], rows))
    return "\n".join(parts)


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


@block("throughput-sweep-chart")
def sweep_chart() -> str:
    """Per measured machine: the streams and batch sweeps on latency–throughput axes."""
    parts = []
    for machine, entry in _page_entries(PAGE):
        streams, batches = _sweeps(entry)
        svg = sweep_svg(streams, batches, f"{entry['model']} on {machine['id']} ({entry['device']})")
        parts.append(f'<div class="perf-chart">\n{svg}\n</div>\n')
    return "\n".join(parts)
