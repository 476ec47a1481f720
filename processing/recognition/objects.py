"""From boxes to objects: one label per object, and instance counts that count objects.

A detector proposes several boxes per object: of different classes (a white horse as both Horse
and Cow, a couch as Couch, Bed and Suitcase), and of the same class at different extents (the
whole horse and its front half), which per-class NMS at IoU 0.6 keeps as two. Here the boxes,
already checked by the second opinion, are taken strongest first, and a box on the same object
as one kept is dropped.

Boxes of different families are never merged: a cyclist's box and their bicycle's, a rider's and
the horse's, overlap because the objects do, and both are there.
"""

from __future__ import annotations

from processing.recognition.detector import area, covered, iou
from processing.recognition.second_opinion import Checked
from processing.recognition.taxonomy import family

SAME_SPOT_IOU = 0.6  # two classes of one family this close are one object
DUPLICATE_IOU = 0.5  # two boxes of one class this close are one object
CONTAINED = 0.85  # ... and so is a box this much inside a bigger one,
PART_OF = 0.4  # when it is at least this share of the bigger one's area


def distinct_objects(checked: list[Checked]) -> list[Checked]:
    """The boxes that are distinct objects, strongest first."""
    kept: list[Checked] = []
    for candidate in sorted(checked, key=lambda c: -c.score):
        if not any(_same_object(candidate, other) for other in kept):
            kept.append(candidate)
    return kept


def _same_object(a: Checked, b: Checked) -> bool:
    box_a, box_b = a.detection.box, b.detection.box
    if a.coco_class == b.coco_class:
        return iou(box_a, box_b) >= DUPLICATE_IOU or _part_of(box_a, box_b)
    if family(a.coco_class) == family(b.coco_class) != "person":
        return iou(box_a, box_b) >= SAME_SPOT_IOU
    return False


def _part_of(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether the smaller box lies inside the bigger and is a sizeable part of it."""
    small, big = (a, b) if area(a) <= area(b) else (b, a)
    if area(small) == 0 or area(small) < PART_OF * area(big):
        return False
    return covered(small, by=big) >= CONTAINED
