"""Recognizing a photo from its thumbnail: what the Recognize step does, also used by the accuracy
command and the benchmark so that they measure exactly the pipeline's work.

Recognition runs after Thumbnails and works from the smallest stored thumbnail that holds the
recognizer's box (the 1024 px one for both recognizers): it is already upright, sRGB and free of
metadata, and a few hundred kilobytes to decode where the original may be a hundred megapixels.
So a photo's original is decoded once, by Thumbnails.

Two cases read the original instead. When no configured size is big enough, there is nothing
else. And when the photo fits the thumbnail's box unreduced, the thumbnail is the very same
pixels with one more lossy JPEG generation: decoding the original costs the same and spares the
recognizer that noise, which moves the detector's borderline scores by a few hundredths (around
the 0.35 threshold, enough to add or drop a label; measured on the accuracy corpus).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from PIL import Image

from processing.ports import BlobStore, Recognizer, StoredImageRecognizer
from processing.recognition.labels import Label
from processing.results import StoredThumbnail
from processing.thumbnails import (
    DEFAULT_QUALITY,
    DEFAULT_SIZES,
    make_thumbnails,
    upright_derivative,
)
from processing.validation import Limits


class _Sized(Protocol):
    @property
    def size(self) -> int: ...  # the box it fits in

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...


T = TypeVar("T", bound=_Sized)


def recognition_source(thumbnails: Sequence[T], box: int) -> T | None:
    """The thumbnail recognition reads, or None for the original: the smallest that holds the
    recognizer's box, unless it is the photo unreduced (smaller than its own box)."""
    fitting = [t for t in thumbnails if t.size >= box]
    source = min(fitting, key=lambda t: t.size, default=None)
    if source is None or max(source.width, source.height) < source.size:
        return None
    return source


def recognize_picture(
    picture: bytes, recognizer: Recognizer, *, limits: Limits | None = None
) -> list[Label]:
    """Labels for a stored picture (a thumbnail, or an original), from the upright derivative in
    the size the recognizer asks for (see processing.ports.Recognizer)."""
    image = upright_derivative(picture, box=recognizer.image_size, limits=limits)
    return recognizer.recognize(image)


def recognize_stored_photo(
    bucket: str,
    original_key: str,
    thumbnails: Sequence[StoredThumbnail],
    store: BlobStore,
    recognizer: Recognizer,
    *,
    limits: Limits | None = None,
) -> list[Label]:
    """The Recognize step: labels from the stored thumbnail that suits the recognizer."""
    source = recognition_source(thumbnails, recognizer.image_size)
    if source is None:
        return recognize_picture(store.get(original_key), recognizer, limits=limits)
    # A JPEG thumbnail can be read where it is by a recognizer that reads stored objects; a
    # transparent one (PNG) is laid on white first, as people see it.
    if source.content_type == "image/jpeg" and isinstance(recognizer, StoredImageRecognizer):
        return recognizer.recognize_stored(bucket, source.key)
    return recognize_picture(store.get(source.key), recognizer, limits=limits)


def recognize_photo(
    original: bytes,
    recognizer: Recognizer,
    *,
    sizes: tuple[int, ...] = DEFAULT_SIZES,
    quality: int = DEFAULT_QUALITY,
    limits: Limits | None = None,
) -> list[Label]:
    """What the pipeline does with an upload, in memory: its thumbnails, then recognition from
    the one that suits (for the accuracy command and the benchmark)."""
    picture = recognition_picture(original, recognizer, sizes=sizes, quality=quality, limits=limits)
    return recognize_picture(picture, recognizer, limits=limits)


def recognition_picture(
    original: bytes,
    recognizer: Recognizer,
    *,
    sizes: tuple[int, ...] = DEFAULT_SIZES,
    quality: int = DEFAULT_QUALITY,
    limits: Limits | None = None,
) -> bytes:
    """The picture the pipeline recognizes an upload from: the thumbnail Thumbnails would store
    for the recognizer's box, or the original."""
    return _picture_for(original, recognizer.image_size, sizes, quality, limits)


def recognition_image(original: bytes, box: int) -> Image.Image:
    """The image a recognizer asking for ``box`` is given for an upload: the derivative of the
    picture above (for calibrating and comparing the models on what the pipeline shows them)."""
    picture = _picture_for(original, box, DEFAULT_SIZES, DEFAULT_QUALITY, None)
    return upright_derivative(picture, box=box)


def _picture_for(
    original: bytes, box: int, sizes: tuple[int, ...], quality: int, limits: Limits | None
) -> bytes:
    thumbnails = make_thumbnails(original, sizes=sizes, quality=quality, limits=limits)
    source = recognition_source(thumbnails, box)
    return source.data if source is not None else original
