"""Reading JPEG, PNG, WebP, HEIC and AVIF headers without decoding a single pixel.

Both walkers look only at segment and chunk headers (skipping image data by its declared length), so
their cost and memory are flat in the image's size: a 100-megapixel JPEG costs what a thumbnail
costs. They collect what the rest of the pipeline needs: stored size, EXIF, ICC profile, the pixel
layout, and whether the structure is complete. Structural damage raises ``ImageRejected.corrupt``.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

from processing.isobmff import read_iso_image
from processing.rejections import Damage, ImageRejected

# Start-of-frame markers carry the size: baseline, extended, progressive, lossless, arithmetic.
_SOF_MARKERS = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)
_STANDALONE_MARKERS = frozenset({0x01, 0xD8, *range(0xD0, 0xD8)})
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_PNG_BIT_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
_MAX_ICC_BYTES = 4 * 1024 * 1024  # the largest real profiles are a few hundred kB
_MAX_TEXT_CHUNK = 1024 * 1024  # as Pillow's PngImagePlugin.MAX_TEXT_CHUNK
_RAW_PROFILE_EXIF = re.compile(rb"\s*exif\s+(\d+)\s+([0-9a-fA-F\s]+)")


@dataclass(frozen=True, slots=True)
class ImageHeader:
    """What the container says about the image, before any decoding."""

    format: str  # "JPEG", "PNG", "WEBP", "HEIC" or "AVIF"
    format_detail: str  # "JPEG", "MPO", "PNG", "APNG", "WEBP", "Animated WEBP", "HEIC", "AVIF"
    width: int
    height: int
    channels: int  # JPEG: 1 (grey), 3 (YCbCr/RGB) or 4 (CMYK); PNG: per colour type
    bit_depth: int
    exif: bytes | None = None  # the TIFF structure, without any 'Exif\0\0' prefix
    icc_profile: bytes | None = None
    png_color_type: int | None = None
    has_transparency: bool = False  # an alpha channel or a tRNS chunk
    interlaced: bool = False  # progressive JPEG or Adam7 PNG
    # HEIC and AVIF turn and mirror the picture with boxes (irot, imir), which their readers
    # follow and EXIF's orientation does not override: their effect as an EXIF code, else None.
    container_orientation: int | None = None

    @property
    def pixels(self) -> int:
        return self.width * self.height


def read_jpeg_header(data: bytes) -> ImageHeader:
    """Walks the markers up to the first scan, skipping stray bytes between them as libjpeg does."""
    size = len(data)
    pos = 2
    exif: bytes | None = None
    icc_chunks: dict[int, bytes] = {}
    is_mpo = False
    frame: tuple[int, int, int, int, int] | None = None  # marker, precision, height, width, comps
    while True:
        while pos < size and data[pos] != 0xFF:  # junk before a marker: libjpeg warns and skips
            pos += 1
        while pos < size and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= size:
            raise ImageRejected.corrupt(Damage.ENDS_EARLY)
        marker = data[pos]
        pos += 1
        if marker in _STANDALONE_MARKERS:
            continue
        if marker == 0xD9:
            raise ImageRejected.corrupt(Damage.NO_IMAGE_DATA)
        if pos + 2 > size:
            raise ImageRejected.corrupt(Damage.ENDS_EARLY)
        length = (data[pos] << 8) | data[pos + 1]
        if length < 2 or pos + length > size:
            raise ImageRejected.corrupt(Damage.ENDS_EARLY)
        body = pos + 2
        end = pos + length
        if marker in _SOF_MARKERS:
            if length < 8:
                raise ImageRejected.corrupt(Damage.HEADER)
            precision, height, width, components = struct.unpack_from(">BHHB", data, body)
            frame = (marker, precision, height, width, components)
        elif marker == 0xE1 and exif is None and data.startswith(b"Exif\x00", body):
            exif = data[body + 6 : end]
        elif marker == 0xE2 and data.startswith(b"ICC_PROFILE\x00", body) and length > 16:
            icc_chunks[data[body + 12]] = data[body + 14 : end]
        elif marker == 0xE2 and data.startswith(b"MPF\x00", body):
            is_mpo = True
        elif marker == 0xDA:
            break
        pos = end
    if frame is None:
        raise ImageRejected.corrupt(Damage.HEADER)
    marker, precision, height, width, components = frame
    if width == 0 or height == 0 or components not in (1, 3, 4):
        raise ImageRejected.corrupt(Damage.HEADER)
    icc = b"".join(icc_chunks[k] for k in sorted(icc_chunks)) if icc_chunks else None
    return ImageHeader(
        format="JPEG",
        format_detail="MPO" if is_mpo else "JPEG",
        width=width,
        height=height,
        channels=components,
        bit_depth=precision,
        exif=exif or None,
        icc_profile=icc,
        interlaced=marker in (0xC2, 0xC6, 0xCA, 0xCE),
    )


def read_png_header(data: bytes) -> ImageHeader:
    """Walks every chunk header to IEND, skipping chunk bodies: EXIF may follow the image data."""
    size = len(data)
    if size < 8 + 25 or data[8:16] != b"\x00\x00\x00\x0dIHDR":
        raise ImageRejected.corrupt(Damage.HEADER)
    width, height, bit_depth, color_type, _, _, interlace = struct.unpack_from(">IIBBBBB", data, 16)
    if not _crc_ok(data, 8, 13):
        raise ImageRejected.corrupt(Damage.CHECKSUM)
    if width == 0 or height == 0 or bit_depth not in _PNG_BIT_DEPTHS.get(color_type, ()):
        raise ImageRejected.corrupt(Damage.HEADER)
    exif: bytes | None = None
    raw_profile_exif: bytes | None = None
    icc: bytes | None = None
    has_trns = is_apng = seen_idat = seen_iend = False
    pos = 8
    while pos + 12 <= size:
        length, kind = struct.unpack_from(">I4s", data, pos)
        body, end = pos + 8, pos + 12 + length
        if end > size:
            break
        # Image data is checked by the decoder; other chunks are small, so their CRC is cheap.
        if kind not in (b"IDAT", b"fdAT") and not _crc_ok(data, pos, length):
            raise ImageRejected.corrupt(Damage.CHECKSUM)
        if kind == b"IDAT":
            seen_idat = True
        elif kind == b"IEND":
            seen_iend = True
            break
        elif kind == b"tRNS":
            has_trns = True
        elif kind == b"acTL":
            is_apng = True
        elif kind == b"eXIf" and exif is None:
            exif = data[body : body + length]
            exif = exif[6:] if exif.startswith(b"Exif\x00\x00") else exif
        elif kind == b"iCCP" and icc is None:
            icc = _icc_from_iccp(data[body : body + length])
        elif kind in (b"tEXt", b"zTXt", b"iTXt"):
            text = _text_chunk(kind, data[body : body + length])
            if raw_profile_exif is None:
                raw_profile_exif = _raw_profile_exif(text)
        pos = end
    if not seen_idat or not seen_iend:
        raise ImageRejected.corrupt(Damage.ENDS_EARLY)
    return ImageHeader(
        format="PNG",
        format_detail="APNG" if is_apng else "PNG",
        width=width,
        height=height,
        channels=_PNG_CHANNELS[color_type],
        bit_depth=bit_depth,
        exif=exif or raw_profile_exif,
        icc_profile=icc,
        png_color_type=color_type,
        has_transparency=color_type in (4, 6) or has_trns,
        interlaced=interlace == 1,
    )


def _crc_ok(data: bytes, chunk_at: int, length: int) -> bool:
    stored = struct.unpack_from(">I", data, chunk_at + 8 + length)[0]
    return zlib.crc32(memoryview(data)[chunk_at + 4 : chunk_at + 8 + length]) == stored


def _inflate(compressed: bytes, limit: int) -> bytes | None:
    """zlib data up to ``limit`` bytes; None when damaged or larger (a decompression bomb)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(compressed, limit + 1)
    except zlib.error:
        return None
    return out if len(out) <= limit else None


