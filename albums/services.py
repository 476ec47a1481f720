"""Deleting photos, albums and everything a person owns, and purging rejected originals: writes
that reach beyond the database, into storage and the results store. (Tickets live in
albums.uploads, results in albums.outcomes.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from albums.changes import stamp_changes
from albums.models import Album, Photo
from albums.pipeline import pipeline_config

# How long a deleted photo's tombstone outlives its last possible upload: S3 retries delivering a
# notification to the trigger for up to 6 hours; a day covers that and a worker outage's backlog.
TOMBSTONE_GRACE = timedelta(days=1)
PURGE_BATCH = 500


def photo_delete(*, photo: Photo) -> None:
    """Removes the original, every thumbnail, the results item and the row."""
    stored_delete([photo])
    album_id = photo.album_id
    photo.delete()
    Album.objects.filter(pk=album_id).update(updated_at=timezone.now())


def album_delete(*, album: Album) -> None:
    """The album, its photos and everything stored for them, a batch of photos at a time as
    bulk deletion does (batched tombstones and storage deletes), so a camera roll's album is a
    few dozen calls rather than three per photo."""
    # albums.bulk builds on this module (stored_delete), hence the import here.
    from albums.bulk import Selection, photos_delete

    photos_delete(selection=Selection(album, every=True))
    album.delete()


def owner_data_delete(*, owner: User) -> int:
    """Every album of ``owner``, with its photos and everything stored for them (before the
    account itself goes: deleting the user would only cascade to rows and leave the files).
    Returns how many albums."""
    albums = list(Album.objects.owned_by(owner))
    for album in albums:
        album_delete(album=album)
    return len(albums)


def stored_delete(photos: list[Photo]) -> None:
    """Everything stored for ``photos``, in batched calls (one results-store write, S3
    DeleteObjects of up to 1,000 keys): the one path every deletion takes, of a photo, a
    selection or an album. The results items become tombstones first, then the files go. A
    pipeline still running for a photo writes nothing to a tombstoned item, and its Thumbnails
    step looks at the item after writing: thumbnails written before the tombstone are deleted
    here (the whole folder, whatever the results say), those written after, by the step itself."""
    if not photos:
        return
    config = pipeline_config()
    store, results = config.blob_store(), config.result_store()
    keep = settings.PHOTOSHARE_UPLOAD_TICKET_SECONDS + int(TOMBSTONE_GRACE.total_seconds())
    results.delete_many([str(photo.id) for photo in photos], keep_seconds=keep)
    store.delete_many(photo.original_key for photo in photos)
    store.delete_prefixes(photo.upload_key.thumbnail_prefix for photo in photos)


def purge_rejected(*, older_than: datetime, now: datetime | None = None) -> int:
    """Deletes the stored original of every REJECTED photo that finished before ``older_than``,
    keeping the photo and its reason; returns how many. Works through the photos a batch at a
    time (by primary key, never the whole table in memory), each batch's files first and then
    its rows, so a run cut short is finished by the next."""
    now = now or timezone.now()
    store = pipeline_config().blob_store()
    purged = 0
    for batch in _rejected_batches(older_than):
        for photo in batch:
            store.delete(photo.original_key)
        by_album: dict[int, list[Photo]] = {}
        for photo in batch:
            photo.original_purged_at = now
            by_album.setdefault(photo.album_id, []).append(photo)
        for album_id, photos in by_album.items():
            with transaction.atomic():
                stamp_changes(album_id, photos)  # open pages show the card's new words
                Photo.objects.bulk_update(photos, ["original_purged_at", "change_seq"])
        purged += len(batch)
    return purged


def _rejected_batches(older_than: datetime) -> Iterator[list[Photo]]:
    due = Photo.objects.filter(
        status=Photo.Status.REJECTED, finished_at__lt=older_than, original_purged_at__isnull=True
    )
    after = None
    while True:
        page = due.filter(pk__gt=after) if after is not None else due
        batch = list(
            page.select_related("album")
            # upload_album_id: a moved photo's key names the album it was uploaded into.
            .only("id", "extension", "album_id", "upload_album_id", "album__owner_id", "change_seq")
            .order_by("pk")[:PURGE_BATCH]
        )
        if not batch:
            return
        yield batch
        after = batch[-1].pk
