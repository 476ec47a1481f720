"""NanoDet-g, COCO's 80 classes with boxes: preprocessing, decoding of its outputs, and NMS.

The network runs in onnxruntime (processing.recognition.local); everything around it is numpy
here so it can be tested on generated inputs. Quality depends on matching the training setup:
the image stretched to 416x416, BGR channel order, mean/std normalisation in 0-255 units. Each
of the three strides (8, 16, 32) gives per-cell class scores (already through a sigmoid) and a
Generalized Focal Loss box: four distributions over 0..10 cells, whose expected values are the
distances from the cell's centre, at ((i + 0.5) * stride), to the box's sides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from processing.color import as_rgb

INPUT_SIZE = 416
STRIDES = (8, 16, 32)
REG_MAX = 10
MEAN_BGR = np.array([103.53, 116.28, 123.675], dtype=np.float32)
STD_BGR = np.array([57.375, 57.12, 58.395], dtype=np.float32)
# Output names in the converted graph: scores then box distributions, stride 8, 16, 32.
SCORE_OUTPUTS = ("Identity", "Identity_1", "Identity_2")
BOX_OUTPUTS = ("Identity_3", "Identity_4", "Identity_5")


@dataclass(frozen=True, slots=True)
class Detection:
    class_index: int
    score: float
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 as fractions of the image


# (value - mean) / std for each of the 256 values of each channel, B, G and R: the same float32
# arithmetic as per pixel, done 768 times instead of half a million, and looked up straight into
# the network's channel-first layout (a third of the step's time before).
_NORMALISED_BGR = ((np.arange(256, dtype=np.float32)[:, np.newaxis] - MEAN_BGR) / STD_BGR).T.copy()


def preprocess(image: Image.Image) -> np.ndarray:
    """[1, 3, 416, 416] float32, BGR, normalised."""
    resized = as_rgb(image).resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR)
    rgb = np.asarray(resized)
    tensor = np.empty((1, 3, INPUT_SIZE, INPUT_SIZE), np.float32)
    for channel in range(3):  # B, G, R from the picture's R, G, B
        # "clip" skips the bounds check of the default mode, a third of the lookup's time: a
        # byte always indexes the 256 entries.
        np.take(
            _NORMALISED_BGR[channel], rgb[:, :, 2 - channel], out=tensor[0, channel], mode="clip"
        )
    return tensor


def centre_priors(stride: int, size: int = INPUT_SIZE) -> np.ndarray:
    """[cells, 2] (x, y) centres in input pixels, row by row as the network lays cells out."""
    cells = size // stride
    ys, xs = np.mgrid[0:cells, 0:cells]
    return np.stack([(xs.ravel() + 0.5) * stride, (ys.ravel() + 0.5) * stride], axis=1)


def distances(distribution: np.ndarray) -> np.ndarray:
    """[cells, 4 * (REG_MAX + 1)] logits -> [cells, 4] expected distances in cells."""
    logits = distribution.reshape(-1, 4, REG_MAX + 1)
    logits = logits - logits.max(axis=2, keepdims=True)
    weights = np.exp(logits)
    weights /= weights.sum(axis=2, keepdims=True)
    return (weights * np.arange(REG_MAX + 1, dtype=np.float32)).sum(axis=2)


def decode(
    scores: list[np.ndarray], boxes: list[np.ndarray], *, threshold: float
) -> list[Detection]:
    """Candidates over the threshold, from each stride's [cells, 80] scores and box logits."""
    found: list[Detection] = []
    for stride, stride_scores, stride_boxes in zip(STRIDES, scores, boxes, strict=True):
        cells, classes = np.nonzero(stride_scores >= threshold)
        if len(cells) == 0:
            continue
        centres = centre_priors(stride)[cells]
        ltrb = distances(stride_boxes[cells]) * stride
        corners = np.concatenate([centres - ltrb[:, :2], centres + ltrb[:, 2:]], axis=1)
        corners = np.clip(corners / INPUT_SIZE, 0.0, 1.0)
        for cell, class_index, box in zip(cells, classes, corners, strict=True):
            found.append(
                Detection(int(class_index), float(stride_scores[cell, class_index]), tuple(box))
            )
    return found


def area(box: tuple[float, ...]) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def intersection(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """The area two (x1, y1, x2, y2) boxes share."""
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return width * height


def covered(box: tuple[float, ...], by: tuple[float, ...]) -> float:
    """The share of ``box`` that ``by`` covers."""
    return intersection(box, by) / area(box) if area(box) > 0 else 0.0


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    overlap = intersection(a, b)
    union = area(a) + area(b) - overlap
    return overlap / union if union > 0 else 0.0


def non_max_suppression(detections: list[Detection], *, iou_threshold: float) -> list[Detection]:
    """Class by class, the best box of each overlapping group (greedy, as NanoDet's own)."""
    kept: list[Detection] = []
    for detection in sorted(detections, key=lambda d: -d.score):
        if all(
            other.class_index != detection.class_index
            or iou(other.box, detection.box) <= iou_threshold
            for other in kept
        ):
            kept.append(detection)
    return kept
