"""Checks on what the async page's examples observed, on every device they ran on.

Relations only, never absolute times: the machine is shared and noisy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_snippet, snippet_cases

PAGE = Path("guide/async.py")
MODULE = load_snippet(PAGE)
DEVICES = device_params(MODULE)
CASES = snippet_cases(PAGE)


@pytest.mark.parametrize(("device", "language"), CASES)
def test_every_loop_gives_the_same_answers(device: str, language: str) -> None:
    """Sync, two-request and queue loops return the same result for each frame, in frame order."""
    r = run_snippet(PAGE, device, language)
    assert r["answers_agree"]
    assert r["distinct_answers"] > 1  # the frames differ, so a mix-up would show


@pytest.mark.parametrize(("device", "language"), CASES)
def test_a_request_can_start_itself_again_from_its_callback(device: str, language: str) -> None:
    """What the page's callback rules allow: the chain of five ran to its end, on one input."""
    r = run_snippet(PAGE, device, language)
    assert r["callback_chain_inferences"] == 5
    assert r["callback_chain_answers_agree"]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_only_the_async_pipeline_overlaps_capture_and_inference(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["sync_overlapping_captures"] == 0
    # Every capture after the first runs while the previous frame's request is in flight.
    assert r["async_overlapping_captures"] >= r["frames"] // 2


@pytest.mark.parametrize(("device", "language"), CASES)
def test_the_timeline_is_short_and_well_formed(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    timeline = r["timeline"]
    assert set(timeline) == {"sync", "async", "queue"}
    assert len(timeline["async"]["requests"]) == 2  # request A and request B
    assert len(timeline["queue"]["requests"]) <= 2  # the queue's two requests
    for loop in timeline.values():
        captures = loop["capture"]
        assert len(captures) == r["timeline_frames"] <= 12
        assert all(0 <= start <= end for start, end in captures)
        assert all(a[1] <= b[0] for a, b in zip(captures, captures[1:], strict=False))  # one host
        flights = [pair for row in loop["requests"] for pair in row]
        assert len(flights) == r["timeline_frames"]
        assert all(0 <= start <= end for start, end in flights)


@pytest.mark.parametrize("language", ["python", "cpp"])
def test_the_timeline_chart_draws_from_the_observed_data(language: str) -> None:
    from perfguide.blocks import RenderError, data
    from perfguide.blocks.guide_async import timeline_svg

    r = run_snippet(PAGE, "CPU", language)
    machine = data.Machine({"id": "here"}, True, "x")
    entry = data.Entry(machine, "guide/async", {"observed": r}, stale=False)
    from perfguide.blocks.charts import svg_of

    svg = svg_of(timeline_svg(entry, "test"))
    assert svg.startswith("<svg") and "request A" in svg
    broken = data.Entry(machine, "guide/async", {"observed": {**r, "timeline": {
        "sync": {"capture": [[5.0, 1.0]], "requests": []}}}}, stale=False)
    with pytest.raises(RenderError):
        timeline_svg(broken, "test")


@pytest.mark.parametrize("device", DEVICES)
def test_python_and_cpp_agree(device: str) -> None:
    """The same loops in both languages: the same observations (keys), the same frame counts,
    the same shape of timeline (one row for the synchronous loop, one per request for two),
    the same callback chain, and in both only the pipelines overlap capture and inference."""
    py, cc = run_snippet(PAGE, device, "python"), run_snippet(PAGE, device, "cpp")
    assert set(cc) == set(py)
    for key in ("frames", "timeline_frames", "callback_chain_inferences",
                "callback_chain_answers_agree", "answers_agree",
                "sync_overlapping_captures", "control_overlapping_captures"):
        assert cc[key] == py[key], key
    for loop in ("sync", "async"):
        assert len(cc["timeline"][loop]["requests"]) == len(py["timeline"][loop]["requests"]), loop
    # Both loops hide the capture under an inference for (nearly) every frame.
    for key in ("async_overlapping_captures", "queue_overlapping_captures"):
        assert min(cc[key], py[key]) >= py["frames"] // 2, key
