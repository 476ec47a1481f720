"""The orders photos are shown in: an album's sorts and the timeline.

Each order is a list of fields with their direction, ending with the primary key, so that it is
total: two photos are never "equal", a page boundary falls in one place, and a viewer's next and
previous (or a keyset cursor) follow exactly the grid's order. Only Django's expressions are used
here, so albums.models can build its QuerySet methods from this module (``sorted_by``,
``timeline_order``) and anything else can reuse the same definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import BooleanField, ExpressionWrapper, F, Index, OrderBy, Q
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Lower

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from albums.models import Photo  # albums.models imports this module


@dataclass(frozen=True)
class SortField:
    """One step of an order. A ``fixed`` step keeps its direction when the order is reversed:
    photos without a date stay after the dated ones whichever way the dates run."""

    name: str  # what it is called in a cursor or a log line
    expression: Combinable
    descending: bool
    fixed: bool = False
    # What a keyset comparison reads where ``expression`` can be NULL (a comparison with NULL is
    # never true): a never-null expression that orders the rows this step sees the same way.
    key: Combinable | None = None

    def order_by(self) -> OrderBy:
        if self.descending:
            return self.expression.desc()  # type: ignore[attr-defined]
        return self.expression.asc()  # type: ignore[attr-defined]

    def flipped(self) -> SortField:
        if self.fixed:
            return self
        return SortField(self.name, self.expression, not self.descending, key=self.key)


@dataclass(frozen=True)
class PhotoOrder:
    fields: tuple[SortField, ...]

    def order_by(self) -> list[OrderBy]:
        return [field.order_by() for field in self.fields]

    def flipped(self) -> PhotoOrder:
        return PhotoOrder(tuple(field.flipped() for field in self.fields))

    def keyed(self, photos: QuerySet[Photo]) -> QuerySet[Photo]:
        """``photos`` in this order, each step an annotation (``sort_<name>``) that is never
        NULL, ending with the primary key: the form albums.neighbours walks by keyset, so the
        viewer's previous and next follow exactly the grid's order."""
        *steps, last = self.fields  # the primary key, a column already
        keys = {f"sort_{step.name}": step.key or step.expression for step in steps}
        names = [f"{'-' if step.descending else ''}sort_{step.name}" for step in steps]
        return photos.annotate(**keys).order_by(*names, "-pk" if last.descending else "pk")

    def album_index(self, name: str) -> Index:
        """The index that serves this order within an album (and, scanned backward, its
        reverse, unless a step is fixed)."""
        return Index(F("album"), *self.order_by(), name=name)


def _order(*fields: tuple[str, Combinable, bool] | SortField) -> PhotoOrder:
    steps = [f if isinstance(f, SortField) else SortField(*f) for f in fields]
    descending = next(step.descending for step in steps if not step.fixed)
    return PhotoOrder((*steps, SortField("id", F("id"), descending)))


# The timeline: when taken, else when uploaded (Photo.timeline_at), newest first.
TIMELINE = _order(("timeline_at", F("timeline_at"), True))

# An album's sorts in their default direction. Date taken falls back to the upload time only
# among photos without a date, which come after every dated photo in both directions. That is
# an expression rather than NULLS LAST, which SQLite cannot put in an index (and whose default
# place for nulls differs between SQLite and PostgreSQL).
_UNDATED = ExpressionWrapper(Q(taken_at__isnull=True), output_field=BooleanField())
_UPLOADED = _order(("created_at", F("created_at"), True))
_TAKEN = _order(
    SortField("undated", _UNDATED, False, fixed=True),
    # Among undated photos taken_at is NULL for all, so the upload time decides, as below.
    SortField("taken_at", F("taken_at"), True, key=Coalesce("taken_at", "created_at")),
    ("created_at", F("created_at"), True),
)
# Names as people read them, whatever the case ("img_2.jpg" beside "IMG_1.JPG").
_NAME = _order(("name", Lower("original_filename"), False))
# The stored size once the pipeline measured it, the size the browser announced before.
_SIZE = _order(("size", Coalesce("file_size", "upload_size"), True))

# One index per order that is not upload time (photo_album_newest serves that one); the
# reverse of date taken cannot be the same index backward, because undated photos stay last.
ALBUM_SORT_INDEXES = (
    _TAKEN.album_index("photo_album_taken"),
    _TAKEN.flipped().album_index("photo_album_taken_reversed"),
    _NAME.album_index("photo_album_name"),
    _SIZE.album_index("photo_album_size"),
)


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
