"""The EXIF reader, on blocks written by Pillow and on damaged ones built by hand."""

import struct

import pytest

from processing.exif import ExifData, parse_exif
from tests.processing.exif_fixtures import LISBON_GPS
from tests.processing.images import exif_block

LISBON = LISBON_GPS


def parse(**fields: object) -> ExifData:
    return parse_exif(exif_block(**fields).tobytes()[6:])  # tobytes() starts with 'Exif\0\0'


def test_it_reads_camera_time_and_exposure() -> None:
    exif = parse(
        orientation=6,
        make="Canon",
        model="Canon EOS R6",
        taken_at="2026:05:01 09:30:12",
        offset="+01:00",
        extra_exif={0x829A: 1 / 250, 0x829D: 2.8, 0x8827: 400, 0x920A: 35.0, 0xA434: "RF35mm"},
    )
    assert exif.orientation == 6
    assert (exif.make, exif.model, exif.lens) == ("Canon", "Canon EOS R6", "RF35mm")
    assert exif.taken_at == "2026-05-01T09:30:12+01:00"
    assert exif.exposure_time == pytest.approx(0.004)
    assert exif.f_number == pytest.approx(2.8)
    assert exif.iso == 400
    assert exif.focal_length == pytest.approx(35.0)


def test_text_is_cut_at_the_first_nul_and_trimmed() -> None:
    exif = parse(make="Caplio \x00junk", model="RR330      ")
    assert (exif.make, exif.model) == ("Caplio", "RR330")


@pytest.mark.parametrize("value", ["0000:00:00 00:00:00", "    :  :     :  :  ", "yesterday"])
def test_an_unset_or_malformed_capture_time_is_none(value: str) -> None:
    assert parse(taken_at=value).taken_at is None


def test_a_malformed_offset_is_dropped_but_the_time_kept() -> None:
    assert parse(taken_at="2026:05:01 09:30:12", offset="+1h").taken_at == "2026-05-01T09:30:12"


def test_gps_is_signed_decimal_degrees_with_altitude() -> None:
    gps = parse(gps=LISBON).gps
    assert gps is not None
    assert gps.latitude == pytest.approx(38.7139, abs=1e-6)
    assert gps.longitude == pytest.approx(-9.1394, abs=1e-6)
    assert gps.altitude == pytest.approx(12.5)


def test_altitude_below_sea_level_is_negative() -> None:
    gps = parse(gps={**LISBON, 5: 1, 6: 28.0}).gps
    assert gps is not None
    assert gps.altitude == pytest.approx(-28.0)


@pytest.mark.parametrize(
    "gps",
    [
        {},  # an empty GPS IFD
        {2: (38.0, 42.0, 50.0), 4: (9.0, 8.0, 21.0)},  # values without their refs
        {1: "N", 2: (38.0, 42.0, 50.0), 3: "X", 4: (9.0, 8.0, 21.0)},  # a bad ref
        {1: "N", 2: (138.0, 0.0, 0.0), 3: "E", 4: (9.0, 8.0, 21.0)},  # latitude beyond 90
        {1: "N", 2: (38.0, 42.0, 50.0)},  # latitude only
    ],
)
def test_no_position_unless_both_values_and_refs_are_valid(gps: dict[int, object]) -> None:
    assert parse(gps=gps).gps is None


def test_garbage_yields_nothing_rather_than_an_error() -> None:
    assert parse_exif(b"") == ExifData()
    assert parse_exif(b"not a tiff at all") == ExifData()
    assert parse_exif(b"II*\x00\xff\xff\xff\x7f") == ExifData()


def tiff(entries: list[tuple[int, int, int, bytes]], next_ifd: int = 0) -> bytes:
    """A little-endian TIFF whose IFD at offset 8 holds (tag, type, count, value) ``entries``."""
    body = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        body += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\x00")
    return b"II*\x00" + struct.pack("<I", 8) + body + struct.pack("<I", next_ifd)


def test_an_ifd_that_points_at_itself_is_read_once() -> None:
    # IFD0's Exif pointer and GPS pointer both lead back to IFD0 (offset 8).
    block = tiff(
        [
            (0x0112, 3, 1, struct.pack("<H", 3)),
            (0x8769, 4, 1, struct.pack("<I", 8)),
            (0x8825, 4, 1, struct.pack("<I", 8)),
        ]
    )
    exif = parse_exif(block)
    assert exif.orientation == 3
    assert exif.taken_at is None
    assert exif.gps is None


def test_a_pointer_stored_as_text_is_ignored() -> None:
    block = tiff([(0x0112, 3, 1, struct.pack("<H", 1)), (0x8769, 2, 4, b"abc\x00")])
    assert parse_exif(block) == ExifData(orientation=1)


def test_offsets_past_the_end_are_ignored() -> None:
    block = tiff([(0x010F, 2, 200, struct.pack("<I", 10_000)), (0x0112, 3, 1, b"\x08\x00")])
    assert parse_exif(block) == ExifData(orientation=8)


def test_an_invalid_orientation_is_reported_as_found() -> None:
    assert parse(orientation=0).orientation == 0
