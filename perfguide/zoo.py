"""The model zoo: real-shaped networks built in code, never downloaded.

Each recipe writes an ONNX graph with the layer structure and size of a well-known model
(YOLOv5n, ResNet-50, MobileNetV2, BERT-base) and deterministic random weights, so that code
examples and benchmarks run on realistic workloads without any network access. The weights
are He-normal (or BERT's N(0, 0.02)) from a fixed seed: the outputs are finite but meaningless.

Built models are cached as ``<cache>/<name>-<hash12>/model.{onnx,xml,bin}``, where the hash
covers this file's source, the recipe's name and version, and the ONNX opset: editing a recipe
rebuilds it, anything else reuses it. The IR keeps f32 weights, so IR and ONNX agree numerically.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
import openvino as ov
from onnx import TensorProto, helper, numpy_helper
from openvino.frontend import FrontEndManager

from perfguide import REPO_ROOT
from perfguide.errors import UsageError
from perfguide.flops import count_macs, count_params

OPSET = 17  # first opset with LayerNormalization
ONNX_IR_VERSION = 8  # the IR version that goes with opset 17
# Symbolic dims of the recipes' inputs, and the values their published MACs are quoted at.
REFERENCE_DIMS = {"batch": 1, "sequence": 128}


@dataclass(frozen=True)
class TensorSpec:
    """A model input or output: its name, shape (str for a dynamic dim) and numpy dtype."""

    name: str
    shape: tuple[int | str, ...]
    dtype: str = "float32"

    def concrete(self, dims: dict[str, int] | None = None) -> list[int]:
        """The shape with each symbolic dim replaced (by REFERENCE_DIMS unless given)."""
        dims = {**REFERENCE_DIMS, **(dims or {})}
        return [d if isinstance(d, int) else dims[d] for d in self.shape]


@dataclass(frozen=True)
class Recipe:
    """How to build one zoo model, and the figures published for the model it imitates."""

    name: str
    description: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    published_params: int
    published_macs: int
    macs_note: str  # what the MAC figure counts and at which input
    source: str  # where the published figures come from
    make: Callable[[], onnx.ModelProto] = field(repr=False)
    version: int = 1  # bump to force a rebuild without editing code

    @property
    def reference_shapes(self) -> dict[str, list[int]]:
        """Input shapes the published MACs are quoted at (REFERENCE_DIMS for dynamic dims)."""
        return {spec.name: spec.concrete() for spec in self.inputs}

    def build(self, out_path: str | os.PathLike) -> Path:
        """Write this recipe's ONNX model to ``out_path`` (byte-identical on every call)."""
        model = self.make()
        onnx.checker.check_model(model)
        out = Path(out_path)
        onnx.save_model(model, out)
        return out


# --------------------------------------------------------------------------------------------
# Graph building


