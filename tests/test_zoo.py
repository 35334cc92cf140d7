"""The model zoo: sizes match the published figures, builds are reproducible, models run."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import openvino as ov
import pytest
from onnx import TensorProto, helper, numpy_helper

from perfguide import zoo
from perfguide.errors import UsageError
from perfguide.flops import count_macs, count_params
from perfguide.inputs import random_inputs

REPO = Path(__file__).resolve().parents[1]
TOLERANCE = 0.05  # counted vs published: folded BN and rounding differ by well under this
SMALL = ("yolov5n", "mobilenet")  # quick to build: for the cache tests
ZOO_PARAMS = [
    pytest.param(name, marks=pytest.mark.slow if name == "bert-base" else ()) for name in zoo.ZOO
]


def bert_macs(batch: int, seq: int, layers=12, hidden=768, heads=12, intermediate=3072) -> int:
    """BERT's MACs from its configuration, independent of the ONNX graph and of the counter."""
    dense = seq * (4 * hidden * hidden + 2 * hidden * intermediate)  # Q, K, V, out, FFN in/out
    attention = 2 * heads * seq * seq * (hidden // heads)  # Q.K^T and A.V
    pooler = hidden * hidden  # one token per sequence
    return batch * (layers * (dense + attention) + pooler)


@dataclasses.dataclass(frozen=True)
class Built:
    recipe: zoo.Recipe
    dirs: tuple[Path, Path]  # two independent builds, each with model.onnx/.xml/.bin

    @property
    def xml(self) -> Path:
        return self.dirs[0] / "model.xml"

    @property
    def onnx(self) -> Path:
        return self.dirs[0] / "model.onnx"


@pytest.fixture(scope="module", params=ZOO_PARAMS)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Each recipe built and converted twice, into two temporary folders (removed after)."""
    recipe = zoo.ZOO[request.param]
    dirs = tuple(tmp_path_factory.mktemp(f"{recipe.name}-{copy}") for copy in "ab")
    for d in dirs:
        recipe.build(d / "model.onnx")
        zoo.convert(d / "model.onnx", d / "model.xml")
    yield Built(recipe, dirs)
    for d in dirs:  # bert-base is ~0.9 GB per copy: do not leave it for pytest's retention
        shutil.rmtree(d, ignore_errors=True)


def _within(counted: int, expected: int) -> bool:
    return abs(counted / expected - 1) <= TOLERANCE


def test_size_matches_published(built: Built) -> None:
    recipe, model = built.recipe, onnx.load(built.onnx)
    params = count_params(model)
    macs = count_macs(model, recipe.reference_shapes)
    assert _within(params, recipe.published_params), (params, recipe.published_params)
    if recipe.name == "bert-base":
        assert recipe.reference_shapes["input_ids"] == [1, 128]
        expected_macs = bert_macs(batch=1, seq=128)
    else:
        expected_macs = recipe.published_macs
    assert _within(macs, expected_macs), (macs, expected_macs)


def test_build_is_reproducible(built: Built) -> None:
    a, b = built.dirs
    for name in ("model.onnx", "model.xml", "model.bin"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), f"{name} differs between builds"


def _expected_shapes(recipe: zoo.Recipe, batch: int, seq: int) -> list[tuple[int, ...]]:
    return [tuple(o.concrete({"batch": batch, "sequence": seq})) for o in recipe.outputs]


def test_ir_runs_with_random_inputs(built: Built) -> None:
    compiled = ov.Core().compile_model(built.xml, "CPU")
    # The dynamic sequence (and batch) of bert-base is exercised at two different sizes.
    cases = [(None, 128), (2, 37)] if built.recipe.name == "bert-base" else [(None, 128)]
    for batch, seq in cases:
        inputs = random_inputs(compiled, seed=1, batch=batch, seq_len=seq)
        result = compiled(inputs)
        outputs = [result[port] for port in compiled.outputs]
        assert [o.shape for o in outputs] == _expected_shapes(built.recipe, batch or 1, seq)
        assert all(np.isfinite(o).all() for o in outputs)


def test_ir_matches_onnx(built: Built) -> None:
    """f32 weights: the IR on CPU in f32 gives what onnxruntime gives for the ONNX."""
    ort = pytest.importorskip("onnxruntime")
    core = ov.Core()
    model = core.read_model(built.xml)
    inputs = random_inputs(model, seed=2, seq_len=16)
    ours = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(inputs)
    session = ort.InferenceSession(str(built.onnx), providers=["CPUExecutionProvider"])
    theirs = session.run(None, inputs)
    for port, reference in zip(model.outputs, theirs, strict=True):
        np.testing.assert_allclose(ours[port.get_any_name()], reference, rtol=1e-3, atol=1e-3)


# ------------------------------------------------------------------------------------------
# The cache


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("PERFGUIDE_CACHE", str(tmp_path / "zoo"))
    return tmp_path / "zoo"


def _entries(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir())


@pytest.mark.parametrize("name", SMALL)
def test_model_path_builds_once(cache: Path, name: str) -> None:
    xml = zoo.model_path(name)
    assert xml.parent.parent == cache and xml.name == "model.xml"
    assert xml.with_suffix(".bin").is_file()
    stamps = {p.name: p.stat().st_mtime_ns for p in xml.parent.iterdir()}
    assert zoo.model_path(name) == xml
    assert zoo.model_path(name, "onnx") == xml.with_suffix(".onnx")
    assert {p.name: p.stat().st_mtime_ns for p in xml.parent.iterdir()} == stamps
    assert _entries(cache) == [xml.parent.name]  # no temporary folder left behind
    assert zoo.resolve_model(name) == xml


def test_cache_key_follows_the_recipe() -> None:
    recipe = zoo.ZOO["yolov5n"]
    assert zoo.recipe_key(recipe) == zoo.recipe_key(dataclasses.replace(recipe))
    assert zoo.recipe_key(recipe) != zoo.recipe_key(dataclasses.replace(recipe, version=2))
    assert zoo.recipe_key(recipe) != zoo.recipe_key(zoo.ZOO["mobilenet"])


def test_a_concurrent_builder_that_finished_first_wins(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the final folder appears while we build, ours is dropped and theirs is used."""
    convert = zoo.convert
    final = zoo.entry_dir("yolov5n")

    def convert_then_lose_the_race(onnx_path: Path, xml_path: Path) -> Path:
        convert(onnx_path, xml_path)
        shutil.copytree(Path(onnx_path).parent, final)  # the other builder's complete copy
        (final / "theirs").touch()
        return Path(xml_path)

    monkeypatch.setattr(zoo, "convert", convert_then_lose_the_race)
    assert zoo.model_path("yolov5n") == final / "model.xml"
    assert (final / "theirs").exists()
    assert _entries(cache) == [final.name]


def test_a_damaged_entry_is_rebuilt(cache: Path) -> None:
    xml = zoo.model_path("yolov5n")
    xml.with_suffix(".bin").unlink()
    assert zoo.model_path("yolov5n") == xml
    assert xml.with_suffix(".bin").is_file()
    assert _entries(cache) == [xml.parent.name]


def test_a_build_removes_older_recipes_of_the_same_model(cache: Path) -> None:
    stale, other = cache / "yolov5n-0123456789ab", cache / "yolov5n-tiny-0123456789ab"
    for entry in (stale, other):
        entry.mkdir(parents=True)
    xml = zoo.model_path("yolov5n")
    assert _entries(cache) == sorted([xml.parent.name, other.name])


def test_unknown_format_is_a_usage_error(cache: Path) -> None:
    with pytest.raises(UsageError, match="unknown model format"):
        zoo.model_path("yolov5n", "tflite")


# ------------------------------------------------------------------------------------------
# Zoo names and users' own files


def _bad_path(tmp_path: Path, kind: str) -> str:
    if kind == "missing":
        return str(tmp_path / "nothing_here.xml")
    if kind == "directory":
        return str(tmp_path)
    if kind == "text_xml":
        (tmp_path / "x.xml").write_text("not a model\n")
        (tmp_path / "x.bin").write_bytes(b"\0" * 16)
        return str(tmp_path / "x.xml")
    if kind == "xml_without_bin":
        (tmp_path / "y.xml").write_text("<net/>\n")
        return str(tmp_path / "y.xml")
    if kind == "text_onnx":
        (tmp_path / "z.onnx").write_text("not a model either\n")
        return str(tmp_path / "z.onnx")
    if kind == "txt":
        (tmp_path / "notes.txt").write_text("hello\n")
        return str(tmp_path / "notes.txt")
    assert kind == "unknown_name"
    return "yolov9000"


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", "no such model file: .*nothing_here.xml; zoo models: yolov5n, resnet50"),
        ("directory", "is a directory"),
        ("text_xml", r"not an OpenVINO IR or ONNX model: .*x\.xml \(.+\)"),
        ("xml_without_bin", r"IR weights missing: .*y\.bin"),
        ("text_onnx", r"not an OpenVINO IR or ONNX model: .*z\.onnx \(.+\)"),
        ("txt", r"not an OpenVINO IR or ONNX model: .*notes\.txt"),
        ("unknown_name", "unknown zoo model 'yolov9000'.*zoo models: yolov5n, resnet50"),
    ],
)
def test_resolve_model_rejects_clearly(tmp_path: Path, kind: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        zoo.resolve_model(_bad_path(tmp_path, kind))
    assert "\n" not in str(caught.value)
    with pytest.raises(UsageError):
        zoo.read_model(_bad_path(tmp_path, kind))


@pytest.fixture(scope="module")
def own_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user's own ONNX file (the zoo's mobilenet, written outside the cache) and its IR."""
    folder = tmp_path_factory.mktemp("own")
    onnx_path = zoo.ZOO["mobilenet"].build(folder / "my_net.onnx")
    zoo.convert(onnx_path, folder / "my_net.xml")
    return onnx_path


@pytest.mark.parametrize("suffix", [".onnx", ".xml"])
def test_a_users_own_file_is_accepted(own_model: Path, suffix: str) -> None:
    path = own_model.with_suffix(suffix)
    assert zoo.resolve_model(path) == path
    assert zoo.resolve_model(str(path), fmt="onnx") == path  # returned as is, whatever fmt
    model = zoo.read_model(str(path))
    assert [o.get_any_name() for o in model.outputs] == ["logits"]


# ------------------------------------------------------------------------------------------
# Counting and random inputs on small graphs


def test_counters_on_a_small_graph() -> None:
    """MatMul + bias, a grouped conv, and constants that are not parameters."""
    rng = np.random.default_rng(0)

    def init(name: str, *shape: int) -> TensorProto:
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["x", "cw", "cb"], ["c"], group=2, pads=[1] * 4),  # 8 <- 4
        helper.make_node("Mul", ["c", "scale"], ["s"]),  # a constant, not a parameter
        helper.make_node("Flatten", ["s"], ["f"]),
        helper.make_node("MatMul", ["f", "w"], ["m"]),
        helper.make_node("Add", ["m", "b"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4, 5, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 10])],
        [
            init("cw", 8, 2, 3, 3),
            init("cb", 8),
            init("scale", 1, 8, 1, 1),
            init("w", 200, 10),
            init("b", 10),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    assert count_params(model) == 8 * 2 * 9 + 8 + 200 * 10 + 10
    conv, matmul = 8 * 5 * 5 * (2 * 3 * 3), 200 * 10
    assert count_macs(model, {"x": [3, 4, 5, 5]}) == 3 * (conv + matmul)
    with pytest.raises(ValueError, match="dynamic dims"):
        count_macs(model)


def _dynamic_model() -> ov.Model:
    """input_ids/attention_mask/token_type_ids [?, ?] i64 and a [?, 3, 8] f16 feature input."""
    params = [
        ov.opset13.parameter([-1, -1], ov.Type.i64, name=n)
        for n in ("input_ids", "attention_mask", "token_type_ids")
    ]
    params.append(ov.opset13.parameter([-1, 3, 8], ov.Type.f16, name="features"))
    results = [ov.opset13.result(ov.opset13.convert(p, "f32")) for p in params]
    return ov.Model(results, params, "dynamic")


def test_random_inputs_fill_dynamic_dims_by_rule() -> None:
    model = _dynamic_model()
    a = random_inputs(model, seed=3, seq_len=9)
    assert {k: (v.shape, v.dtype) for k, v in a.items()} == {
        "input_ids": ((1, 9), np.int64),
        "attention_mask": ((1, 9), np.int64),
        "token_type_ids": ((1, 9), np.int64),
        "features": ((1, 3, 8), np.float16),
    }
    assert a["input_ids"].min() >= 0 and a["input_ids"].max() < 1000
    assert (a["attention_mask"] == 1).all() and (a["token_type_ids"] == 0).all()
    assert ((a["features"] >= 0) & (a["features"] < 1)).all()
    b = random_inputs(model, seed=3, seq_len=9)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    c = random_inputs(model, seed=4, seq_len=9)
    assert not np.array_equal(a["input_ids"], c["input_ids"])
    batched = random_inputs(model, batch=4, seq_len=5)
    assert batched["input_ids"].shape == (4, 5) and batched["features"].shape == (4, 3, 8)


# ------------------------------------------------------------------------------------------
# scripts/zoo.py


def _zoo_cli(*args: str, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PERFGUIDE_CACHE": str(cache)}
    return subprocess.run(
        [sys.executable, "scripts/zoo.py", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["build", "nope"],
        ["info", "missing.onnx"],
        ["info", "."],
        ["frobnicate"],
        [],
        ["build", "--bad-flag"],
    ],
    ids=["unknown-name", "missing-file", "directory", "unknown-command", "no-command", "bad-flag"],
)
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    done = _zoo_cli(*args, cache=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr


def test_cli_list_help_and_info(tmp_path: Path, own_model: Path) -> None:
    listing = _zoo_cli("list", cache=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert all(name in listing.stdout for name in zoo.ZOO)
    helped = _zoo_cli("--help", cache=tmp_path)
    assert helped.returncode == 0 and "examples:" in helped.stdout
    info = _zoo_cli("info", str(own_model), cache=tmp_path)
    assert info.returncode == 0, info.stderr
    assert "input: input [1,3,224,224] f32" in info.stdout
    assert re.search(r"^params: [\d,]+$", info.stdout, re.M), info.stdout
    assert re.search(r"^MACs: [\d,]+ at \{'input': \[1, 3, 224, 224\]\}$", info.stdout, re.M)


def test_cli_build_reports_counts(tmp_path: Path) -> None:
    done = _zoo_cli("build", "yolov5n", cache=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "built in" in done.stdout and "published 1.872 M" in done.stdout
    again = _zoo_cli("build", "yolov5n", cache=tmp_path)
    assert "cached" in again.stdout
