"""Large progressive JPEGs read from their DC scans: the same 1/8-scale picture libjpeg makes,
for each colour layout, with and without restart markers; damage refused."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from processing.jpeg_dc import WHOLE_DECODE_MAX_COEFFICIENT_BYTES, decode_dc, wants_dc_only
from processing.rejections import ImageRejected
from tests.processing.images import (
    BOTTOM_LEFT,
    TOP_LEFT,
    TOP_RIGHT,
    jpeg,
    jpeg_header_only,
    orientation_card,
)


def scene(width: int, height: int, mode: str, *, seed: int = 0) -> Image.Image:
    """Colour regions a few dozen pixels across, with noise: every block's DC differs."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (height // 40 + 2, width // 40 + 2, 3), dtype=np.uint8)
    smooth = np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC))
    noisy = np.clip(smooth + rng.normal(0, 6, smooth.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(noisy).convert(mode)


def libjpeg_at_one_eighth(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    image.draft(None, (image.width // 8, image.height // 8))
    return np.asarray(image).astype(int)


@pytest.mark.parametrize(
    ("mode", "options"),
    [
        ("L", {}),
        ("RGB", {"subsampling": 0}),  # 4:4:4
        ("RGB", {"subsampling": 1}),  # 4:2:2
        ("CMYK", {}),
        ("RGB", {"subsampling": 0, "restart_marker_blocks": 7}),
        ("L", {"restart_marker_rows": 1}),
    ],
)
def test_the_dc_scans_give_libjpegs_one_eighth_scale_picture(
    mode: str, options: dict[str, int]
) -> None:
    data = jpeg(scene(1003, 757, mode), progressive=True, **options)
    ours = np.asarray(decode_dc(data)).astype(int)
    assert ours.shape == libjpeg_at_one_eighth(data).shape  # 126 x 95: ceil(1003 / 8) ...
    assert np.abs(ours - libjpeg_at_one_eighth(data)).max() <= 1  # colour conversion rounding


@pytest.mark.parametrize("restart", [0, 5])
def test_4_2_0_chroma_is_close(restart: int) -> None:
    # At 1/8 scale libjpeg computes 4:2:0 chroma from AC coefficients too; upsampled DC chroma
    # is a little softer. Luma is exact.
    data = jpeg(scene(1003, 757, "RGB"), progressive=True, restart_marker_blocks=restart)
    ours, theirs = decode_dc(data), libjpeg_at_one_eighth(data)
    luma = np.asarray(ours.convert("YCbCr"))[..., 0].astype(int)
    their_luma = np.asarray(Image.fromarray(theirs.astype(np.uint8)).convert("YCbCr"))[..., 0]
    assert np.abs(luma - their_luma).max() <= 2
    assert np.abs(np.asarray(ours).astype(int) - theirs).mean() < 8


def test_only_big_progressive_jpegs_are_read_from_their_dc_scans() -> None:
    def progressive(width: int, height: int) -> bytes:
        baseline = jpeg_header_only(width, height)
        return baseline.replace(b"\xff\xc0", b"\xff\xc2", 1)  # SOF2: progressive, Huffman

    # The header is 4:2:0: six blocks of 128 bytes of coefficients per 16 x 16 pixels.
    big_side = int((WHOLE_DECODE_MAX_COEFFICIENT_BYTES / 3) ** 0.5) + 64
    assert wants_dc_only(progressive(big_side, big_side))
    assert not wants_dc_only(jpeg_header_only(big_side, big_side))  # baseline: draft suffices
    assert not wants_dc_only(progressive(4000, 3000))  # 12 MP: libjpeg holds it easily


@pytest.mark.parametrize("subsampling", [0, 2])
def test_the_dc_picture_shows_each_quarter_in_its_colour(subsampling: int) -> None:
    data = jpeg(orientation_card(2000, 1600), progressive=True, subsampling=subsampling)
    picture = decode_dc(data)
    assert picture.size == (250, 200)
    for spot, colour in [((60, 50), TOP_LEFT), ((190, 50), TOP_RIGHT), ((60, 150), BOTTOM_LEFT)]:
        assert picture.getpixel(spot) == pytest.approx(colour, abs=6)


def test_a_cut_dc_scan_is_a_rejection() -> None:
    data = jpeg(scene(640, 480, "RGB"), progressive=True)
    first_scan = data.index(b"\xff\xda")
    (length,) = struct.unpack_from(">H", data, first_scan + 2)
    cut = data[: first_scan + 2 + length + 100] + b"\xff\xd9"
    with pytest.raises(ImageRejected) as refused:
        decode_dc(cut)
    assert refused.value.reason == "corrupt"