class _Graph:
    """Accumulates ONNX nodes and seeded initializers; every value is named after its node."""

    def __init__(self, name: str, seed: int):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[TensorProto] = []
        self._consts: dict[str, str] = {}

    def op(self, op_type: str, inputs: list[str], name: str, **attrs) -> str:
        """Add one single-output node called ``name``; its output is also called ``name``."""
        self.nodes.append(helper.make_node(op_type, inputs, [name], name=name, **attrs))
        return name

    def const(self, name: str, value) -> str:
        """A constant initializer (not trainable: decode grids, shapes, scalars), added once."""
        if name not in self._consts:
            self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
            self._consts[name] = name
        return name

    def weight(self, name: str, shape: tuple[int, ...], std: float) -> str:
        """A trainable f32 initializer drawn from N(0, std) with this graph's generator."""
        value = self.rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def filled(self, name: str, shape: tuple[int, ...], value: float) -> str:
        """A trainable f32 initializer with one value everywhere (e.g. LayerNorm's gamma = 1)."""
        self.initializers.append(numpy_helper.from_array(np.full(shape, value, np.float32), name))
        return name

    def act(self, kind: str | None, x: str, name: str) -> str:
        """Apply an activation: None, "relu", "relu6" (Clip 0..6) or "silu" (x * sigmoid(x))."""
        if kind is None:
            return x
        if kind == "relu":
            return self.op("Relu", [x], f"{name}.relu")
        if kind == "relu6":
            lo, hi = self.const("const.zero", np.float32(0)), self.const("const.six", np.float32(6))
            return self.op("Clip", [x, lo, hi], f"{name}.relu6")
        if kind == "silu":
            return self.op("Mul", [x, self.op("Sigmoid", [x], f"{name}.sigmoid")], f"{name}.silu")
        raise ValueError(f"unknown activation {kind!r}")

    def conv(
        self,
        name: str,
        x: str,
        cin: int,
        cout: int,
        k: int,
        stride: int = 1,
        pad: int | None = None,
        groups: int = 1,
        act: str | None = None,
        gain: float = 1.0,
    ) -> str:
        """Conv2d with bias (a batch norm folded into it) and an optional activation.

        Weights are He-normal times ``gain``; a gain below 1 on the last conv of a residual
        branch plays the part of a trained BN's small gamma and keeps activations moderate.
        """
        pad = k // 2 if pad is None else pad
        fan_in = cin // groups * k * k
        w = self.weight(f"{name}.weight", (cout, cin // groups, k, k), gain * math.sqrt(2 / fan_in))
        b = self.weight(f"{name}.bias", (cout,), 0.01)
        y = self.op(
            "Conv",
            [x, w, b],
            name,
            kernel_shape=[k, k],
            strides=[stride, stride],
            pads=[pad] * 4,
            group=groups,
        )
        return self.act(act, y, name)

    def gemm(self, name: str, x: str, cin: int, cout: int) -> str:
        """A classifier head, torch-style: y = x @ W.T + b with W of shape [cout, cin]."""
        w = self.weight(f"{name}.weight", (cout, cin), math.sqrt(1 / cin))
        b = self.weight(f"{name}.bias", (cout,), 0.01)
        return self.op("Gemm", [x, w, b], name, transB=1)

    def linear(self, name: str, x: str, cin: int, cout: int, std: float) -> str:
        """A dense layer on a [..., cin] tensor, transformer-style: MatMul then Add bias."""
        w = self.weight(f"{name}.weight", (cin, cout), std)
        b = self.weight(f"{name}.bias", (cout,), std)
        return self.op("Add", [self.op("MatMul", [x, w], f"{name}.matmul"), b], name)

    def model(
        self, inputs: tuple[TensorSpec, ...], outputs: tuple[TensorSpec, ...]
    ) -> onnx.ModelProto:
        """Wrap the nodes into an opset-17 model with these typed graph inputs and outputs."""

        def info(spec: TensorSpec) -> onnx.ValueInfoProto:
            elem = helper.np_dtype_to_tensor_dtype(np.dtype(spec.dtype))
            return helper.make_tensor_value_info(spec.name, elem, list(spec.shape))

        graph = helper.make_graph(
            self.nodes,
            self.name,
            [info(s) for s in inputs],
            [info(s) for s in outputs],
            self.initializers,
        )
        return helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            ir_version=ONNX_IR_VERSION,
            producer_name="perfguide.zoo",
            producer_version="1",
        )


# --------------------------------------------------------------------------------------------
# YOLOv5n (ultralytics v6.x: depth_multiple 0.33, width_multiple 0.25)

YOLO_INPUTS = (TensorSpec("images", (1, 3, 640, 640)),)
YOLO_OUTPUTS = (TensorSpec("output0", (1, 25200, 85)),)
YOLO_CLASSES = 80
YOLO_STRIDES = (8, 16, 32)
# Anchor (w, h) pairs in pixels for P3, P4, P5, from ultralytics' models/yolov5n.yaml.
YOLO_ANCHORS = (
    ((10, 13), (16, 30), (33, 23)),
    ((30, 61), (62, 45), (59, 119)),
    ((116, 90), (156, 198), (373, 326)),
)


def _c3(g: _Graph, name: str, x: str, cin: int, cout: int, n: int, shortcut: bool = True) -> str:
    """CSP bottleneck with 3 convs: cv3(cat(m(cv1(x)), cv2(x))), m = n Bottlenecks."""
    hidden = cout // 2
    y = g.conv(f"{name}.cv1", x, cin, hidden, 1, act="silu")
    for i in range(n):
        b = f"{name}.m.{i}"
        z = g.conv(f"{b}.cv1", y, hidden, hidden, 1, act="silu")
        z = g.conv(f"{b}.cv2", z, hidden, hidden, 3, act="silu", gain=0.5 if shortcut else 1.0)
        y = g.op("Add", [y, z], f"{b}.add") if shortcut else z
    skip = g.conv(f"{name}.cv2", x, cin, hidden, 1, act="silu")
    cat = g.op("Concat", [y, skip], f"{name}.cat", axis=1)
    return g.conv(f"{name}.cv3", cat, 2 * hidden, cout, 1, act="silu")


def _sppf(g: _Graph, name: str, x: str, cin: int, cout: int, k: int = 5) -> str:
    """Spatial pyramid pooling (fast): three chained k x k max-pools, concatenated."""
    hidden = cin // 2
    y = [g.conv(f"{name}.cv1", x, cin, hidden, 1, act="silu")]
    for i in range(3):
        pool = dict(kernel_shape=[k, k], strides=[1, 1], pads=[k // 2] * 4)
        y.append(g.op("MaxPool", [y[-1]], f"{name}.m.{i}", **pool))
    cat = g.op("Concat", y, f"{name}.cat", axis=1)
    return g.conv(f"{name}.cv2", cat, 4 * hidden, cout, 1, act="silu")


def _upsample(g: _Graph, name: str, x: str) -> str:
    """nn.Upsample(scale_factor=2, mode="nearest") as torch exports it."""
    scales = g.const("const.upsample_scales", np.array([1, 1, 2, 2], np.float32))
    return g.op(
        "Resize",
        [x, "", scales],
        name,
        mode="nearest",
        coordinate_transformation_mode="asymmetric",
        nearest_mode="floor",
    )


def _detect(g: _Graph, feats: list[tuple[str, int]], size: int) -> str:
    """Detect head plus the export-mode decode to [1, anchors * cells, 85] boxes.

    Per level: 1x1 conv to 3 x 85, view [1, 3, 85, ny, nx] -> [1, 3, ny, nx, 85], sigmoid,
    xy = (2 * s + grid - 0.5) * stride, wh = (2 * s)^2 * anchor, then flatten and concatenate.
    """
    no, na = YOLO_CLASSES + 5, len(YOLO_ANCHORS[0])
    split = g.const("const.detect_split", np.array([2, 2, no - 4], np.int64))
    two = g.const("const.two", np.float32(2))
    rows = []
    for i, ((x, ch), stride, anchors) in enumerate(
        zip(feats, YOLO_STRIDES, YOLO_ANCHORS, strict=True)
    ):
        ny = nx = size // stride
        name = f"model.24.m.{i}"
        y = g.conv(name, x, ch, na * no, 1, pad=0)  # plain Conv2d with bias: no BN, no act
        view = g.const(f"const.{name}.view", np.array([1, na, no, ny, nx], np.int64))
        y = g.op("Reshape", [y, view], f"{name}.view")
        y = g.op("Transpose", [y], f"{name}.permute", perm=[0, 1, 3, 4, 2])
        y = g.op("Sigmoid", [y], f"{name}.sigmoid")
        xy, wh, conf = f"{name}.xy", f"{name}.wh", f"{name}.conf"
        g.nodes.append(
            helper.make_node("Split", [y, split], [xy, wh, conf], f"{name}.split", axis=4)
        )
        yv, xv = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
        grid = np.stack((xv, yv), -1).reshape(1, 1, ny, nx, 2).astype(np.float32) - 0.5
        grid = g.const(f"const.{name}.grid", grid)
        anchor = np.array(anchors, np.float32).reshape(1, na, 1, 1, 2)
        anchor = g.const(f"const.{name}.anchor_grid", anchor)
        st = g.const(f"const.{name}.stride", np.float32(stride))
        xy = g.op(
            "Mul",
            [g.op("Add", [g.op("Mul", [xy, two], f"{xy}.x2"), grid], f"{xy}.grid"), st],
            f"{xy}.px",
        )
        wh2 = g.op("Mul", [wh, two], f"{wh}.x2")
        wh = g.op("Mul", [g.op("Mul", [wh2, wh2], f"{wh}.sq"), anchor], f"{wh}.px")
        y = g.op("Concat", [xy, wh, conf], f"{name}.decoded", axis=4)
        flat = g.const(f"const.{name}.flat", np.array([1, na * ny * nx, no], np.int64))
        rows.append(g.op("Reshape", [y, flat], f"{name}.flat"))
    return g.op("Concat", rows, YOLO_OUTPUTS[0].name, axis=1)


def _yolov5n() -> onnx.ModelProto:
    g = _Graph("yolov5n", seed=5)
    size = YOLO_INPUTS[0].shape[-1]
    x = g.conv("model.0", YOLO_INPUTS[0].name, 3, 16, 6, stride=2, pad=2, act="silu")  # P1/2
    x = g.conv("model.1", x, 16, 32, 3, stride=2, act="silu")  # P2/4
    x = _c3(g, "model.2", x, 32, 32, n=1)
    x = g.conv("model.3", x, 32, 64, 3, stride=2, act="silu")  # P3/8
    p3 = _c3(g, "model.4", x, 64, 64, n=2)
    x = g.conv("model.5", p3, 64, 128, 3, stride=2, act="silu")  # P4/16
    p4 = _c3(g, "model.6", x, 128, 128, n=3)
    x = g.conv("model.7", p4, 128, 256, 3, stride=2, act="silu")  # P5/32
    x = _c3(g, "model.8", x, 256, 256, n=1)
    x = _sppf(g, "model.9", x, 256, 256)
    # PAN head: top-down with nearest upsampling, then bottom-up with strided convs.
    h10 = g.conv("model.10", x, 256, 128, 1, act="silu")
    x = g.op("Concat", [_upsample(g, "model.11", h10), p4], "model.12", axis=1)
    x = _c3(g, "model.13", x, 256, 128, n=1, shortcut=False)
    h14 = g.conv("model.14", x, 128, 64, 1, act="silu")
    x = g.op("Concat", [_upsample(g, "model.15", h14), p3], "model.16", axis=1)
    out3 = _c3(g, "model.17", x, 128, 64, n=1, shortcut=False)  # P3/8 out
    x = g.conv("model.18", out3, 64, 64, 3, stride=2, act="silu")
    x = g.op("Concat", [x, h14], "model.19", axis=1)
    out4 = _c3(g, "model.20", x, 128, 128, n=1, shortcut=False)  # P4/16 out
    x = g.conv("model.21", out4, 128, 128, 3, stride=2, act="silu")
    x = g.op("Concat", [x, h10], "model.22", axis=1)
    out5 = _c3(g, "model.23", x, 256, 256, n=1, shortcut=False)  # P5/32 out
    _detect(g, [(out3, 64), (out4, 128), (out5, 256)], size)
    return g.model(YOLO_INPUTS, YOLO_OUTPUTS)


# --------------------------------------------------------------------------------------------
# Image classifiers

IMAGE_INPUTS = (TensorSpec("input", (1, 3, 224, 224)),)
LOGITS = (TensorSpec("logits", (1, 1000)),)


def _classifier_head(g: _Graph, x: str, channels: int) -> str:
    pooled = g.op("GlobalAveragePool", [x], "avgpool")
    flat = g.op("Flatten", [pooled], "flatten", axis=1)
    return g.op("Identity", [g.gemm("fc", flat, channels, 1000)], LOGITS[0].name)


# ResNet-50 stages: bottleneck blocks and bottleneck width (the output is 4 x the width).
RESNET50_STAGES = ((3, 64), (4, 128), (6, 256), (3, 512))


def _resnet50() -> onnx.ModelProto:
    """ResNet-50 v1.5 (torchvision): the stride of a downsampling block is on its 3x3 conv."""
    g = _Graph("resnet50", seed=50)
    x = g.conv("conv1", IMAGE_INPUTS[0].name, 3, 64, 7, stride=2, act="relu")
    x = g.op("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1] * 4)
    cin = 64
    for stage, (blocks, width) in enumerate(RESNET50_STAGES, start=1):
        for b in range(blocks):
            name, stride, cout = f"layer{stage}.{b}", (2 if b == 0 and stage > 1 else 1), width * 4
            y = g.conv(f"{name}.conv1", x, cin, width, 1, act="relu")
            y = g.conv(f"{name}.conv2", y, width, width, 3, stride=stride, act="relu")
            y = g.conv(f"{name}.conv3", y, width, cout, 1, gain=0.2)
            if b == 0:
                x = g.conv(f"{name}.downsample", x, cin, cout, 1, stride=stride, pad=0)
            x = g.act("relu", g.op("Add", [x, y], f"{name}.add"), name)
            cin = cout
    _classifier_head(g, x, cin)
    return g.model(IMAGE_INPUTS, LOGITS)


# MobileNetV2 inverted-residual settings: expansion t, output channels c, repeats n, stride s.
MOBILENET_V2_SETTINGS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def _mobilenet_v2() -> onnx.ModelProto:
    """MobileNetV2 1.0 (torchvision layout): ReLU6 everywhere except the linear bottlenecks."""
    g = _Graph("mobilenet_v2", seed=2)
    x = g.conv("features.0", IMAGE_INPUTS[0].name, 3, 32, 3, stride=2, act="relu6")
    cin, index = 32, 1
    for t, c, n, s in MOBILENET_V2_SETTINGS:
        for i in range(n):
            name, stride, hidden = f"features.{index}", (s if i == 0 else 1), cin * t
            y = g.conv(f"{name}.expand", x, cin, hidden, 1, act="relu6") if t != 1 else x
            y = g.conv(
                f"{name}.dw", y, hidden, hidden, 3, stride=stride, groups=hidden, act="relu6"
            )
            residual = stride == 1 and cin == c
            y = g.conv(f"{name}.project", y, hidden, c, 1, gain=0.5 if residual else 1.0)
            x = g.op("Add", [x, y], f"{name}.add") if residual else y
            cin, index = c, index + 1
    x = g.conv(f"features.{index}", x, cin, 1280, 1, act="relu6")
    _classifier_head(g, x, 1280)
    return g.model(IMAGE_INPUTS, LOGITS)


# --------------------------------------------------------------------------------------------
# BERT-base-uncased

BERT = dict(vocab=30522, hidden=768, layers=12, heads=12, intermediate=3072, positions=512)
BERT_INPUTS = tuple(
    TensorSpec(n, ("batch", "sequence"), "int64")
    for n in ("input_ids", "attention_mask", "token_type_ids")
)
BERT_OUTPUTS = (
    TensorSpec("last_hidden_state", ("batch", "sequence", BERT["hidden"])),
    TensorSpec("pooler_output", ("batch", BERT["hidden"])),
)


def _bert_base() -> onnx.ModelProto:
    """BERT-base encoder as HF exports it: post-LN, erf GELU, additive -10000 attention mask."""
    g = _Graph("bert_base", seed=768)
    hidden, heads, inter = BERT["hidden"], BERT["heads"], BERT["intermediate"]
    head_dim, std = hidden // heads, 0.02  # BERT's initializer_range

    def layer_norm(name: str, x: str) -> str:
        gamma = g.filled(f"{name}.weight", (hidden,), 1.0)
        beta = g.filled(f"{name}.bias", (hidden,), 0.0)
        return g.op("LayerNormalization", [x, gamma, beta], name, axis=-1, epsilon=1e-12)

    # Embeddings: word + position + token type. Position ids [1, sequence] come from Range,
    # whose leading 1 lets ONNX shape inference resolve every shape once the inputs are fixed.
    ids, mask, types = (spec.name for spec in BERT_INPUTS)
    words = g.op(
        "Gather",
        [g.weight("embeddings.word_embeddings.weight", (BERT["vocab"], hidden), std), ids],
        "embeddings.words",
    )
    zero, one_i = g.const("const.int_0", np.int64(0)), g.const("const.int_1", np.int64(1))
    shape = g.op("Shape", [ids], "embeddings.shape")
    seq_len = g.op("Gather", [shape, one_i], "embeddings.seq_len", axis=0)
    arange = g.op("Range", [zero, seq_len, one_i], "embeddings.arange")
    position_ids = g.op(
        "Unsqueeze", [arange, g.const("const.axes_0", np.array([0]))], "embeddings.position_ids"
    )
    table = g.weight("embeddings.position_embeddings.weight", (BERT["positions"], hidden), std)
    positions = g.op("Gather", [table, position_ids], "embeddings.positions")
    type_table = g.weight("embeddings.token_type_embeddings.weight", (2, hidden), std)
    token_types = g.op("Gather", [type_table, types], "embeddings.token_types")
    x = g.op(
        "Add", [g.op("Add", [words, positions], "embeddings.sum1"), token_types], "embeddings.sum2"
    )
    x = layer_norm("embeddings.LayerNorm", x)

    # Additive mask [batch, 1, 1, sequence]: 0 where attended, -10000 on padding.
    maskf = g.op("Cast", [mask], "extended_mask.float", to=TensorProto.FLOAT)
    one = g.const("const.one", np.float32(1))
    inverted = g.op("Sub", [one, maskf], "extended_mask.inverted")
    neg = g.op(
        "Mul", [inverted, g.const("const.mask_value", np.float32(-10000))], "extended_mask.neg"
    )
    bias = g.op(
        "Unsqueeze", [neg, g.const("const.axes_1_2", np.array([1, 2], np.int64))], "extended_mask"
    )

    split_heads = g.const("const.split_heads", np.array([0, 0, heads, head_dim], np.int64))
    merge_heads = g.const("const.merge_heads", np.array([0, 0, hidden], np.int64))
    scale = g.const("const.attention_scale", np.float32(1 / math.sqrt(head_dim)))
    half = g.const("const.half", np.float32(0.5))
    sqrt2 = g.const("const.sqrt2", np.float32(math.sqrt(2)))

    def heads_of(name: str, x: str, perm: list[int]) -> str:
        """Project [b, s, hidden] and split it into heads, transposed by ``perm``."""
        y = g.linear(name, x, hidden, hidden, std)
        y = g.op("Reshape", [y, split_heads], f"{name}.heads")
        return g.op("Transpose", [y], f"{name}.t", perm=perm)

    for i in range(BERT["layers"]):
        p = f"encoder.layer.{i}"
        q = heads_of(f"{p}.attention.self.query", x, [0, 2, 1, 3])  # [b, h, s, d]
        k = heads_of(f"{p}.attention.self.key", x, [0, 2, 3, 1])  # [b, h, d, s]
        v = heads_of(f"{p}.attention.self.value", x, [0, 2, 1, 3])  # [b, h, s, d]
        scores = g.op("MatMul", [q, k], f"{p}.attention.scores")
        scores = g.op("Mul", [scores, scale], f"{p}.attention.scaled")
        probs = g.op(
            "Softmax",
            [g.op("Add", [scores, bias], f"{p}.attention.masked")],
            f"{p}.attention.probs",
            axis=-1,
        )
        ctx = g.op("MatMul", [probs, v], f"{p}.attention.context")
        ctx = g.op("Transpose", [ctx], f"{p}.attention.context.t", perm=[0, 2, 1, 3])
        ctx = g.op("Reshape", [ctx, merge_heads], f"{p}.attention.context.merged")
        y = g.linear(f"{p}.attention.output.dense", ctx, hidden, hidden, std)
        x = layer_norm(
            f"{p}.attention.output.LayerNorm", g.op("Add", [y, x], f"{p}.attention.residual")
        )
        # Feed-forward with the exact GELU: 0.5 * h * (1 + erf(h / sqrt(2))).
        h = g.linear(f"{p}.intermediate.dense", x, hidden, inter, std)
        erf = g.op("Erf", [g.op("Div", [h, sqrt2], f"{p}.gelu.div")], f"{p}.gelu.erf")
        erf1 = g.op("Add", [erf, one], f"{p}.gelu.add")
        h = g.op("Mul", [g.op("Mul", [h, half], f"{p}.gelu.half"), erf1], f"{p}.gelu")
        y = g.linear(f"{p}.output.dense", h, inter, hidden, std)
        x = layer_norm(f"{p}.output.LayerNorm", g.op("Add", [y, x], f"{p}.output.residual"))
    g.op("Identity", [x], BERT_OUTPUTS[0].name)

    # Pooler: tanh(dense(hidden state of the first token)).
    first = g.op("Gather", [x, zero], "pooler.first_token", axis=1)
    pooled = g.linear("pooler.dense", first, hidden, hidden, std)
    g.op("Tanh", [pooled], BERT_OUTPUTS[1].name)
    return g.model(BERT_INPUTS, BERT_OUTPUTS)


# --------------------------------------------------------------------------------------------
# The recipes

ZOO: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            name="yolov5n",
            description="YOLOv5n v6.x object detector, 640x640, 80 classes, decoded boxes",
            inputs=YOLO_INPUTS,
            outputs=YOLO_OUTPUTS,
            published_params=1_872_157,
            published_macs=2_250_000_000,
            macs_note="4.5 GFLOPs at 640x640 as ultralytics quotes it (FLOPs = 2 x MACs)",
            source="ultralytics/yolov5 v6.0 README and model.info(): 1,872,157 parameters "
            "(with BN; folded BN has fewer), 4.5 GFLOPs",
            make=_yolov5n,
        ),
        Recipe(
            name="resnet50",
            description="ResNet-50 v1.5 image classifier, 224x224, 1000 classes",
            inputs=IMAGE_INPUTS,
            outputs=LOGITS,
            published_params=25_557_032,
            published_macs=4_090_000_000,
            macs_note="convs and classifier at 224x224 (torchvision's 'GFLOPS' are MACs)",
            source="torchvision ResNet50_Weights.IMAGENET1K_V1: 25,557,032 params, 4.09 GFLOPS",
            make=_resnet50,
        ),
        Recipe(
            name="mobilenet",
            description="MobileNetV2 1.0 image classifier, 224x224, 1000 classes",
            inputs=IMAGE_INPUTS,
            outputs=LOGITS,
            published_params=3_504_872,
            published_macs=300_000_000,
            macs_note="multiply-adds at 224x224 (paper: 300 M; torchvision: 0.30 'GFLOPS' = MACs)",
            source="Sandler et al. 2018, MobileNetV2 (Table 4); torchvision "
            "MobileNet_V2_Weights.IMAGENET1K_V1: 3,504,872 params",
            make=_mobilenet_v2,
        ),
        Recipe(
            name="bert-base",
            description="BERT-base-uncased encoder, 12 layers x 768, dynamic batch x sequence",
            inputs=BERT_INPUTS,
            outputs=BERT_OUTPUTS,
            published_params=109_482_240,
            # No MAC figure is published for BERT: this one is derived, at batch 1 x 128 tokens,
            # from 12 layers x (tokens x (4 h^2 + 2 h i) dense + 2 x heads x tokens^2 x 64 for
            # Q.K^T and A.V) plus the pooler's h^2, with h = 768 and i = 3072.
            published_macs=12 * (128 * (4 * 768 * 768 + 2 * 768 * 3072) + 2 * 12 * 128 * 128 * 64)
            + 768 * 768,
            macs_note="derived from the standard formula at batch 1 x 128 tokens: all dense "
            "layers, attention Q.K^T and A.V, pooler (no published figure)",
            source="Devlin et al. 2018; HF bert-base-uncased: 109,482,240 params incl. pooler",
            make=_bert_base,
        ),
    )
}


# --------------------------------------------------------------------------------------------
# Conversion and the cache


# OpenVINO's generated node names, "<OpType>_<counter>" (a folded Reshape keeps its own type
# name); the zoo's ONNX names are dotted, so they never look like this.
_AUTO_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*_\d+")


def convert(onnx_path: str | os.PathLike, xml_path: str | os.PathLike) -> Path:
    """Convert an ONNX file to OpenVINO IR (f32 weights), byte-identical for the same input.

    The converter names the nodes it creates after a process-wide counter (``Transpose_1935``),
    so a second conversion in the same process would differ; those names are renumbered by
    topological position. The IR's rt_info records only the ONNX file's name, not its folder.
    """
    model = ov.convert_model(str(onnx_path))
    for index, op in enumerate(model.get_ordered_ops()):
        if _AUTO_NAME.fullmatch(op.get_friendly_name()):
            op.set_friendly_name(f"{op.get_type_name()}.{index}")
    ov.save_model(model, str(xml_path), compress_to_fp16=False)
    return Path(xml_path)


def cache_dir() -> Path:
    """Where built models live: ``$PERFGUIDE_CACHE``, else ``<repo>/.cache/zoo``."""
    env = os.environ.get("PERFGUIDE_CACHE")
    return Path(env).expanduser() if env else REPO_ROOT / ".cache" / "zoo"


def recipe_key(recipe: Recipe) -> str:
    """12 hex digits that change whenever the recipe could build something different."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(f"\0{recipe.name}\0{recipe.version}\0{OPSET}".encode())
    return digest.hexdigest()[:12]


_FILES = {"onnx": "model.onnx", "ir": "model.xml"}


def get_recipe(name: str) -> Recipe:
    """The recipe of a zoo name; a UsageError listing the zoo for any other name."""
    try:
        return ZOO[name]
    except KeyError:
        raise UsageError(f"unknown zoo model {name!r}; zoo models: {', '.join(ZOO)}") from None


def entry_dir(name: str) -> Path:
    """The cache folder of a zoo model's current recipe (which may not be built yet)."""
    return cache_dir() / f"{name}-{recipe_key(get_recipe(name))}"


def is_cached(name: str) -> bool:
    """Whether the current recipe of a zoo model is built and complete in the cache."""
    final = entry_dir(name)
    return all((final / f).is_file() for f in ("model.onnx", "model.xml", "model.bin"))


def model_path(name: str, fmt: str = "ir") -> Path:
    """The cached ``.xml`` (fmt="ir") or ``.onnx`` (fmt="onnx") of a zoo model, built if needed.

    After a build, the entries of this model's older recipes are deleted.
    """
    recipe = get_recipe(name)
    if fmt not in _FILES:
        raise UsageError(f"unknown model format {fmt!r}; choose one of: {', '.join(_FILES)}")
    final = entry_dir(name)
    if not is_cached(name):

        def build(tmp: Path) -> None:
            recipe.build(tmp / "model.onnx")
            convert(tmp / "model.onnx", tmp / "model.xml")

        build_atomically(final, build, lambda _: is_cached(name))
        prune_stale(name, keep=final)
    return final / _FILES[fmt]


def build_atomically(final: Path, build: Callable[[Path], object],
                     complete: Callable[[Path], bool]) -> Path:
    """Run ``build(tmp)`` in a temporary folder beside ``final`` and rename it into place.

    A reader never sees half a cache entry; if a concurrent builder got there first, its copy
    is kept; an incomplete ``final`` (a killed build of an older version) is replaced.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the cache is shared
    try:
        build(tmp)
        try:
            tmp.rename(final)  # atomic; fails if ``final`` exists
        except OSError:
            if not complete(final):  # not a concurrent build but a damaged entry: replace it
                shutil.rmtree(final, ignore_errors=True)
                tmp.rename(final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def prune_stale(name: str, keep: Path) -> None:
    """Delete the entries of older recipes of ``name`` (bert-base is ~0.8 GB a copy)."""
    stale = re.compile(rf"{re.escape(name)}-[0-9a-f]{{12}}")
    for entry in keep.parent.iterdir():
        if entry != keep and stale.fullmatch(entry.name):
            shutil.rmtree(entry, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Zoo names and users' own files


def _read(core: ov.Core, path: Path) -> ov.Model:
    """``core.read_model`` of a .xml or .onnx file, any failure turned into one clear line.

    The file is first offered to the one frontend its suffix names: left to itself,
    read_model would try every frontend on a file none accepts, and the TensorFlow one logs
    parse errors to stderr on the way.
    """
    framework = "onnx" if path.suffix.lower() == ".onnx" else "ir"
    try:
        frontend = FrontEndManager().load_by_framework(framework)
        if not frontend.supported(str(path)):
            frontend.load(str(path))  # raises, with the frontend's own reason
            raise RuntimeError(f"the {framework} reader does not recognise it")
        return core.read_model(str(path))
    except Exception as exc:  # OpenVINO raises RuntimeError with a multi-line C++ trace
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        reason = lines[-1] if lines else type(exc).__name__
        raise UsageError(f"not an OpenVINO IR or ONNX model: {path} ({reason})") from None


def _user_file(name_or_path: str | os.PathLike) -> Path:
    """Check that a user's path names an existing .xml (with its .bin) or .onnx file."""
    path = Path(name_or_path).expanduser()
    zoo = ", ".join(ZOO)
    if not path.exists():
        if isinstance(name_or_path, str) and not path.suffix and len(path.parts) == 1:
            raise UsageError(
                f"unknown zoo model {name_or_path!r} and no such file; zoo models: {zoo}"
            )
        raise UsageError(f"no such model file: {path}; zoo models: {zoo}")
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give the model's .xml or .onnx file")
    suffix = path.suffix.lower()
    if suffix not in (".xml", ".onnx"):
        raise UsageError(
            f"not an OpenVINO IR or ONNX model: {path} (expected a .xml with its .bin, or a .onnx)"
        )
    if suffix == ".xml" and not path.with_suffix(".bin").is_file():
        raise UsageError(f"IR weights missing: {path.with_suffix('.bin')} must lie beside {path}")
    return path


def resolve_model(name_or_path: str | os.PathLike, fmt: str = "ir") -> Path:
    """A zoo name's cached file, or a user's own model file after checking that it reads.

    A user's ``.xml`` or ``.onnx`` is returned as it is, whatever ``fmt`` (OpenVINO reads ONNX
    directly). Every problem raises a UsageError with one line saying what is wrong.
    """
    if isinstance(name_or_path, str) and name_or_path in ZOO:
        return model_path(name_or_path, fmt)
    path = _user_file(name_or_path)
    _read(ov.Core(), path)
    return path


def read_model(name_or_path: str | os.PathLike, core: ov.Core | None = None) -> ov.Model:
    """Resolve a zoo name or a user's file and read it as an ``ov.Model``."""
    if isinstance(name_or_path, str) and name_or_path in ZOO:
        path = model_path(name_or_path)
    else:
        path = _user_file(name_or_path)  # read once, below, rather than again to validate
    return _read(core or ov.Core(), path)


def describe(name: str) -> dict:
    """A zoo model's counted parameters and MACs (at its reference input) beside the published."""
    recipe = get_recipe(name)
    onnx_path = model_path(name, "onnx")
    model = onnx.load(onnx_path)
    params, macs = count_params(model), count_macs(model, recipe.reference_shapes)
    return {
        "name": name,
        "description": recipe.description,
        "path": str(model_path(name)),
        "onnx_path": str(onnx_path),
        "inputs": {s.name: [*s.shape] for s in recipe.inputs},
        "outputs": {s.name: [*s.shape] for s in recipe.outputs},
        "reference_shapes": recipe.reference_shapes,
        "params": params,
        "macs": macs,
        "published_params": recipe.published_params,
        "published_macs": recipe.published_macs,
        "params_ratio": params / recipe.published_params,
        "macs_ratio": macs / recipe.published_macs,
        "macs_note": recipe.macs_note,
        "source": recipe.source,
        "version": recipe.version,
    }
