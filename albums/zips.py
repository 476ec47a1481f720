"""A zip of a selection's originals, written while it is sent: never a temporary file of the
whole zip, and memory of one chunk whatever the size (a 10,000-photo album is many GB).

zipfile writes to a stream it cannot seek by putting each entry's sizes and CRC in a data
descriptor after its bytes, and switches to ZIP64 records when an offset or the entry count
outgrows the classic format. Entries are stored, not deflated: JPEG, HEIC and the other formats
we accept are compressed already, and storing costs no CPU.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime

from albums.bulk import Selection
from albums.downloads import download_filename
from albums.models import Photo
from albums.pipeline import BlobNotFound, pipeline_config

CHUNK = 1024 * 1024


class _Sink:
    """What zipfile writes into, drained after every chunk. Having no ``seek``/``tell``, it
    makes zipfile write data descriptors (and keep its own count of the offset)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def drain(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


class UniqueNames:
    """Entry names from the uploaded file names: the last path segment only (no folders, no
    ".."), and a name seen before, in any case (Windows and macOS would overwrite it), becomes
    "IMG_1 (2).jpg"."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def __call__(self, original_filename: str) -> str:
        name = download_filename(original_filename)
        stem, dot, extension = name.rpartition(".")
        if not dot or not stem:
            stem, dot, extension = name, "", ""
        candidate, number = name, 1
        while candidate.casefold() in self._taken:
            number += 1
            candidate = f"{stem} ({number}){dot}{extension}"
        self._taken.add(candidate.casefold())
        return candidate


def zip_stream(selection: Selection) -> Iterator[bytes]:
    """The zip of the selection's originals, in pieces of about ``CHUNK`` bytes. Photos without
    an original (purged after a rejection, or an upload that never arrived) are left out."""
    return stream_zip(_originals(selection))


def _originals(selection: Selection) -> Iterator[Photo]:
    return (photo for photo in selection.oldest_first() if photo.has_original)


def stream_zip(photos: Iterable[Photo]) -> Iterator[bytes]:
    store = pipeline_config().blob_store()
    names = UniqueNames()
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for photo in photos:
            try:
                source = store.open(photo.original_key)
            except BlobNotFound:
                continue
            try:
                info = zipfile.ZipInfo(names(photo.original_filename), _date_time(photo))
                info.compress_type = zipfile.ZIP_STORED
                # An upload is at most PHOTOSHARE_MAX_UPLOAD_BYTES, far below 4 GiB, but the
                # header must be chosen before the bytes are known: ZIP64 then costs 20 bytes.
                with archive.open(info, mode="w", force_zip64=True) as entry:
                    while chunk := source.read(CHUNK):
                        entry.write(chunk)
                        yield from _nonempty(sink.drain())
            finally:
                source.close()
            yield from _nonempty(sink.drain())  # the entry's data descriptor
    yield from _nonempty(sink.drain())  # the central directory, written as the archive closes


def _nonempty(data: bytes) -> Iterator[bytes]:
    if data:
        yield data


def _date_time(photo: Photo) -> tuple[int, int, int, int, int, int]:
    # The zip format cannot say a time before 1980.
    when: datetime = photo.created_at
    return max(
        (when.year, when.month, when.day, when.hour, when.minute, when.second),
        (1980, 1, 1, 0, 0, 0),
    )
