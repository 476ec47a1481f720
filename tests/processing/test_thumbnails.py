"""make_thumbnails: sizes, orientation, colour, transparency and what must not leak out."""

import io
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms

from processing.containers import read_png_header
from processing.png_strips import wants_strips
from processing.rejections import ImageRejected
from processing.thumbnails import Thumbnail, fit_within, make_thumbnails, upright_derivative
from tests.processing.exif_fixtures import LISBON_GPS
from tests.processing.images import (
    BOTTOM_LEFT,
    BOTTOM_RIGHT,
    TOP_LEFT,
    TOP_RIGHT,
    exif_block,
    insert_png_chunk,
    jpeg,
    orientation_card,
    png,
    png_chunk,
    stored_for,
)
from tests.processing.png_writer import png_bytes


def opened(thumbnail: Thumbnail) -> Image.Image:
    image = Image.open(io.BytesIO(thumbnail.data))
    image.load()
    return image


def corners(image: Image.Image) -> list[tuple[int, ...]]:
    """The colour a quarter of the way in from each corner, clockwise from top left."""
    rgb = image.convert("RGB")
    w, h = rgb.size
    spots = [(w // 4, h // 4), (3 * w // 4, h // 4), (3 * w // 4, 3 * h // 4), (w // 4, 3 * h // 4)]
    return [rgb.getpixel(spot) for spot in spots]


def close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=False))


UPRIGHT = [TOP_LEFT, TOP_RIGHT, BOTTOM_RIGHT, BOTTOM_LEFT]


def test_each_size_fits_its_box_keeping_the_shape() -> None:
    thumbnails = make_thumbnails(jpeg(orientation_card(4000, 3000)))
    assert [(t.size, t.width, t.height, t.format) for t in thumbnails] == [
        (250, 250, 188, "JPEG"),
        (1024, 1024, 768, "JPEG"),
    ]
    assert all(opened(t).size == (t.width, t.height) for t in thumbnails)


def test_small_images_are_never_enlarged() -> None:
    thumbnails = make_thumbnails(jpeg(orientation_card(120, 80)))
    assert [(t.width, t.height) for t in thumbnails] == [(120, 80), (120, 80)]


def test_sizes_are_configurable() -> None:
    thumbnails = make_thumbnails(jpeg(orientation_card(900, 600)), sizes=(64, 300, 120))
    assert [(t.size, t.width) for t in thumbnails] == [(64, 64), (120, 120), (300, 300)]


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("encoder", ["JPEG", "PNG"])
def test_every_exif_orientation_comes_out_upright(orientation: int, encoder: str) -> None:
    stored = stored_for(orientation_card(600, 400), orientation)
    exif = exif_block(orientation=orientation)
    data = jpeg(stored, exif=exif) if encoder == "JPEG" else png(stored, exif=exif.tobytes())

    for thumbnail in make_thumbnails(data):
        image = opened(thumbnail)
        assert image.width > image.height, f"orientation {orientation} left it on its side"
        for found, wanted in zip(corners(image), UPRIGHT, strict=True):
            assert close(found, wanted), (orientation, corners(image))


def test_an_invalid_orientation_is_left_as_stored() -> None:
    thumbnail = make_thumbnails(jpeg(orientation_card(), exif=exif_block(orientation=0)))[0]
    assert all(close(f, w) for f, w in zip(corners(opened(thumbnail)), UPRIGHT, strict=True))


def test_no_metadata_reaches_the_thumbnails() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = exif_block(orientation=6, make="Apple", model="iPhone", gps=LISBON_GPS)
    data = jpeg(orientation_card(), exif=exif, icc_profile=srgb, comment=b"secret")
    for thumbnail in make_thumbnails(data):
        image = opened(thumbnail)
        assert not image.getexif()
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)
        assert b"Exif" not in thumbnail.data
        assert b"secret" not in thumbnail.data


def test_cmyk_jpegs_come_out_in_rgb_with_the_right_colours() -> None:
    data = jpeg(orientation_card().convert("CMYK"))
    thumbnail = make_thumbnails(data)[0]
    image = opened(thumbnail)
    assert image.mode == "RGB"
    assert all(close(f, w, 40) for f, w in zip(corners(image), UPRIGHT, strict=True))


