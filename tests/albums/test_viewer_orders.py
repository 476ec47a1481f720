"""The viewer follows the grid it was opened from when that grid has an order of its own: an
album sorted by date taken, name or size (``?sort=``), and the timeline (``?in=timeline``).
Previous and next walk exactly the grid's order, ties and undated photos included, and closing
returns to the grid page that shows the photo."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from albums import photo_views, views
from albums.models import Album, Photo
from albums.ordering import ALBUM_SORTS, TIMELINE
from albums.timeline import Cursor
from tests.albums.dated_photos import dated_photo

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def viewer(client: Client, photo: Photo, query: dict[str, str]) -> str:
    response = client.get(reverse("albums:photo", args=[photo.id]), query)
    assert response.status_code == 200
    return response.content.decode()


def step(html: str, rel: str) -> str | None:
    found = re.search(rf'href="/photos/([0-9a-f-]+)/[^"]*" rel="{rel}"', html)
    return found.group(1) if found else None


def walk(client: Client, first: Photo, query: dict[str, str], rel: str = "next") -> list[str]:
    """The photo ids reached from ``first`` by following the viewer's links."""
    seen = [str(first.id)]
    while (following := step(viewer(client, Photo.objects.get(pk=seen[-1]), query), rel)) and (
        len(seen) < 50
    ):
        seen.append(following)
    return seen


@pytest.fixture
def mixed_album(alices_album: Album) -> list[Photo]:
    """Dated and undated photos, sizes and names in no particular order, two of one instant."""
    made = [
        dated_photo(alices_album, "b.jpg", taken="2021:06:01 10:00:00", uploaded=NOON, width=90),
        dated_photo(alices_album, "A.jpg", uploaded=NOON + timedelta(minutes=1), width=40),
        dated_photo(alices_album, "c.jpg", taken="2023:01:01 09:00:00", uploaded=NOON, width=60),
        dated_photo(alices_album, "d.jpg", taken="2021:06:01 10:00:00", uploaded=NOON, width=70),
        dated_photo(alices_album, "e.jpg", uploaded=NOON + timedelta(minutes=5), width=120),
    ]
    return made


@pytest.mark.parametrize("sort", ALBUM_SORTS, ids=lambda sort: sort.param)
def test_the_viewer_walks_an_album_in_the_sort_the_grid_shows(
    alice_client: Client, alices_album: Album, mixed_album: list[Photo], sort: Any
) -> None:
    grid = alice_client.get(reverse("albums:detail", args=[alices_album.pk]), {"sort": sort.param})
    shown = re.findall(r'id="photo-([0-9a-f-]+)"', grid.content.decode())
    assert len(shown) == len(mixed_album)
    query = {} if sort.is_upload_order else {"sort": sort.param}
    first = Photo.objects.get(pk=shown[0])
    assert walk(alice_client, first, query) == shown
    last = Photo.objects.get(pk=shown[-1])
    assert walk(alice_client, last, query, rel="prev") == shown[::-1]
    if not sort.is_upload_order:  # the tiles carry the sort to the viewer
        assert f'href="/photos/{shown[0]}/?sort={sort.param}"' in grid.content.decode()


def test_closing_a_sorted_albums_viewer_returns_to_its_page_in_that_sort(
    alice_client: Client, alices_album: Album, mixed_album: list[Photo], monkeypatch: Any
) -> None:
    monkeypatch.setattr(views, "PHOTOS_PER_PAGE", 2)
    monkeypatch.setattr(photo_views, "PHOTOS_PER_PAGE", 2)
    by_name = ["A.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"]  # pages: A b | c d | e
    d = next(photo for photo in mixed_album if photo.original_filename == by_name[3])
    html = viewer(alice_client, d, {"sort": "name"})
    assert f'data-close-url="/albums/{alices_album.pk}/?sort=name&amp;page=2#photo-{d.id}"' in html


def test_the_timeline_viewer_walks_every_album_newest_taken_first(
    alice_client: Client, alice: Any, alices_album: Album, mixed_album: list[Photo]
) -> None:
    other = Album.objects.create(owner=alice, name="Porto")
    mixed_album.append(dated_photo(other, "f.jpg", taken="2022:03:03 08:00:00", uploaded=NOON))
    page = alice_client.get(reverse("albums:timeline")).content.decode()
    shown = re.findall(r'id="photo-([0-9a-f-]+)"', page)
    assert len(shown) == 6
    assert f'href="/photos/{shown[0]}/?in=timeline"' in page
    first = Photo.objects.get(pk=shown[0])
    assert walk(alice_client, first, {"in": "timeline"}) == shown


def test_closing_the_timeline_viewer_opens_the_page_that_starts_at_the_photo(
    alice_client: Client, mixed_album: list[Photo]
) -> None:
    ordered = list(TIMELINE.keyed(Photo.objects.filter(pk__in=[p.pk for p in mixed_album])))
    second, first = ordered[1], ordered[0]
    html = viewer(alice_client, second, {"in": "timeline"})
    cursor = str(Cursor.of(first)).replace(":", "%3A")
    assert f'data-close-url="/timeline/?before={cursor}#photo-{second.id}"' in html
    closed = alice_client.get(f"/timeline/?before={cursor}").content.decode()
    assert re.findall(r'id="photo-([0-9a-f-]+)"', closed)[0] == str(second.id)


def test_bob_cannot_open_alices_photo_through_any_grid(
    client: Client, bob: Any, mixed_album: list[Photo]
) -> None:
    client.force_login(bob)
    for query in ({"in": "timeline"}, {"sort": "name"}, {"sort": "taken-reversed"}):
        response = client.get(reverse("albums:photo", args=[mixed_album[0].id]), query)
        assert response.status_code == 404


def test_a_sorted_or_timeline_viewer_costs_a_fixed_number_of_queries(
    alice_client: Client, alices_album: Album, alice: Any, django_assert_max_num_queries: Any
) -> None:
    Photo.objects.bulk_create(
        Photo(
            album=alices_album,
            original_filename=f"{i}.jpg",
            status=Photo.Status.SUCCEEDED,
            taken_at=NOON - timedelta(hours=i % 700),
            timeline_owner=alice,
            timeline_at=NOON - timedelta(hours=i % 700),
        )
        for i in range(2000)
    )
    middle = alices_album.photos.newest_first()[1000]
    for query in ({"sort": "taken"}, {"sort": "name-reversed"}, {"in": "timeline"}):
        # Session and user, the photo, its label corrections, the photo read through the grid's
        # order, previous, next, and the grid page's count (none for the timeline, whose pages
        # start at a cursor).
        with django_assert_max_num_queries(8):
            response = alice_client.get(reverse("albums:photo", args=[middle.id]), query)
        assert response.status_code == 200
