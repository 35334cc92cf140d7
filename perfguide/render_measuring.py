"""Data blocks of the Getting performance numbers page: the frame rate of each loop, from the
application's to benchmark_app's, as a table and a chart, and the cost of each conversion step."""

from __future__ import annotations

from perfguide.render import RenderError, _page_entries, block, inline_svg, markdown_table, pyplot

PAGE = "guide/measuring"

LOOPS = (
    ("app_fps", "Application loop: sync, float64 preprocessing, drawing, all timed"),
    ("fixed_fps", "Same application: async requests, one-pass preprocessing, drawing in the callback"),
    ("sync_fps", "Inference only, sync, one request (benchmark_app -api sync)"),
    ("async_fps", "Inference only, async, optimal requests (benchmark_app's default)"),
)


def _value(entry: dict, key: str) -> float:
    try:
        return entry["observed"][key]
    except KeyError:
        raise RenderError(f"{PAGE}: the page results have no {key!r}: regenerate the page") from None


def _heading(machine: dict, entry: dict) -> str:
    return (f"*On **{machine['id']}** ({machine['cpu_model']}, {machine['cores_logical']} cores), "
            f"device `{entry['device']}`, model `{entry['model']}`, {entry['observed']['frames']} frames "
            f"per loop:*\n\n")


@block("measuring-loops")
def measuring_loops() -> str:
    """Frames per second of each loop, relative to the inference-only async loop."""
    parts = []
    for machine, entry in _page_entries(PAGE):
        best = _value(entry, "async_fps")
        rows = [[label, f"{_value(entry, key):.1f}", f"{_value(entry, key) / best:.2f}"]
                for key, label in LOOPS]
        parts.append(_heading(machine, entry) + markdown_table(
            ["Loop", "Frames/s", "Relative to inference only, async"], rows))
    return "\n".join(parts)


def _loops_svg(entry: dict, title: str) -> str:
    plt = pyplot()
    values = [_value(entry, key) for key, _ in LOOPS]
    fig, ax = plt.subplots(figsize=(7, 2.6), dpi=100)
    bars = ax.barh(range(len(values)), values, color=["#c0504d", "#e39e54", "#4f81bd", "#2e5a8a"])
    ax.set_yticks(range(len(values)), [
        "application loop", "application, fixed", "inference only, sync", "inference only, async"])
    ax.invert_yaxis()
    for bar, value in zip(bars, values, strict=True):
        ax.annotate(f"{value:.1f}", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_xlabel("frames per second (higher is better)")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlim(0, max(values) * 1.15)
    fig.tight_layout()
    return inline_svg(fig)


@block("measuring-chart")
def measuring_chart() -> str:
    """Per machine: a bar chart of the loops' frame rates."""
    parts = []
    for machine, entry in _page_entries(PAGE):
        svg = _loops_svg(entry, f"{entry['model']} on {machine['id']} ({entry['device']})")
        parts.append(f'<div class="perf-chart">\n{svg}\n</div>\n')
    return "\n".join(parts)


@block("measuring-conversions")
def measuring_conversions() -> str:
    """Median cost per frame of each preprocessing step, and of the one-pass replacement."""
    parts = []
    for machine, entry in _page_entries(PAGE):
        steps = _value(entry, "conversion_steps_ms")
        rows = [[f"`{name}`, timed alone", f"{ms:.2f}"] for name, ms in steps.items()]
        rows.append(["sum of the three, timed alone", f"{_value(entry, 'steps_sum_ms'):.2f}"])
        rows.append(["**the three steps in a row**, as in the application loop",
                     f"**{_value(entry, 'chain_ms'):.2f}**"])
        rows.append(["**`np.multiply(..., out=buffer)`**: one pass into a float32 buffer",
                     f"**{_value(entry, 'one_pass_ms'):.2f}**"])
        parts.append(_heading(machine, entry) + markdown_table(["Step, once per frame", "ms (median)"], rows))
    return "\n".join(parts)
