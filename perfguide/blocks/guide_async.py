"""Blocks of the async API page: a timeline of when the host captured each frame and when each
request was in flight, drawn from the start/end times the page's snippet recorded."""

from __future__ import annotations

from perfguide.blocks import RenderError, data, fmt
from perfguide.blocks.charts import inline_svg, pyplot

PAGE = "guide/async"

# (key in the observed timeline, panel title, key of its frames-per-second value)
LOOPS = (
    ("sync", "sync loop: capture, then infer()", "sync_fps"),
    ("async", "two requests: capture N+1 while N infers", "async_fps"),
    ("queue", "AsyncInferQueue, 2 requests", "queue_fps"),
)
HOST, REQUEST = "#e39e54", "#4f81bd"


def _intervals(pairs: list, what: str) -> list[tuple[float, float]]:
    """[[start, end], ...] in ms, checked: a malformed timeline fails the build, named."""
    out = []
    for pair in pairs:
        if len(pair) != 2 or not pair[1] >= pair[0] >= 0:
            raise RenderError(f"{PAGE}: timeline {what} has a bad interval {pair!r}")
        out.append((pair[0], pair[1] - pair[0]))
    return out


def timeline_svg(entry: data.Entry, title: str) -> str:
    """One panel per loop; rows: the host's captures, then each request's time in flight."""
    plt = pyplot()
    timeline = entry.value("timeline")
    panels = [(key, label, fps) for key, label, fps in LOOPS if key in timeline]
    if not panels:
        raise RenderError(f"{PAGE}: the timeline has none of {', '.join(k for k, _, _ in LOOPS)}")
    end = max(pair[1] for key, _, _ in panels
              for rows in (timeline[key]["capture"], *timeline[key]["requests"]) for pair in rows)
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "async-timeline"}):
        fig, axes = plt.subplots(len(panels), 1, figsize=(8, 1.35 * len(panels) + 1.2), dpi=100,
                                 sharex=True, squeeze=False)
        for ax, (key, label, fps_key) in zip(axes[:, 0], panels, strict=True):
            loop = timeline[key]
            rows = [("host: capture", _intervals(loop["capture"], f"{key}/capture"), HOST)]
            requests = loop["requests"]
            for i, pairs in enumerate(requests):
                name = "request" if len(requests) == 1 else f"request {'AB'[i] if i < 2 else i}"
                rows.append((name, _intervals(pairs, f"{key}/requests"), REQUEST))
            for y, (_, bars, color) in enumerate(rows):
                ax.broken_barh(bars, (y - 0.35, 0.7), facecolors=color, edgecolors="white",
                               linewidth=0.6)
            ax.set_yticks(range(len(rows)), [name for name, _, _ in rows], fontsize=8)
            ax.set_ylim(len(rows) - 0.4, -0.6)
            ax.set_title(f"{label} — {entry.number(fps_key):.0f} frames/s over all "
                         f"{entry.number('frames'):.0f} frames", fontsize=9, loc="left")
            ax.grid(axis="x", alpha=0.3)
        axes[-1, 0].set_xlim(0, end * 1.02)
        axes[-1, 0].set_xlabel(f"milliseconds since the first capture (first "
                               f"{entry.number('timeline_frames'):.0f} frames shown)")
        fig.suptitle(title, fontsize=10)
        fig.tight_layout()
        return inline_svg(fig)


def timeline() -> str:
    """Per machine: the timeline chart of the sync loop and the two async loops."""
    return fmt.page_tabs(PAGE, lambda e: timeline_svg(
        e, f"{e.data['model']} on {e.machine.id} ({e.data['device']})"))


def loops() -> str:
    """Per machine: each loop's frames per second, relative to the sync loop."""
    names = (("sync_fps", "sync loop: `infer()`, capture and inference in turn"),
             ("control_fps", "control: `start_async()` then `wait()` at once, nothing overlaps"),
             ("async_fps", "two requests, capture overlaps inference"),
             ("queue_fps", "`AsyncInferQueue` with 2 requests"))

    def render(e: data.Entry) -> str:
        base = e.number("sync_fps")
        rows = [[label, f"{e.number(key):.1f}", f"{e.number(key) / base:.2f}×"] for key, label in names]
        return (fmt.heading(e, f", {e.number('frames'):.0f} frames per loop")
                + fmt.table(["Loop", "Frames/s", "Relative to the sync loop"], rows))

    return fmt.page_tabs(PAGE, render)
