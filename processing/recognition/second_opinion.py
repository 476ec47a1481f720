"""A second opinion on every box: the classifier reads each detection's crop, and what it reads
confirms the detector's class, relabels the box within its family (a Cow whose crop reads as a
Sorrel is a Horse; a Giraffe that reads as an eagle is a Bird), or drops it (a Vase whose crop is
plainly something ImageNet knows and no vase).

Two detectors of different training disagree in different ways, which is what makes the second
opinion worth having: NanoDet confuses classes of the same shape, and EfficientNet, looking at
the same pixels at 224 px with 1000 finer classes, rarely makes the same confusion.

The crop must be big enough to read: below a tenth of the picture's longer side a 224 px crop is
mostly upscaling blur, and the classifier's answers there (a kite as a Nematode) say nothing. A
crop that reads as another object the detector found overlapping this box (a rider's box that
reads as the horse under them) is no evidence against it either.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cache

import numpy as np
from PIL import Image

from processing.recognition import classifier
from processing.recognition.detector import Detection, covered, iou
from processing.recognition.taxonomy import (
    AT_HOME_IN_NATURE,
    COCO_CLASSES,
    NATURE,
    family,
    imagenet_evidence,
)

MIN_READABLE_SIDE = 0.1  # of the picture's longer side
SAME_SPOT = 0.7  # IoU of boxes over one spot, which share a crop
CROP_MARGIN = 0.1  # context around the box, on each side
CONFIRMS = 0.2  # the crop's probability for the class that confirms it
NOTHING_FOR = 0.05  # below this for the detected class, the crop sees none of it, and then
RELABELS = 0.5  # a class of the same family read this surely, and more surely than the
# detector's score, relabels the box; anything else read that surely drops it
MOSTLY_NATURE = 0.6  # a crop read this much as nature is no person or man-made thing
_NATURE = np.array(NATURE)  # indexed once per crop: built once


class Verdict(Enum):
    CONFIRMED = "confirmed"
    RELABELLED = "relabelled"
    UNREAD = "unread"  # too small to read, not among the crops read, or read as a neighbour
    UNSUPPORTED = "unsupported"  # read, and the reading neither confirms nor rules it out
    DROPPED = "dropped"


@dataclass(frozen=True, slots=True)
class Reading:
    """What the classifier saw in a crop: probability per COCO class it supports, and its most
    probable ImageNet class."""

    support: dict[str, float]
    top_index: int
    top_probability: float
    nature: float = 0.0  # the share read as animals, plants, fungi and landscapes

    @classmethod
    def of(cls, probabilities: np.ndarray) -> Reading:
        evidence = imagenet_evidence()
        support: dict[str, float] = {}
        for index in np.flatnonzero(probabilities >= 0.005):
            coco_class = evidence.get(int(index))
            if coco_class is not None:
                support[coco_class] = support.get(coco_class, 0.0) + float(probabilities[index])
        top = int(np.argmax(probabilities))
        nature = float(probabilities[_NATURE].sum())
        return cls(support, top, float(probabilities[top]), nature)

    @property
    def reads_as(self) -> str | None:
        """The COCO class of the most probable reading, if it supports one."""
        return imagenet_evidence().get(self.top_index)


@dataclass(frozen=True, slots=True)
class Checked:
    """A detection after the second opinion: its class (perhaps relabelled) and its evidence
    score, the detector's score combined with the crop's support."""

    detection: Detection
    coco_class: str
    score: float
    verdict: Verdict


def readable(box: tuple[float, float, float, float], size: tuple[int, int]) -> bool:
    width, height = (box[2] - box[0]) * size[0], (box[3] - box[1]) * size[1]
    return min(width, height) >= MIN_READABLE_SIDE * max(size)


def crop(image: Image.Image, box: tuple[float, float, float, float]) -> Image.Image:
    """The box with a margin of context, within the picture. The classifier sees it stretched
    to a square: a square crop around a long object (a keyboard, a bench) would be mostly its
    neighbours, and the classifier reads a stretched object better than a neighbour's."""
    width, height = image.size
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * CROP_MARGIN, (y2 - y1) * CROP_MARGIN
    left, right = max(0.0, x1 - dx) * width, min(1.0, x2 + dx) * width
    top, bottom = max(0.0, y1 - dy) * height, min(1.0, y2 + dy) * height
    square = (classifier.INPUT_SIZE, classifier.INPUT_SIZE)
    return image.resize(square, Image.Resampling.BILINEAR, box=(left, top, right, bottom))


