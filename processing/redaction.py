"""`redact_gps`: an original's bytes with its location removed, for sharing. Pure bytes in, bytes
out; no Django, no storage.

The redaction is in place: the EXIF GPS IFD (its entries and every value they point to) is
overwritten with zeros and IFD0's pointer to it is taken out; XMP ``*:GPS*`` properties are
overwritten with spaces. Nothing moves, so every other offset in the file (JPEG segments, RIFF
chunk sizes, HEIF's ``iloc`` extents, EXIF's own value offsets) stays valid, and the same code
serves JPEG, PNG, WebP, HEIC and AVIF. PNG is the one container with checksums: the CRC of each
chunk that changed is computed again.

Fail closed: `redact_gps` reads the result back with the pipeline's own metadata reader and
raises `LocationNotRemovable` if a position can still be read (EXIF in a place the walk did not
reach, such as ImageMagick's hex-text PNG profile), and so does a compressed PNG text chunk
holding XMP GPS properties, so a caller never serves a located file.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable

from processing.exif import TAG_GPS_IFD
from processing.metadata import extract_metadata, read_header
from processing.rejections import ImageRejected

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_MAX_ENTRIES = 1024
_MAX_TEXT_BYTES = 1024 * 1024  # as Pillow's PngImagePlugin.MAX_TEXT_CHUNK
_EXIF_PREFIX = re.compile(rb"Exif\x00\x00(?=II\*\x00|MM\x00\*)")
_XMP_PACKET = re.compile(rb"<x:xmpmeta\b.*?</x:xmpmeta\s*>", re.DOTALL)
# A GPS property in any namespace prefix (exif:GPSLatitude, exifEX:GPS...), as an attribute of
# rdf:Description or as an element of its own (with a value or nested rdf: structure).
_XMP_GPS_ATTRIBUTE = re.compile(rb"""[\w.-]+:GPS[\w.-]*\s*=\s*(?:"[^"]*"|'[^']*')""")
_XMP_GPS_ELEMENT = re.compile(rb"<([\w.-]+:GPS[\w.-]*)\b[^>]*?(?:/>|>.*?</\1\s*>)", re.DOTALL)


class LocationNotRemovable(Exception):
    """The file still tells where it was taken after redaction: it must not be served."""


def redact_gps(data: bytes) -> bytes:
    """``data`` with every EXIF GPS IFD and XMP GPS property blanked, same length and layout."""
    out = bytearray(data)
    for start in _tiff_starts(data):
        _drop_gps_ifd(out, start)
    for packet in _XMP_PACKET.finditer(data):
        _blank_xmp_gps(out, packet.start(), packet.end())
    if data.startswith(_PNG_SIGNATURE):
        _fix_png_crcs(out, data)
        if _compressed_png_text_names_gps(out):
            raise LocationNotRemovable("a compressed PNG text chunk holds GPS properties")
    redacted = bytes(out)
    try:
        still_located = extract_metadata(redacted).gps is not None
    except ImageRejected:
        still_located = False  # unreadable as an image: no position can be read from it either
    if still_located:
        raise LocationNotRemovable("a GPS position is still readable after redaction")
    return redacted


def _tiff_starts(data: bytes) -> set[int]:
    """Where each EXIF TIFF structure begins: after every 'Exif\\0\\0' (JPEG APP1, the second
    picture of an MPO, WebP and HEIF blocks that keep the prefix), and wherever the container's
    reader found its EXIF (PNG eXIf and HEIF items carry no prefix)."""
    starts = {match.end() for match in _EXIF_PREFIX.finditer(data)}
    try:
        exif = read_header(data).exif
    except (ImageRejected, ValueError, struct.error):
        exif = None
    if exif:
        found = data.find(exif)
        if found >= 0:
            starts.add(found)
    return starts


