"""Every kind of bad input is refused with its reason and plain words, never another exception."""

import json
import zlib

import pytest
from PIL import Image

from processing.metadata import extract_metadata
from processing.rejections import ImageRejected, RejectionReason
from processing.thumbnails import make_thumbnails
from processing.validation import Limits, validate_image
from tests.processing.images import (
    encode,
    insert_png_chunk,
    jpeg,
    jpeg_header_only,
    png,
    png_chunk,
    png_header_only,
)

SMALL = Image.new("RGB", (32, 32), (200, 100, 50))


def rejection(data: bytes, limits: Limits | None = None) -> ImageRejected:
    """Runs all three steps, as the pipeline does, and returns how the file was refused."""
    limits = limits or Limits()
    try:
        validate_image(extract_metadata(data), limits)
        make_thumbnails(data, limits=limits)
    except ImageRejected as refused:
        return refused
    pytest.fail("the file was accepted")


def test_an_empty_file() -> None:
    refused = rejection(b"")
    assert refused.reason is RejectionReason.EMPTY
    assert refused.message == "The file is empty"


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (encode(SMALL, "GIF"), "a GIF file"),
        (encode(SMALL, "TIFF"), "a TIFF file"),
        (encode(SMALL, "BMP"), "a BMP file"),
        (encode(SMALL, "PDF"), "a PDF file"),
        (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "a JPEG XL file"),
    ],
)
def test_other_image_formats_whatever_their_name(data: bytes, named: str) -> None:
    refused = rejection(data)
    assert refused.reason is RejectionReason.UNSUPPORTED_FORMAT
    assert refused.message == f"Not a JPEG, PNG, WebP, HEIC or AVIF image (it is {named})"


def test_text_disguised_as_a_jpeg() -> None:
    refused = rejection(b"person\nbicycle\ncar\n")
    assert refused.reason is RejectionReason.UNSUPPORTED_FORMAT
    assert refused.message == "Not a JPEG, PNG, WebP, HEIC or AVIF image"


@pytest.mark.parametrize("make_header", [jpeg_header_only, png_header_only])
def test_too_many_pixels_is_refused_from_the_header_before_decoding(make_header) -> None:
    refused = rejection(make_header(10_001, 10_000))
    assert refused.reason is RejectionReason.TOO_LARGE_PIXELS
    assert refused.message == "Image is larger than 100 megapixels"


def test_the_pixel_limit_is_configurable() -> None:
    refused = rejection(jpeg(Image.new("RGB", (100, 100))), Limits(max_pixels=5_000))
    assert refused.message == "Image is larger than 0.005 megapixels"


def test_too_many_bytes() -> None:
    data = jpeg(SMALL)
    refused = rejection(data, Limits(max_bytes=len(data) - 1))
    assert refused.reason is RejectionReason.TOO_LARGE_BYTES


def test_a_png_text_chunk_decompression_bomb() -> None:
    bomb = png_chunk(b"zTXt", b"big\x00\x00" + zlib.compress(b"\x00" * 5_000_000, 9))
    refused = rejection(insert_png_chunk(png(SMALL), bomb, before=b"IDAT"))
    assert refused.reason is RejectionReason.TOO_LARGE_PIXELS
    assert "decompression bomb" in refused.message


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut in the middle of the image data
        lambda data: data[:200],  # cut inside the header
        lambda data: data[:2] + b"\xff\xd9",  # start, then end, with no image
    ],
)
def test_a_damaged_jpeg_is_corrupt(damage) -> None:
    refused = rejection(damage(jpeg(Image.effect_noise((300, 300), 60).convert("RGB"))))
    assert refused.reason is RejectionReason.CORRUPT
    assert refused.message.startswith("The image is damaged or incomplete")


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut inside the image data
        lambda data: data[:8] + b"\xf4\xa8\x81\xe1" * 10,  # a signature, then garbage
        lambda data: data.replace(b"IHDR", b"IHDr", 1),  # a damaged header chunk
        lambda data: data[:-12],  # no IEND
    ],
)
def test_a_damaged_png_is_corrupt(damage) -> None:
    refused = rejection(damage(png(Image.effect_noise((300, 300), 60).convert("RGB"))))
    assert refused.reason is RejectionReason.CORRUPT


def test_damaged_image_data_inside_a_complete_png_is_corrupt() -> None:
    data = bytearray(png(Image.effect_noise((300, 300), 60).convert("RGB")))
    start = data.index(b"IDAT") + 4
    data[start + 100 : start + 400] = b"\x00" * 300
    assert rejection(bytes(data)).reason is RejectionReason.CORRUPT


def test_the_message_survives_lambda_as_json() -> None:
    refused = rejection(b"")
    assert json.loads(str(refused)) == {"reason": "empty", "message": "The file is empty"}
