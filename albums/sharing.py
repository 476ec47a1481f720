"""Sharing an album: secret links and accounts (services), what a share may see (selectors), and
originals as a share serves them. The views are albums/share_views.py.

What a share shows is decided here, once: only Done photos of the shared album, their
metadata-free thumbnails, and, for a link that allows it, the original with its GPS removed
(processing.redaction) unless the owner chose to keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone

from accounts.models import User
from albums.downloads import attachment_disposition
from albums.models import (
    Album,
    AlbumShare,
    Photo,
    PhotoQuerySet,
    ShareLink,
    share_token_digest,
)
from albums.neighbours import position
from albums.pipeline import LocationNotRemovable, pipeline_config, redact_gps


class NoSuchAccount(Exception):
    """No account has the address: the album cannot be shared with it."""


class AlreadyShared(Exception):
    """The album is already shared with that account (or it is the owner's own)."""


@dataclass(frozen=True, slots=True)
class NewShareLink:
    link: ShareLink
    token: str  # shown to the owner once: only its digest is stored


def share_link_create(
    *,
    album: Album,
    expires_in: timedelta | None,
    allow_download_original: bool,
    keep_gps_in_originals: bool,
) -> NewShareLink:
    token = ShareLink.new_token()
    link = ShareLink.objects.create(
        album=album,
        token_digest=share_token_digest(token),
        expires_at=timezone.now() + expires_in if expires_in else None,
        allow_download_original=allow_download_original,
        # Keeping GPS means nothing without originals: no other thing a share serves has GPS.
        keep_gps_in_originals=allow_download_original and keep_gps_in_originals,
    )
    return NewShareLink(link=link, token=token)


def share_link_revoke(*, link: ShareLink) -> None:
    """From now on the link is a 404, like a token that never existed."""
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])


def album_share_create(*, album: Album, email: str, album_url: str) -> AlbumShare:
    """Shares ``album`` with the account whose address is ``email`` and mails its owner a link
    (``album_url``, absolute) to it."""
    recipient = User.objects.filter(email__iexact=email.strip()).first()
    if recipient is None:
        raise NoSuchAccount(email)
    if recipient.pk == album.owner_id:
        raise AlreadyShared(email)
    try:
        with transaction.atomic():
            share = AlbumShare.objects.create(album=album, recipient=recipient)
    except IntegrityError:
        raise AlreadyShared(email) from None
    owner = album.owner.email
    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{owner} shared “{album.name}” with you",
        message=(
            f"{owner} shared the album “{album.name}” with you on Photoshare.\n\n"
            f"See it here (log in as {recipient.email}):\n{album_url}\n\n"
            "You can look at its photos; only its owner can change them.\n"
        ),
        from_email=None,
        recipient_list=[recipient.email],
    )
    return share


def album_share_remove(*, share: AlbumShare) -> None:
    share.delete()


# --- What a share sees ----------------------------------------------------------------------


def shared_photos(album: Album) -> PhotoQuerySet:
    """A shared album's photos as its gallery lists them: Done only, newest first."""
    return Photo.objects.in_album(album).finished().newest_first()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class GalleryPage:
    photos: list[Photo]
    older: str | None  # the cursor of the next page, None on the last


def _cursor(photo: Photo) -> str:
    """A page's position: its last photo's time in microseconds and its id (exact, URL-safe)."""
    return f"{(photo.created_at - _EPOCH) // timedelta(microseconds=1)}_{photo.pk}"


def _position(cursor: str) -> tuple[datetime, UUID] | None:
    micros, _, photo_id = cursor.partition("_")
    try:
        return _EPOCH + timedelta(microseconds=int(micros)), UUID(photo_id)
    except (ValueError, OverflowError):
        return None


def gallery_page(album: Album, *, after: str | None, size: int) -> GalleryPage:
    """``size`` Done photos older than the cursor ``after`` (from the newest without one or with
    a malformed one). Keyset paging on (created_at, pk): a page deep in a 10,000-photo album
    costs what the first costs, where an OFFSET reads every photo before it."""
    photos = shared_photos(album)
    position = _position(after) if after else None
    if position is not None:
        moment, photo_id = position
        photos = photos.filter(created_at__lt=moment) | photos.filter(
            created_at=moment, pk__lt=photo_id
        )
    found = list(photos.newest_first()[: size + 1])
    older = _cursor(found[size - 1]) if len(found) > size else None
    return GalleryPage(photos=found[:size], older=older)


def gallery_cursor_of(album: Album, photo: Photo, *, size: int) -> str | None:
    """The ``after`` cursor of the gallery page that holds ``photo`` (None for the first), so
    that closing the viewer lands on the very page the gallery's Older links reach, and the
    viewer can go back to it through history. Two reads over the index range before the photo
    (a COUNT, then the one row that ends the previous page), as the owner's close link counts
    its position: never the rows themselves."""
    photos = shared_photos(album)
    start = position(photos, photo) // size * size
    if start == 0:
        return None
    return _cursor(photos.only("id", "created_at")[start - 1])


def original_response(*, photo: Photo, keep_gps: bool) -> HttpResponseBase:
    """The original as a download under its own name. Without ``keep_gps`` its bytes are read
    whole (at most PHOTOSHARE_MAX_UPLOAD_BYTES: the pipeline reads them whole too), redacted,
    and sent; a file whose position could not be removed is refused (409), never sent."""
    store = pipeline_config().blob_store()
    disposition = attachment_disposition(photo.original_filename)
    if keep_gps:
        response: HttpResponseBase = FileResponse(
            store.open(photo.original_key), content_type=photo.content_type
        )
    else:
        try:
            data = redact_gps(store.get(photo.original_key))
        except LocationNotRemovable:
            return HttpResponse(
                "This original cannot be shared without its location.",
                status=409,
                content_type="text/plain; charset=utf-8",
            )
        response = HttpResponse(data, content_type=photo.content_type)
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
