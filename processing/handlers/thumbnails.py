"""Thumbnails: every configured size of the original, stored beside it under resized/.

The one step that writes objects, so the one that cleans up after a deletion: deleting a photo
tombstones its results item before it deletes its files, and this step looks at the item again
after writing. A deletion that came first is seen there and what was written is deleted; one
that comes later deletes the written files itself. Either way nothing is left, and the step
ends the execution quietly with PhotoDeleted.
"""

from __future__ import annotations

from typing import Any

from processing.handlers._events import logged_step, photo_ref
from processing.keys import THUMBNAIL_CACHE_CONTROL
from processing.ports import PhotoDeleted, ResultStore
from processing.results import StoredThumbnail, Tombstone
from processing.runtime import config
from processing.thumbnails import make_thumbnails


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    photo = photo_ref(event)
    settings = config()
    store, results = settings.blob_store(), settings.result_store()
    with logged_step("Thumbnails", photo.photo_id):
        _raise_if_deleted(results, photo.photo_id)
        thumbnails = make_thumbnails(
            store.get(str(photo.key)),
            sizes=settings.thumbnail_sizes,
            quality=settings.thumbnail_quality,
            limits=settings.limits,
        )
        stored = []
        try:
            for thumbnail in thumbnails:
                key = photo.key.thumbnail_key(thumbnail.size, thumbnail.extension)
                stored.append(
                    StoredThumbnail(
                        thumbnail.size,
                        key,
                        thumbnail.width,
                        thumbnail.height,
                        thumbnail.content_type,
                    )
                )
                store.put(
                    key,
                    thumbnail.data,
                    content_type=thumbnail.content_type,
                    cache_control=THUMBNAIL_CACHE_CONTROL,
                )
            _raise_if_deleted(results, photo.photo_id)
        except PhotoDeleted:
            for written in stored:
                store.delete(written.key)
            raise
        return {"thumbnails": [thumbnail.to_item() for thumbnail in stored]}


def _raise_if_deleted(results: ResultStore, photo_id: str) -> None:
    current = results.get(photo_id)
    if current is None or isinstance(current, Tombstone):
        raise PhotoDeleted(photo_id)