def _drop_gps_ifd(out: bytearray, start: int) -> None:
    """Zeroes the GPS IFD of the TIFF structure at ``start`` and removes IFD0's pointer to it.
    Offsets in a TIFF are from its header, so they are read against ``start``; anything out of
    bounds is left alone (the read-back in `redact_gps` catches what that leaves)."""
    end = len(out)
    order = bytes(out[start : start + 2])
    endian = "<" if order == b"II" else ">"

    def unpack(code: str, at: int) -> tuple[int, ...]:
        return struct.unpack_from(endian + code, out, start + at)

    try:
        ifd0 = unpack("I", 4)[0]
        count = unpack("H", ifd0)[0]
        if count > _MAX_ENTRIES or start + ifd0 + 2 + 12 * count + 4 > end:
            return
        for index in range(count):
            entry = ifd0 + 2 + 12 * index
            tag, kind, n = unpack("HHI", entry)
            if tag != TAG_GPS_IFD or kind not in (4, 13) or n != 1:
                continue
            gps_at = unpack("I", entry + 8)[0]
            _zero_ifd(out, start, gps_at, unpack)
            # Take the pointer out of IFD0: the later entries and the next-IFD offset move up one
            # slot, the freed slot at the end is zeroed.
            after = start + entry + 12
            tail_end = start + ifd0 + 2 + 12 * count + 4
            out[start + entry : tail_end - 12] = out[after:tail_end]
            out[tail_end - 12 : tail_end] = bytes(12)
            struct.pack_into(endian + "H", out, start + ifd0, count - 1)
            return
    except struct.error:
        return


Reader = Callable[[str, int], tuple[int, ...]]  # struct codes at a TIFF offset, in its byte order


def _zero_ifd(out: bytearray, start: int, at: int, read: Reader) -> None:
    end = len(out)
    if at < 8 or start + at + 2 > end:
        return
    count = read("H", at)[0]
    if count > _MAX_ENTRIES or start + at + 2 + 12 * count + 4 > end:
        return
    for index in range(count):
        entry = at + 2 + 12 * index
        _, kind, n = read("HHI", entry)
        size = _TYPE_SIZES.get(kind, 0) * n
        if size > 4:
            value_at = read("I", entry + 8)[0]
            if start + value_at + size <= end:
                out[start + value_at : start + value_at + size] = bytes(size)
    out[start + at : start + at + 2 + 12 * count + 4] = bytes(2 + 12 * count + 4)


def _blank_xmp_gps(out: bytearray, begin: int, finish: int) -> None:
    packet = bytes(out[begin:finish])
    for pattern in (_XMP_GPS_ELEMENT, _XMP_GPS_ATTRIBUTE):
        for match in pattern.finditer(packet):
            out[begin + match.start() : begin + match.end()] = b" " * (match.end() - match.start())


def _png_chunks(data: bytes | bytearray) -> list[tuple[bytes, int, int]]:
    """(type, body start, body end) of each whole chunk."""
    chunks = []
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        if pos + 12 + length > len(data):
            break
        chunks.append((kind, pos + 8, pos + 8 + length))
        pos += 12 + length
    return chunks


def _compressed_png_text_names_gps(data: bytearray) -> bool:
    """Whether a compressed zTXt or iTXt chunk (XMP may be stored so) holds a GPS property: its
    bytes cannot be blanked in place, and the read-back sees EXIF only. Inflated up to the PNG
    readers' own limit for one text chunk; a larger one counts as holding one (fail closed)."""
    for kind, body, end in _png_chunks(data):
        chunk = bytes(data[body:end])
        if kind == b"zTXt":
            compressed = chunk.partition(b"\x00")[2][1:]
        elif kind == b"iTXt":
            rest = chunk.partition(b"\x00")[2]
            if rest[:1] != b"\x01":
                continue  # uncompressed: blanked in place with the other XMP
            compressed = rest[2:].split(b"\x00", 2)[-1]
        else:
            continue
        inflater = zlib.decompressobj()
        try:
            text = inflater.decompress(compressed, _MAX_TEXT_BYTES + 1)
        except zlib.error:
            continue  # unreadable to every reader too
        if len(text) > _MAX_TEXT_BYTES or re.search(rb"[\w.-]+:GPS", text):
            return True
    return False


def _fix_png_crcs(out: bytearray, original: bytes) -> None:
    """A new CRC for every chunk whose bytes the redaction changed (its type and body)."""
    for _, body, end in _png_chunks(out):
        if out[body - 4 : end] != original[body - 4 : end]:
            struct.pack_into(">I", out, end, zlib.crc32(out[body - 4 : end]))
