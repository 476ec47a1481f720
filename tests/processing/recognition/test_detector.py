"""NanoDet's preprocessing, GFL box decoding and NMS, on generated inputs."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from processing.recognition import detector
from processing.recognition.detector import Detection


def test_preprocessing_is_bgr_normalised_nchw_at_416() -> None:
    red = Image.new("RGB", (640, 480), (255, 0, 0))
    tensor = detector.preprocess(red)
    assert tensor.shape == (1, 3, 416, 416)
    assert tensor.dtype == np.float32
    blue_channel, green_channel, red_channel = tensor[0, :, 200, 200]
    assert blue_channel == pytest.approx((0 - 103.53) / 57.375)
    assert green_channel == pytest.approx((0 - 116.28) / 57.12)
    assert red_channel == pytest.approx((255 - 123.675) / 58.395)


def test_preprocessing_is_exactly_the_per_pixel_arithmetic() -> None:
    noise = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    picture = Image.fromarray(noise)
    resized = picture.resize((416, 416), Image.Resampling.BILINEAR)
    bgr = np.asarray(resized, dtype=np.float32)[:, :, ::-1]
    expected = ((bgr - detector.MEAN_BGR) / detector.STD_BGR).transpose(2, 0, 1)[np.newaxis]
    assert np.array_equal(detector.preprocess(picture), expected)  # bit for bit: same labels


def test_cell_centres_sit_half_a_stride_in_row_by_row() -> None:
    centres = detector.centre_priors(32)
    assert centres.shape == (13 * 13, 2)
    assert tuple(centres[0]) == (16, 16)
    assert tuple(centres[1]) == (48, 16)  # the next cell is to the right
    assert tuple(centres[13]) == (16, 48)  # then the next row


def _peaked(distances: list[int]) -> np.ndarray:
    """Box logits whose four distributions are certain of the given distances (in cells)."""
    logits = np.full((4, detector.REG_MAX + 1), -50.0, dtype=np.float32)
    for side, distance in enumerate(distances):
        logits[side, distance] = 50.0
    return logits.reshape(1, -1)


def test_distances_are_the_expected_value_of_each_distribution() -> None:
    assert detector.distances(_peaked([1, 2, 3, 10])).tolist() == [[1, 2, 3, 10]]
    uniform = np.zeros((1, 4 * (detector.REG_MAX + 1)), dtype=np.float32)
    assert detector.distances(uniform) == pytest.approx(np.full((1, 4), 5.0))


def _outputs() -> tuple[list[np.ndarray], list[np.ndarray]]:
    scores = [np.zeros(((416 // s) ** 2, 80), dtype=np.float32) for s in detector.STRIDES]
    boxes = [np.zeros(((416 // s) ** 2, 44), dtype=np.float32) for s in detector.STRIDES]
    return scores, boxes


def test_decoding_places_a_box_around_its_cell() -> None:
    scores, boxes = _outputs()
    cell = 5 * 13 + 6  # stride 32, row 5, column 6: centre (208, 176)
    scores[2][cell, 16] = 0.9  # class 16 is dog
    boxes[2][cell] = _peaked([2, 1, 3, 4])[0]  # left, top, right, bottom in cells of 32 px
    (found,) = detector.decode(scores, boxes, threshold=0.5)
    assert found.class_index == 16
    assert found.score == pytest.approx(0.9)
    expected = ((208 - 64) / 416, (176 - 32) / 416, (208 + 96) / 416, (176 + 128) / 416)
    assert found.box == pytest.approx(expected, abs=1e-6)


def test_decoding_drops_scores_under_the_threshold_and_clips_to_the_image() -> None:
    scores, boxes = _outputs()
    scores[0][0, 0] = 0.34
    scores[0][1, 2] = 0.6
    boxes[0][1] = _peaked([10, 10, 1, 1])[0]  # reaches far past the top-left corner
    (found,) = detector.decode(scores, boxes, threshold=0.35)
    assert found.class_index == 2
    assert found.box[0] == 0.0
    assert found.box[1] == 0.0


def test_nms_keeps_the_best_of_overlapping_boxes_of_one_class() -> None:
    best = Detection(0, 0.9, (0.1, 0.1, 0.5, 0.5))
    overlapping = Detection(0, 0.8, (0.12, 0.12, 0.52, 0.52))
    elsewhere = Detection(0, 0.7, (0.6, 0.6, 0.9, 0.9))
    other_class = Detection(1, 0.6, (0.1, 0.1, 0.5, 0.5))
    kept = detector.non_max_suppression(
        [overlapping, elsewhere, other_class, best], iou_threshold=0.6
    )
    assert kept == [best, elsewhere, other_class]


def test_iou_of_identical_disjoint_and_half_overlapping_boxes() -> None:
    assert detector.iou((0, 0, 1, 1), (0, 0, 1, 1)) == 1
    assert detector.iou((0, 0, 1, 1), (2, 2, 3, 3)) == 0
    assert detector.iou((0, 0, 2, 1), (1, 0, 3, 1)) == pytest.approx(1 / 3)
