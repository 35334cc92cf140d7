"""Models as the harness runs them: read (zoo name or a user's file), made static, compiled; what
the device can run (precisions), what it chose, and how much work one frame is."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import openvino as ov

from perfguide.bench.config import PRECISIONS, BenchConfig, compile_properties
from perfguide.errors import UsageError

_CAPABILITY = {"f32": "FP32", "bf16": "BF16", "f16": "FP16"}  # OPTIMIZATION_CAPABILITIES names


@cache
def shared_core() -> ov.Core:
    """One ov.Core for every measurement in this process."""
    return ov.Core()


def supported_precisions(device: str, core=None) -> list[str]:
    """The precisions of PRECISIONS that ``device`` lists in OPTIMIZATION_CAPABILITIES."""
    try:
        caps = set((core or shared_core()).get_property(device, "OPTIMIZATION_CAPABILITIES"))
    except Exception:  # noqa: BLE001 - a device that cannot say: assume f32 only
        return ["f32"]
    return [p for p in PRECISIONS if _CAPABILITY[p] in caps or p == "f32"]


def check_precision(device: str, precision: str | None, core=None) -> None:
    """Raise UsageError if ``device`` does not list ``precision`` in OPTIMIZATION_CAPABILITIES."""
    from perfguide.devices import VIRTUAL, family

    if precision is None or family(device) in VIRTUAL:
        return
    supported = supported_precisions(device, core)
    if precision not in supported:
        raise UsageError(
            f"{device} cannot run precision {precision} here; supported: {', '.join(supported)}"
        )


def model_label(name_or_path: str | os.PathLike) -> str:
    """What a record calls the model: the zoo name, or the file's stem for a user's own file."""
    from perfguide.llm_zoo import LLM_ZOO
    from perfguide.zoo import ZOO

    if isinstance(name_or_path, str) and (name_or_path in ZOO or name_or_path in LLM_ZOO):
        return name_or_path
    return Path(name_or_path).stem


def input_name(port) -> str:
    return port.get_any_name() if port.get_names() else port.get_node().get_friendly_name()


def static_shapes(model: ov.Model, batch: int, seq_len: int | None) -> dict[str, list[int]] | None:
    """Input shapes to reshape ``model`` to (dim 0 = batch, other dynamic dims = seq_len).

    None when the model already has exactly these shapes (nothing to reshape).
    """
    shapes: dict[str, list[int]] = {}
    changed = False
    for port in model.inputs:
        partial = port.get_partial_shape()
        if partial.rank.is_dynamic:
            raise UsageError(f"input {input_name(port)!r} has a dynamic rank: cannot benchmark it")
        dims = []
        for axis, dim in enumerate(partial):
            if axis == 0:
                want = batch
            elif dim.is_static:
                want = dim.get_length()
            else:
                want = seq_len or 128
            if dim.is_dynamic or dim.get_length() != want:
                changed = True
            dims.append(want)
        shapes[input_name(port)] = dims
    return shapes if changed else None


def first_line(exc: BaseException) -> str:
    """The one useful line of an OpenVINO error (which spans many, with C++ locations)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    useful = [ln for ln in lines if not ln.startswith(("Exception from", "Check '"))]
    return (useful or lines or [exc.__class__.__name__])[0][:300]


def read_model(name_or_path: str | os.PathLike, core: ov.Core, batch: int = 1, seq_len: int | None = None):
    """Read a zoo model or a user's file and make it static: (model, path, shapes)."""
    from perfguide.zoo import ZOO, model_path
    from perfguide.zoo import read_model as zoo_read_model

    name = str(name_or_path)
    model = zoo_read_model(name, core)  # a UsageError for a bad name, path or file
    path = model_path(name) if name in ZOO else Path(name).expanduser()
    shapes = static_shapes(model, batch, seq_len)
    if shapes:
        try:
            model.reshape({name: ov.PartialShape(dims) for name, dims in shapes.items()})
        except Exception as exc:  # noqa: BLE001 - OpenVINO raises a multi-line RuntimeError
            raise UsageError(f"cannot reshape {model_label(name)} to {shapes}: {first_line(exc)}") from None
    final = {input_name(p): [int(d) for d in p.get_shape()] for p in model.inputs}
    return model, Path(path), final


def compile_model(core: ov.Core, model, device: str, config: BenchConfig) -> ov.CompiledModel:
    try:
        return core.compile_model(model, device, compile_properties(config))
    except Exception as exc:  # noqa: BLE001
        raise UsageError(f"cannot compile for {device} with {compile_properties(config)}: "
                         f"{first_line(exc)}") from None  # fmt: skip


def _prop(compiled: ov.CompiledModel, key: str):
    try:
        return compiled.get_property(key)
    except Exception:  # noqa: BLE001 - not every device reports every property
        return None


def compiled_info(compiled: ov.CompiledModel, requests: int | None) -> dict:
    """The ``compiled`` block: what the device actually chose."""
    precision = _prop(compiled, "INFERENCE_PRECISION_HINT")
    hint = _prop(compiled, "PERFORMANCE_HINT")
    devices = _prop(compiled, "EXECUTION_DEVICES") or []
    streams = _prop(compiled, "NUM_STREAMS")
    threads = _prop(compiled, "INFERENCE_NUM_THREADS")
    optimal = _prop(compiled, "OPTIMAL_NUMBER_OF_INFER_REQUESTS")
    return {
        "streams": int(streams) if isinstance(streams, int) else None,
        "requests": requests,
        "precision": precision.to_string() if isinstance(precision, ov.Type) else (
            str(precision) if precision else None),
        "threads": int(threads) if isinstance(threads, int) else None,
        "execution_devices": [str(d) for d in devices],
        "hint": str(getattr(hint, "name", hint)) if hint not in (None, "") else None,
        "optimal_requests": int(optimal) if isinstance(optimal, int) else None,
    }


@cache
def _macs_for(label: str, shapes_key: tuple) -> int | None:
    from perfguide.flops import count_macs
    from perfguide.zoo import ZOO, describe, model_path

    shapes = {name: list(dims) for name, dims in shapes_key}
    if label in ZOO:
        info = describe(label)
        if shapes == info["reference_shapes"]:
            return int(info["macs"])
        import onnx

        return int(count_macs(onnx.load(model_path(label, "onnx")), shapes))
    return None


def macs_per_frame(name_or_path: str | os.PathLike, shapes: dict[str, list[int]]) -> int | None:
    """Multiply-accumulates of one frame (batch 1) at ``shapes``; None if it cannot be counted."""
    one = {name: [1, *dims[1:]] if dims else dims for name, dims in shapes.items()}
    key = tuple(sorted((k, tuple(v)) for k, v in one.items()))
    try:
        from perfguide.zoo import ZOO

        if isinstance(name_or_path, str) and name_or_path in ZOO:
            return _macs_for(name_or_path, key)
        path = Path(name_or_path)
        if path.suffix.lower() == ".onnx":
            import onnx

            from perfguide.flops import count_macs

            return int(count_macs(onnx.load(path), one))
    except Exception:  # noqa: BLE001 - a model whose MACs cannot be counted just has no gflops
        return None
    return None
