"""Every reason a photo can be refused for reads as plain English: no library or module names, no
exception classes, no decoder's own text. Checked two ways: every message the code can build
(each classmethod, each call site's detail), and the messages real broken files produce."""

from __future__ import annotations

import ast
import inspect
import re
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from processing import formats
from processing.containers import read_png_header
from processing.jpeg_dc import decode_dc
from processing.png_strips import decode_reduced
from processing.rejections import Damage, ImageRejected, RejectionReason
from processing.validation import Limits
from tests.processing.images import insert_png_chunk, jpeg, png, png_chunk
from tests.processing.test_rejections import rejection

PROCESSING = Path(__file__).resolve().parents[2] / "processing"

# Names a person should never be shown: the libraries and modules that decode images.
LIBRARY_NAMES = {
    "pyspng", "spng", "libspng", "pillow", "pil", "libjpeg", "libpng", "zlib", "numpy", "python",
    "struct", "png_strips", "jpeg_dc", "containers", "thumbnails", "processing",
}  # fmt: skip
# The only words in capitals a message may hold: format names, and the megabyte.
CAPITALS = (
    {word for name in formats.SUPPORTED_FORMATS for word in name.split()}
    | {word for _, name in formats._SIGNATURES for word in name.split()}
    | {"WEBP", "AVIF", "HEIC", "MB"}
)
# Format names as their makers spell them ("WebP"): the one mixed case a message may hold.
FORMAT_NAMES = set(re.findall(r"[A-Za-z]+", formats.SUPPORTED_IN_WORDS)) - {"or"}


def assert_plain(message: str) -> None:
    """One sentence of plain words: letters, digits, spaces and ordinary punctuation, starting
    with a capital; no identifier (snake_case or CamelCase), no "Error:" or "pyspng:" prefix,
    no traceback, no library name, no quoted text from a decoder."""
    assert re.fullmatch(r"[A-Z][A-Za-z0-9 ,.()-]*[A-Za-z0-9)]", message), message
    assert "_" not in message, message
    assert ":" not in message, message
    assert "error" not in message.lower(), message
    assert "traceback" not in message.lower(), message
    words = re.findall(r"[A-Za-z]+", message)
    assert not [w for w in words if w.lower() in LIBRARY_NAMES], message
    camel = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]")
    assert not [w for w in words if camel.search(w) and w not in FORMAT_NAMES], message
    assert not [w for w in words if w.isupper() and len(w) > 1 and w not in CAPITALS], message


# --- By construction --------------------------------------------------------------------------

DETECTED = sorted({name for _, name in formats._SIGNATURES} | {"WEBP", "AVIF", "HEIC"})
SAMPLES: dict[str, list[tuple[object, ...]]] = {
    "empty": [()],
    "unsupported": [(None,), *((name,) for name in DETECTED)],
    "too_many_pixels": [(100_000_000,), (5_000,), (123_456_789,)],
    "decompression_bomb": [()],
    "too_many_bytes": [(25_000_000,), (1,), (1_500_000,)],
    "corrupt": [(damage,) for damage in Damage],
    "too_complex": [()],
}


def every_constructible_rejection() -> list[ImageRejected]:
    return [
        getattr(ImageRejected, name)(*args) for name, cases in SAMPLES.items() for args in cases
    ]


def test_every_way_to_build_a_rejection_has_sample_arguments_here() -> None:
    builders = {
        name
        for name, member in inspect.getmembers(ImageRejected)
        if inspect.ismethod(member) and member.__self__ is ImageRejected
    }
    assert builders == set(SAMPLES)


@pytest.mark.parametrize("refused", every_constructible_rejection(), ids=str)
def test_every_message_the_code_can_build_is_plain(refused: ImageRejected) -> None:
    assert_plain(refused.message)


def rejection_calls() -> list[tuple[str, int, str, list[ast.expr]]]:
    calls = []
    for path in sorted(PROCESSING.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "ImageRejected"
            ):
                calls.append((path.name, node.lineno, node.func.attr, node.args))
    return calls


