"""Recognition works from the stored thumbnail that suits the recognizer, not the original: the
original is decoded once per photo, by Thumbnails."""

from __future__ import annotations

from pathlib import Path

import pytest

from processing.adapters.local_files import LocalBlobStore
from processing.ports import BlobNotFound
from processing.recognition.local import LocalRecognizer
from processing.recognition.photo import (
    recognition_source,
    recognize_photo,
    recognize_stored_photo,
)
from processing.results import StoredThumbnail
from processing.thumbnails import make_thumbnails
from tests.processing.images import jpeg, orientation_card

ORIGINAL = "private/7/uploads/3/p.jpg"


def stored_thumbnails(
    store: LocalBlobStore, original: bytes, sizes: tuple[int, ...]
) -> list[StoredThumbnail]:
    stored = []
    for thumbnail in make_thumbnails(original, sizes=sizes):
        key = f"private/7/resized/p/{thumbnail.size}.{thumbnail.extension}"
        store.put(key, thumbnail.data, content_type=thumbnail.content_type)
        stored.append(
            StoredThumbnail(
                thumbnail.size, key, thumbnail.width, thumbnail.height, thumbnail.content_type
            )
        )
    return stored


def thumbnail(size: int, width: int, height: int) -> StoredThumbnail:
    return StoredThumbnail(size, f"private/7/resized/p/{size}.jpg", width, height, "image/jpeg")


@pytest.mark.parametrize(
    ("shapes", "box", "expected"),
    [
        ([(250, 250, 188), (1024, 1024, 768)], 640, 1024),  # the smallest holding the box
        ([(250, 250, 188), (1024, 1024, 768)], 1024, 1024),
        ([(2048, 2048, 1536), (1024, 1024, 768)], 640, 1024),
        ([(250, 250, 188)], 640, None),  # none holds it: the original
        ([(250, 250, 188), (1024, 800, 600)], 640, None),  # the photo itself, re-encoded
    ],
)
def test_recognition_reads_the_smallest_thumbnail_that_holds_its_box(
    shapes: list[tuple[int, int, int]], box: int, expected: int | None
) -> None:
    source = recognition_source([thumbnail(*shape) for shape in shapes], box)
    assert (source.size if source else None) == expected


def test_recognition_reads_the_thumbnail_and_never_the_original(
    tmp_path: Path, recognizer: LocalRecognizer
) -> None:
    store = LocalBlobStore(tmp_path)
    original = jpeg(orientation_card(4000, 3000))
    thumbnails = stored_thumbnails(store, original, (250, 1024))  # the original is not stored

    labels = recognize_stored_photo("photos", ORIGINAL, thumbnails, store, recognizer)

    assert labels == recognize_photo(original, recognizer)  # what accuracy and the bench measure


def test_without_a_thumbnail_big_enough_it_decodes_the_original(
    tmp_path: Path, recognizer: LocalRecognizer
) -> None:
    store = LocalBlobStore(tmp_path)
    original = jpeg(orientation_card(1600, 1200))
    thumbnails = stored_thumbnails(store, original, (250,))
    with pytest.raises(BlobNotFound):
        recognize_stored_photo("photos", ORIGINAL, thumbnails, store, recognizer)

    store.put(ORIGINAL, original, content_type="image/jpeg")
    labels = recognize_stored_photo("photos", ORIGINAL, thumbnails, store, recognizer)
    assert labels == recognize_photo(original, recognizer, sizes=(250,))


def test_a_photo_the_thumbnail_does_not_reduce_is_recognized_from_its_original(
    tmp_path: Path, recognizer: LocalRecognizer
) -> None:
    store = LocalBlobStore(tmp_path)
    original = jpeg(orientation_card(800, 600))
    thumbnails = stored_thumbnails(store, original, (250, 1024))
    for stored in thumbnails:
        store.delete(stored.key)  # gone, and not needed
    store.put(ORIGINAL, original, content_type="image/jpeg")

    labels = recognize_stored_photo("photos", ORIGINAL, thumbnails, store, recognizer)
    assert labels == recognize_photo(original, recognizer)
