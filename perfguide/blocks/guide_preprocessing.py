"""Blocks of the Preprocessing page: where a camera frame's time goes, route by route."""

from __future__ import annotations

from perfguide.blocks import data, fmt

PAGE = "guide/preprocessing"


def table() -> str:
    """Per machine: per-frame time and frame rate of each route from camera to result."""
    def render(e: data.Entry) -> str:
        height, width = e.value("camera")
        rows = [
            ["numpy preprocessing, then the f32 model", "numpy_end_to_end"],
            ["u8 frame into the model, steps in numpy's order (resize last)", "in_model_resize_last"],
            ["u8 frame into the model, resize first", "in_model_end_to_end"],
        ]
        body = [[label, f"{e.number(key + '_ms'):.1f}", f"{e.number(key + '_fps'):.1f}"]
                for label, key in rows]
        body += [["*numpy preprocessing alone*", f"{e.number('numpy_preprocess_ms'):.1f}", "–"],
                 ["*f32 model alone, on a prepared input*", f"{e.number('inference_only_ms'):.1f}", "–"]]
        return (fmt.heading(e, f", {height}×{width} u8 BGR frames, one request at a time")
                + fmt.table(["Route", "ms per frame", "Frames/s"], body))

    return fmt.page_tabs(PAGE, render)
