"""`validate_image`: the limits an accepted upload must respect, checked from metadata alone.

Runs before anything decodes pixels, so a decompression bomb is refused by its declared size.
Format, emptiness and structural damage are already refused by `extract_metadata`.
"""

from __future__ import annotations

from dataclasses import dataclass

from processing.metadata import ImageMetadata
from processing.rejections import ImageRejected

DEFAULT_MAX_PIXELS = 100_000_000
DEFAULT_MAX_BYTES = 25_000_000


@dataclass(frozen=True, slots=True)
class Limits:
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_bytes: int = DEFAULT_MAX_BYTES


def validate_image(metadata: ImageMetadata, limits: Limits) -> None:
    if metadata.file_size > limits.max_bytes:
        raise ImageRejected.too_many_bytes(limits.max_bytes)
    if metadata.pixels > limits.max_pixels:
        raise ImageRejected.too_many_pixels(limits.max_pixels)
