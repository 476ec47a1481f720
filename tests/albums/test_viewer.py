"""The viewer's place in a grid: previous and next by keyset queries in the grid's order (an
album newest first, a search's results, any order another grid brings), the grid page that
closing returns to, and what the photo page links, for alice; bob gets a 404."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from django.db.models import F
from django.db.models.functions import Coalesce
from django.test import Client
from django.urls import reverse

from albums import photo_views, views
from albums.models import Album, Photo
from albums.neighbours import Neighbours, neighbours, position
from processing.recognition.labels import BoundingBox, Instance, Label
from tests.albums.photo_helpers import finished_photo
from tests.conftest import UsePipeline

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
DOG = Label(
    "Dog",
    90.0,
    "local",
    "nanodet-g/test",
    instances=(Instance(BoundingBox(0.1, 0.2, 0.3, 0.4), 90.0),),
    parents=("Animal",),
)


def photos_at(
    album: Album, minutes: list[int], status: str = Photo.Status.SUCCEEDED
) -> list[Photo]:
    """Photos uploaded that many minutes after noon, in the order given."""
    made = []
    for number, minute in enumerate(minutes):
        photo = Photo.objects.create(album=album, original_filename=f"{number}.jpg", status=status)
        Photo.objects.filter(pk=photo.pk).update(created_at=NOON + timedelta(minutes=minute))
        photo.refresh_from_db()
        made.append(photo)
    return made


def walk(photos: Any, first: Photo) -> list[Photo]:
    """Every photo reached by following next from ``first``."""
    seen, photo = [first], first
    while (photo := neighbours(photos, photo).next) is not None:
        seen.append(photo)
    return seen


def test_previous_is_the_newer_photo_and_next_the_older_in_an_album(alices_album: Album) -> None:
    oldest, middle, newest = photos_at(alices_album, [0, 10, 20])
    around = neighbours(alices_album.photos.newest_first(), middle)
    assert (around.previous, around.next) == (newest, oldest)


def test_the_newest_has_no_previous_and_the_oldest_no_next(alices_album: Album) -> None:
    oldest, newest = photos_at(alices_album, [0, 10])
    grid = alices_album.photos.newest_first()
    assert neighbours(grid, newest).previous is None
    assert neighbours(grid, oldest).next is None
    alone = photos_at(Album.objects.create(owner=alices_album.owner, name="One"), [0])[0]
    assert neighbours(alone.album.photos.newest_first(), alone) == Neighbours(None, None)


def test_walking_next_visits_every_photo_in_the_grids_order_ties_included(
    alices_album: Album,
) -> None:
    # Photos of one instant (a burst, a batch) are settled by their id, as the grid settles them.
    photos_at(alices_album, [5, 0, 5, 5, 3, 0, 9])
    grid = alices_album.photos.newest_first()
    in_order = list(grid)
    assert walk(grid, in_order[0]) == in_order
    backwards, photo = [in_order[-1]], in_order[-1]
    while (photo := neighbours(grid, photo).previous) is not None:
        backwards.append(photo)
    assert backwards == in_order[::-1]


def test_another_album_or_owner_never_appears(alices_album: Album, bob: Any) -> None:
    photos_at(alices_album, [0, 20])
    bobs = photos_at(Album.objects.create(owner=bob, name="Bob's"), [10])
    grid = alices_album.photos.newest_first()
    assert bobs[0] not in walk(grid, grid.first())


def test_other_orders_plug_in_ascending_and_annotated(alices_album: Album) -> None:
    a, b, c = photos_at(alices_album, [0, 10, 20])
    for photo, name in ((a, "c.jpg"), (b, "a.jpg"), (c, "b.jpg")):
        Photo.objects.filter(pk=photo.pk).update(original_filename=name)
    by_name = alices_album.photos.order_by("original_filename", "pk")
    assert [p.original_filename for p in walk(by_name, by_name.first())] == [
        "a.jpg",
        "b.jpg",
        "c.jpg",
    ]
    # Date taken where the camera said, else the upload: a timeline's kind of order.
    Photo.objects.filter(pk=a.pk).update(taken_at=NOON + timedelta(hours=1))
    taken = alices_album.photos.annotate(moment=Coalesce("taken_at", "created_at")).order_by(
        "-moment", "-pk"
    )
    assert [p.pk for p in walk(taken, taken.first())] == [a.pk, c.pk, b.pk]


def test_an_order_that_is_not_total_is_refused(alices_album: Album) -> None:
    (photo,) = photos_at(alices_album, [0])
    with pytest.raises(ValueError, match="primary key"):
        neighbours(alices_album.photos.order_by("-created_at"), photo)
    with pytest.raises(ValueError, match="field or annotation names"):
        neighbours(alices_album.photos.order_by(F("created_at").desc(), "-pk"), photo)


def test_neighbours_and_position_cost_a_query_each_whatever_the_album(
    alices_album: Album, django_assert_num_queries: Any
) -> None:
    photos = photos_at(alices_album, list(range(300)))
    grid = alices_album.photos.newest_first()
    with django_assert_num_queries(2):
        around = neighbours(grid, photos[150])
    assert (around.previous, around.next) == (photos[151], photos[149])
    with django_assert_num_queries(1):
        assert position(grid, photos[150]) == 149  # 149 newer photos come before it


def test_the_viewer_links_previous_and_next_in_album_order(
    alice_client: Client, alices_album: Album
) -> None:
    oldest, middle, newest = photos_at(alices_album, [0, 10, 20])
    html = alice_client.get(reverse("albums:photo", args=[middle.id])).content.decode()
    assert re.search(rf'href="/photos/{newest.id}/" rel="prev"', html)
    assert re.search(rf'href="/photos/{oldest.id}/" rel="next"', html)
    assert f'href="/albums/{alices_album.pk}/#photo-{middle.id}"' in html  # close
    first = alice_client.get(reverse("albums:photo", args=[newest.id])).content.decode()
    assert 'rel="prev"' not in first


def test_closing_returns_to_the_grid_page_that_shows_the_photo(
    alice_client: Client, alices_album: Album, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "PHOTOS_PER_PAGE", 2)
    monkeypatch.setattr(photo_views, "PHOTOS_PER_PAGE", 2)
    photos = photos_at(alices_album, [0, 10, 20, 30, 40])  # pages: 40 30 | 20 10 | 0
    close = f'data-close-url="/albums/{alices_album.pk}/?page=2#photo-{photos[1].id}"'
    assert close in alice_client.get(reverse("albums:photo", args=[photos[1].id])).content.decode()
    grid = alice_client.get(reverse("albums:detail", args=[alices_album.pk]), {"page": 2})
    assert f'id="photo-{photos[1].id}"' in grid.content.decode()


def test_a_photo_opened_from_a_search_steps_through_the_results(
    alice_client: Client, alices_album: Album
) -> None:
    first_dog = finished_photo(alices_album, "rex.jpg", [DOG])
    finished_photo(alices_album, "cat.jpg", [])
    last_dog = finished_photo(alices_album, "fido.jpg", [DOG])
    results = alice_client.get(reverse("albums:search"), {"q": "animal"}).content.decode()
    assert f'href="/photos/{last_dog.id}/?q=animal"' in results

    html = alice_client.get(reverse("albums:photo", args=[last_dog.id]), {"q": "animal"})
    page = html.content.decode()
    assert f'href="/photos/{first_dog.id}/?q=animal" rel="next"' in page  # the cat is skipped
    assert f'data-close-url="/search/?q=animal#photo-{last_dog.id}"' in page
    assert "Close: back to “animal”" in page


def test_a_photo_outside_the_search_falls_back_to_its_album(
    alice_client: Client, alices_album: Album
) -> None:
    cat = finished_photo(alices_album, "cat.jpg", [])
    dog = finished_photo(alices_album, "rex.jpg", [DOG])
    page = alice_client.get(reverse("albums:photo", args=[cat.id]), {"q": "dog"}).content.decode()
    assert f'href="/photos/{dog.id}/" rel="prev"' in page
    assert f'data-close-url="/albums/{alices_album.pk}/#photo-{cat.id}"' in page


def test_the_viewer_page_costs_a_fixed_number_of_queries(
    alice_client: Client, alices_album: Album, django_assert_max_num_queries: Any
) -> None:
    Photo.objects.bulk_create(
        Photo(album=alices_album, original_filename=f"{i}.jpg", status=Photo.Status.SUCCEEDED)
        for i in range(2000)
    )
    middle = alices_album.photos.newest_first()[1000]
    # The session and user, the photo with its album, its label corrections, previous, next,
    # the grid page's count.
    with django_assert_max_num_queries(7):
        response = alice_client.get(reverse("albums:photo", args=[middle.id]))
    assert response.status_code == 200
    with django_assert_max_num_queries(8):  # and whether the photo is among the results
        response = alice_client.get(reverse("albums:photo", args=[middle.id]), {"q": "dog"})
    assert response.status_code == 200


@pytest.mark.parametrize("query", [{}, {"q": "dog"}])
def test_bob_gets_not_found_for_alices_photo_from_any_grid(
    bob_client: Client, alices_album: Album, query: dict[str, str]
) -> None:
    dog = finished_photo(alices_album, "rex.jpg", [DOG])
    assert bob_client.get(reverse("albums:photo", args=[dog.id]), query).status_code == 404


def test_bobs_search_context_never_reveals_alices_neighbours(
    alice_client: Client, bob_client: Client, alices_album: Album, bob: Any
) -> None:
    alices_dog = finished_photo(alices_album, "alices-dog.jpg", [DOG])
    bobs_dog = finished_photo(Album.objects.create(owner=bob, name="Bob's"), "bobs-dog.jpg", [DOG])
    page = bob_client.get(reverse("albums:photo", args=[bobs_dog.id]), {"q": "dog"})
    assert str(alices_dog.id) not in page.content.decode()


def test_a_photo_not_done_shows_its_status_and_reason_instead_of_a_picture(
    alice_client: Client, alices_album: Album
) -> None:
    (rejected,) = photos_at(alices_album, [0], status=Photo.Status.REJECTED)
    Photo.objects.filter(pk=rejected.pk).update(status_message="The image is damaged")
    (waiting,) = photos_at(alices_album, [5], status=Photo.Status.PROCESSING)
    html = alice_client.get(reverse("albums:photo", args=[rejected.id])).content.decode()
    assert "viewer__status--rejected" in html
    assert "The image is damaged" in html
    assert "viewer__image" not in html
    html = alice_client.get(reverse("albums:photo", args=[waiting.id])).content.decode()
    assert "The picture appears here once it is processed." in html


def test_a_heic_original_is_never_offered_for_zooming(
    alice_client: Client, alices_album: Album
) -> None:
    jpeg_photo = finished_photo(alices_album, "a.jpg", [])
    heic_photo = finished_photo(alices_album, "b.heic", [])
    Photo.objects.filter(pk=jpeg_photo.pk).update(format="JPEG")
    Photo.objects.filter(pk=heic_photo.pk).update(format="HEIC")
    jpeg_page = alice_client.get(reverse("albums:photo", args=[jpeg_photo.id])).content.decode()
    assert "data-original=" in jpeg_page
    heic_page = alice_client.get(reverse("albums:photo", args=[heic_photo.id])).content.decode()
    assert "data-original=" not in heic_page
    assert "The original is HEIC, which browsers cannot show" in heic_page
    assert "Download original" in heic_page


def test_in_aws_mode_the_viewer_shows_and_preloads_presigned_s3_images(
    alice_client: Client,
    alices_album: Album,
    use_pipeline: UsePipeline,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Presigning is local computation: credentials are needed, S3 is not.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    use_pipeline(PHOTOSHARE_BACKEND="aws", PHOTOSHARE_AWS_REGION="eu-west-1")
    older, newer = photos_at(alices_album, [0, 10])
    for photo in (older, newer):
        key = f"private/{alices_album.owner_id}/resized/{photo.id}/1024.jpg"
        Photo.objects.filter(pk=photo.pk).update(
            format="JPEG", thumbnails=[{"size": 1024, "key": key, "width": 1024, "height": 768}]
        )
    html = unescape(alice_client.get(reverse("albums:photo", args=[newer.id])).content.decode())
    s3 = r"https://[^\"]+\.s3\.[^\"]+amazonaws\.com/"
    assert re.search(rf'<img class="viewer__image" src="{s3}[^"]*/{newer.id}/1024\.jpg\?', html)
    assert re.search(rf'data-original="{s3}[^"]*/uploads/[^"]*/{newer.id}\.jpg\?', html)
    assert re.search(rf'data-preview="{s3}[^"]*/{older.id}/1024\.jpg\?', html)
