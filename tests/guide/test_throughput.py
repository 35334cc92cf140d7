"""Checks on what the throughput page's examples observed, on every device they ran on.

Relations only, never absolute times: the machine is shared and noisy.
"""

from __future__ import annotations

import math
from pathlib import Path

import openvino as ov
import openvino.properties as props
import pytest

from conftest import device_params, load_snippet, run_snippet, snippet_cases

PAGE = Path("guide/throughput.py")
MODULE = load_snippet(PAGE)
DEVICES = device_params(MODULE)
CASES = snippet_cases(PAGE)


@pytest.mark.parametrize(("device", "language"), CASES)
def test_results_are_matched_by_userdata_whatever_the_completion_order(
    device: str, language: str
) -> None:
    r = run_snippet(PAGE, device, language)
    assert sorted(r["completion_order"]) == list(range(r["order_frames"]))
    # Each stored result is the one of the frame its userdata names: equal to that frame's own
    # result, and the frames' results differ, so a mix-up would show.
    assert r["max_abs_vs_reference"] <= 1e-4
    assert r["min_abs_between_frames"] > 100 * max(r["max_abs_vs_reference"], 1e-6)


@pytest.mark.parametrize(("device", "language"), CASES)
def test_the_sweeps_ran_every_configuration(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert [p["streams"] for p in r["streams_sweep"]] == MODULE.stream_counts(r["cores"])
    assert [p["batch"] for p in r["batch_sweep"]] == list(MODULE.BATCHES)  # mobilenet reshapes
    for p in r["streams_sweep"] + r["batch_sweep"]:
        assert p["fps"] > 0 and math.isfinite(p["fps"]) and p["latency_ms"] > 0
    assert r["one_instance_fps"] > 0 and r["two_instances_fps"] > 0


@pytest.mark.parametrize(("device", "language"), CASES)
def test_auto_batching_groups_requests_and_a_stray_request_costs_the_timeout(
    device: str, language: str
) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["auto_batch_requests"] % MODULE.AUTO_BATCH == 0  # whole batches of requests
    timeout_s = r["auto_batch_timeout_ms"] / 1000
    assert r["auto_batch_lone_ms"] >= 0.5 * r["auto_batch_timeout_ms"]
    if r["auto_batch_requests"] == MODULE.AUTO_BATCH:
        # One batch's worth of requests, created after the stray one, straddle two batches: no
        # batch fills, every one waits for the timeout, at most one round of requests per timeout.
        assert r["auto_batch_shifted_fps"] <= 1.2 * r["auto_batch_requests"] / timeout_s


@pytest.mark.parametrize("language", ["python", "cpp"])
def test_the_throughput_hint_does_not_batch_on_cpu(language: str) -> None:
    """The page says so: on the CPU, allow_auto_batching changes nothing (GPU only)."""
    r = run_snippet(PAGE, "CPU", language)
    assert r["hinted_requests"] == r["throughput_hint_requests"]


def test_a_model_with_a_hard_coded_batch_is_not_auto_batched() -> None:
    """The page says yolov5n cannot be re-batched: reshape fails and BATCH falls back to batch 1."""
    from perfguide.zoo import resolve_model

    core = ov.Core()
    model = core.read_model(resolve_model("yolov5n"))
    compiled = core.compile_model(model, "BATCH:CPU(4)")
    assert compiled.get_property(props.optimal_number_of_infer_requests) == 1
    with pytest.raises(RuntimeError):
        model.reshape({0: [2, 3, 640, 640]})


def test_stream_counts() -> None:
    assert MODULE.stream_counts(1) == [1]
    assert MODULE.stream_counts(2) == [1, 2]
    assert MODULE.stream_counts(12) == [1, 2, 4, 8, 12]
    assert MODULE.stream_counts(16) == [1, 2, 4, 8, 16]


@pytest.mark.parametrize("device", DEVICES)
def test_python_and_cpp_agree(device: str) -> None:
    """One runtime under both languages: the same request counts read back from the compiled
    models, the same cores counted, the same configurations swept, the same observations."""
    py, cc = run_snippet(PAGE, device, "python"), run_snippet(PAGE, device, "cpp")
    assert set(cc) == set(py)
    for key in ("order_requests", "order_frames", "auto_batch_requests", "auto_batch_timeout_ms",
                "hinted_requests", "throughput_hint_requests", "cores", "real_device"):
        assert cc[key] == py[key], key
    assert [p["streams"] for p in cc["streams_sweep"]] == [p["streams"] for p in py["streams_sweep"]]
    assert [p["batch"] for p in cc["batch_sweep"]] == [p["batch"] for p in py["batch_sweep"]]
    for sweep in ("streams_sweep", "batch_sweep"):
        for p_py, p_cc in zip(py[sweep], cc[sweep], strict=True):
            assert set(p_cc) == set(p_py) and len(p_cc["rounds_fps"]) == len(p_py["rounds_fps"])
