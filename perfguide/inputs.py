"""Random inputs for any OpenVINO model: the zoo's and users' own alike."""

from __future__ import annotations

import numpy as np
import openvino as ov

from perfguide.errors import UsageError

# Integer inputs are taken for token ids and drawn below this (a vocabulary every NLP model has).
ID_LIMIT = 1000


def _input_name(port: ov.Output) -> str:
    names = port.get_names()
    return port.get_any_name() if names else port.get_node().get_friendly_name()


def _shape(port: ov.Output, batch: int | None, seq_len: int) -> list[int]:
    """A concrete shape: static dims kept, dynamic dim 0 -> batch or 1, others -> seq_len."""
    partial = port.get_partial_shape()
    if partial.rank.is_dynamic:
        raise UsageError(f"input {_input_name(port)!r} has a dynamic rank: cannot invent its shape")
    shape = []
    for axis, dim in enumerate(partial):
        if dim.is_static:
            shape.append(dim.get_length())
            continue
        want = (batch or 1) if axis == 0 else seq_len
        # A bounded dim (e.g. 1..512) gets the value clamped into its interval.
        upper = dim.get_max_length()
        shape.append(max(dim.get_min_length(), min(want, upper) if upper >= 0 else want))
    if batch is not None and shape:
        shape[0] = batch
    return shape


def random_inputs(
    model: ov.Model | ov.CompiledModel,
    *,
    seed: int = 0,
    batch: int | None = None,
    seq_len: int = 128,
) -> dict[str, np.ndarray]:
    """One array per model input, keyed by the input's name, the same for the same seed.

    Floats are uniform in [0, 1); integers are token ids in [0, 1000), except that an input
    whose name contains "mask" is all ones and one containing "token_type" is all zeros.
    """
    rng = np.random.default_rng(seed)
    arrays = {}
    for port in model.inputs:
        name = _input_name(port)
        shape = _shape(port, batch, seq_len)
        dtype = np.dtype(port.get_element_type().to_dtype())
        lowered = name.lower()
        if "mask" in lowered:
            value = np.ones(shape, dtype)
        elif "token_type" in lowered:
            value = np.zeros(shape, dtype)
        elif dtype.kind == "f":
            value = rng.random(shape).astype(dtype)
        elif dtype.kind in "iu":
            high = min(ID_LIMIT, int(np.iinfo(dtype).max) + 1)
            value = rng.integers(0, high, shape, dtype=dtype)
        elif dtype.kind == "b":
            value = rng.random(shape) < 0.5
        else:
            raise UsageError(
                f"input {name!r} has element type {port.get_element_type()}: no random data for it"
            )
        arrays[name] = value
    return arrays
