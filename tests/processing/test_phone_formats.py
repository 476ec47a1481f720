"""The formats phones save besides JPEG: WebP, AVIF (built here with Pillow) and HEIC (real files
from pi-heif's test suite, tests/processing/heif/README.md: no HEIC encoder may be used here)."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pi_heif
import pytest
from PIL import Image

from processing import thumbnails
from processing.metadata import extract_metadata
from processing.rejections import ImageRejected, RejectionReason
from processing.thumbnails import make_thumbnails, upright_derivative
from processing.validation import Limits
from tests.processing.exif_fixtures import LISBON_GPS
from tests.processing.images import encode, exif_block, orientation_card, stored_for
from tests.processing.test_rejection_messages import assert_plain
from tests.processing.test_rejections import rejection
from tests.processing.test_thumbnails import UPRIGHT, close, corners, opened

HEIF = Path(__file__).parent / "heif"
# An iPhone XS photo: EXIF time with its offset, camera, GPS, an ICC profile; 1025 x 900.
IPHONE_XS = (HEIF / "empty_icc.heic").read_bytes()
# An iPhone 8 Plus photo of an arrow pointing up, stored on its side (4032 x 3024) and turned by
# the container's irot box (EXIF orientation 6 says the same).
ARROW = (HEIF / "arrow.heic").read_bytes()
# pi-heif's damaged sample: its item data ends before the file does.
CORRUPTED_HEIC = (HEIF / "corrupted.heic").read_bytes()

BUILT = ("WEBP", "AVIF")
LOSSLESS_WEBP = {"format": "WEBP", "lossless": True}


def built(format: str, image: Image.Image | None = None, **save: object) -> bytes:
    return encode(image if image is not None else orientation_card(640, 480), format, **save)


def box(data: bytes, kind: bytes) -> int:
    """Where the body of the first ``kind`` box or chunk starts (its size is 8 bytes before)."""
    return data.index(kind) + 4


# --- Accepted, with their sizes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "format", "size"),
    [
        (built("WEBP"), "WEBP", (640, 480)),
        (built("WEBP", lossless=True), "WEBP", (640, 480)),
        (built("AVIF"), "AVIF", (640, 480)),
        (IPHONE_XS, "HEIC", (1025, 900)),
        (ARROW, "HEIC", (4032, 3024)),
    ],
    ids=["webp-lossy", "webp-lossless", "avif", "heic", "heic-turned"],
)
def test_phone_formats_are_accepted_with_their_stored_size(
    data: bytes, format: str, size: tuple[int, int]
) -> None:
    metadata = extract_metadata(data)
    assert (metadata.format, metadata.width, metadata.height) == (format, *size)
    assert metadata.file_size == len(data)
    made = make_thumbnails(data)
    assert [t.size for t in made] == [250, 1024]
    assert all(t.format == "JPEG" for t in made)  # derivatives are JPEG whatever came in


@pytest.mark.parametrize("format", BUILT)
def test_webp_and_avif_thumbnails_keep_the_shape_and_the_colours(format: str) -> None:
    small, large = make_thumbnails(built(format))
    assert (small.width, small.height, large.width, large.height) == (250, 188, 640, 480)
    image = opened(large)
    assert all(close(f, w, 20) for f, w in zip(corners(image), UPRIGHT, strict=True))


def test_a_transparent_webp_keeps_its_transparency_as_png() -> None:
    card = orientation_card(200, 100).convert("RGBA")
    card.putpixel((5, 5), (0, 0, 0, 0))
    data = built("WEBP", card, lossless=True)
    assert extract_metadata(data).has_alpha
    [small, _] = make_thumbnails(data)
    assert small.format == "PNG"


# --- Orientation --------------------------------------------------------------------------------


@pytest.mark.parametrize("format", BUILT)
def test_exif_orientation_6_comes_out_upright(format: str) -> None:
    stored = stored_for(orientation_card(600, 400), 6)  # 400 x 600, on its side
    data = built(format, stored, exif=exif_block(orientation=6).tobytes())
    metadata = extract_metadata(data)
    assert metadata.orientation == 6
    assert (metadata.display_width, metadata.display_height) == (600, 400)
    for thumbnail in make_thumbnails(data):
        image = opened(thumbnail)
        assert image.width > image.height
        assert all(close(f, w, 20) for f, w in zip(corners(image), UPRIGHT, strict=True))


def test_an_avif_is_turned_by_its_irot_box() -> None:
    # Pillow writes EXIF orientation 6 as the box irot (a quarter turn anticlockwise, three
    # times), which is what AVIF readers follow.
    data = built("AVIF", stored_for(orientation_card(600, 400), 6), exif=exif_block(orientation=6))
    assert data[box(data, b"irot")] & 3 == 3
    image = upright_derivative(data, box=300)
    assert image.size == (300, 200)
    assert all(close(f, w, 20) for f, w in zip(corners(image), UPRIGHT, strict=True))


def widest_row(image: Image.Image) -> float:
    """Where, from 0 (top) to 1 (bottom), the dark drawing is widest: an arrow's head."""
    dark = np.asarray(image.convert("L")) < 80
    rows = [(np.ptp(np.flatnonzero(row)) if row.any() else 0) for row in dark]
    return int(np.argmax(rows)) / len(rows)


