"""Rebuilds a TensorFlow.js graph model (model.json plus its weight shards) as an ONNX graph, so
onnxruntime can run it with no TensorFlow and no Node.

Only the ops NanoDet's export uses are translated; anything else is refused by name, so a new
model fails at install time, not with wrong numbers. Nodes whose inputs are all constants (the
onnx-tf export computes Reshape shapes from Where/SparseToDense/AddV2 over int32 constants) are
folded here with numpy, because ONNX needs those shapes as initializers.

TensorFlow's Conv2D, MaxPool and ResizeBilinear work on NHWC tensors and ONNX's on NCHW, so each
is wrapped in a pair of Transposes. ``simplify`` then cancels them against the export's own (the
onnx-tf export wrapped every op the other way round), and folds the stem's -inf padding into its
MaxPool: onnxruntime's optimizer did both for float32, but not for int8 quantization, which works
on the graph as written and could not quantize a -inf Pad (see models/quantize.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

_NUMPY_DTYPES: dict[str, type[np.generic]] = {
    "float32": np.float32,
    "int32": np.int32,
    "bool": np.bool_,
}
_TF_FLOAT = "DT_FLOAT"
OPSET = 17


class UnsupportedGraph(ValueError):
    """The graph uses an op or an attribute this converter does not translate."""


@dataclass(frozen=True)
class TfjsNode:
    name: str
    op: str
    inputs: list[str]
    attr: dict[str, Any]

    def attr_ints(self, key: str) -> list[int]:
        return [int(i) for i in self.attr[key]["list"].get("i", [])]

    def attr_string(self, key: str) -> str:
        return base64.b64decode(self.attr[key]["s"]).decode()

    def attr_bool(self, key: str, default: bool = False) -> bool:
        return bool(self.attr.get(key, {}).get("b", default))


def read_weights(model_json: dict[str, Any], directory: Path) -> dict[str, np.ndarray]:
    """Decodes the weight shards as TensorFlow.js does: tensors back to back in manifest order,
    float16-quantized ones widened back to float32."""
    weights: dict[str, np.ndarray] = {}
    for group in model_json["weightsManifest"]:
        data = b"".join((directory / path).read_bytes() for path in group["paths"])
        offset = 0
        for spec in group["weights"]:
            shape = [int(d) for d in spec["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quantization = spec.get("quantization")
            if quantization:
                if quantization["dtype"] != "float16":
                    raise UnsupportedGraph(
                        f"{quantization['dtype']} quantization of {spec['name']}"
                    )
                stored: type[np.generic] = np.float16
            else:
                stored = _NUMPY_DTYPES[spec["dtype"]]
            size = count * np.dtype(stored).itemsize
            raw = np.frombuffer(data, dtype=stored, count=count, offset=offset)
            weights[spec["name"]] = raw.astype(_NUMPY_DTYPES[spec["dtype"]]).reshape(shape)
            offset += size
        if offset != len(data):
            raise UnsupportedGraph(f"weights use {offset} of {len(data)} bytes")
    return weights


def _split_ref(ref: str) -> tuple[str, int]:
    name, _, index = ref.partition(":")
    return name, int(index or 0)


class _Builder:
    """Walks the nodes in order, keeping for each output either a folded numpy value or the name
    of an ONNX value."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.constants: dict[str, np.ndarray] = {}
        self.values: dict[str, str] = {}
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._counter = 0

    def fresh(self, hint: str) -> str:
        self._counter += 1
        return f"{hint}__{self._counter}"

    def key(self, ref: str) -> str:
        name, index = _split_ref(ref)
        return f"{name}:{index}"

    def is_constant(self, ref: str) -> bool:
        return self.key(ref) in self.constants

    def constant(self, ref: str) -> np.ndarray:
        try:
            return self.constants[self.key(ref)]
        except KeyError:
            raise UnsupportedGraph(f"{ref} must be a constant") from None

    def value(self, ref: str) -> str:
        """The ONNX name for a tensor, materialising a folded constant as an initializer."""
        key = self.key(ref)
        if key in self.values:
            return self.values[key]
        array = self.constant(ref)
        name = self.fresh(key.replace(":", "_"))
        self.initializers.append(numpy_helper.from_array(array, name))
        self.values[key] = name
        return name

    def emit(self, op: str, inputs: list[str], hint: str, **attrs: Any) -> str:
        output = self.fresh(hint)
        self.nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    def initializer(self, array: np.ndarray, hint: str) -> str:
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def nhwc_to_nchw(self, value: str, hint: str) -> str:
        return self.emit("Transpose", [value], hint, perm=[0, 3, 1, 2])

    def nchw_to_nhwc(self, value: str, hint: str) -> str:
        return self.emit("Transpose", [value], hint, perm=[0, 2, 3, 1])


