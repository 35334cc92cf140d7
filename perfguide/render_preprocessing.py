"""Data blocks of the Preprocessing page: where a camera frame's time goes, route by route."""

from __future__ import annotations

from perfguide.render import RenderError, _page_entries, block, markdown_table

PAGE = "guide/preprocessing"


@block("preprocessing-table")
def preprocessing_table() -> str:
    """Per measured machine: per-frame time and frame rate of each route from camera to result."""
    parts = []
    for machine, entry in _page_entries(PAGE):
        o = entry["observed"]
        try:
            height, width = o["camera"]
            rows = [
                ["numpy preprocessing, then the f32 model", f"{o['numpy_end_to_end_ms']:.1f}",
                 f"{o['numpy_end_to_end_fps']:.1f}"],
                ["u8 frame into the model, steps in numpy's order (resize last)",
                 f"{o['in_model_resize_last_ms']:.1f}", f"{o['in_model_resize_last_fps']:.1f}"],
                ["u8 frame into the model, resize first", f"{o['in_model_end_to_end_ms']:.1f}",
                 f"{o['in_model_end_to_end_fps']:.1f}"],
                ["*numpy preprocessing alone*", f"{o['numpy_preprocess_ms']:.1f}", "–"],
                ["*f32 model alone, on a prepared input*", f"{o['inference_only_ms']:.1f}", "–"],
            ]
        except KeyError as exc:
            raise RenderError(f"{PAGE}: the page results have no {exc}: regenerate the page") from None
        heading = (f"*Measured on **{machine['id']}** ({machine['cpu_model']}, "
                   f"{machine['cores_logical']} cores), device `{entry['device']}`, model "
                   f"`{entry['model']}`, {height}×{width} u8 BGR frames, one request at a time:*\n\n")
        parts.append(heading + markdown_table(["Route", "ms per frame", "Frames/s"], rows))
    return "\n".join(parts)
