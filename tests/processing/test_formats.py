import pytest
from PIL import Image

from processing.formats import sniff_format
from tests.processing.images import encode, jpeg, png

SMALL = Image.new("RGB", (8, 8), (10, 20, 30))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (jpeg(SMALL), "JPEG"),
        (png(SMALL), "PNG"),
        (encode(SMALL, "GIF"), "GIF"),
        (encode(SMALL, "WEBP"), "WEBP"),
        (encode(SMALL, "TIFF"), "TIFF"),
        (encode(SMALL, "BMP"), "BMP"),
        (encode(SMALL, "PDF"), "PDF"),
        (encode(SMALL, "ICO"), "ICO"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1", "AVIF"),
        (encode(SMALL, "AVIF"), "AVIF"),
        # Brands named only after a generic major brand: an AVIF always names 'avif'.
        (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1miafavif", "AVIF"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "HEIC"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isommp41", None),  # a video
        (b"person\nbicycle\ncar\n", None),
        (b"", None),
    ],
)
def test_it_recognises_formats_by_their_content(data: bytes, expected: str | None) -> None:
    assert sniff_format(data) == expected
