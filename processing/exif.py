"""A small, defensive EXIF (TIFF) reader for the handful of tags Photoshare shows.

Why not Pillow's ``Image.Exif``: it decodes every tag of every IFD eagerly (about 1 ms on a camera
file, most of it maker notes nobody reads), while this reader visits only the entries it needs, in
tens of microseconds. Every offset is bounds-checked and every IFD is visited at most once, so
broken or hostile EXIF yields missing values, never an exception or a loop.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# IFD0
TAG_MAKE = 0x010F
TAG_MODEL = 0x0110
TAG_ORIENTATION = 0x0112
TAG_EXIF_IFD = 0x8769
TAG_GPS_IFD = 0x8825
# Exif IFD
TAG_EXPOSURE_TIME = 0x829A
TAG_F_NUMBER = 0x829D
TAG_ISO = 0x8827
TAG_DATETIME_ORIGINAL = 0x9003
TAG_OFFSET_TIME_ORIGINAL = 0x9011
TAG_FOCAL_LENGTH = 0x920A
TAG_LENS_MODEL = 0xA434
# GPS IFD
TAG_GPS_LATITUDE_REF = 0x0001
TAG_GPS_LATITUDE = 0x0002
TAG_GPS_LONGITUDE_REF = 0x0003
TAG_GPS_LONGITUDE = 0x0004
TAG_GPS_ALTITUDE_REF = 0x0005
TAG_GPS_ALTITUDE = 0x0006

# TIFF field types: size in bytes and struct code (without byte order).
_TYPES: dict[int, tuple[int, str]] = {
    1: (1, "B"),  # BYTE
    2: (1, "s"),  # ASCII
    3: (2, "H"),  # SHORT
    4: (4, "I"),  # LONG
    5: (8, "II"),  # RATIONAL
    6: (1, "b"),  # SBYTE
    7: (1, "s"),  # UNDEFINED
    8: (2, "h"),  # SSHORT
    9: (4, "i"),  # SLONG
    10: (8, "ii"),  # SRATIONAL
    11: (4, "f"),  # FLOAT
    12: (8, "d"),  # DOUBLE
    13: (4, "I"),  # IFD
}
Entry = tuple[int, int, int]  # (field type, value count, offset of the value)
_MAX_ENTRIES = 1024
_MAX_VALUES = 64  # no tag we read has more; a larger count is garbage


@dataclass(frozen=True, slots=True)
class Gps:
    latitude: float
    longitude: float
    altitude: float | None


@dataclass(frozen=True, slots=True)
class ExifData:
    orientation: int | None = None
    make: str | None = None
    model: str | None = None
    lens: str | None = None
    taken_at: str | None = None
    exposure_time: float | None = None
    f_number: float | None = None
    iso: int | None = None
    focal_length: float | None = None
    gps: Gps | None = None


class _Tiff:
    def __init__(self, data: bytes) -> None:
        self.data = data
        order = data[:2]
        if order == b"II":
            self.endian = "<"
        elif order == b"MM":
            self.endian = ">"
        else:
            raise ValueError("not a TIFF header")
        if len(data) < 8 or self._unpack("H", 2)[0] != 42:
            raise ValueError("not a TIFF header")
        self.first_ifd = self._unpack("I", 4)[0]
        self.visited: set[int] = set()

    def _unpack(self, code: str, offset: int) -> tuple[Any, ...]:
        return struct.unpack_from(self.endian + code, self.data, offset)

    def ifd(self, offset: int) -> dict[int, Entry]:
        """Entries of the IFD at ``offset`` by tag; empty if the IFD is unusable."""
        if offset in self.visited or offset < 8 or offset + 2 > len(self.data):
            return {}
        self.visited.add(offset)
        count = self._unpack("H", offset)[0]
        if count > _MAX_ENTRIES or offset + 2 + 12 * count > len(self.data):
            return {}
        entries: dict[int, Entry] = {}
        for index in range(count):
            pos = offset + 2 + 12 * index
            tag, kind, n = self._unpack("HHI", pos)
            if kind not in _TYPES or n == 0:
                continue
            size = _TYPES[kind][0] * n
            value_at = pos + 8 if size <= 4 else self._unpack("I", pos + 8)[0]
            if value_at + size > len(self.data):
                continue
            entries.setdefault(tag, (kind, n, value_at))
        return entries

    def values(self, entry: Entry | None) -> list[Any] | None:
        if entry is None:
            return None
        kind, n, at = entry
        code = _TYPES[kind][1]
        if code == "s":
            return [self.data[at : at + n]]
        if n > _MAX_VALUES:
            return None
        raw = struct.unpack_from(f"{self.endian}{n * code}", self.data, at)
        if kind in (5, 10):
            pairs = zip(raw[0::2], raw[1::2], strict=True)
            return [num / den if den else None for num, den in pairs]
        return list(raw)


def _text(tiff: _Tiff, entry: Entry | None) -> str | None:
    """ASCII value as exiftool prints it: cut at the first NUL, blanks trimmed, None when empty."""
    if entry is None or entry[0] not in (2, 7, 1):
        return None
    raw = tiff.data[entry[2] : entry[2] + entry[1]].split(b"\0", 1)[0]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    text = text.strip()
    return text or None


def _number(tiff: _Tiff, entry: Entry | None, *, zero_is_unknown: bool = True) -> float | None:
    values = tiff.values(entry) if entry is not None and entry[0] not in (2, 7) else None
    if not values or values[0] is None:
        return None
    value = float(values[0])
    if value != value or value < 0 or (zero_is_unknown and value == 0):  # NaN, garbage, unknown
        return None
    return value


def _ifd_pointer(tiff: _Tiff, entry: Entry | None) -> int | None:
    # A pointer stored with a string type (seen in the wild) is no pointer at all.
    if entry is None or entry[0] not in (3, 4, 13) or entry[1] != 1:
        return None
    values = tiff.values(entry)
    return int(values[0]) if values else None


def _taken_at(original: str | None, offset: str | None) -> str | None:
    """EXIF 'YYYY:MM:DD HH:MM:SS' (+ OffsetTimeOriginal) as ISO 8601; None when not a real time."""
    if not original:
        return None
    try:
        moment = datetime.strptime(original[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    iso = moment.isoformat()
    if offset and len(offset) == 6 and offset[0] in "+-" and offset[3] == ":":
        try:
            hours, minutes = int(offset[1:3]), int(offset[4:6])
        except ValueError:
            return iso
        if hours <= 14 and minutes < 60:
            iso += offset
    return iso


def _coordinate(
    tiff: _Tiff, value: Entry | None, ref: Entry | None, hemispheres: bytes, limit: float
) -> float | None:
    """Signed decimal degrees; None unless both the D/M/S value and its N/S or E/W ref are valid."""
    parts = tiff.values(value) if value is not None and value[0] in (5, 10) else None
    ref_text = tiff.data[ref[2] : ref[2] + 1].upper() if ref is not None and ref[0] == 2 else b""
    positive, negative = hemispheres[:1], hemispheres[1:]
    if not parts or len(parts) < 3 or None in parts[:3] or ref_text not in (positive, negative):
        return None
    degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
    if not 0 <= degrees <= limit:
        return None
    return -degrees if ref_text == negative else degrees


def _gps(tiff: _Tiff, entries: dict[int, Entry]) -> Gps | None:
    latitude = _coordinate(
        tiff, entries.get(TAG_GPS_LATITUDE), entries.get(TAG_GPS_LATITUDE_REF), b"NS", 90
    )
    longitude = _coordinate(
        tiff, entries.get(TAG_GPS_LONGITUDE), entries.get(TAG_GPS_LONGITUDE_REF), b"EW", 180
    )
    if latitude is None or longitude is None:
        return None
    altitude = _number(tiff, entries.get(TAG_GPS_ALTITUDE), zero_is_unknown=False)
    if altitude is not None:
        ref = tiff.values(entries.get(TAG_GPS_ALTITUDE_REF))
        if ref and ref[0] in (1, b"\x01"):
            altitude = -altitude
    return Gps(latitude=latitude, longitude=longitude, altitude=altitude)


def parse_exif(tiff_bytes: bytes) -> ExifData:
    """The tags Photoshare uses, from a TIFF-structured EXIF block (after any 'Exif\\0\\0').

    Never raises on bad data: what cannot be read is None.
    """
    try:
        tiff = _Tiff(tiff_bytes)
    except (ValueError, struct.error):
        return ExifData()
    try:
        ifd0 = tiff.ifd(tiff.first_ifd)
        orientation_values = tiff.values(ifd0.get(TAG_ORIENTATION))
        orientation = (
            int(orientation_values[0])
            if orientation_values and isinstance(orientation_values[0], int)
            else None
        )
        exif_at = _ifd_pointer(tiff, ifd0.get(TAG_EXIF_IFD))
        exif_ifd = tiff.ifd(exif_at) if exif_at is not None else {}
        gps_at = _ifd_pointer(tiff, ifd0.get(TAG_GPS_IFD))
        gps_ifd = tiff.ifd(gps_at) if gps_at is not None else {}
        iso_values = tiff.values(exif_ifd.get(TAG_ISO))
        iso = iso_values[0] if iso_values and isinstance(iso_values[0], int) else None
        return ExifData(
            orientation=orientation,
            make=_text(tiff, ifd0.get(TAG_MAKE)),
            model=_text(tiff, ifd0.get(TAG_MODEL)),
            lens=_text(tiff, exif_ifd.get(TAG_LENS_MODEL)),
            taken_at=_taken_at(
                _text(tiff, exif_ifd.get(TAG_DATETIME_ORIGINAL)),
                _text(tiff, exif_ifd.get(TAG_OFFSET_TIME_ORIGINAL)),
            ),
            exposure_time=_number(tiff, exif_ifd.get(TAG_EXPOSURE_TIME)),
            f_number=_number(tiff, exif_ifd.get(TAG_F_NUMBER)),
            iso=iso or None,
            focal_length=_number(tiff, exif_ifd.get(TAG_FOCAL_LENGTH)),
            gps=_gps(tiff, gps_ifd),
        )
    except (struct.error, ValueError, IndexError, TypeError):
        return ExifData()
