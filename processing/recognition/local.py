"""The local recognizer: NanoDet-g finds COCO objects with boxes, EfficientNet-Lite0 gives each
box a second opinion and names the whole picture among ImageNet's classes, and the result is a
list of Rekognition-shaped labels whose confidences are calibrated like Rekognition's.

For a picture:
1. NanoDet proposes boxes down to a low score (0.25): a weak box can still be confirmed.
2. The classifier reads the whole picture and the crop of the strongest box (more with
   ``crops``), in one batched run (processing.recognition.second_opinion): each box read is
   confirmed, relabelled within its family, dropped, or left as the detector saw it.
3. Boxes on the same object become one (processing.recognition.objects), so each object has one
   label and instance counts count objects.
4. Each box's evidence score becomes a calibrated confidence per family
   (processing.recognition.calibration); nothing under ``min_confidence`` (60, Rekognition's
   MinConfidence in the pipeline's contract) is kept, label or instance.
5. Whole-picture classes add detail when they are sure and agree with what was found: a class
   that is a kind of a found COCO thing refines it (a Sorrel where a Horse is); a COCO thing
   nothing found needs a surer reading and nothing else of its family found (no Corgi on a cat);
   a look-alike of a found thing is left out (no Parachute over kites); anything else (Espresso,
   Jelly Fish) stands on its own. Their confidence is the classifier's probability.

Sessions are opened once per process with one intra-op thread: on a 2-core machine, two workers
with one thread each process more photos per second than one worker with two.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from threading import Lock

import numpy as np
import onnxruntime
from PIL import Image

from processing import defaults
from processing.recognition import classifier, detector
from processing.recognition.calibration import Calibration, shipped
from processing.recognition.labels import BoundingBox, Instance, Label, strongest_first
from processing.recognition.models.manifest import (
    CLASSIFIER,
    CLASSIFIER_INT8,
    DETECTOR,
    DETECTOR_INT8,
    read_manifest,
)
from processing.recognition.objects import distinct_objects
from processing.recognition.second_opinion import (
    Checked,
    Reading,
    Verdict,
    check_all,
    crop,
    crops_to_read,
)
from processing.recognition.taxonomy import (
    LOOKALIKES,
    coco_label,
    family,
    imagenet_labels,
)

RECOGNIZER = "local"
SECOND_OPINIONS = (Verdict.CONFIRMED, Verdict.RELABELLED)  # the classifier helped decide


@dataclass(frozen=True)
class LocalSettings:
    # NanoDet's scores are sigmoid outputs, not percentages; its demo draws boxes from 0.35.
    # Lower candidates are kept for the second opinion, which can confirm them.
    detection_threshold: float = 0.25
    nms_iou: float = 0.6
    crops: int | None = defaults.RECOGNITION_CROPS  # box crops read besides the picture (None:
    # every readable box, as the calibration reads them)
    min_confidence: float = defaults.RECOGNITION_MIN_CONFIDENCE
    whole_picture_classes: int = 5
    standalone_coco: float = 0.8  # a whole-picture COCO thing the detector did not find
    max_labels: int = defaults.RECOGNITION_MAX_LABELS


class LocalRecognizer:
    # The detector looks at 416 x 416 and the classifier at 224: 640 px keeps the detail they can
    # use, and is 5/8 of the 1024 px thumbnail, which libjpeg decodes straight to that size
    # (processing.jpeg_scaled). 512 px (the thumbnail at 1/2) finds fewer of the expected labels
    # (docs/models.md).
    image_size = 640

    def __init__(
        self,
        models_dir: Path,
        settings: LocalSettings | None = None,
        calibration: Calibration | None = None,
        *,
        int8_detector: bool = True,
        int8_classifier: bool = True,
        image_size: int | None = None,
    ) -> None:
        """Runs the int8 models (models/quantize.py): the classifier int8 throughout, the
        detector with its first ten and its last head convolutions left float32, where
        quantization moved its scores enough to add wrong labels (docs/models.md). The float32
        models stay installed, for comparisons."""
        self.settings = settings or LocalSettings()
        self.calibration = calibration or shipped()
        if image_size is not None:
            self.image_size = image_size
        models = read_manifest(models_dir)
        detector_model = models[DETECTOR_INT8 if int8_detector else DETECTOR]
        classifier_model = models[CLASSIFIER_INT8 if int8_classifier else CLASSIFIER]
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
        (probabilities,) = self.read(image)
        return classifier.most_probable(probabilities, k=k)

    def read(self, image: Image.Image, crops: Sequence[Image.Image] = ()) -> np.ndarray:
        """[1 + len(crops), 1000] class probabilities of the whole picture and of the crops
        (already at the classifier's size), from one batched run."""
        batch = np.concatenate(
            [classifier.preprocess(image), *(classifier.tensor(c) for c in crops)]
        )
        (logits,) = self._classifier.run(None, {"image": batch})
        return np.stack([classifier.softmax(row.astype(np.float64)) for row in logits])

    def objects(self, image: Image.Image) -> tuple[list[Checked], np.ndarray]:
        """The distinct objects found, each with its evidence score, and the whole picture's
        class probabilities."""
        detections = self.detect(image)
        chosen = crops_to_read(detections, image.size, limit=self.settings.crops)
        probabilities = self.read(image, [crop(image, detections[i].box) for i in chosen])
        readings = {i: Reading.of(p) for i, p in zip(chosen, probabilities[1:], strict=True)}
        return distinct_objects(check_all(detections, readings)), probabilities[0]

    def recognize(self, image: Image.Image) -> list[Label]:
        """Labels for an upright RGB image, most confident first, at most max_labels."""
        return self.labels(*self.objects(image))

    def labels(self, found: list[Checked], picture: np.ndarray) -> list[Label]:
        """Labels from the distinct objects and the whole picture's class probabilities."""
        floor = self.settings.min_confidence
        by_class: dict[str, list[tuple[float, Checked]]] = defaultdict(list)
        for item in found:
            confidence = self.calibration.confidence(
                family(item.coco_class), item.score, item.verdict
            )
            if confidence >= floor:
                by_class[item.coco_class].append((confidence, item))

        labels: dict[str, Label] = {}
        for coco_class, instances in by_class.items():
            name = coco_label(coco_class)
            instances.sort(key=lambda pair: -pair[0])
            second_opinion = any(c.verdict in SECOND_OPINIONS for _, c in instances)
            labels[name.name] = Label(
                name=name.name,
                confidence=instances[0][0],
                recognizer=RECOGNIZER,
                model_version=self._version(second_opinion),
                instances=tuple(_instance(c.detection, conf) for conf, c in instances),
                parents=name.parents,
            )

        found_classes = set(by_class)
        imagenet = imagenet_labels()
        best = np.argsort(-picture)[: self.settings.whole_picture_classes]
        for index in (int(i) for i in best):
            probability = float(picture[index])
            name = imagenet[index]
            confidence = 100 * probability
            same = labels.get(name.name)
            if same is not None:  # the same thing the detector named (Zebra)
                labels[name.name] = replace(same, confidence=max(same.confidence, confidence))
                continue
            if confidence < floor or LOOKALIKES.get(index) in found_classes:
                continue
            kind = name.coco_class
            if kind is not None and kind not in found_classes:
                others = {family(c) for c in found_classes}
                if probability < self.settings.standalone_coco or family(kind) in others:
                    continue
            labels[name.name] = Label(
                name=name.name,
                confidence=confidence,
                recognizer=RECOGNIZER,
                model_version=self.classifier_version,
                parents=name.parents,
            )

        return strongest_first(labels.values(), limit=self.settings.max_labels)

    def _version(self, second_opinion: bool) -> str:
        if second_opinion:
            return f"{self.detector_version}+{self.classifier_version}"
        return self.detector_version


def _instance(detection: detector.Detection, confidence: float) -> Instance:
    x1, y1, x2, y2 = detection.box
    return Instance(BoundingBox(x1, y1, x2 - x1, y2 - y1), confidence)


def _session(path: Path) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


_loaded: dict[tuple[Path, LocalSettings], LocalRecognizer] = {}
_lock = Lock()


def local_recognizer(
    models_dir: Path,
    *,
    max_labels: int = defaults.RECOGNITION_MAX_LABELS,
    min_confidence: float = defaults.RECOGNITION_MIN_CONFIDENCE,
    crops: int = defaults.RECOGNITION_CROPS,
) -> LocalRecognizer:
    """One recognizer per process and configuration: loading the models takes a few hundred ms,
    so a worker pays it once (its cold start), not per photo."""
    settings = LocalSettings(max_labels=max_labels, min_confidence=min_confidence, crops=crops)
    with _lock:
        if (models_dir, settings) not in _loaded:
            _loaded[models_dir, settings] = LocalRecognizer(models_dir, settings)
        return _loaded[models_dir, settings]