def _nhwc(node: TfjsNode) -> None:
    if node.attr_string("data_format") != "NHWC" or node.attr_string("padding") != "VALID":
        raise UnsupportedGraph(f"{node.name}: only NHWC with VALID padding is translated")


def _conv2d(b: _Builder, node: TfjsNode) -> str:
    _nhwc(node)
    strides, dilations = node.attr_ints("strides"), node.attr_ints("dilations")
    kernel = b.constant(node.inputs[1])  # HWIO
    x = b.nhwc_to_nchw(b.value(node.inputs[0]), node.name)
    weight = b.initializer(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)), f"{node.name}_w")
    y = b.emit(
        "Conv",
        [x, weight],
        node.name,
        kernel_shape=list(kernel.shape[:2]),
        strides=strides[1:3],
        dilations=dilations[1:3],
    )
    return b.nchw_to_nhwc(y, node.name)


def _max_pool(b: _Builder, node: TfjsNode) -> str:
    _nhwc(node)
    x = b.nhwc_to_nchw(b.value(node.inputs[0]), node.name)
    y = b.emit(
        "MaxPool",
        [x],
        node.name,
        kernel_shape=node.attr_ints("ksize")[1:3],
        strides=node.attr_ints("strides")[1:3],
    )
    return b.nchw_to_nhwc(y, node.name)


def _resize_bilinear(b: _Builder, node: TfjsNode) -> str:
    if not node.attr_bool("half_pixel_centers") or node.attr_bool("align_corners"):
        raise UnsupportedGraph(f"{node.name}: only half-pixel-centre resizing is translated")
    height, width = (int(v) for v in b.constant(node.inputs[1]))
    x = b.nhwc_to_nchw(b.value(node.inputs[0]), node.name)
    size = b.emit("Shape", [x], f"{node.name}_shape", end=2)
    target = b.initializer(np.array([height, width], dtype=np.int64), f"{node.name}_hw")
    sizes = b.emit("Concat", [size, target], f"{node.name}_sizes", axis=0)
    y = b.emit(
        "Resize",
        [x, "", "", sizes],
        node.name,
        mode="linear",
        coordinate_transformation_mode="half_pixel",
    )
    return b.nchw_to_nhwc(y, node.name)


def _pad(b: _Builder, node: TfjsNode) -> str:
    paddings = b.constant(node.inputs[1]).astype(np.int64)
    pads = b.initializer(np.concatenate([paddings[:, 0], paddings[:, 1]]), f"{node.name}_pads")
    inputs = [b.value(node.inputs[0]), pads]
    if node.op == "PadV2":
        fill = b.constant(node.inputs[2]).astype(np.float32).reshape(())
        inputs.append(b.initializer(fill, f"{node.name}_fill"))
    return b.emit("Pad", inputs, node.name, mode="constant")


def _transpose(b: _Builder, node: TfjsNode) -> str:
    perm = [int(p) for p in b.constant(node.inputs[1])]
    return b.emit("Transpose", [b.value(node.inputs[0])], node.name, perm=perm)


def _concat(b: _Builder, node: TfjsNode) -> str:
    axis = int(b.constant(node.inputs[-1]))
    return b.emit("Concat", [b.value(ref) for ref in node.inputs[:-1]], node.name, axis=axis)


