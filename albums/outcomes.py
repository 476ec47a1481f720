"""A photo's outcome, brought from the pipeline's results store into the database.

The results store is the single source of a photo's outcome; this module only copies it, so the
rules are few and they hold whatever order things happen in:

- A final item (SUCCEEDED, REJECTED, FAILED) is applied, even to a photo Django had given up on
  as "upload interrupted": a result that arrives late is still the truth.
- A RUNNING item makes the photo PROCESSING.
- No item yet: while the upload ticket is valid (plus a grace minute for a POST that started just
  before it expired) there is nothing to say. After that, storage decides, not the clock: an
  original that is there is waiting in a backlog or lost its event, so its S3 notification is
  replayed (the execution is named after the photo, so a replay never starts a second one) and
  the photo is PROCESSING; an original that is not there is INTERRUPTED. A replayed photo that
  still has no item a ticket lifetime later is replayed again.

Every change is stamped with the album's next change number (albums.changes), which is how the
album page learns what changed without naming the photos it waits for.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from albums.changes import stamp_changes
from albums.columns import column_int, column_text, storable_json
from albums.corrections import index_labels
from albums.models import Album, Photo
from albums.pipeline import ResultItem, Status, announce_upload, pipeline_config

logger = logging.getLogger(__name__)

UPLOAD_INTERRUPTED = "The upload was interrupted before the whole file arrived; add it again"
GRACE = timedelta(seconds=60)
_CHUNK = 500  # ids per SQL query when loading the photos that changed


def refresh_photos(photos: Iterable[Photo]) -> list[Photo]:
    """Brings these photos up to date from the results store (batched reads); returns those that
    changed, saved and stamped."""
    open_photos = [photo for photo in photos if photo.status in Photo.OPEN_STATUSES]
    if not open_photos:
        return []
    items = pipeline_config().result_store().get_many(str(photo.id) for photo in open_photos)
    now = timezone.now()
    changed = [photo for photo in open_photos if _settle(photo, items.get(str(photo.id)), now)]
    _save(changed)
    return changed


def refresh_album(album: Album) -> int:
    """Brings every open photo of the album up to date, however many: one cheap look at the
    statuses (100 keys a read), then full items only for the photos whose outcome moved.
    Returns how many changed."""
    rows = list(
        album.photos.still_open().values_list("id", "status", "ticket_issued_at", "resubmitted_at")
    )
    if not rows:
        return 0
    statuses = pipeline_config().result_store().get_statuses(str(row[0]) for row in rows)
    due = _replay_due(timezone.now())
    moving = [
        photo_id
        for photo_id, status, issued, replayed in rows
        if _may_move(status, statuses.get(str(photo_id)), _last_sent(issued, replayed), due)
    ]
    changed = 0
    for start in range(0, len(moving), _CHUNK):
        chunk = moving[start : start + _CHUNK]
        changed += len(refresh_photos(Photo.objects.filter(pk__in=chunk).select_related("album")))
    return changed


def _replay_due(now: datetime) -> datetime:
    """Photos whose last ticket or replay is older than this get storage checked."""
    return now - timedelta(seconds=settings.PHOTOSHARE_UPLOAD_TICKET_SECONDS) - GRACE


def _last_sent(ticket_issued_at: datetime, resubmitted_at: datetime | None) -> datetime:
    """When the photo's original last had a reason to arrive: its newest ticket or replay."""
    return max(ticket_issued_at, resubmitted_at or ticket_issued_at)


def _may_move(status: str, result: Status | None, since: datetime, due: datetime) -> bool:
    if result is not None:
        return result.is_final or status != Photo.Status.PROCESSING
    return status in Photo.PENDING_STATUSES and since < due


