"""`redact_gps`: the location goes, everything else stays where it was, in every container."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from processing.exif import TAG_GPS_IFD
from processing.metadata import extract_metadata, read_header
from processing.redaction import LocationNotRemovable, redact_gps
from processing.thumbnails import make_thumbnails
from tests.processing.exif_fixtures import LISBON_GPS
from tests.processing.images import (
    encode,
    exif_block,
    insert_png_chunk,
    jpeg,
    orientation_card,
    png_chunk,
)
from tests.processing.test_phone_formats import IPHONE_XS

XMP_ATTRIBUTES = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="38,42.834N" exif:GPSLongitude="9,8.364W" exif:ExposureTime="1/250">'
    b"<exif:GPSAltitude>25/2</exif:GPSAltitude>"
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)


def located_exif() -> Image.Exif:
    return exif_block(orientation=6, make="Canon", model="Canon EOS R6", gps=LISBON_GPS)


def gps_value_bytes(data: bytes) -> list[bytes]:
    """The GPS latitude's and longitude's rationals as the file stores them, both byte orders."""
    tiff = read_header(data).exif
    assert tiff is not None
    exif = Image.Exif()
    exif.load(b"Exif\x00\x00" + tiff)
    gps = exif.get_ifd(TAG_GPS_IFD)
    found = []
    for tag in (2, 4):
        pairs = [(value.numerator, value.denominator) for value in gps[tag]]
        for order in "<>":
            found.append(b"".join(struct.pack(order + "II", *pair) for pair in pairs))
    return found


def jpeg_with_xmp() -> bytes:
    data = jpeg(exif=located_exif())
    body = b"http://ns.adobe.com/xap/1.0/\x00" + XMP_ATTRIBUTES
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    return data[:2] + segment + data[2:]


def png_with_exif_and_xmp() -> bytes:
    data = encode(orientation_card(), "PNG", exif=located_exif().tobytes())
    itxt = png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + XMP_ATTRIBUTES)
    return insert_png_chunk(data, itxt, before=b"IDAT")


CASES = {
    "jpeg": jpeg_with_xmp,
    "png": png_with_exif_and_xmp,
    "webp": lambda: encode(orientation_card(), "WEBP", exif=located_exif().tobytes()),
    "avif": lambda: encode(orientation_card(), "AVIF", exif=located_exif().tobytes()),
    "heic": lambda: IPHONE_XS,
}


@pytest.mark.parametrize("kind", CASES)
def test_the_position_is_gone_and_the_rest_is_kept(kind: str) -> None:
    data = CASES[kind]()
    before = extract_metadata(data)
    assert before.gps is not None
    redacted = redact_gps(data)
    after = extract_metadata(redacted)
    assert after.gps is None
    assert len(redacted) == len(data)  # in place: no offset moved
    # Camera, time, orientation and size are still there; the picture still decodes.
    assert (after.camera_model, after.taken_at, after.orientation) == (
        before.camera_model,
        before.taken_at,
        before.orientation,
    )
    assert (after.width, after.height) == (before.width, before.height)
    assert make_thumbnails(redacted)
    tiff = read_header(redacted).exif
    assert tiff is not None
    exif = Image.Exif()
    exif.load(b"Exif\x00\x00" + tiff)
    assert TAG_GPS_IFD not in exif
    for value in gps_value_bytes(data):
        assert value not in redacted


@pytest.mark.parametrize("kind", ["jpeg", "png"])
def test_xmp_gps_properties_are_blanked(kind: str) -> None:
    redacted = redact_gps(CASES[kind]())
    assert b"GPS" not in redacted
    assert b"38,42.834N" not in redacted
    assert b"9,8.364W" not in redacted
    assert b'exif:ExposureTime="1/250"' in redacted  # other XMP stays


def test_a_png_keeps_valid_checksums() -> None:
    redacted = redact_gps(png_with_exif_and_xmp())
    image = Image.open(io.BytesIO(redacted))
    image.load()  # Pillow checks every chunk's CRC on the way
    assert image.size == (600, 400)


def test_a_file_without_a_location_comes_back_unchanged() -> None:
    data = jpeg(exif=exif_block(make="Canon"))
    assert redact_gps(data) == data


def test_a_position_it_cannot_reach_is_refused_not_served() -> None:
    # ImageMagick's hex-text EXIF profile in a PNG: read by the pipeline, not rewritten here.
    payload = located_exif().tobytes()
    text = f"\nexif\n{len(payload):8d}\n{payload.hex()}\n".encode()
    chunk = png_chunk(b"zTXt", b"Raw profile type exif\x00\x00" + zlib.compress(text))
    data = insert_png_chunk(encode(orientation_card(), "PNG"), chunk, before=b"IEND")
    assert extract_metadata(data).gps is not None
    with pytest.raises(LocationNotRemovable):
        redact_gps(data)


def test_xmp_gps_in_a_compressed_png_chunk_is_refused_not_served() -> None:
    compressed = zlib.compress(XMP_ATTRIBUTES)
    chunk = png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + compressed)
    data = insert_png_chunk(encode(orientation_card(), "PNG"), chunk, before=b"IDAT")
    with pytest.raises(LocationNotRemovable):
        redact_gps(data)


def test_compressed_png_text_without_gps_is_served() -> None:
    chunk = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A tram in Alfama"))
    data = insert_png_chunk(encode(orientation_card(), "PNG"), chunk, before=b"IDAT")
    assert redact_gps(data) == data


def test_both_pictures_of_an_mpo_lose_their_position() -> None:
    out = io.BytesIO()
    second = orientation_card(300, 200)
    orientation_card().save(
        out, "MPO", save_all=True, append_images=[second], exif=located_exif().tobytes()
    )
    data = out.getvalue()
    before = Image.open(io.BytesIO(data))
    before.seek(1)
    assert TAG_GPS_IFD in before.getexif()  # the second picture carries its own EXIF
    after = Image.open(io.BytesIO(redact_gps(data)))
    for frame in range(after.n_frames):
        after.seek(frame)
        assert TAG_GPS_IFD not in after.getexif()
        assert after.getexif()[0x010F] == "Canon"
