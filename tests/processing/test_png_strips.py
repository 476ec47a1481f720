"""Large PNGs read strip by strip: the same pixels as a whole decode, for every PNG kind, with
every filter type meeting a strip boundary; the same picture once reduced; damage refused."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from PIL import Image

from processing.containers import read_png_header
from processing.png_strips import decode_reduced, pixel_rows
from processing.rejections import ImageRejected
from processing.thumbnails import _normalise_mode, fit_within
from tests.processing.png_writer import CHANNELS, chunk, png_bytes

# (colour type, bit depth): every combination PNG allows.
KINDS = [
    (0, 1), (0, 2), (0, 4), (0, 8), (0, 16),
    (2, 8), (2, 16),
    (3, 1), (3, 2), (3, 4), (3, 8),
    (4, 8), (4, 16),
    (6, 8), (6, 16),
]  # fmt: skip


def random_png(
    colour_type: int,
    bit_depth: int,
    *,
    seed: int = 0,
    key: bool = False,
    interlaced: bool = False,
    size: tuple[int, int] = (37, 23),
) -> tuple[bytes, np.ndarray]:
    """Noise in every sample (so libspng's filters all get work), each row with the next filter
    type in turn; with ``key``, a tRNS entry (a palette alpha, or the first pixel's colour)."""
    rng = np.random.default_rng(seed)
    width, height = size
    channels = CHANNELS[colour_type]
    shape = (height, width) if channels == 1 else (height, width, channels)
    dtype = np.uint16 if bit_depth == 16 else np.uint8
    samples = rng.integers(0, 1 << bit_depth, shape, dtype=np.uint32).astype(dtype)
    palette = transparency = None
    if colour_type == 3:
        palette = rng.integers(0, 256, 3 << bit_depth, dtype=np.uint8).tobytes()
        transparency = bytes([0, 90, 255]) if key else None
    elif key:
        transparency = np.atleast_1d(samples[0, 0]).astype(">u2").tobytes()
    data = png_bytes(
        samples,
        bit_depth=bit_depth,
        colour_type=colour_type,
        palette=palette,
        transparency=transparency,
        interlaced=interlaced,
    )
    return data, samples


def whole_decode(data: bytes) -> np.ndarray:
    """What the whole-image path makes of the PNG, as RGBA when it has alpha."""
    return np.asarray(_normalise_mode(Image.open(io.BytesIO(data))))


def strips(data: bytes, strip_bytes: int) -> np.ndarray:
    pixels = np.concatenate(list(pixel_rows(data, read_png_header(data), strip_bytes=strip_bytes)))
    if pixels.shape[2] == 2:  # LA: the whole-image path makes it RGBA
        grey, alpha = pixels[..., :1], pixels[..., 1:]
        pixels = np.concatenate([grey, grey, grey, alpha], axis=2)
    return pixels[..., 0] if pixels.shape[2] == 1 else pixels


@pytest.mark.parametrize("strip_bytes", [1, 300, 1 << 20])  # a row a strip, a few, all
@pytest.mark.parametrize(("colour_type", "bit_depth"), KINDS)
def test_strips_decode_exactly_what_a_whole_decode_does(
    colour_type: int, bit_depth: int, strip_bytes: int
) -> None:
    data, _ = random_png(colour_type, bit_depth)
    assert np.array_equal(strips(data, strip_bytes), whole_decode(data))


@pytest.mark.parametrize(("colour_type", "bit_depth"), [(0, 8), (0, 16), (2, 8), (3, 4), (3, 8)])
def test_tRNS_transparency_survives(colour_type: int, bit_depth: int) -> None:
    data, samples = random_png(colour_type, bit_depth, key=True)
    pixels = strips(data, 300)
    assert pixels.shape[2] == 4
    assert np.array_equal(pixels, whole_decode(data))
    if colour_type == 3:  # tRNS gives entries 0, 1 and 2 their alphas; the rest are opaque
        alphas = np.array([0, 90, 255] + [255] * 253, np.uint8)
        assert np.array_equal(pixels[..., 3], alphas[samples])
    else:
        assert pixels[0, 0, 3] == 0  # the keyed colour


@pytest.mark.parametrize(("colour_type", "bit_depth"), [(0, 2), (0, 4), (2, 16)])
def test_a_colour_key_is_compared_at_the_samples_full_depth(
    colour_type: int, bit_depth: int
) -> None:
    # Pillow compares these keys with already scaled 8-bit values and so never matches; the PNG
    # spec compares the stored samples, which is what the strips do.
    data, samples = random_png(colour_type, bit_depth, key=True)
    alpha = strips(data, 300)[..., 3]
    stored = samples.reshape(*samples.shape[:2], -1)
    keyed = np.all(stored == stored[0, 0], axis=2)
    assert np.array_equal(alpha == 0, keyed)


@pytest.mark.parametrize(("colour_type", "bit_depth"), KINDS)
def test_an_interlaced_png_is_read_from_its_seventh_pass(colour_type: int, bit_depth: int) -> None:
    data, _ = random_png(colour_type, bit_depth, interlaced=True)
    assert np.array_equal(strips(data, 300), whole_decode(data)[1::2])  # every odd row


@pytest.mark.parametrize(
    ("mode", "size", "box"),
    [("RGB", (1003, 701), 250), ("L", (640, 1999), 100), ("RGBA", (4000, 300), 1024)],
)
def test_the_reduced_picture_is_pillows_reduce_and_lanczos(
    mode: str, size: tuple[int, int], box: int
) -> None:
    rng = np.random.default_rng(5)
    width, height = size
    coarse = rng.integers(0, 256, (height // 20 + 2, width // 20 + 2, len(mode)), np.uint8)
    picture = Image.fromarray(coarse.squeeze(axis=2) if mode == "L" else coarse, mode)
    pixels = np.array(picture.resize(size, Image.Resampling.BICUBIC))
    if mode == "RGBA":  # a transparent band whose hidden colour must not bleed out
        pixels[: height // 3, :, 3] = 0
        pixels[: height // 3, :, 0] = 255
    data = png_bytes(pixels, colour_type={"L": 0, "RGB": 2, "RGBA": 6}[mode])
    target = fit_within(width, height, box)

    ours = np.asarray(decode_reduced(data, read_png_header(data), target, strip_bytes=10_000))
    pillow = np.asarray(
        _normalise_mode(Image.open(io.BytesIO(data))).resize(
            target, Image.Resampling.LANCZOS, reducing_gap=1.0
        )
    )

    assert ours.shape == pillow.shape
    if mode == "RGBA":  # compared as seen: colour weighted by alpha (Pillow's is 8-bit)
        ours, pillow = (
            np.concatenate([p[..., :3] * (p[..., 3:] / 255), p[..., 3:]], 2) for p in (ours, pillow)
        )
        assert np.abs(ours - pillow).max() <= 4
    else:
        assert np.abs(ours.astype(int) - pillow).max() <= 1


def _with_image_data(data: bytes, scanlines: bytes) -> bytes:
    """The PNG with its image data replaced by ``scanlines`` (already compressed)."""
    start = data.index(b"IDAT") - 4
    end = data.index(b"IEND") - 4
    return data[:start] + chunk(b"IDAT", scanlines) + data[end:]


def test_damaged_image_data_is_a_rejection() -> None:
    data, _ = random_png(2, 8, size=(64, 64))
    width = 64 * 3
    cut = _with_image_data(data, zlib.compress(bytes(40 * (1 + width))))  # 40 of 64 rows
    unknown_filter = _with_image_data(data, zlib.compress(bytes([7]) + bytes(64 * (1 + width))))
    not_zlib = _with_image_data(data, b"\x78\x9c" + bytes(range(200)))
    for damaged in (cut, unknown_filter, not_zlib):
        with pytest.raises(ImageRejected) as refused:
            decode_reduced(damaged, read_png_header(damaged), (16, 16))
        assert refused.value.reason == "corrupt"


def test_an_interlaced_png_of_one_row_is_read_from_its_sixth_pass() -> None:
    data, _ = random_png(2, 8, interlaced=True, size=(37, 1))
    assert np.array_equal(strips(data, 300), whole_decode(data)[:, 1::2])  # every odd column