def test_transparency_keeps_png_and_opaque_pictures_become_jpeg() -> None:
    see_through = orientation_card(400, 300, "RGBA")
    see_through.putalpha(128)
    assert {t.format for t in make_thumbnails(png(see_through))} == {"PNG"}
    assert opened(make_thumbnails(png(see_through))[0]).mode == "RGBA"
    assert {t.format for t in make_thumbnails(png(orientation_card(400, 300, "RGBA")))} == {"JPEG"}


def test_a_palette_png_with_a_transparent_colour_keeps_it() -> None:
    image = orientation_card(200, 100).convert("P")
    data = png(image, transparency=image.getpixel((0, 0)))
    thumbnail = opened(make_thumbnails(data)[0])
    assert thumbnail.mode == "RGBA"
    assert thumbnail.getpixel((5, 5))[3] == 0  # the top-left quadrant was the transparent colour
    assert thumbnail.getpixel((195, 95))[3] == 255


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    grey = Image.new("I;16", (64, 64), 32768)  # mid-grey in 16 bits
    thumbnail = opened(make_thumbnails(png(grey))[0])
    assert thumbnail.convert("L").getpixel((10, 10)) == pytest.approx(128, abs=2)


def test_greyscale_stays_greyscale() -> None:
    thumbnail = opened(make_thumbnails(jpeg(orientation_card().convert("L")))[0])
    assert thumbnail.mode == "L"


def test_rgb_png_and_tiny_images() -> None:
    assert make_thumbnails(png(orientation_card()))[0].format == "JPEG"
    tiny = make_thumbnails(png(Image.new("RGB", (1, 1), (9, 9, 9))))
    assert [(t.width, t.height) for t in tiny] == [(1, 1), (1, 1)]


@pytest.mark.parametrize(
    ("size", "box", "expected"),
    [
        ((4000, 3000), 250, (250, 188)),
        ((3000, 4000), 250, (188, 250)),
        ((100, 10_000), 250, (2, 250)),
        ((10_000, 1), 250, (250, 1)),
        ((200, 100), 250, (200, 100)),
    ],
)
def test_fit_within(size: tuple[int, int], box: int, expected: tuple[int, int]) -> None:
    assert fit_within(*size, box) == expected


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
# 1600 px is decoded whole and resampled; 1024 px (a thumbnail's size) is decoded at 5/8.
@pytest.mark.parametrize("width", [1600, 1024])
def test_recognition_sees_the_picture_upright_at_the_size_it_asks_for(
    orientation: int, width: int
) -> None:
    stored = stored_for(orientation_card(width, width * 3 // 4), orientation)
    image = upright_derivative(jpeg(stored, exif=exif_block(orientation=orientation)), box=640)
    assert (image.mode, image.size) == ("RGB", (640, 480))
    for found, wanted in zip(corners(image), UPRIGHT, strict=True):
        assert close(found, wanted), (orientation, corners(image))


def test_recognition_sees_transparency_on_white() -> None:
    clear = Image.new("RGBA", (300, 200), (200, 0, 0, 0))
    image = upright_derivative(png(clear), box=1024)
    assert (image.mode, image.size) == ("RGB", (300, 200))  # never enlarged
    assert image.getpixel((10, 10)) == (255, 255, 255)


def test_recognition_refuses_what_thumbnails_refuse() -> None:
    with pytest.raises(ImageRejected):
        upright_derivative(b"person\nbicycle\n", box=640)


def test_a_png_over_16_megapixels_is_read_in_strips_and_comes_out_upright_and_clean() -> None:
    stored = np.asarray(stored_for(orientation_card(4200, 4100, "RGBA"), 6))  # 17 MP
    data = png_bytes(stored, colour_type=6, level=1)
    exif = png_chunk(b"eXIf", exif_block(orientation=6, make="Canon").tobytes())
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    icc = png_chunk(b"iCCP", b"sRGB\x00\x00" + zlib.compress(srgb))
    data = insert_png_chunk(insert_png_chunk(data, exif, before=b"IDAT"), icc, before=b"IDAT")
    assert wants_strips(read_png_header(data))

    thumbnails = make_thumbnails(data)
    assert [(t.width, t.height, t.format) for t in thumbnails] == [
        (250, 244, "JPEG"),  # its alpha is opaque everywhere
        (1024, 1000, "JPEG"),
    ]
    for thumbnail in thumbnails:
        image = opened(thumbnail)
        assert all(close(f, w) for f, w in zip(corners(image), UPRIGHT, strict=True))
        assert not {"exif", "icc_profile"} & set(image.info)
