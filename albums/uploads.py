"""Upload tickets: a Photo in UPLOADING and a presigned POST for each file the browser offers.

The browser asks for up to 100 files at a time and sends each file's SHA-256, so that dropping
the same camera roll again uploads only what the album does not have yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from albums.changes import stamp_changes
from albums.columns import column_text
from albums.models import Album, Photo
from albums.outcomes import refresh_photos
from albums.pipeline import SUPPORTED_IN_WORDS, pipeline_config, upload_signer

# Content types the browser sniffs from a file's first bytes (static/js/upload-files.js), and the
# extension each original is stored under. An MPO (a camera's stereo JPEG) arrives as image/jpeg.
ACCEPTED_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
    "image/avif": "avif",
}
MAX_FILES_PER_REQUEST = 100
ALREADY_IN_ALBUM = "Already in this album"
_SHA256 = re.compile(r"[0-9a-f]{64}")
# A photo with these statuses is no reason to skip the same file: trying again is the point.
_RETRYABLE = (Photo.Status.FAILED, Photo.Status.INTERRUPTED)


class UploadNotAllowed(ValueError):
    """The browser asked for a ticket the rules do not allow; the message says why."""


@dataclass(frozen=True)
class FileOffer:
    """One file the browser wants to upload, as it describes it."""

    filename: str
    content_type: str
    size: int
    sha256: str = ""  # empty when the browser could not hash (no Web Crypto off localhost)

    @classmethod
    def from_json(cls, entry: Any) -> FileOffer:
        """Raises ValueError, KeyError or TypeError for anything malformed."""
        if not isinstance(entry, dict):
            raise TypeError("each file must be an object")
        sha256 = str(entry.get("sha256") or "").lower()
        if sha256 and not _SHA256.fullmatch(sha256):  # fullmatch: "$" would allow a "\n"
            raise ValueError("sha256 must be 64 hexadecimal digits")
        # What the browser says goes into the database: fit to the columns, here, once.
        return cls(
            filename=column_text(Photo, "original_filename", entry["filename"]) or "photo",
            content_type=column_text(Photo, "content_type", entry["contentType"]),
            size=int(entry["size"]),
            sha256=sha256,
        )


@dataclass
class TicketOutcome:
    """Exactly one of: a photo with its ticket, the photo it duplicates, or a refusal."""

    photo: Photo | None = None
    ticket: dict[str, Any] | None = None
    duplicate_of: Photo | None = None
    error: str | None = None


def issue_tickets(*, album: Album, user: User, offers: list[FileOffer]) -> list[TicketOutcome]:
    """A ticket per acceptable file, in order. A file the album already has (same SHA-256) is a
    duplicate, unless its earlier upload never finished: then it gets a new ticket for the same
    photo, so re-dropping a half-uploaded camera roll makes no second card."""
    if album.owner_id != user.pk:
        raise UploadNotAllowed("Not your album")
    if len(offers) > MAX_FILES_PER_REQUEST:
        raise UploadNotAllowed(f"Ask for at most {MAX_FILES_PER_REQUEST} files at a time")
    outcomes = [TicketOutcome(error=_refusal(offer)) for offer in offers]
    wanted = [
        (offer, outcome)
        for offer, outcome in zip(offers, outcomes, strict=True)
        if not outcome.error
    ]
    arrived = _arrived_uploads(album, {offer.sha256 for offer, _ in wanted if offer.sha256})
    now = timezone.now()
    with transaction.atomic():
        # The album row's lock: two requests offering the same file cannot both create it.
        list(Album.objects.select_for_update().filter(pk=album.pk).values_list("pk"))
        hashes = {offer.sha256 for offer, _ in wanted if offer.sha256}
        known: dict[str, Photo] = {}
        for photo in album.photos.filter(sha256__in=hashes).exclude(status__in=_RETRYABLE):
            known.setdefault(photo.sha256, photo)
        created: list[Photo] = []
        ticketed_again: list[Photo] = []
        handed_out: set[Any] = set()  # photos given a ticket by this request
        for offer, outcome in wanted:
            existing = known.get(offer.sha256) if offer.sha256 else None
            if existing is None:
                photo = _new_photo(album, offer, now)
                created.append(photo)
                if offer.sha256:
                    known[offer.sha256] = photo
                outcome.photo = photo
            elif (
                existing.status == Photo.Status.UPLOADING
                and existing.pk not in handed_out | arrived
            ):
                existing.ticket_issued_at = now
                ticketed_again.append(existing)
                outcome.photo = existing
            else:
                outcome.duplicate_of, outcome.error = existing, ALREADY_IN_ALBUM
                continue
            handed_out.add(outcome.photo.pk)
        stamp_changes(album.pk, created + ticketed_again)
        Photo.objects.bulk_create(created)
        Photo.objects.bulk_update(ticketed_again, ["ticket_issued_at", "change_seq"])
        if created:
            Album.objects.filter(pk=album.pk).update(updated_at=now)
    signer = upload_signer()
    for outcome in outcomes:
        if outcome.photo is not None:
            outcome.ticket = signer.presigned_post(
                key=outcome.photo.original_key,
                content_type=outcome.photo.content_type,
                max_bytes=pipeline_config().limits.max_bytes,
                expires_in=settings.PHOTOSHARE_UPLOAD_TICKET_SECONDS,
            )
    return outcomes


def _arrived_uploads(album: Album, hashes: set[str]) -> set[Any]:
    """The photos with these hashes still marked UPLOADING whose original is in fact stored (it
    may wait in the pipeline's backlog): those are duplicates, not uploads to start again."""
    uploading = list(
        album.photos.filter(sha256__in=hashes, status=Photo.Status.UPLOADING).select_related(
            "album"
        )
    )
    refresh_photos(uploading)
    store = pipeline_config().blob_store()
    return {
        photo.pk
        for photo in uploading
        if photo.status != Photo.Status.UPLOADING or store.size(photo.original_key) is not None
    }


def _refusal(offer: FileOffer) -> str | None:
    if offer.content_type not in ACCEPTED_TYPES:
        return f"Only {SUPPORTED_IN_WORDS.replace(' or ', ' and ')} images can be uploaded"
    max_bytes = pipeline_config().limits.max_bytes
    if not 0 < offer.size <= max_bytes:
        return f"Files must be under {max_bytes / 1_000_000:g} MB"
    return None


def _new_photo(album: Album, offer: FileOffer, now: datetime) -> Photo:
    return Photo(
        album=album,
        original_filename=offer.filename,
        content_type=offer.content_type,
        extension=ACCEPTED_TYPES[offer.content_type],
        upload_size=offer.size,
        sha256=offer.sha256,
        ticket_issued_at=now,
    )