def _reshape(b: _Builder, node: TfjsNode) -> str:
    shape = b.initializer(b.constant(node.inputs[1]).astype(np.int64), f"{node.name}_shape")
    return b.emit("Reshape", [b.value(node.inputs[0]), shape], node.name)


def _binary(onnx_op: str) -> Callable[[_Builder, TfjsNode], str]:
    def translate(b: _Builder, node: TfjsNode) -> str:
        return b.emit(onnx_op, [b.value(ref) for ref in node.inputs], node.name)

    return translate


def _unary(onnx_op: str, **attrs: Any) -> Callable[[_Builder, TfjsNode], str]:
    def translate(b: _Builder, node: TfjsNode) -> str:
        extra = {k: (v(node) if callable(v) else v) for k, v in attrs.items()}
        return b.emit(onnx_op, [b.value(node.inputs[0])], node.name, **extra)

    return translate


_TRANSLATIONS: dict[str, Callable[[_Builder, TfjsNode], str]] = {
    "Conv2D": _conv2d,
    "MaxPool": _max_pool,
    "ResizeBilinear": _resize_bilinear,
    "Pad": _pad,
    "PadV2": _pad,
    "Transpose": _transpose,
    "ConcatV2": _concat,
    "Reshape": _reshape,
    "Add": _binary("Add"),
    "AddV2": _binary("Add"),
    "LeakyRelu": _unary("LeakyRelu", alpha=lambda n: float(n.attr["alpha"]["f"])),
    "Sigmoid": _unary("Sigmoid"),
    "Identity": _unary("Identity"),
}


def _fold(node: TfjsNode, args: list[np.ndarray]) -> np.ndarray:
    """numpy semantics of the few ops the export evaluates on constants alone."""
    if node.op in ("Add", "AddV2"):
        return np.asarray(args[0] + args[1])
    if node.op == "SparseToDense":
        indices, shape, values, default = args
        dense = np.full(shape.astype(np.int64), default, dtype=default.dtype)
        rows = indices.reshape(len(indices), dense.ndim)
        for index, value in zip(rows, np.broadcast_to(values, len(rows)), strict=True):
            dense[tuple(index)] = value
        return dense
    if node.op == "Identity":
        return args[0]
    raise UnsupportedGraph(f"{node.name}: cannot fold {node.op}")


def _split(b: _Builder, node: TfjsNode) -> list[str]:
    sizes = b.initializer(b.constant(node.inputs[1]).astype(np.int64), f"{node.name}_sizes")
    axis = int(b.constant(node.inputs[2]))
    count = int(node.attr["num_split"]["i"])
    outputs = [b.fresh(f"{node.name}_{i}") for i in range(count)]
    b.nodes.append(helper.make_node("Split", [b.value(node.inputs[0]), sizes], outputs, axis=axis))
    return outputs


def convert(model_json_path: Path) -> onnx.ModelProto:
    """The ONNX model equivalent to a TensorFlow.js graph model, with the graph's signature
    names for inputs and outputs (without the ':0')."""
    model_json = json.loads(model_json_path.read_text())
    weights = read_weights(model_json, model_json_path.parent)
    builder = _Builder(weights)
    graph_inputs = []
    for raw in model_json["modelTopology"]["node"]:
        node = TfjsNode(raw["name"], raw["op"], list(raw.get("input", [])), raw.get("attr", {}))
        if node.op == "Const":
            builder.constants[f"{node.name}:0"] = weights[node.name]
        elif node.op == "Placeholder":
            dims = [int(d["size"]) for d in node.attr["shape"]["shape"]["dim"]]
            graph_inputs.append(helper.make_tensor_value_info(node.name, TensorProto.FLOAT, dims))
            builder.values[f"{node.name}:0"] = node.name
        elif all(builder.is_constant(ref) for ref in node.inputs):
            args = [builder.constant(ref) for ref in node.inputs]
            builder.constants[f"{node.name}:0"] = _fold(node, args)
        elif node.op == "SplitV":
            for index, output in enumerate(_split(builder, node)):
                builder.values[f"{node.name}:{index}"] = output
        elif node.op in _TRANSLATIONS:
            builder.values[f"{node.name}:0"] = _TRANSLATIONS[node.op](builder, node)
        else:
            raise UnsupportedGraph(f"{node.name}: op {node.op} is not translated")

    graph_outputs = []
    for signature in sorted(model_json["signature"]["outputs"].values(), key=lambda s: s["name"]):
        name = signature["name"].split(":")[0]
        if signature["dtype"] != _TF_FLOAT:
            raise UnsupportedGraph(f"output {name} is {signature['dtype']}")
        dims = [int(d["size"]) for d in signature["tensorShape"]["dim"]]
        builder.nodes.append(
            helper.make_node("Identity", [builder.value(signature["name"])], [name])
        )
        graph_outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, dims))

    graph = helper.make_graph(
        builder.nodes, "tfjs", graph_inputs, graph_outputs, initializer=builder.initializers
    )
    simplify(graph)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.producer_name = "photoshare.tfjs_onnx"
    onnx.checker.check_model(model, full_check=True)
    return model


