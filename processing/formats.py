"""Recognising a file's format from its first bytes, never from its name or declared type."""

from __future__ import annotations

# Signatures of the formats people actually upload, so a rejection can say what the file really is.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"II+\x00", "TIFF"),
    (b"MM\x00+", "TIFF"),
    (b"BM", "BMP"),
    (b"%PDF-", "PDF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"8BPS", "PSD"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}

# What the pipeline decodes (MPO, a camera's multi-picture JPEG, is JPEG: its first picture).
SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIC", "AVIF")
# The same list the way people write it, for messages ("Not a JPEG, PNG, ... image").
SUPPORTED_IN_WORDS = "JPEG, PNG, WebP, HEIC or AVIF"


def sniff_format(data: bytes) -> str | None:
    """The container format ('JPEG', 'PNG', 'GIF', 'HEIC', ...), or None when unrecognised."""
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp":
        return _iso_format(data)
    return None


def _iso_format(data: bytes) -> str | None:
    """AVIF or HEIC from the ftyp box's major and compatible brands: a file may name only 'mif1'
    first and 'avif' or 'heic' after it. An AVIF always names 'avif', a HEIC never does."""
    size = int.from_bytes(data[:4], "big")
    brands = {data[8:12]} | {data[i : i + 4] for i in range(16, min(size, len(data), 256) - 3, 4)}
    if brands & _AVIF_BRANDS:
        return "AVIF"
    if brands & _HEIF_BRANDS:
        return "HEIC"
    return None