def test_every_call_site_passes_a_fixed_detail_never_text() -> None:
    """A call site cannot hand a decoder's text to a person: `corrupt` takes only a Damage
    member, written out, and no call builds an ImageRejected from free text."""
    calls = rejection_calls()
    assert len(calls) >= 20  # the walk found the call sites
    for where, line, name, args in calls:
        assert name in SAMPLES, f"{where}:{line} builds ImageRejected.{name}"
        if name == "corrupt":
            (detail,) = args
            assert isinstance(detail, ast.Attribute), f"{where}:{line}"
            assert isinstance(detail.value, ast.Name), f"{where}:{line}"
            assert detail.value.id == "Damage", f"{where}:{line}"
            assert detail.attr in Damage.__members__, f"{where}:{line}"
        for arg in args:
            assert not isinstance(arg, ast.JoinedStr | ast.Constant), f"{where}:{line} passes text"


# --- From real broken files -------------------------------------------------------------------


def refusal(step: Callable[[], object]) -> ImageRejected:
    with pytest.raises(ImageRejected) as refused:
        step()
    return refused.value


NOISE = Image.effect_noise((300, 300), 60)
A_JPEG = jpeg(NOISE.convert("RGB"))
A_PNG = png(NOISE.convert("RGB"))
A_PALETTE_PNG = png(NOISE.convert("RGB").quantize(64))
SOF0_300_BY_300 = b"\xff\xc0\x00\x11\x08\x01\x2c\x01\x2c"  # baseline frame: 8 bits, height, width
A_PROGRESSIVE_JPEG = jpeg(NOISE.convert("RGB"), progressive=True)


def zeroed_image_data(data: bytes) -> bytes:
    damaged = bytearray(data)
    start = damaged.index(b"IDAT") + 4
    damaged[start + 100 : start + 400] = b"\x00" * 300
    return bytes(damaged)


def flipped_byte(data: bytes, at: int) -> bytes:
    damaged = bytearray(data)
    damaged[at] ^= 0xFF
    return bytes(damaged)


def cut_dc_scan(data: bytes) -> bytes:
    first_scan = data.index(b"\xff\xda")
    (length,) = struct.unpack_from(">H", data, first_scan + 2)
    return data[: first_scan + 2 + length + 100] + b"\xff\xd9"


def strip_png(scanlines: bytes) -> bytes:
    """A 64 x 64 RGB PNG whose image data is ``scanlines`` (already compressed)."""
    data = png(Image.effect_noise((64, 64), 60).convert("RGB"))
    start, end = data.index(b"IDAT") - 4, data.index(b"IEND") - 4
    return data[:start] + png_chunk(b"IDAT", scanlines) + data[end:]


def via_strips(data: bytes) -> ImageRejected:
    return refusal(lambda: decode_reduced(data, read_png_header(data), (16, 16)))


ENDS_EARLY = "The image is damaged or incomplete (its data ends early)"
NO_IMAGE_DATA = "The image is damaged or incomplete (it has no image data)"
HEADER = "The image is damaged or incomplete (its header is damaged)"
CHECKSUM = "The image is damaged or incomplete (part of the file fails its checksum)"
IMAGE_DATA = "The image is damaged or incomplete (its image data is damaged)"
TOO_COMPLEX = "The image is too complex to decode safely"

REAL = {
    "an empty file": (lambda: rejection(b""), "The file is empty"),
    "a GIF": (
        lambda: rejection(b"GIF89a" + bytes(40)),
        "Not a JPEG, PNG, WebP, HEIC or AVIF image (it is a GIF file)",
    ),
    "text": (lambda: rejection(b"hello, world"), "Not a JPEG, PNG, WebP, HEIC or AVIF image"),
    "too many bytes": (
        lambda: rejection(A_JPEG, Limits(max_bytes=1_000)),
        "File is larger than 0.001 MB",
    ),
    "too many pixels": (
        lambda: rejection(A_JPEG, Limits(max_pixels=5_000)),
        "Image is larger than 0.005 megapixels",
    ),
    "a text-chunk bomb": (
        lambda: rejection(
            insert_png_chunk(
                A_PNG,
                png_chunk(b"zTXt", b"k\x00\x00" + zlib.compress(b"x" * 20_000_000)),
                before=b"IDAT",
            )
        ),
        "Image data expands far beyond its file size (a decompression bomb)",
    ),
    "a JPEG cut in its image data (Pillow)": (
        lambda: rejection(A_JPEG[: len(A_JPEG) // 2]),
        ENDS_EARLY,
    ),
    "a JPEG cut in its header": (lambda: rejection(A_JPEG[:200]), ENDS_EARLY),
    "a JPEG with no image": (lambda: rejection(A_JPEG[:2] + b"\xff\xd9"), NO_IMAGE_DATA),
    "a JPEG whose frame header says zero rows": (
        lambda: rejection(
            A_JPEG.replace(SOF0_300_BY_300, SOF0_300_BY_300[:5] + b"\0\0" + SOF0_300_BY_300[7:], 1)
        ),
        HEADER,
    ),
    "a PNG signature, then garbage": (
        lambda: rejection(A_PNG[:8] + b"\xf4\xa8\x81\xe1" * 10),
        HEADER,
    ),
    "a PNG with a bad header checksum": (
        lambda: rejection(flipped_byte(A_PNG, A_PNG.index(b"IHDR") + 14)),
        CHECKSUM,
    ),
    "a PNG with a bad text-chunk checksum": (
        lambda: rejection(
            flipped_byte(
                insert_png_chunk(A_PNG, png_chunk(b"tEXt", b"Title\x00A dog"), before=b"IDAT"),
                A_PNG.index(b"IDAT") + 8,
            )
        ),
        CHECKSUM,
    ),
    "a PNG cut in its image data": (lambda: rejection(A_PNG[: len(A_PNG) // 2]), ENDS_EARLY),
    "a PNG without IEND": (lambda: rejection(A_PNG[:-12]), ENDS_EARLY),
    "zeroed image data in a PNG (pyspng)": (
        lambda: rejection(zeroed_image_data(A_PNG)),
        IMAGE_DATA,
    ),
    "a flipped image-data byte in a PNG (pyspng)": (
        lambda: rejection(flipped_byte(A_PNG, A_PNG.index(b"IDAT") + 6)),
        IMAGE_DATA,
    ),
    "zeroed image data in a palette PNG (Pillow)": (
        lambda: rejection(zeroed_image_data(A_PALETTE_PNG)),
        IMAGE_DATA,
    ),
    "a palette PNG cut short, IEND kept (Pillow)": (
        lambda: rejection(A_PALETTE_PNG[: len(A_PALETTE_PNG) // 2] + A_PALETTE_PNG[-12:]),
        ENDS_EARLY,
    ),
    "thousands of text chunks (pyspng's chunk/cache limits)": (
        lambda: rejection(
            insert_png_chunk(
                A_PNG,
                b"".join(png_chunk(b"tEXt", b"k\x00" + b"v" * 10) for _ in range(5000)),
                before=b"IDAT",
            )
        ),
        TOO_COMPLEX,
    ),
    "a cut progressive DC scan (jpeg_dc)": (
        lambda: refusal(lambda: decode_dc(cut_dc_scan(A_PROGRESSIVE_JPEG))),
        IMAGE_DATA,
    ),
    "image data cut short (png_strips)": (
        lambda: via_strips(strip_png(zlib.compress(bytes(40 * (1 + 64 * 3))))),
        ENDS_EARLY,
    ),
    "an unknown filter type (png_strips, libspng)": (
        lambda: via_strips(strip_png(zlib.compress(bytes([7]) + bytes(64 * (1 + 64 * 3))))),
        IMAGE_DATA,
    ),
    "image data that is not zlib (png_strips)": (
        lambda: via_strips(strip_png(b"\x78\x9c" + bytes(range(200)))),
        IMAGE_DATA,
    ),
}


@pytest.mark.parametrize("case", REAL, ids=list(REAL))
def test_a_real_broken_file_is_refused_in_plain_words(case: str) -> None:
    produce, expected = REAL[case]
    refused = produce()
    assert refused.message == expected
    assert_plain(refused.message)


def test_the_real_files_produce_every_detail_and_every_kind_of_reason() -> None:
    produced = {expected for _, expected in REAL.values()}
    assert {ImageRejected.corrupt(damage).message for damage in Damage} <= produced
    assert ImageRejected.too_complex().message in produced
    reasons = {refusal.reason for refusal in every_constructible_rejection()}
    assert reasons == set(RejectionReason)


@pytest.mark.parametrize(
    "text",
    [
        "pyspng: could not decode image: reached chunk/cache limits",
        "The image is damaged or incomplete: image file is truncated (8 bytes not processed)",
        "Error: broken data stream when reading image file",
        "OSError raised",
        "its tEXt chunk is damaged",
        "Error -3 while decompressing data: invalid distance too far back",
        "Traceback (most recent call last)",
        "see png_strips",
        "IDAT stream error",
    ],
)
def test_the_plain_words_rule_catches_what_people_used_to_see(text: str) -> None:
    with pytest.raises(AssertionError):
        assert_plain(text)
