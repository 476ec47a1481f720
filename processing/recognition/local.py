"""The local recognizer: NanoDet-g finds COCO objects with boxes, EfficientNet-Lite0 names the
whole picture among ImageNet's classes, and the two are merged into Rekognition-shaped labels.

Merging: every detected class becomes a label with its instances. A classifier class becomes a
label when it refines a detected class (a Malamute where a Dog was found; its parents say Dog) at
a modest probability, or stands on its own (Espresso, Seashore) only when the classifier is
fairly sure, because without a detection to agree with it is the likelier one to be wrong. A
classifier class that is itself a COCO class (Zebra) raises that label's confidence rather than
adding a second one.

Sessions are opened once per process with one intra-op thread: on a 2-core machine, two workers
with one thread each process more photos per second than one worker with two.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from threading import Lock

import onnxruntime
from PIL import Image

from processing.recognition import classifier, detector
from processing.recognition.labels import BoundingBox, Instance, Label, strongest_first
from processing.recognition.models.manifest import (
    CLASSIFIER,
    CLASSIFIER_INT8,
    DETECTOR,
    DETECTOR_INT8,
    read_manifest,
)
from processing.recognition.taxonomy import COCO_CLASSES, coco_label, imagenet_labels

RECOGNIZER = "local"


@dataclass(frozen=True)
class LocalSettings:
    # NanoDet's own demo draws boxes from 0.35; its scores are sigmoid outputs, not percentages.
    detection_threshold: float = 0.35
    nms_iou: float = 0.6
    refinement_threshold: float = 0.25  # a classifier class refining a detected one
    scene_threshold: float = 0.5  # a classifier class on its own
    max_labels: int = 10


class LocalRecognizer:
    # The detector looks at 416 x 416 and the classifier at 224: 640 px keeps the detail they can
    # use and lets a 12 MP JPEG decode at 1/4 scale (60 ms instead of 140 for 1024 px). 512 px
    # would let the 1024 px thumbnail decode at 1/2 scale with no resize (about 8 ms less), but
    # moves borderline scores enough to add a wrong label on the accuracy corpus
    # (docs/models.md).
    image_size = 640

    def __init__(
        self,
        models_dir: Path,
        settings: LocalSettings | None = None,
        *,
        quantized: bool = True,
        image_size: int | None = None,
    ) -> None:
        """Runs the int8 models (models/quantize.py), or with ``quantized=False`` the float32
        ones they were made from (for comparisons)."""
        self.settings = settings or LocalSettings()
        if image_size is not None:
            self.image_size = image_size
        models = read_manifest(models_dir)
        detector_model = models[DETECTOR_INT8 if quantized else DETECTOR]
        classifier_model = models[CLASSIFIER_INT8 if quantized else CLASSIFIER]
        self.detector_version = detector_model.version
        self.classifier_version = classifier_model.version
        self._detector = _session(models_dir / detector_model.file)
        self._classifier = _session(models_dir / classifier_model.file)

    def detect(self, image: Image.Image) -> list[detector.Detection]:
        outputs = self._detector.run(None, {"input_1": detector.preprocess(image)})
        named = dict(zip([o.name for o in self._detector.get_outputs()], outputs, strict=True))
        candidates = detector.decode(
            [named[name][0] for name in detector.SCORE_OUTPUTS],
            [named[name][0] for name in detector.BOX_OUTPUTS],
            threshold=self.settings.detection_threshold,
        )
        return detector.non_max_suppression(candidates, iou_threshold=self.settings.nms_iou)

    def classify(self, image: Image.Image, *, k: int = 5) -> list[tuple[int, float]]:
        (logits,) = self._classifier.run(None, {"image": classifier.preprocess(image)})
        return classifier.top_classes(logits[0], k=k)

    def recognize(self, image: Image.Image) -> list[Label]:
        """Labels for an upright RGB image, most confident first, at most max_labels."""
        return self.merge(self.detect(image), self.classify(image))

    def merge(
        self, detections: list[detector.Detection], classes: list[tuple[int, float]]
    ) -> list[Label]:
        by_class: dict[str, list[detector.Detection]] = defaultdict(list)
        for detection in detections:
            by_class[COCO_CLASSES[detection.class_index]].append(detection)

        labels: dict[str, Label] = {}
        for coco_class, found in by_class.items():
            name = coco_label(coco_class)
            found.sort(key=lambda d: -d.score)
            labels[name.name] = Label(
                name=name.name,
                confidence=100 * found[0].score,
                recognizer=RECOGNIZER,
                model_version=self.detector_version,
                instances=tuple(_instance(d) for d in found),
                parents=name.parents,
            )

        imagenet = imagenet_labels()
        for index, probability in classes:
            name = imagenet[index]
            same = labels.get(name.name)
            if same is not None:  # the same thing the detector named (Zebra)
                labels[name.name] = replace(
                    same, confidence=max(same.confidence, 100 * probability)
                )
                continue
            refines = name.coco_class is not None and name.coco_class in by_class
            needed = (
                self.settings.refinement_threshold if refines else self.settings.scene_threshold
            )
            if probability >= needed:
                labels[name.name] = Label(
                    name=name.name,
                    confidence=100 * probability,
                    recognizer=RECOGNIZER,
                    model_version=self.classifier_version,
                    parents=name.parents,
                )

        return strongest_first(labels.values(), limit=self.settings.max_labels)


def _instance(detection: detector.Detection) -> Instance:
    x1, y1, x2, y2 = detection.box
    return Instance(BoundingBox(x1, y1, x2 - x1, y2 - y1), 100 * detection.score)


def _session(path: Path) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


_loaded: dict[tuple[Path, int], LocalRecognizer] = {}
_lock = Lock()


def local_recognizer(models_dir: Path, *, max_labels: int = 10) -> LocalRecognizer:
    """One recognizer per process and configuration: loading the models takes a few hundred ms,
    so a worker pays it once (its cold start), not per photo."""
    key = (models_dir, max_labels)
    with _lock:
        if key not in _loaded:
            _loaded[key] = LocalRecognizer(models_dir, LocalSettings(max_labels=max_labels))
        return _loaded[key]
