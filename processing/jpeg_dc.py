"""Large progressive JPEGs decoded from their DC coefficients alone: the 1/8-scale picture, in
memory proportional to it.

A baseline JPEG decodes at 1/8 scale in little memory (Pillow's ``draft``), but a progressive
one cannot: its scans refine every coefficient of the whole image in turn, so libjpeg keeps all
of them, 128 bytes per 8x8 block (600 MB for a 100-megapixel photo without chroma subsampling),
whatever the output scale. At 1/8 scale libjpeg's output is each block's DC coefficient alone
(its "1x1 IDCT": the block's mean), and progressive JPEGs send the DC coefficients first, in
scans of their own. So this reads only those scans: the first DC scan (Huffman-coded
differences) and any DC refinement scans (one bit per block), skipping every AC scan, and
computes each block's value as libjpeg's 1x1 IDCT does. Colour conversion follows libjpeg and
Pillow (YCbCr, RGB, grey, Adobe CMYK and YCCK, inverted as Pillow reads them).

The Huffman decoding is Python, under a microsecond a block (2 to 3 s for 100 MP, CPU time),
which is why only progressive JPEGs too big to decode whole come here.
"""

from __future__ import annotations

import re
import struct
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from processing.rejections import Damage, ImageRejected

# Progressive JPEGs whose coefficients take more than this are read from their DC scans; the
# others keep libjpeg's full decode (exact, and at 1/2 or 1/4 scale when 1/8 is too small). At
# this limit a worker peaks near 350 MB; above it, 1/8 scale covers the 1024 px thumbnail except
# for a 4:4:4 photo of 33 to 67 MP under 8192 px wide, whose thumbnail is then enlarged a little
# (slightly soft, for rare files, in bounded memory).
WHOLE_DECODE_MAX_COEFFICIENT_BYTES = 192 * 1024 * 1024
_BYTES_PER_BLOCK = 64 * 2  # libjpeg keeps a block's 64 coefficients as 16-bit values

_MARKER_AFTER_DATA = re.compile(rb"\xff(?![\x00\xd0-\xd7])")  # ends a scan's entropy-coded data
_RESTART = re.compile(rb"\xff[\xd0-\xd7]")


@dataclass
class _Component:
    ident: int
    h: int
    v: int
    quant_table: int
    dc_quant: int | None = None  # latched at the component's first scan, as libjpeg does
    blocks: np.ndarray | None = None  # DC coefficients, (block rows, block columns)


