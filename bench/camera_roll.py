"""A camera roll to import: many distinct camera-like files made cheaply from a few cached ones.

A small pool of base images (3 to 12 MP JPEGs with a camera's EXIF, and two PNGs) is generated
once with bench/pipeline.py's ``camera_like`` and cached under var/bench/camera-roll/. Each file
of the roll is a base image with its own comment (a JPEG COM segment, a PNG tEXt chunk): every
file has its own SHA-256, yet decoding it is the full work of a real photo. The roll also holds
a few deliberately broken files and exact duplicates of earlier files. Bytes are made on demand,
so a 2,000-file roll never sits in memory.
"""

from __future__ import annotations

import hashlib
import random
import struct
import zlib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from PIL import Image
from pipeline import CACHE, camera_like  # bench/pipeline.py: the core benchmark's photos

POOL = CACHE / "camera-roll"
POOL_VERSION = 1  # bump when the pool's recipe changes, so stale caches are not reused
# Phone and compact-camera sensors from 3 to 12 MP, landscape and portrait.
JPEG_SIZES = [(2048, 1536), (2592, 1944), (3264, 2448), (2448, 3264), (4000, 3000), (3000, 4000)]
# A phone screenshot and an RGBA export: what PNGs in a camera roll usually are.
PNG_SIZES = [((1170, 2532), False), ((1920, 1080), True)]
CAMERAS = [("Canon", "PowerShot G7 X"), ("Apple", "iPhone 8"), ("Google", "Pixel 3a")]


class Kind(StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    BROKEN = "broken"  # must end REJECTED
    DUPLICATE = "duplicate"  # the same bytes as an earlier file: must be answered as such


@dataclass(frozen=True)
class RollFile:
    index: int
    name: str
    kind: Kind
    content_type: str
    base: int  # which pool image (or, for broken files, which way of breaking one)
    duplicate_of: int | None = None  # the index of the file it copies


# --- the pool of base images -------------------------------------------------------------------


def _exif(index: int) -> bytes:
    make, model = CAMERAS[index % len(CAMERAS)]
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0110] = model
    exif[0x0112] = 1  # orientation: upright
    exif.get_ifd(0x8769)[0x9003] = f"2024:06:{index + 1:02d} 10:{index:02d}:00"  # taken at
    return exif.tobytes()


def _pool_path(name: str) -> Path:
    return POOL / f"v{POOL_VERSION}-{name}"


@cache
def jpeg_base(index: int) -> bytes:
    path = _pool_path(f"jpeg-{index}.jpg")
    if not path.exists():
        POOL.mkdir(parents=True, exist_ok=True)
        width, height = JPEG_SIZES[index]
        image = camera_like(width, height, seed=100 + index)
        image.save(path, "JPEG", quality=90, exif=_exif(index))
    return path.read_bytes()


@cache
def png_base(index: int) -> bytes:
    path = _pool_path(f"png-{index}.png")
    if not path.exists():
        POOL.mkdir(parents=True, exist_ok=True)
        (width, height), alpha = PNG_SIZES[index]
        camera_like(width, height, seed=200 + index, alpha=alpha).save(path, "PNG")
    return path.read_bytes()


def warm_pool() -> None:
    """Generates (the first time) and loads every base image."""
    for index in range(len(JPEG_SIZES)):
        jpeg_base(index)
    for index in range(len(PNG_SIZES)):
        png_base(index)


# --- making each file distinct -----------------------------------------------------------------


def _app_segment_at(jpeg: bytes, position: int) -> bool:
    return (
        position + 4 <= len(jpeg) and jpeg[position] == 0xFF and 0xE0 <= jpeg[position + 1] <= 0xEF
    )


def jpeg_with_comment(jpeg: bytes, text: str) -> bytes:
    """The JPEG with a COM segment inserted after its APPn segments (EXIF stays first)."""
    position = 2  # after SOI
    while (
        position + 4 <= len(jpeg) and jpeg[position] == 0xFF and 0xE0 <= jpeg[position + 1] <= 0xEF
    ):
        (length,) = struct.unpack(">H", jpeg[position + 2 : position + 4])
        position += 2 + length
    payload = text.encode()
    segment = b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:position] + segment + jpeg[position:]


def png_with_text(png: bytes, text: str) -> bytes:
    """The PNG with a tEXt chunk inserted before IEND (the last 12 bytes)."""
    body = b"Comment\x00" + text.encode("latin-1")
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + body))
    return png[:-12] + chunk + png[-12:]


# --- broken files ------------------------------------------------------------------------------

BROKEN_WAYS = 3


def broken(way: int, tag: str) -> bytes:
    """0: a JPEG cut off at 45 %; 1: a text file; 2: a JPEG header with no image after it."""
    if way == 0:
        whole = jpeg_with_comment(jpeg_base(0), tag)
        return whole[: len(whole) * 45 // 100]
    if way == 1:
        return f"Shopping list ({tag})\n- milk\n- bread\n".encode() * 20
    jfif = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return jpeg_with_comment(b"\xff\xd8" + jfif, tag) + bytes(4096)


# --- the roll ----------------------------------------------------------------------------------


def _count(files: int, share: float) -> int:
    return max(1, round(files * share)) if files >= 20 else 0


def plan(
    files: int,
    *,
    seed: int = 1,
    png_share: float = 0.03,
    broken_share: float = 0.01,
    duplicate_share: float = 0.02,
) -> list[RollFile]:
    """``files`` files in a shuffled order; each duplicate comes after the file it copies."""
    rng = random.Random(seed)
    kinds = [Kind.PNG] * _count(files, png_share)
    kinds += [Kind.BROKEN] * _count(files, broken_share)
    duplicates = _count(files, duplicate_share)
    kinds += [Kind.JPEG] * (files - len(kinds) - duplicates)
    rng.shuffle(kinds)
    # Duplicates go anywhere after the first few files, each copying an earlier good file.
    for _ in range(duplicates):
        kinds.insert(rng.randint(min(5, len(kinds)), len(kinds)), Kind.DUPLICATE)
    roll: list[RollFile] = []
    broken_seen = 0
    for index, kind in enumerate(kinds):
        if kind is Kind.DUPLICATE:
            original = rng.choice([f for f in roll if f.kind in (Kind.JPEG, Kind.PNG)])
            stem, _, extension = original.name.rpartition(".")
            roll.append(
                RollFile(
                    index,
                    f"{stem} (copy {index}).{extension}",
                    kind,
                    original.content_type,
                    original.base,
                    duplicate_of=original.index,
                )
            )
        elif kind is Kind.PNG:
            base = rng.randrange(len(PNG_SIZES))
            roll.append(RollFile(index, f"Screenshot_{index:05d}.png", kind, "image/png", base))
        elif kind is Kind.BROKEN:
            way = broken_seen % BROKEN_WAYS
            roll.append(RollFile(index, f"IMG_{index:05d}.jpg", kind, "image/jpeg", way))
            broken_seen += 1
        else:
            base = rng.randrange(len(JPEG_SIZES))
            roll.append(RollFile(index, f"IMG_{index:05d}.jpg", kind, "image/jpeg", base))
    return roll


def content(file: RollFile) -> bytes:
    """The file's bytes, made afresh (a copy of a cached base plus a few bytes); a duplicate's
    are exactly its original's."""
    source = file.index if file.duplicate_of is None else file.duplicate_of
    tag = f"photoshare bench camera roll, file {source}"
    if file.kind is Kind.BROKEN:
        return broken(file.base, tag)
    if file.content_type == "image/png":
        return png_with_text(png_base(file.base), tag)
    return jpeg_with_comment(jpeg_base(file.base), tag)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