def test_a_turned_iphone_heic_comes_out_upright() -> None:
    metadata = extract_metadata(ARROW)
    assert metadata.orientation == 6
    assert (metadata.display_width, metadata.display_height) == (3024, 4032)
    small, large = make_thumbnails(ARROW)
    assert (small.width, small.height, large.width, large.height) == (188, 250, 768, 1024)
    assert widest_row(opened(large)) < 0.5  # the head is above the shaft: pointing up
    assert upright_derivative(ARROW, box=640).size == (480, 640)


# --- EXIF: time, camera, GPS ------------------------------------------------------------------


@pytest.mark.parametrize("format", BUILT)
def test_exif_time_camera_and_gps_are_read_from_webp_and_avif(format: str) -> None:
    exif = exif_block(
        make="Google",
        model="Pixel 9",
        taken_at="2026:05:01 18:30:05",
        offset="+01:00",
        gps=LISBON_GPS,
    )
    metadata = extract_metadata(built(format, exif=exif.tobytes()))
    assert metadata.taken_at == "2026-05-01T18:30:05+01:00"
    assert (metadata.camera_make, metadata.camera_model) == ("Google", "Pixel 9")
    assert metadata.gps is not None
    assert metadata.gps.latitude == pytest.approx(38.7139, abs=1e-5)
    assert metadata.gps.longitude == pytest.approx(-9.1394, abs=1e-5)


def test_exif_time_camera_and_gps_are_read_from_an_iphone_heic() -> None:
    metadata = extract_metadata(IPHONE_XS)
    assert metadata.taken_at == "2021-07-06T16:08:14+03:00"
    assert (metadata.camera_make, metadata.camera_model) == ("Apple", "iPhone XS")
    assert metadata.gps is not None
    assert metadata.gps.latitude == pytest.approx(46 + 45 / 60 + 16.93 / 3600, abs=1e-6)
    assert metadata.gps.longitude == pytest.approx(33 + 20 / 60 + 9.98 / 3600, abs=1e-6)
    assert metadata.has_icc_profile


@pytest.mark.parametrize("data", [built("WEBP", exif=exif_block(make="Google")), IPHONE_XS])
def test_no_exif_or_gps_reaches_the_thumbnails(data: bytes) -> None:
    for thumbnail in make_thumbnails(data):
        assert b"Exif\x00" not in thumbnail.data
        assert not opened(thumbnail).getexif()


# --- Damaged files ----------------------------------------------------------------------------


def flipped(data: bytes, start: int, count: int = 64) -> bytes:
    damaged = bytearray(data)
    for at in range(start, start + count):
        damaged[at] ^= 0x5A
    return bytes(damaged)


