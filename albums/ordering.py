"""The orders photos are shown in: an album's sorts and the timeline.

Each order is a list of fields with their direction, ending with the primary key, so that it is
total: two photos are never "equal", a page boundary falls in one place, and a viewer's next and
previous (or a keyset cursor) follow exactly the grid's order. Only Django's expressions are used
here, so albums.models can build its QuerySet methods from this module (``sorted_by``,
``timeline_order``) and anything else can reuse the same definitions.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, OrderBy
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Lower


@dataclass(frozen=True)
class SortField:
    """One step of an order. ``nulls_last`` holds in both directions: photos without a date stay
    after the dated ones whichever way the dates run."""

    name: str  # what it is called in a cursor or a log line
    expression: Combinable
    descending: bool
    nulls_last: bool = False

    def order_by(self) -> OrderBy:
        nulls = {"nulls_last": True} if self.nulls_last else {}
        if self.descending:
            return self.expression.desc(**nulls)  # type: ignore[attr-defined]
        return self.expression.asc(**nulls)  # type: ignore[attr-defined]

    def flipped(self) -> SortField:
        return SortField(self.name, self.expression, not self.descending, self.nulls_last)


@dataclass(frozen=True)
class PhotoOrder:
    fields: tuple[SortField, ...]

    def order_by(self) -> list[OrderBy]:
        return [field.order_by() for field in self.fields]

    def flipped(self) -> PhotoOrder:
        return PhotoOrder(tuple(field.flipped() for field in self.fields))


def _order(*fields: tuple[str, Combinable, bool] | SortField) -> PhotoOrder:
    steps = [f if isinstance(f, SortField) else SortField(*f) for f in fields]
    return PhotoOrder((*steps, SortField("id", F("pk"), steps[0].descending)))


# The timeline: when taken, else when uploaded (Photo.timeline_at), newest first.
TIMELINE = _order(("timeline_at", F("timeline_at"), True))

# An album's sorts in their default direction. Date taken falls back to the upload time only
# among photos without a date, which come after every dated photo.
_UPLOADED = _order(("created_at", F("created_at"), True))
_TAKEN = _order(
    SortField("taken_at", F("taken_at"), True, nulls_last=True),
    ("created_at", F("created_at"), True),
)
# Names as people read them, whatever the case ("img_2.jpg" beside "IMG_1.JPG").
_NAME = _order(("name", Lower("original_filename"), False))
# The stored size once the pipeline measured it, the size the browser announced before.
_SIZE = _order(("size", Coalesce("file_size", "upload_size"), True))


@dataclass(frozen=True)
class AlbumSortKind:
    key: str  # in the URL: ?sort=taken
    order: PhotoOrder
    label: str
    default_direction: str  # "newest first"
    reverse_direction: str


ALBUM_SORT_KINDS: dict[str, AlbumSortKind] = {
    kind.key: kind
    for kind in (
        AlbumSortKind("taken", _TAKEN, "Date taken", "newest first", "oldest first"),
        AlbumSortKind("uploaded", _UPLOADED, "Upload time", "newest first", "oldest first"),
        AlbumSortKind("name", _NAME, "Name", "A to Z", "Z to A"),
        AlbumSortKind("size", _SIZE, "Size", "largest first", "smallest first"),
    )
}
REVERSED_SUFFIX = "-reversed"


@dataclass(frozen=True)
class AlbumSort:
    """A sort people chose for an album: a kind and whether it runs the other way."""

    kind: AlbumSortKind
    reverse: bool = False

    @property
    def param(self) -> str:
        """As it appears in the URL: ``taken``, ``taken-reversed``."""
        return self.kind.key + (REVERSED_SUFFIX if self.reverse else "")

    @property
    def label(self) -> str:
        direction = self.kind.reverse_direction if self.reverse else self.kind.default_direction
        return f"{self.kind.label}, {direction}"

    @property
    def is_upload_order(self) -> bool:
        """New uploads belong at the top: the order the live gallery places them in."""
        return self == DEFAULT_ALBUM_SORT

    @property
    def flipped(self) -> AlbumSort:
        return AlbumSort(self.kind, not self.reverse)

    @property
    def order(self) -> PhotoOrder:
        return self.kind.order.flipped() if self.reverse else self.kind.order

    def order_by(self) -> list[OrderBy]:
        return self.order.order_by()

    @classmethod
    def parse(cls, value: str | None) -> AlbumSort | None:
        """``taken`` or ``taken-reversed``; None for anything else."""
        if not value:
            return None
        reverse = value.endswith(REVERSED_SUFFIX)
        key = value.removesuffix(REVERSED_SUFFIX)
        kind = ALBUM_SORT_KINDS.get(key)
        return cls(kind, reverse) if kind else None


DEFAULT_ALBUM_SORT = AlbumSort(ALBUM_SORT_KINDS["uploaded"])
ALBUM_SORTS = [
    AlbumSort(kind, reverse) for kind in ALBUM_SORT_KINDS.values() for reverse in (False, True)
]
