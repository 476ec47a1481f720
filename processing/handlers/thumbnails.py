"""Thumbnails: every configured size of the original, stored beside it under resized/."""

from __future__ import annotations

from typing import Any

from processing.handlers._events import logged_step, photo_ref
from processing.results import StoredThumbnail
from processing.runtime import config
from processing.thumbnails import make_thumbnails


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    photo = photo_ref(event)
    settings = config()
    store = settings.blob_store()
    with logged_step("Thumbnails", photo.photo_id):
        thumbnails = make_thumbnails(
            store.get(str(photo.key)),
            sizes=settings.thumbnail_sizes,
            quality=settings.thumbnail_quality,
            limits=settings.limits,
        )
        stored = []
        for thumbnail in thumbnails:
            key = photo.key.thumbnail_key(thumbnail.size, thumbnail.extension)
            store.put(key, thumbnail.data, content_type=thumbnail.content_type)
            stored.append(
                StoredThumbnail(
                    thumbnail.size, key, thumbnail.width, thumbnail.height, thumbnail.content_type
                )
            )
        return {"thumbnails": [thumbnail.to_item() for thumbnail in stored]}
