"""100-megapixel images through the whole local state machine, recognition on, in a fresh
process: its peak memory stays within 500 MB and its thumbnails show the right colours where they
should. PNGs of every awkward kind, and progressive JPEGs (whose coefficients libjpeg would hold
whole: 300 MB at 4:2:0, 600 MB at 4:4:4).

The PNGs are written row by row (tests/processing/png_writer.py), so a 400 MB RGBA image costs
the test a few megabytes; they compress to a few hundred kilobytes, as such images do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.processing.images import (
    BOTTOM_LEFT,
    BOTTOM_RIGHT,
    TOP_LEFT,
    TOP_RIGHT,
    orientation_card,
)
from tests.processing.png_writer import write_png

ROOT = Path(__file__).resolve().parents[3]
SIDE = 10_000  # 100 MP: the default limit, which accepts it
PEAK_LIMIT_MB = 500
QUADRANTS = (TOP_LEFT, TOP_RIGHT, BOTTOM_RIGHT, BOTTOM_LEFT)  # clockwise from top left

# Runs in the child: a worker's work on one upload, as processing.local.worker does it, with the
# models loaded first as a worker loads them before its first job.
CHILD = """
import json, sys
from processing.keys import UploadKey
from processing.local.worker import work_once
from processing.runtime import config

def peak_mb():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM"))
    return int(line.split()[1]) / 1024

settings = config()
settings.recognizer()
idle = peak_mb()
key = UploadKey("7", "3", "large", sys.argv[1].rsplit(".", 1)[1])
with open(sys.argv[1], "rb") as upload:
    settings.local_bucket().put_object(str(key), upload.read(), content_type="image/png")
queue = settings.local_queue()
while work_once(queue, settings):
    pass
