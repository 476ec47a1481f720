"""A JPEG decoded straight to M/8 of its size (M = 1..7) by libjpeg-turbo's scaled IDCT.

libjpeg can produce its output at any eighth of the picture's size, not only the 1/2, 1/4 and
1/8 that Pillow's ``draft`` offers: each 8x8 block's coefficients go through an MxM inverse DCT,
which keeps the block's lower frequencies, so the downscaling is done by the decoder itself,
with no resampling afterwards. Recognition uses it: the 1024 px thumbnail at 5/8 is exactly the
recognizer's 640 px picture, decoded in about 4 ms where a full decode and a Hamming resample
take 10 (docs/performance.md). simplejpeg, whose wheels carry libjpeg-turbo, exposes the scaling.

Only baseline, three-channel JPEGs come here (the thumbnails Photoshare writes are such): a
progressive one would make libjpeg hold every coefficient of the photo, which processing.jpeg_dc
exists to avoid, and grey or CMYK pictures keep Pillow's colour handling.
"""

from __future__ import annotations

import math

from PIL import Image

from processing.containers import ImageHeader


def scaled_size(width: int, height: int, eighths: int) -> tuple[int, int]:
    """The size libjpeg gives at ``eighths``/8: each side rounded up."""
    return math.ceil(width * eighths / 8), math.ceil(height * eighths / 8)


def eighths_for(header: ImageHeader, target: tuple[int, int]) -> int | None:
    """The M/8 scale that decodes this JPEG to ``target``, or None. The longer side must come out
    exactly; the shorter one may differ by the pixel libjpeg's rounding up adds."""
    if header.format != "JPEG" or header.channels != 3 or header.interlaced:
        return None
    long_side = 0 if header.width >= header.height else 1
    for eighths in range(1, 8):
        size = scaled_size(header.width, header.height, eighths)
        if (
            size[long_side] == target[long_side]
            and abs(size[1 - long_side] - target[1 - long_side]) <= 1
        ):
            return eighths
    return None


def decode_scaled(data: bytes, header: ImageHeader, eighths: int) -> Image.Image:
    """The RGB picture at ``eighths``/8 of its size. Raises ValueError for a damaged JPEG, as
    Pillow's decoder does."""
    import simplejpeg

    width, height = scaled_size(header.width, header.height, eighths)
    pixels = simplejpeg.decode_jpeg(data, colorspace="RGB", min_width=width, min_height=height)
    if pixels.shape[:2] != (height, width):  # libjpeg-turbo chose another factor: never expected
        raise ValueError(f"scaled JPEG decode gave {pixels.shape[1]}x{pixels.shape[0]}")
    return Image.fromarray(pixels)
