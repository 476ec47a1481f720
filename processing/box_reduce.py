"""`BoxReducer`: the average of every factor_x x factor_y block of an image that arrives as strips
of rows, so that only one band of rows is ever summed at full width.

It does what Pillow's ``reduce`` does before a ``resize(..., reducing_gap=...)`` (the blocks at the
right and bottom edges average the pixels they have), in premultiplied alpha as Pillow's resize
does, so that the colour of transparent pixels does not bleed into their neighbours. The sums run
on one channel plane at a time: numpy's arithmetic on contiguous planes is several times faster
than on interleaved pixels.
"""

from __future__ import annotations

import numpy as np

_MAX_WEIGHTED = 255 * 255  # a colour sample times its alpha


class BoxReducer:
    def __init__(
        self, width: int, height: int, factors: tuple[int, int], channels: int, *, alpha: bool
    ) -> None:
        self.width, self.height = width, height
        self.factor_x, self.factor_y = factors
        self.alpha = alpha
        out_height, out_width = -(-height // self.factor_y), -(-width // self.factor_x)
        self.result = np.zeros((out_height, out_width, channels), np.uint8)
        # One band's column sums, per channel; 32 bits hold them unless a band is very tall.
        fits = self.factor_y * _MAX_WEIGHTED < 2**32
        self._band = np.zeros((channels, width), np.uint32 if fits else np.uint64)
        self._band_rows = 0
        self._rows_seen = 0
        self._next_out_row = 0

    def add(self, pixels: np.ndarray) -> None:
        """The next strip of rows, (rows, width, channels) uint8, top to bottom."""
        if self.factor_x == self.factor_y == 1:
            self.result[self._rows_seen : self._rows_seen + len(pixels)] = pixels
            self._rows_seen += len(pixels)
            return
        planes = self._weighted_planes(pixels)  # (channels, rows, width)
        start = 0
        while start < planes.shape[1]:
            take = min(planes.shape[1] - start, self.factor_y - self._band_rows)
            self._band += planes[:, start : start + take].sum(axis=1, dtype=self._band.dtype)
            self._band_rows += take
            self._rows_seen += take
            start += take
            if self._band_rows == self.factor_y or self._rows_seen == self.height:
                self._finish_band()

    def _weighted_planes(self, pixels: np.ndarray) -> np.ndarray:
        """Channel planes, colour multiplied by alpha when there is one (16 bits hold it)."""
        planes = np.ascontiguousarray(pixels.transpose(2, 0, 1), dtype=np.uint16)
        if self.alpha:
            planes[:-1] *= planes[-1]
        return planes

    def _finish_band(self) -> None:
        whole = self.width // self.factor_x * self.factor_x
        band = self._band.astype(np.uint64)
        sums = band[:, :whole].reshape(len(band), -1, self.factor_x).sum(axis=2)
        counts = np.full(sums.shape[1], self.factor_x, np.uint64)
        if whole < self.width:  # the last block is narrower
            sums = np.concatenate([sums, band[:, whole:].sum(axis=1, keepdims=True)], axis=1)
            counts = np.append(counts, np.uint64(self.width - whole))
        counts *= np.uint64(self._band_rows)
        if self.alpha:
            weight = sums[-1]
            colour = _divide_rounded(sums[:-1], np.maximum(weight, 1))
            row = np.concatenate([colour, _divide_rounded(weight, counts)[np.newaxis]])
        else:
            row = _divide_rounded(sums, counts)
        self.result[self._next_out_row] = row.T.astype(np.uint8)
        self._next_out_row += 1
        self._band[:] = 0
        self._band_rows = 0


def _divide_rounded(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return (numerator + denominator // np.uint64(2)) // denominator
