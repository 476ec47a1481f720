"""The ONNX graphs the installer wrote compute what the original models compute.

NanoDet is checked against values TensorFlow.js itself produced from the original graph
(fixtures/record_nanodet_reference.js), EfficientNet-Lite0 against logits PyTorch produced with
the model code its weights were published for (fixtures/record_efficientnet_reference.py).
EfficientNet is also checked against an independent numpy forward pass over the raw state dict
(unfolded batch norm, lukemelas's padding rule written out), on a random input.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from processing.recognition.models.efficientnet_onnx import BATCH_NORM_EPS, STAGES
from processing.recognition.models.install import EFFICIENTNET_PACKAGE, EFFICIENTNET_WEIGHTS
from processing.recognition.models.manifest import CLASSIFIER, DETECTOR, read_manifest
from processing.recognition.models.torch_pickle import load_state_dict

FIXTURES = Path(__file__).parent / "fixtures"


def _session(models_dir: Path, name: str) -> onnxruntime.InferenceSession:
    path = models_dir / read_manifest(models_dir)[name].file
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_nanodet_matches_tensorflow_js(models_dir: Path) -> None:
    reference = json.loads((FIXTURES / "nanodet_tfjs_reference.json").read_text())
    i = np.arange(3 * 416 * 416, dtype=np.float64)  # the recorded input, 2sin(0.001i)+cos(0.37i)
    image = (2 * np.sin(0.001 * i) + np.cos(0.37 * i)).astype(np.float32).reshape(1, 3, 416, 416)
    session = _session(models_dir, DETECTOR)
    names = [output.name for output in session.get_outputs()]
    outputs = dict(zip(names, session.run(None, {"input_1": image}), strict=True))
    assert set(outputs) == set(reference["outputs"])
    for name, expected in reference["outputs"].items():
        values = outputs[name]
        assert list(values.shape) == expected["shape"]
        flat = values.ravel()
        for index, value in expected["samples"]:
            assert flat[index] == pytest.approx(value, abs=2e-5), (name, index)
        assert float(values.sum(dtype=np.float64)) == pytest.approx(expected["sum"], abs=1e-2)


def test_efficientnet_matches_pytorch(models_dir: Path) -> None:
    reference = json.loads((FIXTURES / "efficientnet_torch_reference.json").read_text())
    i = np.arange(3 * 224 * 224, dtype=np.float64)  # the recorded input
    image = (np.sin(0.003 * i) + 0.5 * np.cos(0.71 * i)).astype(np.float32).reshape(1, 3, 224, 224)
    (logits,) = _session(models_dir, CLASSIFIER).run(None, {"image": image})
    expected = np.array(reference["logits"])
    assert np.abs(logits[0] - expected).max() < 1e-4
    assert int(logits[0].argmax()) == int(expected.argmax())


def _state_dict() -> dict[str, np.ndarray]:
    spec = importlib.util.find_spec(EFFICIENTNET_PACKAGE)
    assert spec is not None
    assert spec.origin is not None
    return load_state_dict(Path(spec.origin).parent / EFFICIENTNET_WEIGHTS)


def _same_pad(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """Conv2dStaticSamePadding: total pad so that out = ceil(in / stride), the odd pixel after."""
    size = x.shape[-1]
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    before = total // 2
    return np.pad(x, ((0, 0), (before, total - before), (before, total - before)))


def _conv(x: np.ndarray, weight: np.ndarray, stride: int, depthwise: bool) -> np.ndarray:
    kernel = weight.shape[-1]
    x = _same_pad(x, kernel, stride)
    out_size = (x.shape[-1] - kernel) // stride + 1
    windows = np.lib.stride_tricks.sliding_window_view(x, (kernel, kernel), axis=(1, 2))
    windows = windows[:, ::stride, ::stride][:, :out_size, :out_size]  # C, H, W, k, k
    if depthwise:
        return np.einsum("chwij,cij->chw", windows, weight[:, 0])
    return np.einsum("chwij,ocij->ohw", windows, weight)


def _batch_norm(x: np.ndarray, sd: dict[str, np.ndarray], name: str) -> np.ndarray:
    def shaped(key: str) -> np.ndarray:
        return sd[f"{name}.{key}"].reshape(-1, 1, 1).astype(np.float64)

    normalised = (x - shaped("running_mean")) / np.sqrt(shaped("running_var") + BATCH_NORM_EPS)
    return normalised * shaped("weight") + shaped("bias")


def _relu6(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0, 6)


def _reference_logits(sd: dict[str, np.ndarray], image: np.ndarray) -> np.ndarray:
    x = _relu6(_batch_norm(_conv(image, sd["_conv_stem.weight"], 2, False), sd, "_bn0"))
    index, channels = 0, 32
    for stage in STAGES:
        for repeat in range(stage.repeats):
            stride = stage.stride if repeat == 0 else 1
            p = f"_blocks.{index}"
            y = x
            if stage.expand != 1:
                y = _relu6(
                    _batch_norm(_conv(y, sd[f"{p}._expand_conv.weight"], 1, False), sd, f"{p}._bn0")
                )
            y = _relu6(
                _batch_norm(
                    _conv(y, sd[f"{p}._depthwise_conv.weight"], stride, True), sd, f"{p}._bn1"
                )
            )
            y = _batch_norm(_conv(y, sd[f"{p}._project_conv.weight"], 1, False), sd, f"{p}._bn2")
            x = y + x if stride == 1 and channels == stage.out_channels else y
            index, channels = index + 1, stage.out_channels
    x = _relu6(_batch_norm(_conv(x, sd["_conv_head.weight"], 1, False), sd, "_bn1"))
    return sd["_fc.weight"] @ x.mean(axis=(1, 2)) + sd["_fc.bias"]


def test_efficientnet_matches_a_numpy_forward_pass_of_the_weights(models_dir: Path) -> None:
    rng = np.random.default_rng(7)
    image = rng.uniform(-1, 1, size=(3, 224, 224))
    expected = _reference_logits(_state_dict(), image)
    session = _session(models_dir, CLASSIFIER)
    (logits,) = session.run(None, {"image": image[np.newaxis].astype(np.float32)})
    assert logits.shape == (1, 1000)
    assert np.abs(logits[0] - expected).max() < 1e-3
    assert int(logits[0].argmax()) == int(expected.argmax())
