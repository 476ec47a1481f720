"""A streaming PNG writer for tests: any colour type and bit depth, palettes and tRNS, Adam7, and
the filter type of every row chosen by the test.

Pillow's encoder picks filters itself and needs the whole image in memory; this one asks for one
row of samples at a time, so a test can write a 100-megapixel PNG in a few megabytes, and make
every filter type meet a strip boundary of the reader.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from typing import BinaryIO

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Adam7: (first column, first row, column step, row step) of passes 1 to 7.
ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)

# A row of samples for row y: shape (width,) or (width, channels); uint16 for 16-bit images, and
# values below 2**bit_depth for 1, 2 and 4 bits.
Rows = Callable[[int], np.ndarray]


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def pack(samples: np.ndarray, bit_depth: int) -> np.ndarray:
    """A row of samples as the bytes PNG stores: big-endian 16-bit, or sub-byte values packed
    leftmost first, the last byte padded with zeros."""
    if bit_depth == 16:
        return samples.astype(">u2").reshape(-1).view(np.uint8)
    flat = samples.astype(np.uint8).reshape(-1)
    if bit_depth == 8:
        return flat
    per_byte = 8 // bit_depth
    padded = np.zeros(-(-flat.size // per_byte) * per_byte, np.uint8)
    padded[: flat.size] = flat
    groups = padded.reshape(-1, per_byte).astype(np.uint16)
    shifts = np.arange(per_byte - 1, -1, -1, dtype=np.uint16) * bit_depth
    return (groups << shifts).sum(axis=1).astype(np.uint8)


def filtered(kind: int, raw: np.ndarray, prior: np.ndarray, bpp: int) -> bytes:
    """One scanline with its filter type byte (PNG spec, section 9)."""
    x = raw.astype(np.int16)
    b = prior.astype(np.int16)
    a = np.concatenate([np.zeros(bpp, np.int16), x[:-bpp]])
    c = np.concatenate([np.zeros(bpp, np.int16), b[:-bpp]])
    if kind == 0:
        out = x
    elif kind == 1:
        out = x - a
    elif kind == 2:
        out = x - b
    elif kind == 3:
        out = x - (a + b) // 2
    else:
        p = a + b - c
        pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
        out = x - np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
    return bytes([kind]) + (out & 0xFF).astype(np.uint8).tobytes()


def write_png(
    out: BinaryIO,
    width: int,
    height: int,
    rows: Rows,
    *,
    bit_depth: int = 8,
    colour_type: int = 2,
    palette: bytes | None = None,
    transparency: bytes | None = None,
    interlaced: bool = False,
    filter_for: Callable[[int], int] = lambda y: y % 5,
    level: int = 6,
    idat_size: int = 1 << 16,
) -> None:
    """Writes the PNG row by row. ``filter_for(i)`` is the filter type of the i-th scanline of
    each pass (of the image when not interlaced)."""
    bits = CHANNELS[colour_type] * bit_depth
    bpp = max(1, bits // 8)
    out.write(SIGNATURE)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, int(interlaced))
    out.write(chunk(b"IHDR", ihdr))
    if palette is not None:
        out.write(chunk(b"PLTE", palette))
    if transparency is not None:
        out.write(chunk(b"tRNS", transparency))
    compressor = zlib.compressobj(level)
    pending = bytearray()

    def emit(data: bytes) -> None:
        pending.extend(data)
        while len(pending) >= idat_size:
            out.write(chunk(b"IDAT", bytes(pending[:idat_size])))
            del pending[:idat_size]

    passes = ADAM7 if interlaced else ((0, 0, 1, 1),)
    for x0, y0, dx, dy in passes:
        pass_width = len(range(x0, width, dx))
        if pass_width == 0:
            continue
        prior = np.zeros((pass_width * bits + 7) // 8, np.uint8)
        for i, y in enumerate(range(y0, height, dy)):
            samples = rows(y)[x0::dx]
            raw = pack(samples, bit_depth)
            emit(compressor.compress(filtered(filter_for(i), raw, prior, bpp)))
            prior = raw
    emit(compressor.flush())
    if pending:
        out.write(chunk(b"IDAT", bytes(pending)))
    out.write(chunk(b"IEND", b""))


def png_bytes(pixels: np.ndarray, **options: object) -> bytes:
    """A whole array (height, width[, channels]) as PNG bytes, through the streaming writer."""
    out = io.BytesIO()
    height, width = pixels.shape[:2]
    write_png(out, width, height, lambda y: pixels[y], **options)  # type: ignore[arg-type]
    return out.getvalue()
