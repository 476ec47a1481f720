"""Writes that reach beyond the database: starting uploads, syncing results, deleting photos."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from albums.models import Album, Photo, PhotoLabel
from albums.pipeline import pipeline_config, upload_signer
from processing.results import ResultItem, Status

logger = logging.getLogger(__name__)

ACCEPTED_TYPES = {"image/jpeg": "jpg", "image/png": "png"}
UPLOAD_NEVER_FINISHED = "The upload did not finish"


class UploadNotAllowed(ValueError):
    """The browser asked for a ticket the rules do not allow; the message says why."""


def photo_upload_start(
    *, album: Album, user: User, filename: str, content_type: str, size: int
) -> tuple[Photo, dict[str, Any]]:
    """A Photo in UPLOADING and its ticket: a presigned POST pinning key, type and size."""
    if album.owner_id != user.pk:
        raise UploadNotAllowed("Not your album")
    extension = ACCEPTED_TYPES.get(content_type)
    if extension is None:
        raise UploadNotAllowed("Only JPEG and PNG images can be uploaded")
    max_bytes = settings.PHOTOSHARE_MAX_UPLOAD_BYTES
    if not 0 < size <= max_bytes:
        raise UploadNotAllowed(f"Files must be under {max_bytes / 1_000_000:g} MB")
    with transaction.atomic():
        photo = Photo.objects.create(
            album=album,
            original_filename=filename[:255] or "photo",
            content_type=content_type,
            extension=extension,
            upload_size=size,
        )
        Album.objects.filter(pk=album.pk).update(updated_at=timezone.now())
    ticket = upload_signer().presigned_post(
        key=photo.original_key,
        content_type=content_type,
        max_bytes=max_bytes,
        expires_in=settings.PHOTOSHARE_UPLOAD_TICKET_SECONDS,
    )
    return photo, ticket


def photos_refresh(photos: Iterable[Photo]) -> list[Photo]:
    """Brings unfinished photos up to date from the results store, in batched reads."""
    waiting = [photo for photo in photos if not photo.is_final]
    if not waiting:
        return []
    items = pipeline_config().result_store().get_many(str(photo.id) for photo in waiting)
    changed = []
    stale_before = timezone.now() - timedelta(
        seconds=settings.PHOTOSHARE_UPLOAD_TICKET_SECONDS + 60
    )
    for photo in waiting:
        item = items.get(str(photo.id))
        if item is None:
            if photo.created_at < stale_before:  # the ticket expired and nothing arrived
                photo.status, photo.status_message = Photo.Status.FAILED, UPLOAD_NEVER_FINISHED
                photo.finished_at = timezone.now()
                changed.append(photo)
            continue
        if _apply(photo, item):
            changed.append(photo)
    with transaction.atomic():
        for photo in changed:
            photo.save()
        _index_labels([photo for photo in changed if photo.status == Photo.Status.SUCCEEDED])
    return changed


def _index_labels(photos: list[Photo]) -> None:
    """The searchable terms of finished photos: every label and every parent, once per photo."""
    if not photos:
        return
    PhotoLabel.objects.filter(photo__in=photos).delete()
    rows: list[PhotoLabel] = []
    for photo in photos:
        terms: dict[str, PhotoLabel] = {}
        for label in photo.recognized_labels:
            names = [(label.name, False), *((parent, True) for parent in label.parents)]
            for name, is_parent in names:
                key = name.casefold()[:100]
                known = terms.get(key)
                if known is None:
                    terms[key] = PhotoLabel(
                        photo=photo,
                        term=name[:100],
                        term_key=key,
                        confidence=label.confidence,
                        is_parent=is_parent,
                    )
                else:
                    known.confidence = max(known.confidence, label.confidence)
                    known.is_parent = known.is_parent and is_parent
        rows.extend(terms.values())
    PhotoLabel.objects.bulk_create(rows)


def _apply(photo: Photo, item: ResultItem) -> bool:
    before = (photo.status, photo.execution_arn)
    photo.execution_arn = item.execution_arn or photo.execution_arn
    if item.status is Status.RUNNING:
        photo.status = Photo.Status.PROCESSING
        return (photo.status, photo.execution_arn) != before
    photo.status = Photo.Status(item.status.value)
    photo.status_message = item.message or ""
    photo.rejection_reason = item.rejection_reason or ""
    photo.finished_at = timezone.now()
    photo.thumbnails = [t.to_item() for t in item.thumbnails]
    photo.labels = list(item.labels)
    metadata = item.metadata
    if metadata is not None:
        photo.format = metadata.format
        photo.width, photo.height = metadata.width, metadata.height
        photo.display_width, photo.display_height = metadata.display_width, metadata.display_height
        photo.file_size = metadata.file_size
        photo.taken_at_local = metadata.taken_at or ""
        photo.taken_at = _sortable_time(metadata.taken_at)
        photo.camera_make = metadata.camera_make or ""
        photo.camera_model = metadata.camera_model or ""
        photo.lens = metadata.lens or ""
        photo.f_number = metadata.f_number
        photo.exposure_time = metadata.exposure_time
        photo.iso = metadata.iso
        photo.focal_length = metadata.focal_length
        if metadata.gps is not None:
            photo.latitude, photo.longitude = metadata.gps.latitude, metadata.gps.longitude
            photo.altitude = metadata.gps.altitude
    return True


def _sortable_time(taken_at: str | None) -> datetime | None:
    """The capture time as an aware datetime; without a recorded offset it is read as UTC."""
    if not taken_at:
        return None
    try:
        moment = datetime.fromisoformat(taken_at)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def photo_delete(*, photo: Photo) -> None:
    """Removes the original, every thumbnail, the results item and the row."""
    _delete_stored(pipeline_config(), [photo])
    album_id = photo.album_id
    photo.delete()
    Album.objects.filter(pk=album_id).update(updated_at=timezone.now())


def album_delete(*, album: Album) -> None:
    """The album, its photos and everything stored for them."""
    _delete_stored(pipeline_config(), list(album.photos.select_related("album")))
    album.delete()


def _delete_stored(config: Any, photos: list[Photo]) -> None:
    if not photos:
        return
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
