"""Checks on what the Dynamic shapes page's examples observed, in Python and in C++ (the same
relations for both, and the two agreeing where they must), and on how the module and its C++
twin treat a reader's own model: they run it the same way, saying what they fixed, or refuse it
in one line.

No absolute time is checked, and of the relations between times only those that hold by a wide
margin: more compilations take longer than one, and a dynamic model's very first inference takes
longer than its second.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset13 as ops
import pytest

from conftest import device_params, load_snippet, run_script, run_snippet, snippet_cases
from perfguide import cpp
from perfguide.devices import device_cases, family
from perfguide.errors import UsageError

PAGE = Path("guide/dynamic-shapes.py")
CPP_PAGE = "guide/dynamic-shapes"
MODULE = load_snippet(PAGE)
DEVICES = device_params(MODULE)
CASES = snippet_cases(PAGE)
LANGUAGES = ("python", "cpp")
BERT_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
TEXT_INPUTS = ("input_ids", "attention_mask")  # the small text model's


# Small models built in code, for the cases bert-base does not cover.

def _save(model: ov.Model, folder: Path, name: str) -> str:
    path = folder / f"{name}.xml"
    ov.save_model(model, str(path))
    return str(path)


def _embedding(shape) -> ov.Model:
    """Token ids -> embeddings from a small table, zeroed where the mask is 0: a text model in
    miniature, with two inputs like BERT's."""
    ids = ops.parameter(ov.PartialShape(shape), ov.Type.i64, name="input_ids")
    mask = ops.parameter(ov.PartialShape(shape), ov.Type.i64, name="attention_mask")
    for port, name in ((ids, "input_ids"), (mask, "attention_mask")):
        port.output(0).get_tensor().set_names({name})
    table = ops.constant(np.random.default_rng(0).random((1000, 8), dtype=np.float32))
    words = ops.gather(table, ids, ops.constant(np.int64(0)))
    keep = ops.unsqueeze(ops.convert(mask, ov.Type.f32), ops.constant(np.int64(-1)))
    return ov.Model([ops.multiply(words, keep)], [ids, mask], "embedding")


def _relu(shape) -> ov.Model:
    x = ops.parameter(ov.PartialShape(shape) if shape is not None else ov.PartialShape.dynamic(),
                      ov.Type.f32, name="x")
    x.output(0).get_tensor().set_names({"x"})
    return ov.Model([ops.relu(x)], [x], "relu")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("dynamic-models")
    return {
        "text": _save(_embedding([-1, -1]), folder, "text"),
        "dynamic_rank": _save(_relu(None), folder, "dynamic_rank"),
        "static": _save(_relu([1, 16]), folder, "static"),
        "batch_only": _save(_relu([-1, 16]), folder, "batch_only"),
        "short_bound": _save(_relu([1, ov.Dimension(1, 32)]), folder, "short_bound"),
    }


# What the page shows, on bert-base

