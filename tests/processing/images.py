"""Real image files built with Pillow for the pipeline's tests (no file from ../shared is used)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

# Corner colours of the orientation test card: a picture whose every turn and mirror differs.
TOP_LEFT = (220, 30, 30)
TOP_RIGHT = (30, 200, 40)
BOTTOM_LEFT = (30, 60, 220)
BOTTOM_RIGHT = (240, 220, 30)

# What the camera stored, for a picture shown upright, under each EXIF orientation: the inverse of
# the turn a viewer applies.
STORED_FOR_ORIENTATION: dict[int, list[Image.Transpose]] = {
    1: [],
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_90],
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_270],
}


def orientation_card(width: int = 600, height: int = 400, mode: str = "RGB") -> Image.Image:
    """Four coloured quadrants, upright as a person should see them."""
    image = Image.new("RGB", (width, height))
    half_w, half_h = width // 2, height // 2
    image.paste(TOP_LEFT, (0, 0, half_w, half_h))
    image.paste(TOP_RIGHT, (half_w, 0, width, half_h))
    image.paste(BOTTOM_LEFT, (0, half_h, half_w, height))
    image.paste(BOTTOM_RIGHT, (half_w, half_h, width, height))
    return image.convert(mode) if mode != "RGB" else image


def stored_for(image: Image.Image, orientation: int) -> Image.Image:
    for step in STORED_FOR_ORIENTATION[orientation]:
        image = image.transpose(step)
    return image


def exif_block(
    *,
    orientation: int | None = None,
    make: str | None = None,
    model: str | None = None,
    taken_at: str | None = None,
    offset: str | None = None,
    gps: dict[int, object] | None = None,
    extra_exif: dict[int, object] | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if make is not None:
        exif[0x010F] = make
    if model is not None:
        exif[0x0110] = model
    sub = exif.get_ifd(0x8769)
    if taken_at is not None:
        sub[0x9003] = taken_at
    if offset is not None:
        sub[0x9011] = offset
    sub.update(extra_exif or {})
    if gps is not None:
        exif.get_ifd(0x8825).update(gps)
    return exif


def jpeg(
    image: Image.Image | None = None, *, exif: Image.Exif | None = None, **save: object
) -> bytes:
    image = image if image is not None else orientation_card()
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 92, **save}
    if exif is not None:
        options["exif"] = exif.tobytes()
    image.save(out, "JPEG", **options)
    return out.getvalue()


def png(image: Image.Image | None = None, **save: object) -> bytes:
    image = image if image is not None else orientation_card()
    out = io.BytesIO()
    image.save(out, "PNG", **save)
    return out.getvalue()


def encode(image: Image.Image, format: str, **save: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format, **save)
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def insert_png_chunk(data: bytes, chunk: bytes, *, before: bytes) -> bytes:
    """The PNG with ``chunk`` placed just before the first chunk of type ``before``."""
    at = data.index(before) - 4
    return data[:at] + chunk + data[at:]


def jpeg_header_only(width: int, height: int) -> bytes:
    """A JPEG whose frame header declares ``width`` x ``height`` and whose data then stops:
    enough for a header reader, and proof that it reads nothing more."""
    sof = struct.pack(">BHHB", 8, height, width, 3) + bytes([1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])
    sos = bytes([3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0])
    return (
        b"\xff\xd8"
        + b"\xff\xc0"
        + struct.pack(">H", len(sof) + 2)
        + sof
        + b"\xff\xda"
        + struct.pack(">H", len(sos) + 2)
        + sos
        + b"\x00" * 16
    )


def png_header_only(width: int, height: int) -> bytes:
    """A structurally complete PNG whose IHDR declares a size its (tiny) data does not hold."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )
