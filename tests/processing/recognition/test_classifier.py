"""EfficientNet-Lite0's preprocessing and top classes, on generated inputs."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from processing.recognition import classifier


def test_preprocessing_crops_the_centre_of_the_short_side_at_224() -> None:
    # A wide picture: grey sides, a white square in the middle that fills the crop.
    image = Image.new("RGB", (1024, 512), (127, 127, 127))
    ImageDraw.Draw(image).rectangle((288, 0, 735, 511), fill=(255, 255, 255))
    tensor = classifier.preprocess(image)
    assert tensor.shape == (1, 3, 224, 224)
    assert tensor[0, :, 112, 112] == pytest.approx([1.0, 1.0, 1.0])  # (255 - 127) / 128
    assert tensor[0, :, 112, 2] == pytest.approx([1.0, 1.0, 1.0])  # the crop's edge is white too


def test_grey_127_is_zero_and_black_is_almost_minus_one() -> None:
    grey = classifier.preprocess(Image.new("RGB", (300, 300), (127, 127, 127)))
    black = classifier.preprocess(Image.new("RGB", (300, 300), (0, 0, 0)))
    assert np.abs(grey).max() == 0
    assert black.min() == pytest.approx(-127 / 128)


def test_top_classes_are_probabilities_best_first() -> None:
    logits = np.zeros(1000, dtype=np.float32)
    logits[340], logits[21] = 8.0, 6.0
    top = classifier.top_classes(logits, k=3)
    assert [index for index, _ in top[:2]] == [340, 21]
    assert top[0][1] > top[1][1] > top[2][1]
    assert sum(classifier.softmax(logits.astype(np.float64))) == pytest.approx(1.0)
