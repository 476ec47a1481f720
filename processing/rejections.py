"""Why an upload is refused: a closed set of reasons, each with words a person understands.

``ImageRejected`` is the only exception the pipeline's steps raise for bad input. Its ``str()`` is
JSON, because AWS Lambda reports ``str(exception)`` as the error message that Step Functions hands
to a Catch: the recorder parses it back instead of guessing from prose.
"""

from __future__ import annotations

import json
from enum import StrEnum

from processing.formats import SUPPORTED_IN_WORDS


class RejectionReason(StrEnum):
    EMPTY = "empty"
    UNSUPPORTED_FORMAT = "unsupported-format"
    TOO_LARGE_PIXELS = "too-large-pixels"
    TOO_LARGE_BYTES = "too-large-bytes"
    CORRUPT = "corrupt"


class Damage(StrEnum):
    """What is wrong with a corrupt file, in a person's words: the only details ``corrupt`` takes.

    A closed set, never a decoder's own text, which names libraries ("pyspng: ...") and internals
    that mean nothing to the person whose photo it is. The decoder's text goes to the log.
    """

    ENDS_EARLY = "its data ends early"
    NO_IMAGE_DATA = "it has no image data"
    HEADER = "its header is damaged"
    CHECKSUM = "part of the file fails its checksum"
    IMAGE_DATA = "its image data is damaged"


class ImageRejected(Exception):
    def __init__(self, reason: RejectionReason, message: str) -> None:
        super().__init__(reason, message)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return json.dumps({"reason": self.reason.value, "message": self.message})

    @classmethod
    def empty(cls) -> ImageRejected:
        return cls(RejectionReason.EMPTY, "The file is empty")

    @classmethod
    def unsupported(cls, detected: str | None) -> ImageRejected:
        what = f" (it is {_article(detected)} {detected} file)" if detected else ""
        return cls(RejectionReason.UNSUPPORTED_FORMAT, f"Not a {SUPPORTED_IN_WORDS} image{what}")

    @classmethod
    def too_many_pixels(cls, limit: int) -> ImageRejected:
        return cls(
            RejectionReason.TOO_LARGE_PIXELS,
            f"Image is larger than {_megapixels(limit)} megapixels",
        )

    @classmethod
    def decompression_bomb(cls) -> ImageRejected:
        return cls(
            RejectionReason.TOO_LARGE_PIXELS,
            "Image data expands far beyond its file size (a decompression bomb)",
        )

    @classmethod
    def too_many_bytes(cls, limit: int) -> ImageRejected:
        return cls(RejectionReason.TOO_LARGE_BYTES, f"File is larger than {_megabytes(limit)} MB")

    @classmethod
    def corrupt(cls, damage: Damage) -> ImageRejected:
        return cls(RejectionReason.CORRUPT, f"The image is damaged or incomplete ({damage})")

    @classmethod
    def too_complex(cls) -> ImageRejected:
        """A decoder's safety limits were reached (thousands of text chunks, say): refused as
        corrupt, because no camera or editor writes such a file."""
        return cls(RejectionReason.CORRUPT, "The image is too complex to decode safely")


def _article(word: str) -> str:
    return "an" if word[:1] in "AEIO" else "a"  # an AVIF, an ICO; a GIF, a HEIC


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:g}"


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g}"