def crops_to_read(
    detections: list[Detection], size: tuple[int, int], *, limit: int | None
) -> list[int]:
    """Indices of the detections whose crops are read: readable ones, at most ``limit`` (None:
    every one), one per place (a box over the same spot as one chosen shares its crop). Each
    class's strongest readable box comes first, most confident first, so every class that may
    become a label is read before a second box of any class is."""
    readable_by_score = sorted(
        (i for i, d in enumerate(detections) if readable(d.box, size)),
        key=lambda i: -detections[i].score,
    )
    classes: set[int] = set()
    firsts: list[int] = []
    for index in readable_by_score:
        if detections[index].class_index not in classes:
            classes.add(detections[index].class_index)
            firsts.append(index)
    chosen: list[int] = []
    for index in [*firsts, *(i for i in readable_by_score if i not in firsts)]:
        if limit is not None and len(chosen) >= limit:
            break
        if all(iou(detections[index].box, detections[c].box) < SAME_SPOT for c in chosen):
            chosen.append(index)
    return chosen


def reading_for(
    detection: Detection, detections: list[Detection], readings: dict[int, Reading]
) -> Reading | None:
    """The reading of this box's crop, or of a read crop over the same spot."""
    for index, reading in readings.items():
        if iou(detection.box, detections[index].box) >= SAME_SPOT:
            return reading
    return None


def check(detection: Detection, reading: Reading | None, neighbours: list[Detection]) -> Checked:
    coco_class = COCO_CLASSES[detection.class_index]
    unread = Checked(detection, coco_class, detection.score, Verdict.UNREAD)
    if reading is None:
        return unread
    own = reading.support.get(coco_class, 0.0)
    rivals = [
        (probability, other)
        for other, probability in reading.support.items()
        if other != coco_class and family(other) == family(coco_class)
    ]
    best, rival = max(rivals, default=(0.0, ""))
    if own >= CONFIRMS:
        return Checked(detection, coco_class, _combined(detection.score, own), Verdict.CONFIRMED)
    dropped = Checked(detection, coco_class, 0.0, Verdict.DROPPED)
    if own < NOTHING_FOR:  # the crop sees none of its class
        surer = max(RELABELS, detection.score)
        if best >= surer:
            return Checked(detection, rival, _combined(detection.score, best), Verdict.RELABELLED)
        if coco_class != "person" and _another_there(detection, reading, neighbours):
            return dropped
        if reading.top_probability >= surer:
            return unread if _explained_by_neighbour(detection, reading, neighbours) else dropped
        if reading.nature >= MOSTLY_NATURE and _out_of_place(detection, neighbours):
            return dropped
    if coco_class not in recognizable():  # ImageNet has no suitcase: its silence says nothing
        return unread
    return Checked(detection, coco_class, detection.score, Verdict.UNSUPPORTED)


def check_all(detections: list[Detection], readings: dict[int, Reading]) -> list[Checked]:
    checked = []
    for detection in detections:
        reading = reading_for(detection, detections, readings)
        result = check(detection, reading, detections)
        if result.verdict is not Verdict.DROPPED:
            checked.append(result)
    return checked


@cache
def recognizable() -> frozenset[str]:
    """The COCO classes ImageNet has classes of: for the others a crop that does not confirm
    them is no evidence either way. A person is among the others: ImageNet knows what people
    wear, and a person's crop reads as their bicycle or their desk as often as their clothes."""
    return frozenset(imagenet_evidence().values()) - {"person"}


def _combined(score: float, support: float) -> float:
    """Two opinions that agree: the chance that neither is right, taken as independent."""
    return 1 - (1 - score) * (1 - support)


def _explained_by_neighbour(
    detection: Detection, reading: Reading, neighbours: list[Detection]
) -> bool:
    """Whether the crop reads as another object the detector found over part of this box."""
    reads_as = reading.reads_as
    if reads_as is None:
        return False
    for other in neighbours:
        if other is detection or COCO_CLASSES[other.class_index] != reads_as:
            continue
        if covered(detection.box, by=other.box) >= 0.3:
            return True
    return False


def _another_there(detection: Detection, reading: Reading, neighbours: list[Detection]) -> bool:
    """Whether the crop, which sees nothing of this box's class, confirms another class found on
    the same spot: then this box is that object misread (a Suitcase over a cat). A person is
    never one: people sit on, ride and hold the things their boxes share."""
    return any(
        other is not detection
        and reading.support.get(COCO_CLASSES[other.class_index], 0.0) >= CONFIRMS
        and iou(detection.box, other.box) >= SAME_SPOT
        for other in neighbours
    )


def _out_of_place(detection: Detection, neighbours: list[Detection]) -> bool:
    """Whether a box read as nature claims a person or a man-made thing with no animal found over
    it to account for the reading (a rider's crop reads as the horse, a cyclist's bicycle as the
    dog beside it)."""
    coco_class = COCO_CLASSES[detection.class_index]
    if family(coco_class) == "animal" or coco_class in AT_HOME_IN_NATURE:
        return False
    return not any(
        other is not detection
        and family(COCO_CLASSES[other.class_index]) == "animal"
        and covered(detection.box, by=other.box) >= 0.3
        for other in neighbours
    )