@dataclass
class _Frame:
    width: int = 0
    height: int = 0
    progressive_huffman: bool = False
    precision: int = 8
    components: list[_Component] = field(default_factory=list)

    @property
    def h_max(self) -> int:
        return max(c.h for c in self.components)

    @property
    def v_max(self) -> int:
        return max(c.v for c in self.components)

    def block_grid(self, component: _Component) -> tuple[int, int]:
        """Rows and columns of the component's blocks (without MCU padding)."""
        width = -(-self.width * component.h // self.h_max)
        height = -(-self.height * component.v // self.v_max)
        return -(-height // 8), -(-width // 8)

    def coefficient_bytes(self) -> int:
        blocks = sum(rows * cols for rows, cols in map(self.block_grid, self.components))
        return blocks * _BYTES_PER_BLOCK


def wants_dc_only(data: bytes) -> bool:
    """A progressive (Huffman, 8-bit) JPEG too big to decode whole in bounded memory."""
    frame = _read_frame(data)
    return (
        frame is not None
        and frame.progressive_huffman
        and frame.precision == 8
        and frame.coefficient_bytes() > WHOLE_DECODE_MAX_COEFFICIENT_BYTES
    )


def decode_dc(data: bytes) -> Image.Image:
    """The picture at 1/8 scale (ceil(width / 8) x ceil(height / 8)): L, RGB or CMYK."""
    try:
        return _Decoder(data).run()
    except (IndexError, KeyError, StopIteration, ValueError, struct.error) as error:
        raise ImageRejected.corrupt(Damage.IMAGE_DATA) from error


def _read_frame(data: bytes) -> _Frame | None:
    for marker, body, _ in _segments(data):
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return _frame(marker, body)
    return None


def _segments(data: bytes, start: int = 2) -> Iterator[tuple[int, bytes, int]]:
    """(marker, body, end) for each marker segment up to the first scan's header, and on: the
    caller moves ``start`` past entropy-coded data itself."""
    pos = start
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError("a marker was expected")
        while data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        marker = data[pos + 1]
        if marker == 0xD9:
            return
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        yield marker, data[pos + 4 : end], end
        pos = end
        if marker == 0xDA:
            return


def _frame(marker: int, body: bytes) -> _Frame:
    precision, height, width, count = struct.unpack_from(">BHHB", body)
    components = []
    for i in range(count):
        ident, sampling, table = body[6 + 3 * i : 9 + 3 * i]
        components.append(_Component(ident, sampling >> 4, sampling & 15, table))
    return _Frame(width, height, marker == 0xC2, precision, components)


class _Decoder:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.frame = _Frame()
        self.dc_quant: dict[int, int] = {}  # table id -> its DC entry
        self.huffman: dict[int, _DcTable] = {}
        self.restart_interval = 0
        self.jfif = False
        self.adobe_transform: int | None = None

    def run(self) -> Image.Image:
        pos = 2
        while True:
            scan_header = None
            for marker, body, end in _segments(self.data, pos):
                pos = end
                self._marker(marker, body)
                if marker == 0xDA:
                    scan_header = body
            if scan_header is None:  # EOI, or the data ends
                break
            found = _MARKER_AFTER_DATA.search(self.data, pos)
            data_end = found.start() if found else len(self.data)
            self._scan(scan_header, self.data[pos:data_end])
            pos = data_end
        return self._picture()

    def _marker(self, marker: int, body: bytes) -> None:
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            self.frame = _frame(marker, body)
            for component in self.frame.components:
                component.blocks = np.zeros(self._padded_grid(component), np.int32)
        elif marker == 0xDB:
            self._quant_tables(body)
        elif marker == 0xC4:
            self._huffman_tables(body)
        elif marker == 0xDD:
            (self.restart_interval,) = struct.unpack_from(">H", body)
        elif marker == 0xE0 and body.startswith(b"JFIF\x00"):
            self.jfif = True
        elif marker == 0xEE and body.startswith(b"Adobe") and len(body) >= 12:
            self.adobe_transform = body[11]

    def _padded_grid(self, component: _Component) -> tuple[int, int]:
        """Block rows and columns including the MCU padding interleaved scans code."""
        mcu_rows = -(-self.frame.height // (8 * self.frame.v_max))
        mcu_cols = -(-self.frame.width // (8 * self.frame.h_max))
        return mcu_rows * component.v, mcu_cols * component.h

    def _quant_tables(self, body: bytes) -> None:
        pos = 0
        while pos < len(body):
            precision, table = body[pos] >> 4, body[pos] & 15
            # The first entry, in zigzag order, is the DC quantizer.
            self.dc_quant[table] = (
                struct.unpack_from(">H", body, pos + 1)[0] if precision else body[pos + 1]
            )
            pos += 1 + 64 * (2 if precision else 1)

    def _huffman_tables(self, body: bytes) -> None:
        pos = 0
        while pos < len(body):
            kind, table = body[pos] >> 4, body[pos] & 15
            counts = body[pos + 1 : pos + 17]
            symbols = body[pos + 17 : pos + 17 + sum(counts)]
            pos += 17 + sum(counts)
            if kind == 0:
                self.huffman[table] = _DcTable(counts, symbols)

    def _scan(self, header: bytes, data: bytes) -> None:
        count = header[0]
        members = []
        for i in range(count):
            ident, tables = header[1 + 2 * i : 3 + 2 * i]
            component = next(c for c in self.frame.components if c.ident == ident)
            members.append((component, tables >> 4))
        start, end, approximation = header[1 + 2 * count : 4 + 2 * count]
        high, low = approximation >> 4, approximation & 15
        if start != 0 or end != 0:
            return  # an AC scan: not needed at 1/8 scale
        for component, _ in members:
            if component.dc_quant is None:
                component.dc_quant = self.dc_quant[component.quant_table]
        blocks = self._blocks_in_scan(members)
        segments = [part.replace(b"\xff\x00", b"\xff") for part in _RESTART.split(data)]
        if high == 0:
            values = self._first_dc(members, segments, blocks) << low
        else:  # refinement: one raw bit per block, in scan order
            values = self._refinement_bits(segments, blocks, self._blocks_per_unit(members)) << low
        for component, grid in self._in_place(members, values):
            assert component.blocks is not None
            rows, cols = grid.shape
            if high == 0:
                component.blocks[:rows, :cols] = grid
            else:
                component.blocks[:rows, :cols] |= grid

    def _mcu_grid(self) -> tuple[int, int]:
        return (
            -(-self.frame.height // (8 * self.frame.v_max)),
            -(-self.frame.width // (8 * self.frame.h_max)),
        )

    def _blocks_in_scan(self, members: list[tuple[_Component, int]]) -> int:
        if len(members) == 1:  # non-interleaved: the component's own blocks, row by row
            rows, cols = self.frame.block_grid(members[0][0])
            return rows * cols
        mcu_rows, mcu_cols = self._mcu_grid()
        return mcu_rows * mcu_cols * self._blocks_per_unit(members)

    def _in_place(
        self, members: list[tuple[_Component, int]], values: np.ndarray
    ) -> Iterator[tuple[_Component, np.ndarray]]:
        """Each member's blocks as a (rows, columns) grid, from values in scan order: row by
        row for one component; MCU by MCU, each member's v x h blocks in turn, for several."""
        if len(members) == 1:
            component = members[0][0]
            yield component, values.reshape(self.frame.block_grid(component))
            return
        mcu_rows, mcu_cols = self._mcu_grid()
        per_mcu = values.reshape(mcu_rows * mcu_cols, -1)
        offset = 0
        for component, _ in members:
            count = component.h * component.v
            grid = per_mcu[:, offset : offset + count].reshape(
                mcu_rows, mcu_cols, component.v, component.h
            )
            offset += count
            yield (
                component,
                grid.transpose(0, 2, 1, 3).reshape(mcu_rows * component.v, mcu_cols * component.h),
            )

    def _first_dc(
        self, members: list[tuple[_Component, int]], segments: list[bytes], blocks: int
    ) -> np.ndarray:
        """Every block's DC value, in scan order, from the Huffman-coded differences."""
        pattern = [
            (self.huffman[table], index)
            for index, (component, table) in enumerate(members)
            for _ in range(component.h * component.v if len(members) > 1 else 1)
        ]
        units = -(-blocks // len(pattern))  # MCUs (or blocks, not interleaved)
        per_segment = self.restart_interval or units  # MCUs between restart markers
        values = array("i")  # 4 bytes a block, where a list of ints takes 36
        append = values.append
        for number, segment in enumerate(segments):
            todo = min(per_segment, units - number * per_segment)
            if todo <= 0:
                break
            buffer = segment + b"\x00" * 8
            position = 0
            predictions = [0] * len(members)
            for _ in range(todo):
                for table, index in pattern:
                    window = int.from_bytes(buffer[position >> 3 : (position >> 3) + 4], "big")
                    length, difference = table.fast[(window >> (16 - (position & 7))) & 0xFFFF]
                    if length == 0:
                        length, difference = table.slow(buffer, position)
                    position += length
                    predictions[index] += difference
                    append(predictions[index])
            if position > len(segment) * 8:
                raise ValueError("the DC scan is cut short")
        if len(values) < blocks:
            raise ValueError("the DC scan is cut short")
        return np.frombuffer(values, np.int32)[:blocks]

    @staticmethod
    def _blocks_per_unit(members: list[tuple[_Component, int]]) -> int:
        if len(members) == 1:
            return 1
        return sum(component.h * component.v for component, _ in members)

    def _refinement_bits(self, segments: list[bytes], blocks: int, per_unit: int) -> np.ndarray:
        per_segment = (self.restart_interval * per_unit) or blocks
        parts = []
        for segment in segments:  # each padded with 1-bits to a whole byte
            bits = np.unpackbits(np.frombuffer(segment, np.uint8))
            parts.append(bits[:per_segment])
        bits = np.concatenate(parts)[:blocks].astype(np.int32)
        if len(bits) < blocks:
            raise ValueError("a DC refinement scan is cut short")
        return bits

    def _picture(self) -> Image.Image:
        frame = self.frame
        width, height = -(-frame.width // 8), -(-frame.height // 8)
        planes = []
        for component in frame.components:
            if component.blocks is None or component.dc_quant is None:
                raise ValueError("a component has no DC scan")
            # libjpeg's 1x1 IDCT: dequantize, divide by 8 rounding, level shift, clamp.
            samples = ((component.blocks * component.dc_quant + 4) >> 3) + 128
            samples = np.clip(samples, 0, 255).astype(np.uint8)
            up_y, up_x = frame.v_max // component.v, frame.h_max // component.h
            if up_x == up_y > 1:
                # libjpeg gives 4:2:0 chroma its own 2x2 IDCT at this scale, from AC coefficients
                # that are not read here; a smooth upsampling comes closest.
                plane = Image.fromarray(samples)
                size = (plane.width * up_x, plane.height * up_y)
                plane = plane.resize(size, Image.Resampling.BILINEAR)
            else:  # libjpeg replicates at 1/8 scale (no "fancy" upsampling there)
                plane = Image.fromarray(samples.repeat(up_y, axis=0).repeat(up_x, axis=1))
            planes.append(plane.crop((0, 0, width, height)))
        if len(planes) == 1:
            return planes[0]
        if len(planes) == 3:
            if self._is_rgb():
                return Image.merge("RGB", planes)
            return Image.merge("YCbCr", planes).convert("RGB")
        if len(planes) == 4:
            if self.adobe_transform == 2:  # YCCK: YCbCr for the inverse of C, M, Y
                rgb = Image.merge("YCbCr", planes[:3]).convert("RGB").split()
                planes = [*rgb, Image.eval(planes[3], lambda k: 255 - k)]
                return Image.merge("CMYK", planes)
            # Adobe's CMYK is stored inverted, and Pillow reads every CMYK JPEG that way.
            return Image.merge("CMYK", [Image.eval(p, lambda v: 255 - v) for p in planes])
        raise ValueError(f"{len(planes)} components")

    def _is_rgb(self) -> bool:
        """libjpeg's guess for three components: JFIF means YCbCr, Adobe says, else the IDs."""
        if self.jfif:
            return False
        if self.adobe_transform is not None:
            return self.adobe_transform == 0
        return [c.ident for c in self.frame.components] == [82, 71, 66]  # "R", "G", "B"


class _DcTable:
    """A DC Huffman table. ``fast`` maps every 16-bit window to (bits taken, DC difference) when
    the code and its extra bits fit in 16 bits, else to (0, 0): those go through ``slow``."""

    def __init__(self, counts: bytes, symbols: bytes) -> None:
        self.codes: list[tuple[int, int, int]] = []  # (length, code, category), canonical order
        code = 0
        index = 0
        for length in range(1, 17):
            for _ in range(counts[length - 1]):
                self.codes.append((length, code, symbols[index]))
                index += 1
                code += 1
            code <<= 1
        self.fast = [(0, 0)] * 65536
        for length, code, category in self.codes:
            total = length + category
            if total > 16:
                continue
            first = code << (16 - length)
            for suffix in range(1 << (16 - length)):
                extra = suffix >> (16 - total) & ((1 << category) - 1)
                self.fast[first | suffix] = (total, _extend(extra, category))

    def slow(self, buffer: bytes, position: int) -> tuple[int, int]:
        window = int.from_bytes(buffer[position >> 3 : (position >> 3) + 5], "big")
        bits = window >> (8 - (position & 7)) & 0xFFFFFFFF  # the next 32 bits
        for length, code, category in self.codes:
            if bits >> (32 - length) == code:
                extra = bits >> (32 - length - category) & ((1 << category) - 1)
                return length + category, _extend(extra, category)
        raise ValueError("an unknown DC code")


def _extend(value: int, category: int) -> int:
    """JPEG's EXTEND: the extra bits as a signed difference."""
    if category == 0:
        return 0
    return value if value >= 1 << (category - 1) else value - (1 << category) + 1