def cut(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


WEBP = built("WEBP", Image.effect_noise((300, 200), 60).convert("RGB"))
AVIF = built("AVIF", Image.effect_noise((300, 200), 60).convert("RGB"))
DAMAGED = {
    "a cut WebP": (cut(WEBP), "The image is damaged or incomplete (its data ends early)"),
    "a cut AVIF": (cut(AVIF), "The image is damaged or incomplete (its data ends early)"),
    "a cut HEIC": (cut(IPHONE_XS), "The image is damaged or incomplete (its data ends early)"),
    "pi-heif's corrupted HEIC": (
        CORRUPTED_HEIC,
        "The image is damaged or incomplete (its data ends early)",
    ),
    "a WebP with damaged image data": (
        flipped(WEBP, box(WEBP, b"VP8 ") + 4),
        "The image is damaged or incomplete (its header is damaged)",
    ),
    "a WebP whose size header is cut": (
        WEBP[:14],
        "The image is damaged or incomplete (its data ends early)",
    ),
    "an AVIF whose box sizes are damaged": (
        flipped(AVIF, box(AVIF, b"meta") - 8, 4),
        "The image is damaged or incomplete (its data ends early)",
    ),
}


@pytest.mark.parametrize(("data", "message"), DAMAGED.values(), ids=DAMAGED.keys())
def test_damaged_phone_formats_are_refused_in_plain_words(data: bytes, message: str) -> None:
    refused = rejection(data)
    assert refused.reason is RejectionReason.CORRUPT
    assert refused.message == message
    assert_plain(refused.message)


@pytest.mark.parametrize(
    "data",
    [
        flipped(AVIF, len(AVIF) - 400, 300),
        flipped(WEBP, len(WEBP) - 400, 300),
        flipped(IPHONE_XS, len(IPHONE_XS) - 30_000, 2_000),
    ],
    ids=["avif", "webp", "heic"],
)
def test_damaged_image_data_is_refused_or_decoded_never_an_error(data: bytes) -> None:
    """Damage inside compressed data may decode to noise (codecs resynchronise); what must not
    happen is anything but a thumbnail or a plain refusal."""
    try:
        make_thumbnails(data)
    except ImageRejected as refused:  # anything else fails the test by itself
        assert refused.reason is RejectionReason.CORRUPT  # noqa: PT017
        assert_plain(refused.message)


# --- The pixel limit, before decoding ---------------------------------------------------------


def webp_claiming(width: int, height: int) -> bytes:
    data = bytearray(built("WEBP", exif=exif_block(make="Google").tobytes()))  # VP8X
    at = box(data, b"VP8X") + 4 + 4
    data[at : at + 6] = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return bytes(data)


def iso_claiming(data: bytes, width: int, height: int) -> bytes:
    """The file with its primary item's ispe box (the first one) saying ``width`` x ``height``."""
    at = box(data, b"ispe") + 4
    return data[:at] + struct.pack(">II", width, height) + data[at + 8 :]


@pytest.mark.parametrize(
    "data",
    [
        webp_claiming(12_000, 10_000),
        iso_claiming(built("AVIF"), 12_000, 10_000),
        iso_claiming(IPHONE_XS, 12_000, 10_000),
    ],
    ids=["webp", "avif", "heic"],
)
def test_the_pixel_limit_is_enforced_from_the_header_before_any_decode(
    data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("decoded a file the header already refuses")

    monkeypatch.setattr(pi_heif, "open_heif", no_decoding)
    monkeypatch.setattr(thumbnails.Image, "open", no_decoding)
    assert extract_metadata(data).pixels == 120_000_000
    refused = rejection(data)
    assert refused.reason is RejectionReason.TOO_LARGE_PIXELS
    assert refused.message == "Image is larger than 100 megapixels"
    assert rejection(IPHONE_XS, Limits(max_pixels=900_000)).reason is (
        RejectionReason.TOO_LARGE_PIXELS
    )


def test_a_real_heic_under_the_limit_still_decodes_after_the_header_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The decode sets Pillow's own limit to ours; put it back for the tests that follow.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    thumbnail = make_thumbnails(IPHONE_XS, limits=Limits(max_pixels=922_500))[0]
    assert (thumbnail.width, thumbnail.height) == (250, 220)
    assert Image.open(io.BytesIO(thumbnail.data)).format == "JPEG"