@pytest.mark.parametrize(("device", "language"), CASES)
def test_shapes_read_back_as_they_were_set(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["read_shapes"] == dict.fromkeys(BERT_INPUTS, "[?,?]") and r["read_dynamic"]
    assert r["bounded_shapes"] == dict.fromkeys(BERT_INPUTS, "[1,1..512]")
    assert r["compiled_bounded_shapes"] == r["bounded_shapes"]  # compiling keeps the bounds
    assert r["static_shapes"] == dict.fromkeys(BERT_INPUTS, "[1,128]") and r["static_is_static"]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_a_bounded_model_refuses_an_input_outside_its_bounds(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["outside_bounds_refused"]
    assert "513" in r["outside_bounds_error"]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_every_way_gives_the_dynamic_models_answer(device: str, language: str) -> None:
    """A static model per length, the bounded model and a padded input (its padding masked and
    cut off again) compute what the dynamic model computes for the same tokens."""
    r = run_snippet(PAGE, device, language)
    assert r["output_scale"] > 0  # a model that outputs zeros would prove nothing
    assert r["padding_is_masked"]
    for way in ("static", "bounded", "bucket"):
        assert r[f"{way}_vs_dynamic_max_abs"] <= 1e-4 * r["output_scale"], way


@pytest.mark.parametrize(("device", "language"), CASES)
def test_every_way_was_timed_at_every_length(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    for way in ("dynamic", "bounded", "static", "bucket"):
        assert all(r[f"{way}_ms_{n}"] > 0 for n in r["lengths"])
    assert all(r[f"dynamic_first_ms_{n}"] > 0 and r[f"static_first_ms_{n}"] > 0 for n in r["lengths"])


@pytest.mark.parametrize(("device", "language"), CASES)
def test_the_dynamic_models_first_inference_is_slower_than_the_next_at_that_shape(device: str,
                                                                                  language: str) -> None:
    """At its first shape the dynamic model prepares what a static one prepared while compiling
    (several times a repeat's time on the measured machine, so this holds on a noisy one)."""
    r = run_snippet(PAGE, device, language)
    first = r["lengths"][0]
    assert r[f"dynamic_first_ms_{first}"] > r[f"dynamic_again_ms_{first}"]


@pytest.mark.parametrize(("device", "language"), CASES)
def test_a_model_per_length_costs_a_compilation_per_length(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["static_models"] == len(r["lengths"]) > r["bucket_models"] == len(r["buckets"])
    assert r["static_compile_total_ms"] > r["dynamic_compile_ms"]


@pytest.mark.parametrize("device", DEVICES)
def test_the_harness_measures_the_static_model_per_length(device: str) -> None:
    """scripts/benchmark.py --seq-len N reshapes the model to the page's static shapes (a check
    of the Python harness, which only the Python module makes)."""
    r = run_snippet(PAGE, device)
    assert r["harness_matches_static"]
    assert r["harness_shapes"]["256"] == dict.fromkeys(BERT_INPUTS, [1, 256])


@pytest.mark.parametrize(("device", "language"), CASES)
def test_benchmark_app_ran_the_command_the_page_shows(device: str, language: str) -> None:
    r = run_snippet(PAGE, device, language)
    assert r["benchmark_app_shape"] == ",".join(f"{n}[1,1..512]" for n in BERT_INPUTS)
    assert r["benchmark_app_data_shape"] == ",".join(f"{n}[1,16][1,64][1,128][1,256]" for n in BERT_INPUTS)
    assert r["benchmark_app_ran"] and r["benchmark_app_returncode"] == 0
    assert r["benchmark_app_groups"] == len(r["lengths"])


@pytest.mark.parametrize("device", DEVICES)
def test_python_and_cpp_agree(device: str) -> None:
    """One runtime under both languages: the same shapes read, set, compiled and refused, the same
    variants, the same benchmark_app command run to the same groups, and outputs on the same
    scale (each language draws its own random token ids, so only the scale is compared)."""
    py, cc = run_snippet(PAGE, device, "python"), run_snippet(PAGE, device, "cpp")
    for key in ("lengths", "buckets", "rounds", "read_shapes", "read_dynamic", "bounded_shapes",
                "static_shapes", "static_is_static", "bound_dimension", "compiled_bounded_shapes",
                "outside_bounds_refused", "static_models", "bucket_models", "padding_is_masked",
                "benchmark_app_shape", "benchmark_app_data_shape", "benchmark_app_command",
                "benchmark_app_groups"):
        assert py[key] == cc[key], key
    assert set(py["times_ms"]) == set(cc["times_ms"])
    assert all(len(times) == cc["rounds"] for times in cc["times_ms"].values())
    assert cc["output_scale"] == pytest.approx(py["output_scale"], rel=0.5)
    # Every key but the Python harness's own check.
    assert set(py) - set(cc) == {"harness_shapes", "harness_matches_static"}
    assert set(cc) <= set(py)


# A reader's own model

def _run_own(language: str, device: str, path: str, capsys) -> tuple[dict, str]:
    """The page's examples on a model file of the reader's: (what they observed, what they
    printed), by the Python module or by its C++ twin."""
    if language == "python":
        observed = MODULE.main(device, path)
        return observed, capsys.readouterr().out
    cpp.build([CPP_PAGE])
    done = cpp.run(CPP_PAGE, device, path)
    return done["observed"], done["output"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_readers_dynamic_model_runs_the_same_way(models: dict[str, str], language: str,
                                                   capsys) -> None:
    r, printed = _run_own(language, "CPU", models["text"], capsys)
    assert "fixed to 1: input_ids dimension 0, attention_mask dimension 0" in printed
    assert "varied over 16, 64, 128, 256: input_ids dimension 1, attention_mask dimension 1" in printed
    assert r["read_shapes"] == dict.fromkeys(TEXT_INPUTS, "[?,?]")
    assert r["static_shapes"] == dict.fromkeys(TEXT_INPUTS, "[1,128]")
    assert r["outside_bounds_refused"]
    for way in ("static", "bounded", "bucket"):  # each position's output is its token's alone
        assert r[f"{way}_vs_dynamic_max_abs"] == 0.0
    assert r["padding_is_masked"]
    assert r["benchmark_app_returncode"] == 0 and r["benchmark_app_groups"] == 4


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("kind", "says"), [
    ("dynamic_rank", "dynamic rank"),
    ("static", "no dynamic dimension beyond the batch"),
    ("batch_only", "no dynamic dimension beyond the batch"),
    ("short_bound", "bounded to 1..32"),
])
def test_a_model_it_cannot_vary_is_refused_in_one_line(models: dict[str, str], kind: str, says: str,
                                                       language: str) -> None:
    if language == "python":
        with pytest.raises(UsageError, match=says):
            MODULE.main("CPU", models[kind])
        done = run_script(f"snippets/{PAGE}", "--device", "CPU", "--model", models[kind])
    else:
        cpp.build([CPP_PAGE])
        with pytest.raises(UsageError, match=says):
            cpp.run(CPP_PAGE, "CPU", models[kind])
        done = subprocess.run([str(cpp.program(CPP_PAGE)), "--device", "CPU", "--model", models[kind]],
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("error: ")
    assert says in done.stderr


VIRTUAL = {family(c.name): c.name for c in device_cases() if family(c.name) in ("AUTO", "HETERO", "MULTI",
                                                                             "BATCH") and not c.missing}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("family_name", ["AUTO", "HETERO", "MULTI"])
def test_virtual_devices_pass_a_dynamic_model_to_the_device_beneath(models: dict[str, str],
                                                                    family_name: str, language: str,
                                                                    capsys) -> None:
    """Why the page is written for the real devices only: AUTO, HETERO and MULTI add nothing."""
    r, _ = _run_own(language, VIRTUAL[family_name], models["text"], capsys)
    assert r["compiled_bounded_shapes"] == dict.fromkeys(TEXT_INPUTS, "[1,1..512]")
    assert r["outside_bounds_refused"]
    assert r["static_vs_dynamic_max_abs"] == 0.0


@pytest.mark.parametrize("language", LANGUAGES)
def test_batch_cannot_run_a_bounded_model(models: dict[str, str], language: str, capsys) -> None:
    """BATCH compiles a bounded model but cannot run a request on it (OpenVINO 2026.4): the
    module and its C++ twin say so in one line."""
    with pytest.raises(UsageError, match="cannot run"):
        _run_own(language, VIRTUAL["BATCH"], models["text"], capsys)


def test_reshape_replaces_bounds_without_checking_them(models: dict[str, str]) -> None:
    """The page's warning: reshape sets what it is given, even outside the model's own bounds."""
    model = ov.Core().read_model(models["short_bound"])
    model.reshape({model.input(0): ov.PartialShape([1, 64])})
    assert str(model.input(0).get_partial_shape()) == "[1,64]"


def _benchmark_app(path: str, *args: str) -> subprocess.CompletedProcess:
    from perfguide.bench.bapp import benchmark_app_path

    return subprocess.run([benchmark_app_path(), "-m", path, "-d", "CPU", "-niter", "4", *args],
                          capture_output=True, text=True, timeout=300)


def test_benchmark_app_needs_data_shapes_for_a_dynamic_model(models: dict[str, str]) -> None:
    done = _benchmark_app(models["text"], "-hint", "latency", "-api", "async")
    assert done.returncode != 0
    assert "Provide data shapes" in done.stdout + done.stderr


def test_benchmark_app_runs_several_data_shapes_only_asynchronously(models: dict[str, str]) -> None:
    """With -hint latency benchmark_app's API is sync, which takes one data shape only. The
    page's command: an unnamed -shape applies to every input, -data_shape names each."""
    shapes = ("-shape", "[1,1..512]", "-data_shape", "input_ids[1,16][1,64],attention_mask[1,16][1,64]")
    sync = _benchmark_app(models["text"], "-hint", "latency", *shapes)
    assert sync.returncode != 0 and "async API only" in sync.stdout + sync.stderr
    one = _benchmark_app(models["text"], "-hint", "latency", "-data_shape", "[1,16]")
    assert one.returncode == 0, one.stdout[-2000:]
    async_ = _benchmark_app(models["text"], "-hint", "latency", "-api", "async", "-nireq", "1", "-pcseq",
                            *shapes)
    assert async_.returncode == 0, async_.stdout[-2000:]
    assert "Reshaping model: 'input_ids': [1,1..512], 'attention_mask': [1,1..512]" in async_.stdout
    assert len(MODULE.group_medians(async_.stdout)) == 2  # -pcseq: a latency per data shape
    # Several data shapes: the inputs are filled inside the timed loop.
    assert "inputs filling are included in measurement loop" in async_.stdout