def _icc_from_iccp(body: bytes) -> bytes | None:
    name_end = body.find(b"\x00", 0, 80)
    if name_end < 1 or body[name_end + 1 : name_end + 2] != b"\x00":
        return None
    return _inflate(body[name_end + 2 :], _MAX_ICC_BYTES)


def _text_chunk(kind: bytes, body: bytes) -> tuple[bytes, bytes]:
    """(keyword, text) of a tEXt, zTXt or iTXt chunk.

    Compressed text is inflated up to Pillow's own limit for one chunk: beyond it, the chunk is a
    decompression bomb (a few kB that expand to gigabytes), and the file is refused for it.
    """
    keyword, _, rest = body.partition(b"\x00")
    if kind == b"tEXt":
        return keyword, rest
    if kind == b"zTXt":
        compressed, payload = True, rest[1:]
    else:  # iTXt: compression flag, method, language tag, translated keyword, text
        compressed, payload = rest[:1] == b"\x01", rest[2:].split(b"\x00", 2)[-1]
    if not compressed:
        return keyword, payload
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(payload, _MAX_TEXT_CHUNK + 1)
    except zlib.error:
        return keyword, b""  # damaged text is ignored, as every PNG reader does
    if len(text) > _MAX_TEXT_CHUNK or inflater.unconsumed_tail:
        raise ImageRejected.decompression_bomb()
    return keyword, text


