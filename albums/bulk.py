"""Bulk actions on a selection of one album's photos: delete, move to another album, download as
a zip (albums.zips). A selection may be a whole album of 10,000 photos, so every action works
through it a batch at a time by primary key: the queries and storage calls grow with the
selection divided by the batch, and memory holds one batch.

The selection is always read through the album, which the view has already checked belongs to
the person: ids of anyone else's photos (or of another album's) match nothing and are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from albums.changes import stamp_changes
from albums.models import Album, Photo, PhotoQuerySet
from albums.services import stored_delete

BATCH = 500
# What a batch reads of each photo: enough for its keys, its move and its zip entry.
_FIELDS = (
    "id",
    "album_id",
    "upload_album_id",
    "album__owner_id",
    "extension",
    "sha256",
    "original_filename",
    "original_purged_at",
    "change_seq",
    "created_at",
)


@dataclass(frozen=True)
class Selection:
    """Which photos of ``album``: ``every`` photo but those ``excluded``, or the ``chosen`` ones."""

    album: Album
    every: bool = False
    chosen: frozenset[UUID] = field(default_factory=frozenset)
    excluded: frozenset[UUID] = field(default_factory=frozenset)

    def photos(self) -> PhotoQuerySet:
        photos = Photo.objects.in_album(self.album)
        if self.every:
            return photos.exclude(pk__in=self.excluded) if self.excluded else photos
        return photos.filter(pk__in=self.chosen)

    def batches(self) -> Iterator[list[Photo]]:
        """The selected photos, ``BATCH`` at a time in primary-key order (keyset pagination:
        each batch one indexed query, however far into the album). Safe while the caller
        deletes or moves each batch: the next one starts after the last key seen."""
        after: UUID | None = None
        while True:
            page = self.photos()
            if after is not None:
                page = page.filter(pk__gt=after)
            batch = list(page.select_related("album").only(*_FIELDS).order_by("pk")[:BATCH])
            if not batch:
                return
            yield batch
            after = batch[-1].pk

    def oldest_first(self) -> Iterator[Photo]:
        """The selected photos in upload order, read ``BATCH`` at a time by keyset on
        (created_at, pk), which the (album, created_at) index serves: a zip's names are then
        numbered as the person uploaded them ("IMG_1.jpg" before "IMG_1 (2).jpg")."""
        last: Photo | None = None
        while True:
            page = self.photos()
            if last is not None:
                page = page.filter(
                    Q(created_at__gt=last.created_at)
                    | Q(created_at=last.created_at, pk__gt=last.pk)
                )
            batch = list(
                page.select_related("album").only(*_FIELDS).order_by("created_at", "pk")[:BATCH]
            )
            if not batch:
                return
            yield from batch
            last = batch[-1]


@dataclass(frozen=True)
class MoveOutcome:
    moved: int
    already_there: int  # skipped: the target album has a photo with the same SHA-256


def photos_delete(*, selection: Selection) -> int:
    """Deletes the selected photos as ``services.photo_delete`` deletes one (tombstone first,
    then the original and the thumbnail folder, then the row), a batch at a time: one batched
    write of tombstones, DeleteObjects of 1,000 keys on S3, one DELETE of rows. Returns how
    many. A photo still processing is safe to delete: its pipeline writes nothing over a
    tombstone, and its Thumbnails step removes what it wrote after the tombstone."""
    deleted = 0
    for batch in selection.batches():
        stored_delete(batch)
        # Labels go by their foreign key's cascade: one DELETE per table for the whole batch.
        Photo.objects.filter(pk__in=[photo.pk for photo in batch]).delete()
        deleted += len(batch)
    if deleted:
        removed_from(selection.album, now=timezone.now())
    return deleted


class SameAlbum(ValueError):
    """Moving photos into the album they are in."""


def photos_move(*, selection: Selection, target: Album) -> MoveOutcome:
    """Moves the selected photos into ``target`` (the caller has checked it is the same
    person's). Only the rows change: each photo's objects stay under the key they were uploaded
    to (``Photo.upload_album_id`` remembers which album that names). A photo whose SHA-256 the
    target already has is left where it is, as an upload of it would be refused there. Moved
    photos take the target's next change numbers, so a page open on it hears of them and their
    outcomes keep arriving there; the source album's counts are read afresh by its page."""
    if target.pk == selection.album.pk:
        raise SameAlbum("The photos are already in this album")
    moved = skipped = 0
    now = timezone.now()
    for batch in selection.batches():
        with transaction.atomic():
            # The target row's lock, as uploads take it: an upload of the same file cannot slip
            # in between the duplicate check and the move.
            list(Album.objects.select_for_update().filter(pk=target.pk).values_list("pk"))
            there = _hashes_in(target, {photo.sha256 for photo in batch if photo.sha256})
            movable: list[Photo] = []
            for photo in batch:
                if photo.sha256 and photo.sha256 in there:
                    skipped += 1
                    continue
                if photo.sha256:
                    there.add(photo.sha256)  # two copies in the selection: the first moves
                movable.append(photo)
            if not movable:
                continue
            # The key keeps naming the album the original was uploaded into (the right-hand
            # side reads the row before the update, so album_id is still the source's).
            Photo.objects.filter(pk__in=[photo.pk for photo in movable]).update(
                album=target,
                upload_album_id=Coalesce("upload_album_id", "album_id"),
                updated_at=now,
            )
            stamp_changes(target.pk, movable)
            Photo.objects.bulk_update(movable, ["change_seq"])
            moved += len(movable)
    if moved:
        Album.objects.filter(pk=target.pk).update(updated_at=now)
        removed_from(selection.album, now=now)
    return MoveOutcome(moved=moved, already_there=skipped)


def removed_from(album: Album, *, now: datetime) -> None:
    """Photos left the album: it takes a change number that no photo carries, so a page
    waiting on its change feed answers at once with the album's new counts (see
    ``albums.photo_views.album_changes``)."""
    Album.objects.filter(pk=album.pk).update(change_seq=F("change_seq") + 1, updated_at=now)


def _hashes_in(album: Album, hashes: Iterable[str]) -> set[str]:
    wanted = list(hashes)
    if not wanted:
        return set()
    return set(album.photos.filter(sha256__in=wanted).values_list("sha256", flat=True))
