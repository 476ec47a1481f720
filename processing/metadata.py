"""`extract_metadata`: the facts about an uploaded image, from its headers alone.

Format comes from the content (MPO counts as JPEG, APNG as PNG), sizes from the frame header,
IHDR, VP8X/VP8/VP8L or the HEIF/AVIF ``ispe`` box, everything else from EXIF only (never XMP or
maker notes, which disagree too often). HEIC and AVIF are turned by their ``irot``/``imir`` boxes,
which their decoders follow and which override EXIF there, so their orientation is those boxes'
effect as an EXIF code. No pixel is decoded, so time and memory do not grow with the image.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from processing.containers import (
    ImageHeader,
    read_iso_header,
    read_jpeg_header,
    read_png_header,
    read_webp_header,
)
from processing.exif import ExifData, parse_exif
from processing.formats import SUPPORTED_FORMATS, sniff_format
from processing.rejections import ImageRejected

# EXIF orientations 5-8 turn the picture a quarter, so what is shown has width and height swapped.
QUARTER_TURN_ORIENTATIONS = frozenset({5, 6, 7, 8})


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: float
    longitude: float
    altitude: float | None = None


@dataclass(frozen=True, slots=True)
class ImageMetadata:
    format: str
    format_detail: str
    width: int  # as stored
    height: int
    # The EXIF value as found (0 and other invalid values included); HEIC and AVIF: their boxes'.
    orientation: int | None
    display_width: int  # as shown, after the orientation
    display_height: int
    file_size: int
    has_icc_profile: bool
    has_alpha: bool
    taken_at: str | None = None  # ISO 8601, local time, with the offset when the camera wrote one
    camera_make: str | None = None
    camera_model: str | None = None
    lens: str | None = None
    f_number: float | None = None
    exposure_time: float | None = None  # seconds
    iso: int | None = None
    focal_length: float | None = None  # millimetres
    gps: GeoPoint | None = None

    @property
    def pixels(self) -> int:
        return self.width * self.height

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: what the Lambda step returns and the results store keeps."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImageMetadata:
        fields: dict[str, Any] = {name: data.get(name) for name in cls.__dataclass_fields__}
        if fields["gps"] is not None:
            fields["gps"] = GeoPoint(**fields["gps"])
        return cls(**fields)


def read_header(data: bytes) -> ImageHeader:
    """The container header of a supported image, or ImageRejected (empty, unsupported, corrupt)."""
    if not data:
        raise ImageRejected.empty()
    detected = sniff_format(data)
    if detected is None or detected not in SUPPORTED_FORMATS:
        raise ImageRejected.unsupported(detected)
    if detected == "JPEG":
        return read_jpeg_header(data)
    if detected == "PNG":
        return read_png_header(data)
    if detected == "WEBP":
        return read_webp_header(data)
    return read_iso_header(data, detected)


def extract_metadata(data: bytes) -> ImageMetadata:
    header = read_header(data)
    return metadata_from_header(header, file_size=len(data))


def metadata_from_header(header: ImageHeader, *, file_size: int) -> ImageMetadata:
    exif = parse_exif(header.exif) if header.exif else ExifData()
    orientation = header.container_orientation or exif.orientation
    turned = orientation in QUARTER_TURN_ORIENTATIONS
    gps = exif.gps
    return ImageMetadata(
        format=header.format,
        format_detail=header.format_detail,
        width=header.width,
        height=header.height,
        orientation=orientation,
        display_width=header.height if turned else header.width,
        display_height=header.width if turned else header.height,
        file_size=file_size,
        has_icc_profile=header.icc_profile is not None,
        has_alpha=header.has_transparency,
        taken_at=exif.taken_at,
        camera_make=exif.make,
        camera_model=exif.model,
        lens=exif.lens,
        f_number=exif.f_number,
        exposure_time=exif.exposure_time,
        iso=exif.iso,
        focal_length=exif.focal_length,
        gps=GeoPoint(gps.latitude, gps.longitude, gps.altitude) if gps else None,
    )
