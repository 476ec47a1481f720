"""EfficientNet-Lite0, ImageNet's 1000 classes for the whole picture: preprocessing and the top
classes. It names what a detector of 80 classes cannot (espresso, tabby cat, a breed of dog)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from processing.color import as_rgb

INPUT_SIZE = 224
RESIZE_TO = 256  # the short side, before the centre crop, as in training's evaluation


def preprocess(image: Image.Image) -> np.ndarray:
    """[1, 3, 224, 224] float32 of what training's evaluation looks at: the centre 224 of the
    picture with its short side at 256. That square is cut and resized in one step (bicubic):
    resizing the whole picture first and cropping after costs twice the time for pixels that
    are thrown away."""
    rgb = as_rgb(image)
    side = min(rgb.size) * INPUT_SIZE / RESIZE_TO  # the square, in the picture's pixels
    left, top = (rgb.width - side) / 2, (rgb.height - side) / 2
    square = rgb.resize(
        (INPUT_SIZE, INPUT_SIZE),
        Image.Resampling.BICUBIC,
        box=(left, top, left + side, top + side),
    )
    return tensor(square)


def tensor(square: Image.Image) -> np.ndarray:
    """[1, 3, 224, 224] float32 of a picture already at the input size (a box's crop)."""
    pixels = (np.asarray(as_rgb(square), dtype=np.float32) - 127.0) / 128.0
    return pixels.transpose(2, 0, 1)[np.newaxis].copy()


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()


def top_classes(logits: np.ndarray, *, k: int) -> list[tuple[int, float]]:
    """The k most probable (class index, probability) pairs, best first."""
    return most_probable(softmax(logits.astype(np.float64)), k=k)


def most_probable(probabilities: np.ndarray, *, k: int) -> list[tuple[int, float]]:
    best = np.argsort(-probabilities)[:k]
    return [(int(index), float(probabilities[index])) for index in best]
