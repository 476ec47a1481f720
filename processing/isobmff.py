"""Reading HEIF (HEIC) and AVIF headers, the ISO base media boxes, without decoding a pixel.

Both formats keep the picture as items in a ``meta`` box: the primary item's properties give its
stored size (``ispe``), its turn and mirror (``irot``, ``imir``), its colour profile (``colr``) and,
through an ``auxl`` reference, an alpha plane; an ``Exif`` item linked to it by ``cdsc`` holds the
EXIF. Every item's data is located by ``iloc``, so a cut file is found by an extent past the end.
Damage raises ``ImageRejected.corrupt``; nothing here allocates more than the boxes themselves.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from processing.rejections import Damage, ImageRejected

# EXIF orientation of each (turn, mirror) pair: ``irot`` turns anticlockwise by quarters, then
# ``imir`` mirrors (axis 0: top and bottom exchanged, as EXIF 4; axis 1: left and right, as EXIF 2;
# ISO/IEC 23008-12:2022 6.5.12). Computed once by applying both to a small grid and comparing
# with what each EXIF orientation does, so the table cannot disagree with the definitions. The
# grid is tuples, not a NumPy array: this module is imported by every handler that reads a
# results item (through processing.metadata), and NumPy alone costs them about 100 ms of cold
# start.
_Grid = tuple[tuple[int, ...], ...]


def _flip_rows(grid: _Grid) -> _Grid:  # top and bottom exchanged (numpy.flipud)
    return grid[::-1]


def _flip_columns(grid: _Grid) -> _Grid:  # left and right exchanged (numpy.fliplr)
    return tuple(row[::-1] for row in grid)


def _transpose(grid: _Grid) -> _Grid:
    return tuple(zip(*grid, strict=True))


def _turn(grid: _Grid, quarters: int) -> _Grid:
    """Anticlockwise by quarter turns, as numpy.rot90."""
    for _ in range(quarters % 4):
        grid = _flip_rows(_transpose(grid))
    return grid


_EXIF_TRANSFORMS: dict[int, Callable[[_Grid], _Grid]] = {
    1: lambda a: a,
    2: _flip_columns,
    3: lambda a: _turn(a, 2),
    4: _flip_rows,
    5: _transpose,
    6: lambda a: _turn(a, -1),
    7: lambda a: _transpose(_turn(a, 2)),
    8: lambda a: _turn(a, 1),
}


def _container_orientation_table() -> dict[tuple[int, int | None], int]:
    sample: _Grid = ((0, 1, 2), (3, 4, 5))
    table: dict[tuple[int, int | None], int] = {}
    for quarters in range(4):
        for axis in (None, 0, 1):
            shown = _turn(sample, quarters)
            if axis is not None:
                shown = _flip_rows(shown) if axis == 0 else _flip_columns(shown)
            for code, transform in _EXIF_TRANSFORMS.items():
                if transform(sample) == shown:
                    table[quarters, axis] = code
    return table


CONTAINER_ORIENTATION = _container_orientation_table()
_ALPHA_URNS = (b"urn:mpeg:hevc:2015:auxid:1", b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha")


@dataclass(frozen=True, slots=True)
class IsoImage:
    """What the boxes say about the primary image."""

    width: int
    height: int
    orientation: int  # the EXIF code of its irot/imir: 1 when neither is there
    channels: int  # 1 (monochrome) or 3, from pixi when present
    bit_depth: int
    exif: bytes | None  # the TIFF structure
    icc_profile: bytes | None
    has_alpha: bool


@dataclass(slots=True)
class _Item:
    item_type: bytes = b""
    method: int = 0
    base_offset: int = 0
    extents: list[tuple[int, int]] = field(default_factory=list)
    properties: list[int] = field(default_factory=list)  # 1-based indexes into ipco


def read_iso_image(data: bytes) -> IsoImage:
    meta = next((body for kind, body in _boxes(data, 0, len(data)) if kind == b"meta"), None)
    if meta is None:
        if _cut_short(data):
            raise ImageRejected.corrupt(Damage.ENDS_EARLY)
        raise ImageRejected.corrupt(Damage.NO_IMAGE_DATA)
    start, end = meta
    children = dict(_boxes(data, start + 4, end))  # meta is a full box: version and flags first
    for needed in (b"pitm", b"iinf", b"iloc", b"iprp"):
        if needed not in children:
            raise ImageRejected.corrupt(Damage.HEADER)
    try:
        primary = _primary_id(data, children[b"pitm"])
        items: dict[int, _Item] = {}
        _read_iinf(data, children[b"iinf"], items)
        _read_iloc(data, children[b"iloc"], items)
        properties = _read_iprp(data, children[b"iprp"], items)
        references = _read_iref(data, children[b"iref"]) if b"iref" in children else []
    except (struct.error, IndexError, ValueError):
        raise ImageRejected.corrupt(Damage.HEADER) from None
    idat = children.get(b"idat")
    for item in items.values():  # every item's data must be there: a cut file ends before some
        limit = {0: len(data), 1: idat[1] - idat[0] if idat else 0}.get(item.method)
        for offset, length in item.extents:
            if limit is not None and item.base_offset + offset + length > limit:
                raise ImageRejected.corrupt(Damage.ENDS_EARLY)
    if primary not in items:
        raise ImageRejected.corrupt(Damage.NO_IMAGE_DATA)
    item = items[primary]

    width = height = 0
    quarters, axis = 0, None
    channels, bit_depth = 3, 8
    icc: bytes | None = None
    for index in item.properties:
        if not 0 < index <= len(properties):
            continue
        kind, (body, box_end) = properties[index - 1]
        if kind == b"ispe" and box_end - body >= 8:
            width, height = struct.unpack_from(">II", data, body)
        elif kind == b"irot" and box_end > body:
            quarters = data[body] & 3
        elif kind == b"imir" and box_end > body:
            axis = data[body] & 1
        elif kind == b"pixi" and box_end - body >= 2:
            channels, bit_depth = data[body], data[body + 1]
        elif kind == b"colr" and data[body : body + 4] in (b"prof", b"rICC") and icc is None:
            icc = data[body + 4 : box_end] or None
    if width == 0 or height == 0:
        raise ImageRejected.corrupt(Damage.HEADER)
    described = {source for kind, source, targets in references if kind == b"cdsc"}
    exif_ids = [
        source
        for kind, source, targets in references
        if kind == b"cdsc" and primary in targets and _type(items, source) == b"Exif"
    ] or [i for i, it in items.items() if it.item_type == b"Exif" and i not in described]
    return IsoImage(
        width=width,
        height=height,
        orientation=CONTAINER_ORIENTATION[quarters, axis],
        channels=1 if channels == 1 else 3,
        bit_depth=bit_depth,
        exif=_exif(data, items[exif_ids[0]], idat) if exif_ids else None,
        icc_profile=icc,
        has_alpha=_has_alpha(data, primary, items, properties, references),
    )


def _type(items: dict[int, _Item], item_id: int) -> bytes:
    item = items.get(item_id)
    return item.item_type if item else b""


def _cut_short(data: bytes) -> bool:
    """Of a file with an ftyp but no meta box: was it cut before the box (or is it a sequence of
    pictures without a still one, which has no image data for us)?"""
    total = 0
    for _, (_, end) in _boxes(data, 0, len(data)):
        total = end
    return total < len(data) or len(data) < 64


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, tuple[int, int]]]:
    """(type, (body start, body end)) of each box between ``start`` and ``end``.

    A box that claims more than its parent holds means the file was cut: ENDS_EARLY.
    """
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise ImageRejected.corrupt(Damage.ENDS_EARLY)
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header:
            raise ImageRejected.corrupt(Damage.HEADER)
        if pos + size > end:
            raise ImageRejected.corrupt(Damage.ENDS_EARLY)
        yield kind, (pos + header, pos + size)
        pos += size


def _primary_id(data: bytes, box: tuple[int, int]) -> int:
    start, _ = box
    return int(
        struct.unpack_from(">H", data, start + 4)[0]
        if data[start] == 0
        else struct.unpack_from(">I", data, start + 4)[0]
    )


def _read_iinf(data: bytes, box: tuple[int, int], items: dict[int, _Item]) -> None:
    start, end = box
    skip = 2 if data[start] == 0 else 4
    for kind, (body, _) in _boxes(data, start + 4 + skip, end):
        if kind != b"infe" or data[body] < 2:
            continue
        if data[body] == 2:
            item_id = struct.unpack_from(">H", data, body + 4)[0]
            type_at = body + 8
        else:
            item_id = struct.unpack_from(">I", data, body + 4)[0]
            type_at = body + 10
        items.setdefault(item_id, _Item()).item_type = data[type_at : type_at + 4]


def _read_iloc(data: bytes, box: tuple[int, int], items: dict[int, _Item]) -> None:
    start, _ = box
    version = data[start]
    pos = start + 4
    offset_size, length_size = data[pos] >> 4, data[pos] & 15
    base_size, index_size = data[pos + 1] >> 4, (data[pos + 1] & 15) if version else 0
    pos += 2
    count, pos = _uint(data, pos, 2 if version < 2 else 4)
    for _ in range(count):
        item_id, pos = _uint(data, pos, 2 if version < 2 else 4)
        method = 0
        if version in (1, 2):
            method, pos = _uint(data, pos, 2)
            method &= 15
        pos += 2  # data_reference_index
        base, pos = _uint(data, pos, base_size)
        extents, pos = _uint(data, pos, 2)
        item = items.setdefault(item_id, _Item())
        item.method, item.base_offset = method, base
        for _ in range(extents):
            _, pos = _uint(data, pos, index_size)
            offset, pos = _uint(data, pos, offset_size)
            length, pos = _uint(data, pos, length_size)
            item.extents.append((offset, length))


def _read_iprp(
    data: bytes, box: tuple[int, int], items: dict[int, _Item]
) -> list[tuple[bytes, tuple[int, int]]]:
    children = list(_boxes(data, *box))
    ipco = next((body for kind, body in children if kind == b"ipco"), None)
    if ipco is None:
        raise ValueError("no ipco")
    properties = [
        (kind, (body + 4, end) if kind in (b"ispe", b"pixi", b"auxC") else (body, end))
        for kind, (body, end) in _boxes(data, *ipco)
    ]
    for kind, (start, _) in children:
        if kind != b"ipma":
            continue
        version, flags = data[start], data[start + 3]
        count, pos = _uint(data, start + 4, 4)
        for _ in range(count):
            item_id, pos = _uint(data, pos, 2 if version < 1 else 4)
            associations, pos = _uint(data, pos, 1)
            item = items.setdefault(item_id, _Item())
            for _ in range(associations):
                if flags & 1:
                    value, pos = _uint(data, pos, 2)
                    item.properties.append(value & 0x7FFF)
                else:
                    value, pos = _uint(data, pos, 1)
                    item.properties.append(value & 0x7F)
    return properties


def _read_iref(data: bytes, box: tuple[int, int]) -> list[tuple[bytes, int, list[int]]]:
    start, end = box
    size = 2 if data[start] == 0 else 4
    references = []
    for kind, (body, _) in _boxes(data, start + 4, end):
        source, pos = _uint(data, body, size)
        count, pos = _uint(data, pos, 2)
        targets = []
        for _ in range(count):
            target, pos = _uint(data, pos, size)
            targets.append(target)
        references.append((kind, source, targets))
    return references


def _uint(data: bytes, pos: int, size: int) -> tuple[int, int]:
    if size == 0:
        return 0, pos
    if pos + size > len(data) or size not in (1, 2, 4, 8):
        raise ValueError("field past the end")
    return int.from_bytes(data[pos : pos + size], "big"), pos + size


def _exif(data: bytes, item: _Item, idat: tuple[int, int] | None) -> bytes | None:
    """The TIFF structure of an Exif item: a 4-byte offset to the TIFF header, then the bytes."""
    origin = idat[0] if item.method == 1 and idat else 0
    if item.method not in (0, 1):
        return None
    payload = b"".join(
        data[origin + item.base_offset + offset : origin + item.base_offset + offset + length]
        for offset, length in item.extents
    )
    if len(payload) < 4:
        return None
    skip = struct.unpack_from(">I", payload)[0]
    tiff = payload[4 + skip :]
    if tiff.startswith(b"Exif\x00\x00"):
        tiff = tiff[6:]
    return tiff or None


def _has_alpha(
    data: bytes,
    primary: int,
    items: dict[int, _Item],
    properties: list[tuple[bytes, tuple[int, int]]],
    references: list[tuple[bytes, int, list[int]]],
) -> bool:
    for kind, source, targets in references:
        if kind != b"auxl" or primary not in targets:
            continue
        for index in items.get(source, _Item()).properties:
            if 0 < index <= len(properties):
                prop, (body, end) = properties[index - 1]
                if prop == b"auxC" and data[body:end].startswith(_ALPHA_URNS):
                    return True
    return False
