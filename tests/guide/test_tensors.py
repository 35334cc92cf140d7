"""Checks on what the Inputs and tensors page's examples observed, on every device, in Python and
in C++ (the same relations for both, and the two agreeing where they must).

Every way of handing a frame to a request must give the same answer; sharing must really share
(and so alias). Times are not checked: the machine is shared and noisy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_snippet, snippet_cases

PAGE = Path("guide/tensors.py")
DEVICES = device_params(load_snippet(PAGE))
CASES = snippet_cases(PAGE)


@pytest.mark.parametrize(("device", "language"), CASES)
def test_every_way_gives_identical_outputs(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["ways_agree_on_one_frame"]
    assert r["max_abs_between_ways"] == 0.0
    assert r["output_scale"] > 0  # a model that outputs zeros would prove nothing


@pytest.mark.parametrize(("device", "language"), CASES)
def test_copy_and_share_do_what_they_say(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["tensor_copies_array"]
    assert r["shared_tensor_wraps_array"]
    assert r["shared_output_is_a_view"]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_share_outputs_aliases_the_next_inference(device: str, language: str) -> None:
    """The page's caveat: a shared result is overwritten by the next inference; a copy is not."""
    r = run_snippet(PAGE, device, language)
    assert r["frames_differ"]
    assert r["first_second_share_memory"]
    assert r["first_view_overwritten"]
    assert r["first_copy_kept"]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_a_shared_input_is_written_by_a_later_copy_mode_call(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["shared_input_overwritten"]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_every_way_was_timed(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert len(r["ways"]) == 5 and all(ms > 0 for ms in r["ways"].values())
    assert len(r["copy_costs_us"]) == 5 and all(us > 0 for us in r["copy_costs_us"].values())


@pytest.mark.parametrize("device", DEVICES)
def test_python_and_cpp_agree(device: str) -> None:
    """One runtime under both languages: the same input and output sizes, every observation of
    copying, sharing and aliasing the same, and outputs on the same scale (each language draws its
    own random frames, so only the scale is compared)."""
    py, cc = run_snippet(PAGE, device, "python"), run_snippet(PAGE, device, "cpp")
    assert cc["input_mib"] == py["input_mib"] and cc["output_mib"] == py["output_mib"]
    for key in ("tensor_copies_array", "shared_tensor_wraps_array", "shared_output_is_a_view",
                "ways_agree_on_one_frame", "first_view_overwritten", "first_copy_kept",
                "first_second_share_memory", "shared_input_overwritten", "frames_differ",
                "max_abs_between_ways"):
        assert cc[key] == py[key], key
    assert len(cc["ways"]) == len(py["ways"]) and len(cc["copy_costs_us"]) == len(py["copy_costs_us"])
    assert cc["output_scale"] == pytest.approx(py["output_scale"], rel=0.5)
    assert set(cc) == set(py)
