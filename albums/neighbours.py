"""A photo's place in a grid's order: the previous and next photo and how many come before it,
by keyset queries on that order, so the viewer never loads the album, whatever its size.

A grid's order is an ordered ``Photo`` queryset (``album.photos.newest_first()``, a search's
results, a later sort by date taken or name). Every field it orders by must be a column or an
annotation that is never NULL (wrap a nullable one in ``Coalesce``), and the last must be the
primary key, so that the order is total and "after this photo" has exactly one meaning. An
annotated order needs its photo read through the same queryset, so the annotation is on it.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db.models import Q, QuerySet

from albums.models import Photo


@dataclass(frozen=True)
class Neighbours:
    previous: Photo | None  # the photo shown before this one in the grid
    next: Photo | None  # the photo shown after it


@dataclass(frozen=True)
class _Key:
    name: str
    descending: bool


def neighbours(photos: QuerySet[Photo], photo: Photo) -> Neighbours:
    """The photos on either side of ``photo`` in ``photos``' order: two queries of one row each,
    each an index range scan from the photo's own sort key."""
    keys = _order_of(photos)
    values = _values_of(photo, keys)
    before = photos.filter(_beyond(keys, values, forward=False))
    after = photos.filter(_beyond(keys, values, forward=True))
    reverse = [f"{'' if key.descending else '-'}{key.name}" for key in keys]
    return Neighbours(
        previous=before.order_by(*reverse).first(),
        next=after.first(),
    )


def position(photos: QuerySet[Photo], photo: Photo) -> int:
    """How many photos come before ``photo`` in ``photos``' order (its 0-based index), to find
    the grid page it is on: one COUNT over the same index range, never the rows themselves."""
    keys = _order_of(photos)
    return photos.filter(_beyond(keys, _values_of(photo, keys), forward=False)).count()


def _order_of(photos: QuerySet[Photo]) -> list[_Key]:
    ordering = [field for field in photos.query.order_by if isinstance(field, str)]
    if not ordering or len(ordering) != len(photos.query.order_by):
        raise ValueError("Neighbours need a queryset ordered by field or annotation names")
    keys = [_Key(field.lstrip("-"), field.startswith("-")) for field in ordering]
    if keys[-1].name not in ("pk", "id"):
        raise ValueError("The order must end with the primary key, so that it is total")
    return keys


def _values_of(photo: Photo, keys: list[_Key]) -> list[Any]:
    values = [getattr(photo, key.name) for key in keys]
    if any(value is None for value in values):
        raise ValueError("A sort key is NULL: order by a non-null expression (Coalesce)")
    return values


def _beyond(keys: list[_Key], values: list[Any], *, forward: bool) -> Q:
    """Rows strictly after (``forward``) or before the photo's key in the order: the usual
    expansion (a > x) OR (a = x AND b > y) OR ..., each comparison turned by its direction."""
    alternatives = []
    equal_so_far = Q()
    for key, value in zip(keys, values, strict=True):
        greater = key.descending != forward  # the next row has a smaller value when descending
        alternatives.append(equal_so_far & Q(**{f"{key.name}__{'gt' if greater else 'lt'}": value}))
        equal_so_far &= Q(**{key.name: value})
    # The same bound on the first key alone, implied by the alternatives: an index on it (the
    # album's (album, created_at)) can seek there rather than filter every row before it.
    first, greater = keys[0], keys[0].descending != forward
    seek = Q(**{f"{first.name}__{'gte' if greater else 'lte'}": values[0]})
    return seek & reduce(operator.or_, alternatives)