def _settle(photo: Photo, item: ResultItem | None, now: datetime) -> bool:
    """Moves ``photo`` to what the results store (or, without an item, storage) says; True when
    anything changed."""
    if item is not None:
        if item.status.is_final:
            _apply_final(photo, item, now)
            return True
        before = (photo.status, photo.execution_arn)
        photo.status = Photo.Status.PROCESSING
        photo.execution_arn = _text("execution_arn", item.execution_arn) or photo.execution_arn
        return (photo.status, photo.execution_arn) != before
    if photo.status == Photo.Status.INTERRUPTED:
        return False  # only a result can move it now
    if _last_sent(photo.ticket_issued_at, photo.resubmitted_at) >= _replay_due(now):
        return False  # the browser may still be uploading it
    size = pipeline_config().blob_store().size(photo.original_key)
    if size is None:
        photo.status, photo.status_message = Photo.Status.INTERRUPTED, UPLOAD_INTERRUPTED
        photo.finished_at = now
        return True
    logger.info("Photo %s is stored but has no result: replaying its upload event", photo.id)
    announce_upload(photo.original_key, size)
    photo.status, photo.resubmitted_at = Photo.Status.PROCESSING, now
    return True


def _apply_final(photo: Photo, item: ResultItem, now: datetime) -> None:
    """Copies the item into the photo. The item's text comes from files (EXIF) and services, and
    is cut to fit here, at the one door between the results store and the database."""
    photo.execution_arn = _text("execution_arn", item.execution_arn) or photo.execution_arn
    photo.status = Photo.Status(item.status.value)
    photo.status_message = _text("status_message", item.message)
    photo.rejection_reason = _text("rejection_reason", item.rejection_reason)
    photo.finished_at = now
    photo.thumbnails = storable_json([t.to_item() for t in item.thumbnails])
    photo.labels = storable_json([label.to_item() for label in item.labels])
    _apply_metadata(photo, item)
    if photo.status == Photo.Status.SUCCEEDED:
        photo.place_in_timeline()


def _apply_metadata(photo: Photo, item: ResultItem) -> None:
    metadata = item.metadata
    if metadata is None:
        return
    photo.format = _text("format", metadata.format)
    photo.width = column_int(Photo, "width", metadata.width)
    photo.height = column_int(Photo, "height", metadata.height)
    photo.display_width = column_int(Photo, "display_width", metadata.display_width)
    photo.display_height = column_int(Photo, "display_height", metadata.display_height)
    photo.file_size = column_int(Photo, "file_size", metadata.file_size)
    photo.taken_at_local = _text("taken_at_local", metadata.taken_at)
    photo.taken_at = _sortable_time(photo.taken_at_local)
    photo.camera_make = _text("camera_make", metadata.camera_make)
    photo.camera_model = _text("camera_model", metadata.camera_model)
    photo.lens = _text("lens", metadata.lens)
    photo.f_number = metadata.f_number
    photo.exposure_time = metadata.exposure_time
    photo.iso = column_int(Photo, "iso", metadata.iso)
    photo.focal_length = metadata.focal_length
    if metadata.gps is not None:
        photo.latitude, photo.longitude = metadata.gps.latitude, metadata.gps.longitude
        photo.altitude = metadata.gps.altitude


def _text(field_name: str, value: str | None) -> str:
    return column_text(Photo, field_name, value)


def _sortable_time(taken_at: str | None) -> datetime | None:
    """The capture time as an aware datetime; without a recorded offset it is read as UTC."""
    if not taken_at:
        return None
    try:
        moment = datetime.fromisoformat(taken_at)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _save(changed: list[Photo]) -> None:
    """Saves the changed photos album by album, each album's under its own change numbers."""
    by_album = sorted(changed, key=lambda photo: photo.album_id)
    for album_id, group in groupby(by_album, key=lambda photo: photo.album_id):
        photos = list(group)
        with transaction.atomic():
            stamp_changes(album_id, photos)
            for photo in photos:
                photo.save()
            # The owner's corrections apply: a re-run's labels never bring a removed one back.
            index_labels([photo for photo in photos if photo.status == Photo.Status.SUCCEEDED])
