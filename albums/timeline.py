"""The timeline: a person's done photos across their albums, newest first, a page at a time.

Selectors only (reads). A page is found by a keyset cursor, never an offset: "the photos before
(time, id)" is one range of the (timeline_owner, timeline_at, id) index, so the 100th page costs
what the first does, for a camera roll of any size. The month index is one aggregate over the
same index, never a load of photos.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import User
from albums.models import Photo

TIMELINE_PAGE = 120  # tiles a page: 40 rows on a phone, about a screenful of months on a desktop
_CURSOR_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


class BadCursor(ValueError):
    """A cursor or month in the URL that this module never wrote."""


@dataclass(frozen=True)
class Cursor:
    """A place in the timeline: a photo's (timeline_at, id), or a moment alone (a month's end),
    which sits after every photo of that instant."""

    at: datetime
    photo_id: UUID | None = None

    def __str__(self) -> str:
        text = self.at.astimezone(UTC).strftime(_CURSOR_TIME)
        return f"{text}_{self.photo_id.hex}" if self.photo_id else text

    @classmethod
    def parse(cls, text: str) -> Cursor:
        moment, _, photo_id = text.partition("_")
        try:
            at = datetime.strptime(moment, _CURSOR_TIME).replace(tzinfo=UTC)
            return cls(at, UUID(hex=photo_id) if photo_id else None)
        except ValueError:
            raise BadCursor(text) from None

    @classmethod
    def of(cls, photo: Photo) -> Cursor:
        assert photo.timeline_at is not None  # every photo in a timeline has one
        return cls(photo.timeline_at, photo.pk)

    def older(self) -> Q:
        """Photos after this place in the timeline's order (older ones)."""
        if self.photo_id is None:
            return Q(timeline_at__lt=self.at)
        # The redundant bound lets the index's range start here; the OR settles equal times.
        return Q(timeline_at__lte=self.at) & (Q(timeline_at__lt=self.at) | Q(pk__lt=self.photo_id))

    def newer(self) -> Q:
        if self.photo_id is None:
            return Q(timeline_at__gte=self.at)
        return Q(timeline_at__gte=self.at) & (Q(timeline_at__gt=self.at) | Q(pk__gt=self.photo_id))


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    photos: int = 0

    @property
    def param(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{calendar.month_name[self.month]} {self.year}"

    @classmethod
    def parse(cls, text: str) -> Month:
        try:
            year, month = (int(part) for part in text.split("-"))
            date(year, month, 1)
        except ValueError:
            raise BadCursor(text) from None
        return cls(year, month)

    def end(self) -> datetime:
        """The first instant after this month, in the site's time zone (as months are shown)."""
        year, month = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        if year > 9999:
            return datetime.max.replace(tzinfo=UTC)
        return timezone.make_aware(datetime(year, month, 1))


@dataclass(frozen=True)
class MonthGroup:
    month: Month
    photos: list[Photo]


@dataclass(frozen=True)
class TimelinePage:
    groups: list[MonthGroup]
    older: Cursor | None  # where the next page (older photos) starts, if there is one
    newer: Cursor | None  # where the previous page (newer photos) ends, if there is one

    @property
    def photos(self) -> list[Photo]:
        return [photo for group in self.groups for photo in group.photos]


def month_of(moment: datetime) -> Month:
    local = timezone.localtime(moment)
    return Month(local.year, local.month)


def timeline_page(
    *, user: User, before: Cursor | None = None, after: Cursor | None = None
) -> TimelinePage:
    """A page of ``user``'s timeline: the newest photos, those older than ``before``, or those
    newer than ``after``. Two queries: the page (one more than it shows, to know whether more
    follow) and, when the page has a cursor, whether anything lies the other way."""
    photos = Photo.objects.in_timeline_of(user)
    if after is not None:
        found = list(photos.filter(after.newer()).timeline_order().reverse()[: TIMELINE_PAGE + 1])
        newer_follow = len(found) > TIMELINE_PAGE
        shown = found[:TIMELINE_PAGE][::-1]
        older_follow = bool(shown) and photos.filter(Cursor.of(shown[-1]).older()).exists()
    else:
        chosen = photos.filter(before.older()) if before is not None else photos
        found = list(chosen.timeline_order()[: TIMELINE_PAGE + 1])
        older_follow = len(found) > TIMELINE_PAGE
        shown = found[:TIMELINE_PAGE]
        newer_follow = (
            before is not None
            and bool(shown)
            and photos.filter(Cursor.of(shown[0]).newer()).exists()
        )
    return TimelinePage(
        groups=_by_month(shown),
        older=Cursor.of(shown[-1]) if older_follow else None,
        newer=Cursor.of(shown[0]) if newer_follow else None,
    )


def _by_month(photos: list[Photo]) -> list[MonthGroup]:
    groups: list[MonthGroup] = []
    for photo in photos:
        assert photo.timeline_at is not None
        month = month_of(photo.timeline_at)
        if not groups or groups[-1].month != month:
            groups.append(MonthGroup(month, []))
        groups[-1].photos.append(photo)
    return groups


def month_index(*, user: User) -> list[Month]:
    """Every month ``user`` has done photos in, newest first, with how many: one aggregate
    query that the timeline index answers alone (rows are counted, not loaded)."""
    rows = (
        Photo.objects.in_timeline_of(user)
        .annotate(month=TruncMonth("timeline_at"))
        .values("month")
        .annotate(photos=Count("*"))
        .order_by("-month")
    )
    return [Month(row["month"].year, row["month"].month, row["photos"]) for row in rows]
