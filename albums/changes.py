"""What changed in an album since a cursor, for the album page's live status.

Every change to a photo takes the album's next change number, under the album row's lock and in
the same transaction as the change, so numbers are handed out in commit order on SQLite and
PostgreSQL alike. The page keeps the number it last saw and asks for what came after: a request
whose size never depends on how many photos are waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Q

from albums.models import Album, Photo

PAGE_OF_CHANGES = 200


@dataclass(frozen=True)
class Changes:
    photos: list[Photo]  # in change order, at most PAGE_OF_CHANGES
    cursor: int  # the change number to ask after next time
    more: bool  # more changes are waiting: ask again at once


def stamp_changes(album_id: int, photos: list[Photo]) -> None:
    """Gives each photo the album's next change number; the caller saves them in the same
    transaction (the UPDATE holds the album row until then)."""
    if not photos:
        return
    with transaction.atomic():
        albums = Album.objects.filter(pk=album_id)
        albums.update(change_seq=F("change_seq") + len(photos))
        last = albums.values_list("change_seq", flat=True).get()
    for offset, photo in enumerate(photos, start=last - len(photos) + 1):
        photo.change_seq = offset


def current_cursor(album: Album) -> int:
    return Album.objects.filter(pk=album.pk).values_list("change_seq", flat=True).get()


def changes_since(album: Album, cursor: int) -> Changes:
    found = list(album.photos.changed_after(cursor).select_related("album")[: PAGE_OF_CHANGES + 1])
    more = len(found) > PAGE_OF_CHANGES
    found = found[:PAGE_OF_CHANGES]
    return Changes(found, found[-1].change_seq if found else cursor, more)


def settled_cursor(album: Album, changes: Changes) -> int:
    """The cursor to hand back: a cursor from the future (a database reset since the page
    loaded) would miss every change, so it is brought back to the album's own."""
    if changes.photos:
        return changes.cursor
    return min(changes.cursor, current_cursor(album))


def album_counts(album: Album) -> dict[str, int]:
    """The numbers the album page shows, in one query. Statuses (never null) are counted, not
    ids, so the (album, status) index answers it alone."""
    failed = (Photo.Status.FAILED, Photo.Status.INTERRUPTED)
    return album.photos.aggregate(
        photos=Count("status"),
        processing=Count("status", filter=Q(status__in=Photo.PENDING_STATUSES)),
        done=Count("status", filter=Q(status=Photo.Status.SUCCEEDED)),
        rejected=Count("status", filter=Q(status=Photo.Status.REJECTED)),
        failed=Count("status", filter=Q(status__in=failed)),
    )