def _raw_profile_exif(chunk: tuple[bytes, bytes]) -> bytes | None:
    """EXIF that ImageMagick stores as hex text under the keyword 'Raw profile type exif'."""
    keyword, text = chunk
    if keyword not in (b"Raw profile type exif", b"Raw profile type APP1"):
        return None
    match = _RAW_PROFILE_EXIF.match(text)
    if not match:
        return None
    try:
        payload = bytes.fromhex(re.sub(rb"\s+", b"", match.group(2)).decode("ascii"))
    except ValueError:
        return None
    return payload[6:] if payload.startswith(b"Exif\x00\x00") else payload


def read_webp_header(data: bytes) -> ImageHeader:
    """Walks the RIFF chunks: size from VP8X (or the VP8/VP8L frame), EXIF, ICC, alpha."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ImageRejected.corrupt(Damage.HEADER)
    if len(data) < 20:
        raise ImageRejected.corrupt(Damage.ENDS_EARLY)
    riff_end = 8 + struct.unpack_from("<I", data, 4)[0]
    if riff_end > len(data):
        raise ImageRejected.corrupt(Damage.ENDS_EARLY)
    canvas: tuple[int, int] | None = None
    frame: tuple[int, int] | None = None
    exif: bytes | None = None
    icc: bytes | None = None
    has_alpha = is_animated = False
    pos = 12
    while pos + 8 <= riff_end:
        kind, length = struct.unpack_from("<4sI", data, pos)
        body, end = pos + 8, pos + 8 + length
        if end > riff_end:
            raise ImageRejected.corrupt(Damage.ENDS_EARLY)
        if kind == b"VP8X" and length >= 10:
            flags = data[body]
            has_alpha, is_animated = bool(flags & 0x10), bool(flags & 0x02)
            width = 1 + int.from_bytes(data[body + 4 : body + 7], "little")
            height = 1 + int.from_bytes(data[body + 7 : body + 10], "little")
            canvas = (width, height)
        elif kind == b"VP8 " and frame is None:
            if length < 10 or data[body + 3 : body + 6] != b"\x9d\x01\x2a":
                raise ImageRejected.corrupt(Damage.HEADER)
            width, height = struct.unpack_from("<HH", data, body + 6)
            frame = (width & 0x3FFF, height & 0x3FFF)
        elif kind == b"VP8L" and frame is None:
            if length < 5 or data[body] != 0x2F:
                raise ImageRejected.corrupt(Damage.HEADER)
            bits = int.from_bytes(data[body + 1 : body + 5], "little")
            frame = (1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF))
            has_alpha = has_alpha or bool(bits >> 28 & 1)
        elif kind in (b"ANMF", b"ALPH"):
            frame = frame or (0, 0)  # image data inside a frame, or an alpha plane before VP8
        elif kind == b"EXIF" and exif is None:
            exif = data[body:end]
            exif = exif[6:] if exif.startswith(b"Exif\x00\x00") else exif
        elif kind == b"ICCP" and icc is None:
            icc = data[body:end]
        pos = end + (length & 1)  # chunks are padded to an even length
    if frame is None:
        raise ImageRejected.corrupt(Damage.NO_IMAGE_DATA)
    width, height = canvas or frame
    if width == 0 or height == 0:
        raise ImageRejected.corrupt(Damage.HEADER)
    return ImageHeader(
        format="WEBP",
        format_detail="Animated WEBP" if is_animated else "WEBP",
        width=width,
        height=height,
        channels=4 if has_alpha else 3,
        bit_depth=8,
        exif=exif or None,
        icc_profile=icc or None,
        has_transparency=has_alpha,
    )


def read_iso_header(data: bytes, format: str) -> ImageHeader:
    """HEIC and AVIF: the primary image's boxes (processing.isobmff)."""
    image = read_iso_image(data)
    return ImageHeader(
        format=format,
        format_detail=format,
        width=image.width,
        height=image.height,
        channels=image.channels + (1 if image.has_alpha else 0),
        bit_depth=image.bit_depth,
        exif=image.exif,
        icc_profile=image.icc_profile,
        has_transparency=image.has_alpha,
        container_orientation=image.orientation,
    )
