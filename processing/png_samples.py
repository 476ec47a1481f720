"""PNG scanlines, unfiltered, into 8-bit pixels: grey (L), grey and alpha (LA), RGB or RGBA.

The same conversions the whole-image path gets from Pillow, done on a strip of rows with numpy:
sub-byte grey scaled to 0-255, 16-bit samples reduced to their high byte (scaled, not clipped),
palettes looked up with their tRNS alphas, and a tRNS colour turned into an alpha channel by
comparing samples at their full depth (a 16-bit colour is transparent only when all 16 bits match).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # samples per pixel, by PNG colour type


@dataclass(frozen=True, slots=True)
class SampleFormat:
    colour_type: int  # 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA
    bit_depth: int  # 1, 2, 4, 8 or 16
    palette: bytes | None = None  # PLTE's body: RGB triples
    transparency: bytes | None = None  # tRNS's body

    @property
    def bits_per_pixel(self) -> int:
        return CHANNELS[self.colour_type] * self.bit_depth

    @property
    def filter_unit(self) -> int:
        """Bytes per complete pixel, at least 1: the distance PNG's filters look back."""
        return max(1, self.bits_per_pixel // 8)

    def row_bytes(self, width: int) -> int:
        return (width * self.bits_per_pixel + 7) // 8

    @property
    def has_alpha(self) -> bool:
        return self.colour_type in (4, 6) or self.transparency is not None

    @property
    def mode(self) -> str:
        """The Pillow mode of the converted pixels."""
        colour = self.colour_type in (2, 3, 6)
        if self.has_alpha:
            return "RGBA" if colour else "LA"
        return "RGB" if colour else "L"


def to_pixels(raw: np.ndarray, width: int, sample_format: SampleFormat) -> np.ndarray:
    """Unfiltered scanlines (rows, row_bytes) as 8-bit pixels (rows, width, channels)."""
    depth, kind = sample_format.bit_depth, sample_format.colour_type
    rows = raw.shape[0]
    if kind == 3:
        return _palette(_unpack(raw, width, depth), sample_format)
    channels = CHANNELS[kind]
    if depth == 16:
        high_bytes = raw.reshape(rows, width, channels, 2)[..., 0]  # big-endian: high first
        if sample_format.transparency is None:
            return high_bytes
        samples16 = raw.view(">u2").reshape(rows, width, channels)
        return _with_colour_key(high_bytes, samples16, sample_format)
    if depth == 8:
        pixels = raw[:, : width * channels].reshape(rows, width, channels)
        return _with_colour_key(pixels, pixels, sample_format)
    values = _unpack(raw, width, depth)[..., np.newaxis]  # grey at 1, 2 or 4 bits
    scaled = values * np.uint8(255 // ((1 << depth) - 1))
    return _with_colour_key(scaled, values, sample_format)


def _unpack(raw: np.ndarray, width: int, depth: int) -> np.ndarray:
    """Sample values (rows, width) from rows of 1, 2, 4 or 8-bit samples, leftmost bits first."""
    if depth == 8:
        return raw[:, :width]
    per_byte = 8 // depth
    shifts = np.arange(8 - depth, -1, -depth, dtype=np.uint8)  # e.g. 6, 4, 2, 0 for 2 bits
    values = (raw[:, :, np.newaxis] >> shifts) & np.uint8((1 << depth) - 1)
    return values.reshape(raw.shape[0], raw.shape[1] * per_byte)[:, :width]


def _with_colour_key(
    pixels: np.ndarray, samples: np.ndarray, sample_format: SampleFormat
) -> np.ndarray:
    """Adds the alpha a tRNS colour key means (grey or RGB images); others pass through."""
    key = sample_format.transparency
    if key is None or sample_format.colour_type not in (0, 2):
        return pixels
    wanted = np.frombuffer(key, ">u2")[: samples.shape[-1]]
    if wanted.size < samples.shape[-1] or int(wanted.max()) >= 1 << sample_format.bit_depth:
        opaque = np.ones(samples.shape[:-1], bool)  # a key no sample can equal: all opaque
    else:
        opaque = np.any(samples != wanted.astype(samples.dtype), axis=-1)
    alpha = np.where(opaque, np.uint8(255), np.uint8(0))[..., np.newaxis]
    return np.concatenate([pixels, alpha], axis=-1)


def _palette(indices: np.ndarray, sample_format: SampleFormat) -> np.ndarray:
    """RGB or RGBA from palette indices. Entries PLTE lacks are black, as Pillow shows them; tRNS
    gives the first entries' alphas and the rest are opaque."""
    table = np.zeros((256, 4), np.uint8)
    table[:, 3] = 255
    colours = np.frombuffer(sample_format.palette or b"", np.uint8)[: 256 * 3]
    colours = colours[: colours.size // 3 * 3].reshape(-1, 3)
    table[: len(colours), :3] = colours
    alphas = np.frombuffer(sample_format.transparency or b"", np.uint8)[:256]
    table[: alphas.size, 3] = alphas
    channels = 4 if sample_format.has_alpha else 3
    return table[:, :channels][indices]
