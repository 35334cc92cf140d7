"""Checks on what the Heterogeneous execution page's examples observed, on every HETERO device,
in Python and in C++ (the same relations for both, and the two agreeing where they must).

Relations only: counts of operations and subgraphs, devices read back, outputs compared; the one
timing relation has a fivefold margin in the data it guards.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import device_params, load_snippet, run_snippet, snippet_cases

PAGE = Path("guide/hetero.py")
DEVICES = device_params(load_snippet(PAGE))
CASES = snippet_cases(PAGE)


def _listed(device: str) -> list[str]:
    return device.split(":", 1)[1].split(",")


@pytest.mark.parametrize(("device", "language"), CASES)
def test_query_model_places_every_operation_on_a_listed_device(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert sum(r["query_per_device"].values()) == r["model_operations"]
    assert r["unsupported_operations"] == 0
    assert set(r["query_per_device"]) <= set(_listed(device))


@pytest.mark.parametrize(("device", "language"), CASES)
def test_the_device_string_and_the_priorities_property_are_the_same_thing(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["execution_devices"] == r["priorities_execution_devices"]
    assert r["submodels"] == r["priorities_submodels"] >= 1
    assert set(r["execution_devices"]) <= set(_listed(device))
    if len(_listed(device)) == 1:
        assert r["submodels"] == 1


@pytest.mark.parametrize(("device", "language"), CASES)
def test_the_runtime_model_carries_what_the_page_reads(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert {"layerType", "runtimePrecision", "execOrder"} <= set(r["runtime_rt_info_keys"])
    assert r["runtime_exec_orders_unique"]
    assert r["runtime_nodes"] >= 1


@pytest.mark.parametrize(("device", "language"), CASES)
def test_manual_affinity_is_honoured(device: str, language: str) -> None:
    """The rt_info "affinity" the page sets by hand really decides the split: the head-on-CPU
    model runs on both devices in two subgraphs, the activations-on-CPU model in many more."""
    r = run_snippet(PAGE, device, language)
    assert r["few_execution_devices"] == [r["accelerator"], "CPU"]
    assert r["few_submodels"] == 2
    assert r["many_submodels"] > 10 * r["few_submodels"]
    assert r["one_device_submodels"] == r["submodels"]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_many_subgraphs_cost_conversions_and_time(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["many_reorders"] > r["few_reorders"]
    assert r["many_ms"] > r["few_ms"]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_splitting_does_not_change_the_answer_beyond_rounding(device: str, language: str) -> None:
    """Few subgraphs: the same answer as one device. Many: close (bf16/f16 values are rounded
    again at every boundary), not necessarily equal."""
    r = run_snippet(PAGE, device, language)
    scale = max(1.0, r["output_scale"])
    assert r["few_vs_one_device_max_abs"] <= 1e-2 * scale
    assert r["many_vs_one_device_max_abs"] <= 5e-2 * scale
    assert r["pipeline_vs_one_device_max_abs"] <= 1e-2 * scale


@pytest.mark.parametrize(("device", "language"), CASES)
def test_pipeline_parallel_is_accepted_and_keeps_a_small_model_whole(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["pipeline_submodels"] == 1  # mobilenet fits in the first device's memory
    assert r["pipeline_execution_devices"] == [r["accelerator"]]
    assert r["hetero_default_distribution_policy"] == []


def test_affinity_on_some_operations_only_is_refused() -> None:
    """The page says HETERO uses manual affinities only when every operation has one."""
    import openvino as ov

    from perfguide.zoo import resolve_model

    core = ov.Core()
    model = core.read_model(str(resolve_model(load_snippet(PAGE).MODEL)))
    ops = model.get_ordered_ops()
    for op in ops[: len(ops) // 2]:
        op.get_rt_info()["affinity"] = "CPU"
    with pytest.raises(RuntimeError, match="not assigned to any device"):
        core.compile_model(model, "HETERO:CPU")


def test_the_visualize_variable_writes_the_dot_files(tmp_path: Path) -> None:
    """The page's console example: OPENVINO_HETERO_VISUALIZE=1 dumps the affinities and subgraphs."""
    import os
    import subprocess
    import sys

    from perfguide.zoo import resolve_model

    code = ("import openvino as ov, sys; core = ov.Core(); "
            "core.compile_model(core.read_model(sys.argv[1]), 'HETERO:CPU')")
    done = subprocess.run([sys.executable, "-c", code, str(resolve_model(load_snippet(PAGE).MODEL))],
                          cwd=tmp_path, env={**os.environ, "OPENVINO_HETERO_VISUALIZE": "1"},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in tmp_path.glob("*.dot"))
    assert any(n.startswith("hetero_affinity_") for n in names), names
    assert any(n.startswith("hetero_subgraphs_") for n in names), names


@pytest.mark.parametrize("device", DEVICES)
def test_python_and_cpp_agree(device: str) -> None:
    """One runtime under both languages: the same placement of every operation, the same splits
    into subgraphs, the same executed graph (nodes, rt_info keys, Reorder counts), the same
    devices read back, and outputs on the same scale."""
    py, cc = run_snippet(PAGE, device, "python"), run_snippet(PAGE, device, "cpp")
    for key in ("query_per_device", "model_operations", "unsupported_operations", "execution_devices",
                "priorities_execution_devices", "submodels", "priorities_submodels", "gpu_section_ran",
                "runtime_nodes", "runtime_rt_info_keys", "runtime_reorders", "accelerator",
                "few_execution_devices", "one_device_submodels", "one_device_reorders",
                "few_submodels", "few_reorders", "many_submodels", "many_reorders",
                "pipeline_submodels", "pipeline_execution_devices",
                "hetero_default_distribution_policy"):
        assert py[key] == cc[key], key
    assert cc["output_scale"] == pytest.approx(py["output_scale"], rel=0.5)
