"""Parameter and multiply-accumulate (MAC) counts of an ONNX graph.

The conventions are the ones model cards use: parameters are the trainable tensors (weights,
biases, embeddings, normalization scales and shifts), not constants such as anchor grids or
shape tensors; MACs count Conv, ConvTranspose, Gemm and MatMul (attention's Q.K^T and A.V
included) and nothing else, so 1 MAC = one multiply and one add, and FLOPs ~ 2 x MACs.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import helper

# Inputs of these ops that hold trainable tensors when they are initializers.
_TRAINABLE_INPUTS = {
    "Conv": (1, 2),
    "ConvTranspose": (1, 2),
    "Gemm": (0, 1, 2),
    "MatMul": (0, 1),
    "Gather": (0,),  # embedding tables
    "LayerNormalization": (1, 2),
    "BatchNormalization": (1, 2),  # scale and shift; the running mean and variance are not
    "InstanceNormalization": (1, 2),
    "GroupNormalization": (1, 2),
    "PRelu": (1,),
}
# A bias added after one of these is trainable too (transformer dense layers: MatMul + Add).
_BIASED = {"MatMul", "Conv", "Gemm"}
# Initializers larger than this are left out of the copy given to shape inference (their
# dims suffice), which keeps it fast and under protobuf's 2 GB limit for big models.
_KEEP_FOR_INFERENCE = 1024


def _constants(graph: onnx.GraphProto) -> dict[str, onnx.TensorProto]:
    """The graph's constant tensors by name: initializers and Constant nodes' values."""
    found = {t.name: t for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant":
            value = next((a.t for a in node.attribute if a.name == "value"), None)
            if value is not None:
                found[node.output[0]] = value
    return found


def count_params(model: onnx.ModelProto) -> int:
    """Elements in the float constants that are weights, biases, embeddings or norm params."""
    graph = model.graph
    consts = {
        name: t
        for name, t in _constants(graph).items()
        if np.issubdtype(helper.tensor_dtype_to_np_dtype(t.data_type), np.floating)
    }
    producer = {out: node.op_type for node in graph.node for out in node.output}
    trainable: set[str] = set()
    for node in graph.node:
        positions = _TRAINABLE_INPUTS.get(node.op_type, ())
        trainable.update(node.input[i] for i in positions if i < len(node.input))
        if node.op_type == "Add" and len(node.input) == 2:
            a, b = node.input
            if a in consts and producer.get(b) in _BIASED:
                trainable.add(a)
            if b in consts and producer.get(a) in _BIASED:
                trainable.add(b)
    return sum(math.prod(consts[name].dims) for name in trainable if name in consts)


def _shape_inferred(
    model: onnx.ModelProto, input_shapes: dict[str, list[int]] | None
) -> onnx.ModelProto:
    """A weightless copy of ``model`` with its inputs fixed to ``input_shapes``, shape-inferred."""
    graph = model.graph
    shapes = dict(input_shapes or {})
    init_names = {t.name for t in graph.initializer}
    unknown = set(shapes) - {i.name for i in graph.input}
    if unknown:
        raise ValueError(f"input_shapes names no input of the model: {', '.join(sorted(unknown))}")

    inputs = []
    for inp in graph.input:
        if inp.name in init_names:  # old-style graphs list initializers as inputs too
            continue
        fixed = onnx.ValueInfoProto()
        fixed.CopyFrom(inp)
        dims = fixed.type.tensor_type.shape.dim
        if inp.name in shapes:
            if len(shapes[inp.name]) != len(dims):
                raise ValueError(f"input {inp.name!r} has rank {len(dims)}: {shapes[inp.name]}")
            for dim, value in zip(dims, shapes[inp.name], strict=True):
                dim.Clear()
                dim.dim_value = int(value)
        elif any(not d.HasField("dim_value") for d in dims):
            raise ValueError(f"input {inp.name!r} has dynamic dims: give its shape in input_shapes")
        inputs.append(fixed)

    kept = []
    for t in graph.initializer:
        if math.prod(t.dims) <= _KEEP_FOR_INFERENCE:  # may be a shape, axes or scales operand
            kept.append(t)
        else:  # big weights: declare as typed inputs, no data
            inputs.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
    light = helper.make_graph(graph.node, graph.name, inputs, graph.output, kept)
    light_model = helper.make_model(
        light, opset_imports=model.opset_import, ir_version=model.ir_version
    )
    light_model.functions.extend(model.functions)
    return onnx.shape_inference.infer_shapes(light_model, data_prop=True)


def _static_shapes(graph: onnx.GraphProto) -> dict[str, list[int | None]]:
    """Known shapes of every value (None for a dim inference could not fix)."""
    found: dict[str, list[int | None]] = {}
    for info in [*graph.input, *graph.value_info, *graph.output]:
        tensor_type = info.type.tensor_type
        if tensor_type.HasField("shape"):
            found[info.name] = [
                d.dim_value if d.HasField("dim_value") else None for d in tensor_type.shape.dim
            ]
    for name, t in _constants(graph).items():
        found[name] = list(t.dims)
    return found


def count_macs(model: onnx.ModelProto, input_shapes: dict[str, list[int]] | None = None) -> int:
    """Multiply-accumulates of one inference, at ``input_shapes`` for the dynamic inputs.

    Conv: output elements x (Cin / group) x kh x kw; ConvTranspose: input elements x
    (Cout / group) x kh x kw; MatMul and Gemm: output elements x the reduced dim K.
    """
    graph = _shape_inferred(model, input_shapes).graph
    shapes = _static_shapes(graph)

    def shape(name: str, node: onnx.NodeProto) -> list[int]:
        dims = shapes.get(name)
        if dims is None or any(d is None for d in dims):
            raise ValueError(
                f"cannot count MACs: the shape of {name!r} ({node.op_type} node {node.name!r}) "
                "is unknown after shape inference"
            )
        return dims

    total = 0
    for node in graph.node:
        op = node.op_type
        if op == "Conv":  # weight [Cout, Cin/group, kh, kw]
            total += math.prod(shape(node.output[0], node)) * math.prod(
                shape(node.input[1], node)[1:]
            )
        elif op == "ConvTranspose":  # weight [Cin, Cout/group, kh, kw]
            total += math.prod(shape(node.input[0], node)) * math.prod(
                shape(node.input[1], node)[1:]
            )
        elif op == "MatMul":
            a = shape(node.input[0], node)
            total += math.prod(shape(node.output[0], node)) * a[-1]
        elif op == "Gemm":
            a = shape(node.input[0], node)
            trans_a = next((attr.i for attr in node.attribute if attr.name == "transA"), 0)
            total += math.prod(shape(node.output[0], node)) * (a[0] if trans_a else a[1])
    return total
