"""Deleting photos and albums: writes that reach beyond the database, into storage and the
results store. (Tickets live in albums.uploads, results in albums.outcomes.)"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from albums.models import Album, Photo
from albums.pipeline import pipeline_config

# How long a deleted photo's tombstone outlives its last possible upload: S3 retries delivering a
# notification to the trigger for up to 6 hours; a day covers that and a worker outage's backlog.
TOMBSTONE_GRACE = timedelta(days=1)


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
    """The results item becomes a tombstone first, then the files go. A pipeline still running
    for the photo writes nothing to a tombstoned item, and its Thumbnails step looks at the item
    after writing: thumbnails written before the tombstone are deleted here (the whole folder,
    whatever the results say), those written after, by the step itself."""
    if not photos:
        return
    config = pipeline_config()
    store, results = config.blob_store(), config.result_store()
    keep = settings.PHOTOSHARE_UPLOAD_TICKET_SECONDS + int(TOMBSTONE_GRACE.total_seconds())
    for photo in photos:
        results.delete(str(photo.id), keep_seconds=keep)
        store.delete(photo.original_key)
        store.delete_prefix(photo.upload_key.thumbnail_prefix)
