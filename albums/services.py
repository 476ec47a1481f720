"""Deleting photos and albums: writes that reach beyond the database, into storage and the
results store. (Tickets live in albums.uploads, results in albums.outcomes.)"""

from __future__ import annotations

from django.utils import timezone

from albums.models import Album, Photo
from albums.pipeline import pipeline_config


def photo_delete(*, photo: Photo) -> None:
    """Removes the original, every thumbnail, the results item and the row."""
    _delete_stored([photo])
    album_id = photo.album_id
    photo.delete()
    Album.objects.filter(pk=album_id).update(updated_at=timezone.now())


def album_delete(*, album: Album) -> None:
    """The album, its photos and everything stored for them."""
    _delete_stored(list(album.photos.select_related("album")))
    album.delete()


def _delete_stored(photos: list[Photo]) -> None:
    if not photos:
        return
    config = pipeline_config()
    store, results = config.blob_store(), config.result_store()
    # The results store knows thumbnails this database may not have copied yet.
    items = results.get_many(str(photo.id) for photo in photos)
    for photo in photos:
        item = items.get(str(photo.id))
        keys = {photo.original_key, *(t["key"] for t in photo.thumbnails if "key" in t)}
        keys |= {t.key for t in item.thumbnails} if item else set()
        for key in keys:
            store.delete(key)
        results.delete(str(photo.id))