def simplify(graph: onnx.GraphProto) -> None:
    """In place: cancels each Transpose that undoes the one before it, then folds a constant Pad
    with -inf into the MaxPool after it (MaxPool's own pads are never the maximum: the same)."""
    _cancel_transpose_pairs(graph)
    _fold_pad_into_max_pool(graph)
    _drop_unused(graph)


def _attribute(node: onnx.NodeProto, name: str) -> Any:
    return next((helper.get_attribute_value(a) for a in node.attribute if a.name == name), None)


def _producers(graph: onnx.GraphProto) -> dict[str, onnx.NodeProto]:
    return {output: node for node in graph.node for output in node.output}


def _rename_input(graph: onnx.GraphProto, old: str, new: str) -> None:
    for node in graph.node:
        for index, name in enumerate(node.input):
            if name == old:
                node.input[index] = new


def _cancel_transpose_pairs(graph: onnx.GraphProto) -> None:
    outputs = {o.name for o in graph.output}
    changed = True
    while changed:
        changed = False
        producers = _producers(graph)
        for node in graph.node:
            first = producers.get(node.input[0]) if node.op_type == "Transpose" else None
            if first is None or first.op_type != "Transpose" or node.output[0] in outputs:
                continue
            inner, outer = list(_attribute(first, "perm")), list(_attribute(node, "perm"))
            if [inner[axis] for axis in outer] == list(range(len(outer))):
                _rename_input(graph, node.output[0], first.input[0])
                changed = True
        _drop_unused(graph)


def _fold_pad_into_max_pool(graph: onnx.GraphProto) -> None:
    producers = _producers(graph)
    initializers = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    uses: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            uses[name] = uses.get(name, 0) + 1
    for node in graph.node:
        pad = producers.get(node.input[0]) if node.op_type == "MaxPool" else None
        if pad is None or pad.op_type != "Pad" or uses[pad.output[0]] != 1 or len(pad.input) < 3:
            continue
        fill, pads = initializers.get(pad.input[2]), initializers.get(pad.input[1])
        if fill is None or pads is None or not np.all(np.isneginf(fill)):
            continue
        rank = len(pads) // 2
        if any(pads[:2]) or any(pads[rank : rank + 2]) or _attribute(node, "pads") is not None:
            continue  # padding of the batch or channel axes, or pads of its own
        node.attribute.append(
            helper.make_attribute("pads", [int(p) for p in (*pads[2:rank], *pads[rank + 2 :])])
        )
        node.input[0] = pad.input[0]


def _drop_unused(graph: onnx.GraphProto) -> None:
    """Removes nodes whose outputs nothing reads, then initializers nothing reads."""
    while True:
        needed = {o.name for o in graph.output}
        for node in graph.node:
            needed.update(node.input)
        dead = [node for node in graph.node if not needed.intersection(node.output)]
        if not dead:
            break
        for node in dead:
            graph.node.remove(node)
    needed = {name for node in graph.node for name in node.input}
    kept = [i for i in graph.initializer if i.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(kept)
