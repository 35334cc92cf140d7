"""Checks on what the Inputs and tensors page's examples observed, on every device.

Every way of handing a frame to a request must give the same answer; sharing must really share
(and so alias). Times are not checked: the machine is shared and noisy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_snippet

PAGE = Path("guide/tensors.py")
DEVICES = device_params(load_snippet(PAGE))


@pytest.mark.parametrize("device", DEVICES)
def test_every_way_gives_identical_outputs(device: str) -> None:
    r = run_snippet(PAGE, device)
    assert r["ways_agree_on_one_frame"]
    assert r["max_abs_between_ways"] == 0.0
    assert r["output_scale"] > 0  # a model that outputs zeros would prove nothing


@pytest.mark.parametrize("device", DEVICES)
def test_copy_and_share_do_what_they_say(device: str) -> None:
    r = run_snippet(PAGE, device)
    assert r["tensor_copies_array"]
    assert r["shared_tensor_wraps_array"]
    assert r["shared_output_is_a_view"]


@pytest.mark.parametrize("device", DEVICES)
def test_share_outputs_aliases_the_next_inference(device: str) -> None:
    """The page's caveat: a shared result is overwritten by the next inference; a copy is not."""
    r = run_snippet(PAGE, device)
    assert r["frames_differ"]
    assert r["first_second_share_memory"]
    assert r["first_view_overwritten"]
    assert r["first_copy_kept"]


@pytest.mark.parametrize("device", DEVICES)
def test_a_shared_input_is_written_by_a_later_copy_mode_call(device: str) -> None:
    r = run_snippet(PAGE, device)
    assert r["shared_input_overwritten"]


@pytest.mark.parametrize("device", DEVICES)
def test_every_way_was_timed(device: str) -> None:
    r = run_snippet(PAGE, device)
    assert len(r["ways"]) == 5 and all(ms > 0 for ms in r["ways"].values())
    assert len(r["copy_costs_us"]) == 5 and all(us > 0 for us in r["copy_costs_us"].values())
