"""extract_metadata on JPEG and PNG variants built with Pillow."""

import io
import tracemalloc
import zlib

import pytest
from PIL import Image, ImageCms

from processing.metadata import ImageMetadata, extract_metadata
from tests.processing.exif_fixtures import LISBON_GPS
from tests.processing.images import (
    encode,
    exif_block,
    insert_png_chunk,
    jpeg,
    jpeg_header_only,
    orientation_card,
    png,
    png_chunk,
)


def test_a_camera_jpeg_gives_every_field() -> None:
    exif = exif_block(
        orientation=1,
        make="NIKON CORPORATION",
        model="NIKON D70",
        taken_at="2008:03:15 09:52:01",
        gps=LISBON_GPS,
    )
    data = jpeg(orientation_card(640, 480), exif=exif)

    metadata = extract_metadata(data)

    assert (metadata.format, metadata.format_detail) == ("JPEG", "JPEG")
    assert (metadata.width, metadata.height) == (640, 480)
    assert (metadata.display_width, metadata.display_height) == (640, 480)
    assert metadata.file_size == len(data)
    assert metadata.taken_at == "2008-03-15T09:52:01"
    assert (metadata.camera_make, metadata.camera_model) == ("NIKON CORPORATION", "NIKON D70")
    assert metadata.gps is not None
    assert metadata.gps.latitude == pytest.approx(38.7139, abs=1e-5)
    assert metadata.has_alpha is False
    assert metadata.has_icc_profile is False


@pytest.mark.parametrize(
    ("orientation", "shown"),
    [
        (1, (600, 400)),
        (3, (600, 400)),
        (6, (400, 600)),
        (8, (400, 600)),
        (5, (400, 600)),
        (0, (600, 400)),
    ],
)
def test_display_size_follows_the_orientation(orientation: int, shown: tuple[int, int]) -> None:
    metadata = extract_metadata(jpeg(orientation_card(), exif=exif_block(orientation=orientation)))
    assert metadata.orientation == orientation
    assert (metadata.display_width, metadata.display_height) == shown


def test_no_exif_means_no_orientation_and_no_camera() -> None:
    metadata = extract_metadata(jpeg())
    assert metadata.orientation is None
    assert metadata.camera_make is None
    assert metadata.taken_at is None


def test_an_mpo_counts_as_jpeg() -> None:
    frames = [orientation_card(), orientation_card().transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    out = io.BytesIO()
    frames[0].save(out, "MPO", save_all=True, append_images=frames[1:])
    metadata = extract_metadata(out.getvalue())
    assert (metadata.format, metadata.format_detail) == ("JPEG", "MPO")


def test_an_icc_profile_is_noticed() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    assert extract_metadata(jpeg(icc_profile=srgb)).has_icc_profile
    assert extract_metadata(png(icc_profile=srgb)).has_icc_profile


def test_png_sizes_alpha_and_exif_chunk() -> None:
    data = png(orientation_card(300, 200, "RGBA"), exif=exif_block(orientation=6).tobytes())
    metadata = extract_metadata(data)
    assert (metadata.format, metadata.width, metadata.height) == ("PNG", 300, 200)
    assert metadata.orientation == 6
    assert (metadata.display_width, metadata.display_height) == (200, 300)
    assert metadata.has_alpha


def test_png_exif_after_the_image_data_is_found_without_decoding() -> None:
    chunk = png_chunk(b"eXIf", exif_block(orientation=3, make="Pentax").tobytes()[6:])
    data = insert_png_chunk(png(), chunk, before=b"IEND")
    metadata = extract_metadata(data)
    assert (metadata.orientation, metadata.camera_make) == (3, "Pentax")


def test_png_exif_written_by_imagemagick_as_hex_text_is_read() -> None:
    payload = exif_block(orientation=3).tobytes()
    text = f"\nexif\n{len(payload):8d}\n{payload.hex()}\n".encode()
    chunk = png_chunk(b"zTXt", b"Raw profile type exif\x00\x00" + zlib.compress(text))
    metadata = extract_metadata(insert_png_chunk(png(), chunk, before=b"IDAT"))
    assert metadata.orientation == 3


def test_orientation_only_in_xmp_is_not_exif() -> None:
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><tiff:Orientation>3</tiff:Orientation></x:xmpmeta>'
    chunk = png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp)
    metadata = extract_metadata(insert_png_chunk(png(), chunk, before=b"IDAT"))
    assert metadata.orientation is None


def test_an_animated_png_counts_as_png() -> None:
    frames = [orientation_card(64, 64), orientation_card(64, 64).rotate(90)]
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:])
    metadata = extract_metadata(out.getvalue())
    assert (metadata.format, metadata.format_detail) == ("PNG", "APNG")


def test_a_png_named_otherwise_is_still_png() -> None:
    assert extract_metadata(encode(Image.new("1", (20, 10)), "PNG")).format == "PNG"


def test_headers_only_a_gigapixel_header_is_read_without_decoding() -> None:
    data = jpeg_header_only(60_000, 50_000)  # 3 gigapixels: decoding would need 9 GB
    tracemalloc.start()
    metadata = extract_metadata(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (metadata.width, metadata.height) == (60_000, 50_000)
    assert peak < 100_000


def test_metadata_round_trips_through_json_ready_data() -> None:
    metadata = extract_metadata(jpeg(exif=exif_block(orientation=6, gps=LISBON_GPS)))
    assert ImageMetadata.from_dict(metadata.to_dict()) == metadata