item = settings.result_store().get_many([key.photo_id])[key.photo_id]
print(json.dumps({"idle_mb": idle, "peak_mb": peak_mb(), "item": item.to_item()}))
"""


@dataclass(frozen=True)
class PngKind:
    colour_type: int
    bit_depth: int
    samples: Callable[[tuple[int, int, int]], list[int]]  # quadrant colour -> stored samples
    expected: tuple[tuple[int, ...], ...]  # RGBA a thumbnail shows per quadrant, clockwise
    palette: bytes | None = None
    transparency: bytes | None = None
    interlaced: bool = False

    extension = "png"

    def write(self, path: Path) -> None:
        dtype = np.uint16 if self.bit_depth == 16 else np.uint8
        half = SIDE // 2
        bands = []
        for left, right in ((TOP_LEFT, TOP_RIGHT), (BOTTOM_LEFT, BOTTOM_RIGHT)):
            row = np.empty((SIDE, len(self.samples(left))), dtype)
            row[:half], row[half:] = self.samples(left), self.samples(right)
            bands.append(row.squeeze(axis=1) if row.shape[1] == 1 else row)
        with path.open("wb") as out:
            write_png(
                out,
                SIDE,
                SIDE,
                lambda y: bands[int(y >= half)],
                bit_depth=self.bit_depth,
                colour_type=self.colour_type,
                palette=self.palette,
                transparency=self.transparency,
                interlaced=self.interlaced,
                filter_for=lambda i: 2 if i else 1,  # Up: identical rows cost nothing to store
                level=1,
            )


@dataclass(frozen=True)
class ProgressiveJpeg:
    subsampling: int  # Pillow's: 0 is 4:4:4, 2 is 4:2:0
    expected: tuple[tuple[int, ...], ...] = tuple((*c, 255) for c in QUADRANTS)
    extension = "jpg"

    def write(self, path: Path) -> None:
        # Pillow's encoder wants the whole picture (300 MB here, in the test's own process).
        picture = orientation_card(SIDE, SIDE)
        picture.save(path, "JPEG", quality=90, progressive=True, subsampling=self.subsampling)


def _opaque(colours: tuple[tuple[int, int, int], ...]) -> tuple[tuple[int, ...], ...]:
    return tuple((*colour, 255) for colour in colours)


def _sixteen(colour: tuple[int, int, int]) -> list[int]:
    return [value << 8 | 0xC0 for value in colour]  # the low byte must not round the high one up


GREYS = {TOP_LEFT: 40, TOP_RIGHT: 100, BOTTOM_RIGHT: 170, BOTTOM_LEFT: 230}
PALETTE = bytes(value for colour in QUADRANTS for value in colour)

KINDS: dict[str, PngKind | ProgressiveJpeg] = {
    # The bottom-right quarter half transparent, so the thumbnails keep their alpha (PNG).
    "rgba-8bit": PngKind(
        6,
        8,
        lambda c: [*c, 128 if c == BOTTOM_RIGHT else 255],
        (*_opaque(QUADRANTS[:2]), (*BOTTOM_RIGHT, 128), *_opaque(QUADRANTS[3:])),
    ),
    "rgba-16bit": PngKind(
        6,
        16,
        lambda c: [*_sixteen(c), 0xFFFF],
        _opaque(QUADRANTS),
    ),
    # Grey values stored at 16 bits: clipping them to 8 would make every quarter white.
    "grey-16bit": PngKind(
        0,
        16,
        lambda c: [GREYS[c] << 8 | 0xC0],
        tuple((GREYS[c],) * 3 + (255,) for c in QUADRANTS),
    ),
    # Two bits per index; tRNS makes the bottom-right colour (index 2) fully transparent.
    "palette-2bit-trns": PngKind(
        3,
        2,
        lambda c: [QUADRANTS.index(c)],
        (*_opaque(QUADRANTS[:2]), (0, 0, 0, 0), *_opaque(QUADRANTS[3:])),
        palette=PALETTE,
        transparency=bytes([255, 255, 0, 255]),
    ),
    "rgb-interlaced": PngKind(2, 8, list, _opaque(QUADRANTS), interlaced=True),
    "jpeg-progressive-444": ProgressiveJpeg(subsampling=0),
    "jpeg-progressive-420": ProgressiveJpeg(subsampling=2),
}


def quadrant_colours(image: Image.Image) -> list[tuple[int, ...]]:
    rgba = image.convert("RGBA")
    w, h = rgba.size
    spots = [(w // 4, h // 4), (3 * w // 4, h // 4), (3 * w // 4, 3 * h // 4), (w // 4, 3 * h // 4)]
    return [rgba.getpixel(spot) for spot in spots]  # type: ignore[misc]


def close(found: tuple[int, ...], wanted: tuple[int, ...]) -> bool:
    if wanted[3] == 0:
        return found[3] == 0  # a transparent pixel's colour is nobody's business
    return all(abs(f - w) <= 8 for f, w in zip(found, wanted, strict=True))


@pytest.mark.parametrize("name", KINDS)
def test_a_100_megapixel_image_stays_within_500_mb(name: str, tmp_path: Path) -> None:
    kind = KINDS[name]
    upload = tmp_path / f"{name}.{kind.extension}"
    kind.write(upload)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PHOTOSHARE_BACKEND": "local",
        "PHOTOSHARE_VAR_DIR": str(tmp_path / "var"),
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(upload)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    item = report["item"]
    print(f"{name}: peak {report['peak_mb']:.0f} MB, idle with the models {report['idle_mb']:.0f}")

    assert item["status"] == "SUCCEEDED", item
    assert report["peak_mb"] <= PEAK_LIMIT_MB, report["peak_mb"]
    assert [(t["width"], t["height"]) for t in item["thumbnails"]] == [(250, 250), (1024, 1024)]
    for thumbnail in item["thumbnails"]:
        transparent = any(wanted[3] < 255 for wanted in kind.expected)
        assert thumbnail["contentType"] == ("image/png" if transparent else "image/jpeg")
        with Image.open(tmp_path / "var" / "media" / thumbnail["key"]) as image:
            found = quadrant_colours(image)
        assert all(close(f, w) for f, w in zip(found, kind.expected, strict=True)), found
