"""Large PNGs decoded strip by strip into a small image, in memory that does not grow with them.

A PNG has no reduced-resolution decode: every row must be inflated and unfiltered, and PNG's
filters make each row depend on the one above it. Decoding a 100-megapixel RGBA PNG whole takes
400 MB (800 MB at 16 bits) before any resizing. Here the image data is inflated incrementally
(``zlib.decompressobj`` with an output cap), and each strip of a few megabytes of filtered rows is
unfiltered by libspng (pyspng) as a small PNG of its own whose first row is the previous strip's
last *unfiltered* row, stored with filter type 0. That strip PNG declares an 8-bit or 16-bit
format with the same bytes per pixel as the original, so libspng applies exactly the original's
filter arithmetic and hands back the raw samples (and so the next strip's first row), whatever
the original's colour type or depth. `png_samples` turns the raw samples into 8-bit pixels and
`BoxReducer` averages them into blocks as they arrive; only the reduced image is kept whole, and
Lanczos then takes it to the exact size, as Pillow's ``resize(..., reducing_gap=1.0)`` would.

Adam7-interlaced PNGs are read from their 7th pass alone: every odd row, full width, filtered on
its own, half the data. Passes 1 to 6 are inflated and skipped. The picture loses half its rows,
which the box reduction of a photo this large (4x and more, to 1024 px) hardly notices.

Memory is a few strips plus the reduced image, so it does not grow with the height. A strip holds
at least one row, and a row costs about twenty times its size on its way through: nothing for
real photos (a 100,000 px wide RGBA 16-bit row is 800 kB), 190 MB for a PNG a million pixels
wide, more for the absurd (10 million pixels by 10 rows: 1.3 GB).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyspng
from PIL import Image

from processing.box_reduce import BoxReducer
from processing.containers import ImageHeader
from processing.png_samples import CHANNELS, SampleFormat, to_pixels
from processing.rejections import Damage, ImageRejected

# PNGs whose whole decode needs more than this (4 bytes a pixel, as Pillow holds RGB and RGBA)
# are read in strips; smaller ones keep the whole-image path and its exact results.
WHOLE_DECODE_MAX_PIXELS = 4096 * 4096
STRIP_BYTES = 4 * 1024 * 1024  # the largest array a strip makes; a strip has at least one row

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Adam7 passes: (first column, first row, column step, row step).
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
# For each filter unit (bytes per pixel), a PNG format with that unit whose decoded samples are
# the raw bytes themselves: colour type and bit depth. libspng gives 16-bit samples host-endian
# (and RGB16 as RGBA16), which `_unfilter` turns back into PNG's big-endian bytes.
_SAME_UNIT_FORMAT = {1: (0, 8), 2: (0, 16), 3: (2, 8), 4: (6, 8), 6: (2, 16), 8: (6, 16)}


def wants_strips(header: ImageHeader) -> bool:
    return header.format == "PNG" and header.pixels > WHOLE_DECODE_MAX_PIXELS


@dataclass(frozen=True, slots=True)
class _Grid:
    """The rows and columns one Adam7 pass (or the whole image) holds."""

    width: int
    height: int
    data_offset: int  # where its scanlines start in the inflated data


def decode_reduced(
    data: bytes, header: ImageHeader, target: tuple[int, int], *, strip_bytes: int = STRIP_BYTES
) -> Image.Image:
    """The PNG resized to ``target`` (L, LA, RGB or RGBA). Raises ImageRejected if damaged."""
    sample_format, _ = _read_chunks(data, header)
    grid = _grid(header, sample_format)
    factors = (max(1, grid.width // target[0]), max(1, grid.height // target[1]))
    reducer = BoxReducer(
        grid.width,
        grid.height,
        factors,
        len(sample_format.mode),
        alpha=sample_format.has_alpha,
    )
    for strip in pixel_rows(data, header, strip_bytes=strip_bytes):
        reducer.add(strip)
    pixels = reducer.result[..., 0] if sample_format.mode == "L" else reducer.result
    reduced = Image.fromarray(pixels, sample_format.mode)
    # As Pillow's resize after its own reduce: the reduced image's edge blocks may be partial,
    # so the box says how much of it the picture covers.
    box = (0.0, 0.0, grid.width / factors[0], grid.height / factors[1])
    if reduced.size == target and box == (0.0, 0.0, *target):
        return reduced
    return reduced.resize(target, Image.Resampling.LANCZOS, box=box)


def pixel_rows(
    data: bytes, header: ImageHeader, *, strip_bytes: int = STRIP_BYTES
) -> Iterator[np.ndarray]:
    """Strips of 8-bit pixels (rows, width, channels), top to bottom: the whole image, or the
    7th pass of an interlaced one."""
    sample_format, idat = _read_chunks(data, header)
    grid = _grid(header, sample_format)
    row_bytes = sample_format.row_bytes(grid.width)
    line = 1 + row_bytes
    # A strip's largest array is its pixels premultiplied (4 channels of 16 bits), which for a
    # 1-bit palette image is 64 times its filtered bytes.
    strip = max(1, strip_bytes // max(line, 8 * grid.width)) * line
    prior = bytes(row_bytes)  # the row above the first is zeros, as PNG defines it
    pending = bytearray()
    done = 0
    for piece in _inflated(idat, skip=grid.data_offset, length=grid.height * line):
        pending += piece
        # Whole strips as they fill, then the rows that are left once the data ends.
        while len(pending) >= strip or (
            done + len(pending) // line == grid.height and len(pending) >= line
        ):
            take = min(strip, len(pending) // line * line)
            filtered = bytes(pending[:take])
            del pending[:take]
            raw = _unfilter(filtered, prior, take // line, row_bytes, sample_format.filter_unit)
            prior = raw[-1].tobytes()
            done += take // line
            yield to_pixels(raw, grid.width, sample_format)
    if done < grid.height:
        raise ImageRejected.corrupt(Damage.ENDS_EARLY)


def _read_chunks(data: bytes, header: ImageHeader) -> tuple[SampleFormat, list[memoryview]]:
    """PLTE, tRNS and the IDAT bodies (as views into ``data``, nothing copied). The header
    walker has already checked the structure and every chunk's CRC but IDAT's."""
    view = memoryview(data)
    palette = transparency = None
    idat: list[memoryview] = []
    pos = len(_SIGNATURE)
    while pos + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        body = view[pos + 8 : pos + 8 + length]
        if kind == b"IDAT":
            idat.append(body)
        elif kind == b"PLTE" and palette is None:
            palette = body.tobytes()
        elif kind == b"tRNS" and transparency is None:
            transparency = body.tobytes()
        elif kind == b"IEND":
            break
        pos += 12 + length
    colour_type = header.png_color_type or 0
    return SampleFormat(colour_type, header.bit_depth, palette, transparency), idat


def _grid(header: ImageHeader, sample_format: SampleFormat) -> _Grid:
    if not header.interlaced:
        return _Grid(header.width, header.height, 0)
    offset = 0
    passes = _ADAM7 if header.height > 1 else _ADAM7[:6]  # one row: no 7th pass; use the 6th
    for x0, y0, dx, dy in passes[:-1]:
        width, height = len(range(x0, header.width, dx)), len(range(y0, header.height, dy))
        if width and height:
            offset += height * (1 + sample_format.row_bytes(width))
    x0, y0, dx, dy = passes[-1]
    return _Grid(len(range(x0, header.width, dx)), len(range(y0, header.height, dy)), offset)


def _inflated(idat: list[memoryview], *, skip: int, length: int) -> Iterator[bytes]:
    """``length`` bytes of the inflated image data after the first ``skip``, in pieces of at
    most about a strip: the whole never exists at once. Data beyond them is ignored, as the
    decoders do."""
    inflater = zlib.decompressobj()
    wanted_end = skip + length
    position = 0
    try:
        for body in idat:
            pending: bytes | memoryview = body
            while pending and position < wanted_end and not inflater.eof:
                piece = inflater.decompress(pending, STRIP_BYTES)
                pending = inflater.unconsumed_tail
                start, position = position, position + len(piece)
                if position > skip:
                    yield piece[max(0, skip - start) : wanted_end - start]
            if position >= wanted_end or inflater.eof:
                return
        while position < wanted_end:  # output zlib still holds for input it has already read
            piece = inflater.decompress(b"", STRIP_BYTES)
            if not piece:
                return
            start, position = position, position + len(piece)
            if position > skip:
                yield piece[max(0, skip - start) : wanted_end - start]
    except zlib.error as error:
        raise ImageRejected.corrupt(Damage.IMAGE_DATA) from error


def _unfilter(filtered: bytes, prior: bytes, rows: int, row_bytes: int, unit: int) -> np.ndarray:
    """Raw scanlines (rows, row_bytes) from filtered ones, by libspng."""
    colour_type, depth = _SAME_UNIT_FORMAT[unit]
    width = row_bytes // unit
    ihdr = struct.pack(">IIBBBBB", width, rows + 1, depth, colour_type, 0, 0, 0)
    deflate = zlib.compressobj(0)  # stored blocks: a copy with a checksum, no compression
    scanlines = deflate.compress(b"\x00" + prior) + deflate.compress(filtered) + deflate.flush()
    strip = b"".join([_SIGNATURE, *_chunk(b"IHDR", ihdr), *_chunk(b"IDAT", scanlines), *_IEND])
    try:
        decoded = pyspng.load(strip)
    except RuntimeError as error:  # an unknown filter type, say
        raise ImageRejected.corrupt(Damage.IMAGE_DATA) from error
    if depth == 16:  # back to PNG's big-endian bytes; RGB16 comes as RGBA16
        decoded = decoded[..., : CHANNELS[colour_type]].astype(">u2")
    return decoded.reshape(rows + 1, -1).view(np.uint8)[1:]


def _chunk(kind: bytes, body: bytes) -> tuple[bytes, bytes, bytes]:
    """A chunk's parts, to be joined into the file without copying the body twice."""
    crc = zlib.crc32(body, zlib.crc32(kind))
    return struct.pack(">I", len(body)) + kind, body, struct.pack(">I", crc)


_IEND = _chunk(b"IEND", b"")
