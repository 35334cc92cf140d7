"""The From the legacy API page's table, tested both ways: every "today" name exists and does
what its row says (read back), and every "removed" name is really gone — in Python and in C++
(the same relations for both, and the two agreeing where they must).

If an OpenVINO release renames or removes one of today's names, or brings back an old one, a test
here fails and the table is corrected before it can mislead anyone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openvino
import openvino.properties as props
import openvino.properties.hint as hints
import openvino.properties.intel_auto as intel_auto
import openvino.properties.intel_gpu.hint as intel_gpu_hint
import pytest

from conftest import device_params, load_snippet, run_snippet, snippet_cases

PAGE = Path("guide/legacy.py")
MODULE = load_snippet(PAGE)
DEVICES = device_params(MODULE)
CASES = snippet_cases(PAGE)
# The Inference Engine headers the C++ twin looks for with __has_include (its REMOVED_HEADERS):
# the C++ counterpart of the removed Python modules.
REMOVED_HEADERS = ("inference_engine.hpp", "ie_core.hpp", "ie_plugin_config.hpp",
                   "ie/inference_engine.hpp")


def test_todays_property_names_are_the_ones_the_table_prints() -> None:
    """The string each Python constant stands for: what a C++ reader or a config file uses."""
    assert str(props.streams.num) == "NUM_STREAMS"
    assert str(props.inference_num_threads) == "INFERENCE_NUM_THREADS"
    assert str(hints.inference_precision) == "INFERENCE_PRECISION_HINT"
    assert str(props.optimal_number_of_infer_requests) == "OPTIMAL_NUMBER_OF_INFER_REQUESTS"
    assert str(props.enable_profiling) == "PERF_COUNT"
    assert str(hints.model_priority) == "MODEL_PRIORITY"
    assert str(intel_gpu_hint.queue_throttle) == "GPU_QUEUE_THROTTLE"
    assert str(props.device.priorities) == "MULTI_DEVICE_PRIORITIES"
    assert str(intel_auto.schedule_policy) == "SCHEDULE_POLICY"


@pytest.mark.parametrize(("device", "language"), CASES)
def test_each_mapping_reads_back_what_its_row_says(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["set_blob_same_output"]  # GetBlob-style and SetBlob-style inputs give the same answer
    assert r["u8_input_type"] == "u8"
    assert r["u8_vs_f32_max_abs"] <= 1e-3 * max(1.0, r["u8_output_scale"])
    assert r["streams_read_back"] == 2
    assert r["threads_read_back"] == 1
    assert r["f32_read_back"] == "f32" and r["f32_heavy_layers_ran_in"] == ["f32"]
    if r["cpu_has_bf16"]:
        assert r["bf16_read_back"] == "bf16" and r["bf16_heavy_layers_ran_in"] == ["bf16"]
        assert r["default_heavy_layers_ran_in"] == ["bf16"]  # the old guide's default still holds
    assert r["optimal_requests"] >= 1
    assert r["exec_graph_nodes"] >= 1
    assert r["profiling_read_back"] in (True, "YES") and r["profiling_entries"] >= 1
    assert r["one_at_a_time_streams"] == 1 and r["one_at_a_time_requests"] == 1
    assert r["model_priority_read_back"] == "HIGH"
    assert r["hetero_affinity_devices"] == ["CPU"]
    assert r["multi_replacement_devices"]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_convert_model_replaces_mo_and_save_model_halves_the_weights(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["converted"]
    assert r["converted_vs_read_max_abs"] <= 1e-4 * max(1.0, r["output_scale"])
    assert r["saved_f16_mib"] < 0.6 * r["saved_f32_mib"]
    assert 0 < r["saved_f16_vs_f32_max_abs"] <= 1e-2 * max(1.0, r["output_scale"])  # rounded, close


@pytest.mark.parametrize(("device", "language"), CASES)
def test_the_removed_names_are_gone(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    gone = r["gone"]
    if language == "python":
        for module in MODULE.REMOVED_MODULES:
            assert f"import {module}" in gone, f"{module} imports again: fix the table"
    else:  # the C++ twin: the Inference Engine headers are not in the wheel's include folder
        include = Path(openvino.__file__).parent / "include"
        assert (include / "openvino" / "openvino.hpp").is_file()  # the folder it looked in
        for header in REMOVED_HEADERS:
            assert not (include / header).exists(), f"{header} is back: fix the table"
            assert f"#include <{header}>" in gone, f"{header} is found again: fix the table"
    for name in MODULE.REMOVED_DEVICES:
        assert f"compile_model(model, {name!r})" in gone, f"{name} compiles again: fix the table"
        assert "not registered" in gone[f"compile_model(model, {name!r})"]
    for key, value in MODULE.REMOVED_CPU_KEYS.items():
        assert f"{key}={value}" in gone, f"{key} is accepted again: fix the table"


@pytest.mark.parametrize(("device", "language"), CASES)
def test_exclusive_async_requests_is_not_a_public_property(device: str, language: str) -> None:
    """Not listed among the CPU's supported properties and no Python constant. (The CPU plugin
    still accepts the string as an internal setting, which the page reports as it is.)"""
    r = run_snippet(PAGE, device, language)
    assert not r["exclusive_listed"]
    assert not hasattr(props, "exclusive_async_requests")  # nor an ov:: constant in C++
    if r["exclusive_accepted"]:
        assert r["exclusive_streams"] == 1


@pytest.mark.parametrize("device", DEVICES)
def test_python_and_cpp_agree(device: str) -> None:
    """One runtime under both languages: every setting reads back the same, the same
    precisions ran, the same requests and graph, the same removed names refused with the same
    message, and the saved files of the same size."""
    py, cc = run_snippet(PAGE, device, "python"), run_snippet(PAGE, device, "cpp")
    for key in ("get_blob_output_shape", "set_blob_same_output", "u8_input_type",
                "streams_read_back", "threads_read_back", "f32_read_back", "cpu_has_bf16",
                "f32_heavy_layers_ran_in", "default_heavy_layers_ran_in", "optimal_requests",
                "exec_graph_nodes", "profiling_entries", "one_at_a_time_streams",
                "one_at_a_time_requests", "model_priority_read_back", "hetero_affinity_devices",
                "multi_replacement_devices", "gpu_queue_throttle_name", "gpu_sections_ran",
                "converted", "exclusive_listed", "exclusive_accepted", "exclusive_streams"):
        assert py.get(key) == cc.get(key), key
    if py["cpu_has_bf16"]:
        assert py["bf16_read_back"] == cc["bf16_read_back"]
        assert py["bf16_heavy_layers_ran_in"] == cc["bf16_heavy_layers_ran_in"]
    # Devices and keys are refused by the runtime itself: the same words in both languages.
    refused = {k: v for k, v in py["gone"].items() if not k.startswith("import ")}
    assert refused == {k: v for k, v in cc["gone"].items() if not k.startswith("#include ")}
    if py["converted"]:
        assert cc["saved_f32_mib"] == pytest.approx(py["saved_f32_mib"], rel=1e-3)
        assert cc["saved_f16_mib"] == pytest.approx(py["saved_f16_mib"], rel=1e-3)
        assert cc["output_scale"] == pytest.approx(py["output_scale"], rel=0.5)


def test_benchmark_app_flags_in_the_table() -> None:
    """-nstreams, -nthreads, -infer_precision, -pc exist; -enforcebf16 does not."""
    app = Path(sys.executable).parent / "benchmark_app"
    if not app.exists():
        pytest.skip(f"benchmark_app not installed beside {sys.executable}")
    usage = subprocess.run([str(app), "-h"], capture_output=True, text=True, timeout=120).stdout
    for flag in ("-nstreams", "-nthreads", "-infer_precision", "-pc", "-hint", "-nireq"):
        assert f"  {flag} " in usage or f"  {flag}," in usage or f" {flag} " in usage, flag
    assert "enforcebf16" not in usage


def test_hetero_dump_graph_dot_is_silently_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HETERO accepts the old key (it accepts unknown keys without an error) but writes nothing:
    the page points to OPENVINO_HETERO_VISUALIZE instead (tested on the HETERO page)."""
    import openvino as ov

    from perfguide.zoo import resolve_model

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENVINO_HETERO_VISUALIZE", raising=False)
    core = ov.Core()
    model = core.read_model(str(resolve_model(MODULE.MODEL)))
    core.compile_model(model, "HETERO:CPU", {"HETERO_DUMP_GRAPH_DOT": "YES"})
    assert not list(tmp_path.glob("*.dot"))
    core.compile_model(model, "HETERO:CPU", {"NO_SUCH_SETTING_AT_ALL": "YES"})  # no error either
