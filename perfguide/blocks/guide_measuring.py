"""Blocks of the Getting performance numbers page: the frame rate of each loop, from the
application's to benchmark_app's, as a table and a chart, and the cost of each conversion step."""

from __future__ import annotations

from perfguide.blocks import data, fmt
from perfguide.blocks.charts import inline_svg, pyplot

PAGE = "guide/measuring"

LOOPS = (
    ("app_fps", "Application loop: sync, float64 preprocessing, drawing, all timed"),
    ("fixed_fps", "Same application: async requests, one-pass preprocessing, drawing in the callback"),
    ("sync_fps", "Inference only, sync, one request (benchmark_app -api sync)"),
    ("async_fps", "Inference only, async, optimal requests (benchmark_app's default)"),
)


def _heading(e: data.Entry) -> str:
    return fmt.heading(e, f", {e.number('frames'):.0f} frames per loop")


def loops() -> str:
    """Frames per second of each loop, relative to the inference-only async loop."""
    def render(e: data.Entry) -> str:
        best = e.number("async_fps")
        rows = [[label, f"{e.number(key):.1f}", f"{e.number(key) / best:.2f}"] for key, label in LOOPS]
        return _heading(e) + fmt.table(["Loop", "Frames/s", "Relative to inference only, async"], rows)

    return fmt.page_tabs(PAGE, render)


def _loops_svg(e: data.Entry) -> str:
    plt = pyplot()
    values = [e.number(key) for key, _ in LOOPS]
    fig, ax = plt.subplots(figsize=(7, 2.6), dpi=100)
    bars = ax.barh(range(len(values)), values, color=["#c0504d", "#e39e54", "#4f81bd", "#2e5a8a"])
    ax.set_yticks(range(len(values)), [
        "application loop", "application, fixed", "inference only, sync", "inference only, async"])
    ax.invert_yaxis()
    for bar, value in zip(bars, values, strict=True):
        ax.annotate(f"{value:.1f}", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_xlabel("frames per second (higher is better)")
    ax.set_title(f"{e.data['model']} on {e.machine.id} ({e.data['device']})", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlim(0, max(values) * 1.15)
    fig.tight_layout()
    return inline_svg(fig)


def chart() -> str:
    """Per machine: a bar chart of the loops' frame rates."""
    return fmt.page_tabs(PAGE, _loops_svg)


def conversions() -> str:
    """Median cost per frame of each preprocessing step, and of the one-pass replacement."""
    def render(e: data.Entry) -> str:
        steps = e.value("conversion_steps_ms")
        rows = [[f"{fmt.code(name)}, timed alone", f"{ms:.2f}"] for name, ms in steps.items()]
        rows.append(["sum of the three, timed alone", f"{e.number('steps_sum_ms'):.2f}"])
        rows.append(["**the three steps in a row**, as in the application loop",
                     f"**{e.number('chain_ms'):.2f}**"])
        rows.append(["**`np.multiply(..., out=buffer)`**: one pass into a float32 buffer",
                     f"**{e.number('one_pass_ms'):.2f}**"])
        return _heading(e) + fmt.table(["Step, once per frame", "ms (median)"], rows)

    return fmt.page_tabs(PAGE, render)
