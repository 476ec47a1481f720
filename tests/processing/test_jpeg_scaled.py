"""JPEGs decoded straight to M/8 of their size: which ones, how exactly, and what the recognizer's
picture looks like when it comes that way."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from processing import jpeg_scaled
from processing.metadata import read_header
from processing.rejections import ImageRejected
from processing.thumbnails import fit_within, upright_derivative
from tests.processing.images import jpeg, orientation_card


def photo(width: int, height: int, **save: object) -> bytes:
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 40, (height, width, 3), dtype=np.uint8)
    return jpeg(Image.blend(orientation_card(width, height), Image.fromarray(noise), 0.2), **save)


@pytest.mark.parametrize(
    ("size", "box", "eighths"),
    [
        ((1024, 768), 640, 5),  # the 1024 px thumbnail for the recognizer
        ((768, 1024), 640, 5),
        ((1024, 683), 640, 5),
        ((1024, 770), 640, 5),  # libjpeg rounds 481.25 up to 482; fit_within gives 481
        ((1280, 960), 640, 4),
        ((1000, 750), 640, None),  # 640/1000 is no eighth
        ((640, 480), 640, None),  # already the size: decoded whole
    ],
)
def test_the_scale_is_an_eighth_that_gives_the_size_asked_for(
    size: tuple[int, int], box: int, eighths: int | None
) -> None:
    header = read_header(photo(*size))
    assert jpeg_scaled.eighths_for(header, fit_within(*size, box)) == eighths


def test_progressive_grey_and_cmyk_jpegs_keep_pillows_decoder() -> None:
    target = (640, 480)
    progressive = read_header(photo(1024, 768, progressive=True))
    grey = read_header(jpeg(orientation_card(1024, 768).convert("L")))
    cmyk = read_header(jpeg(orientation_card(1024, 768).convert("CMYK")))
    for header in (progressive, grey, cmyk):
        assert jpeg_scaled.eighths_for(header, target) is None


def test_the_scaled_decode_is_libjpegs_and_close_to_a_resample_of_the_whole() -> None:
    data = photo(1024, 768)
    scaled = jpeg_scaled.decode_scaled(data, read_header(data), 5)
    assert (scaled.mode, scaled.size) == ("RGB", (640, 480))
    with Image.open(io.BytesIO(data)) as whole:
        resampled = whole.convert("RGB").resize((640, 480), Image.Resampling.HAMMING)
    difference = np.abs(np.asarray(scaled, np.int16) - np.asarray(resampled, np.int16))
    assert difference.mean() < 3  # the same picture, filtered a little differently


def test_the_short_side_keeps_libjpegs_rounding_rather_than_a_second_resample() -> None:
    image = upright_derivative(photo(1024, 770), box=640)
    assert image.size == (640, 482)


def test_a_damaged_jpeg_is_refused_with_the_reason_pillows_decoder_gives() -> None:
    cut = photo(1024, 768)[:40_000]
    with pytest.raises(ImageRejected) as scaled:
        upright_derivative(cut, box=640)  # 5/8: the scaled decode
    with pytest.raises(ImageRejected) as whole:
        upright_derivative(cut, box=600)  # no eighth: Pillow
    assert str(scaled.value) == str(whole.value)
    assert "ends early" in str(scaled.value)
