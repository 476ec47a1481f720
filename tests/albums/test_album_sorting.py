"""Sorting an album: by date taken, upload time, name or size, each way round, kept in the URL
and across pages, remembered per album; bob still gets a 404 whatever the sort."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from albums.models import Album, Photo
from albums.ordering import ALBUM_SORTS, AlbumSort
from albums.views import PHOTOS_PER_PAGE
from tests.albums.dated_photos import dated_photo, utc

pytestmark = pytest.mark.django_db


def names(client: Client, album: Album, **query: str) -> list[str]:
    response = client.get(reverse("albums:detail", args=[album.pk]), query)
    assert response.status_code == 200
    return [photo.original_filename for photo in response.context["photos"]]


@pytest.fixture
def mixed(alices_album: Album) -> Album:
    """Four photos whose every order differs: dated and undated, names in both cases, sizes."""
    dated_photo(
        alices_album,
        "b-summer.jpg",
        taken="2023:07:14 10:00:00",
        uploaded=utc("2024-01-01"),
        width=400,
    )
    dated_photo(alices_album, "A-scan.jpg", uploaded=utc("2024-01-04"), width=100)
    dated_photo(
        alices_album,
        "c-winter.jpg",
        taken="2022:12:31 09:00:00",
        uploaded=utc("2024-01-03"),
        width=300,
    )
    dated_photo(alices_album, "d-scan.jpg", uploaded=utc("2024-01-02"), width=200)
    return alices_album


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["A-scan.jpg", "c-winter.jpg", "d-scan.jpg", "b-summer.jpg"]),  # newest upload
        ("uploaded", ["A-scan.jpg", "c-winter.jpg", "d-scan.jpg", "b-summer.jpg"]),
        ("uploaded-reversed", ["b-summer.jpg", "d-scan.jpg", "c-winter.jpg", "A-scan.jpg"]),
        # Undated photos come after the dated ones, whichever way the dates run.
        ("taken", ["b-summer.jpg", "c-winter.jpg", "A-scan.jpg", "d-scan.jpg"]),
        ("taken-reversed", ["c-winter.jpg", "b-summer.jpg", "d-scan.jpg", "A-scan.jpg"]),
        ("name", ["A-scan.jpg", "b-summer.jpg", "c-winter.jpg", "d-scan.jpg"]),  # any case
        ("name-reversed", ["d-scan.jpg", "c-winter.jpg", "b-summer.jpg", "A-scan.jpg"]),
        ("size", ["b-summer.jpg", "c-winter.jpg", "d-scan.jpg", "A-scan.jpg"]),
        ("size-reversed", ["A-scan.jpg", "d-scan.jpg", "c-winter.jpg", "b-summer.jpg"]),
    ],
)
def test_each_sort_orders_the_album(
    alice_client: Client, mixed: Album, sort: str | None, expected: list[str]
) -> None:
    query = {"sort": sort} if sort else {}
    assert names(alice_client, mixed, **query) == expected


def test_sizes_are_the_stored_files_sizes(mixed: Album) -> None:
    sizes = dict(Photo.objects.filter(album=mixed).values_list("original_filename", "file_size"))
    assert sizes["b-summer.jpg"] > sizes["c-winter.jpg"] > sizes["d-scan.jpg"] > sizes["A-scan.jpg"]


def test_an_unknown_sort_is_the_default(alice_client: Client, mixed: Album) -> None:
    assert names(alice_client, mixed, sort="colour") == names(alice_client, mixed)


def test_the_control_offers_every_sort_and_marks_the_current_one(
    alice_client: Client, mixed: Album
) -> None:
    response = alice_client.get(reverse("albums:detail", args=[mixed.pk]), {"sort": "taken"})
    html = response.content.decode()
    options = re.findall(r'<option value="([a-z-]+)"( selected)?>([^<]+)</option>', html)
    assert [(value, label) for value, _, label in options] == [
        (sort.param, sort.label) for sort in ALBUM_SORTS
    ]
    assert [value for value, selected, _ in options if selected] == ["taken"]
    assert "Date taken, newest first" in html
    assert 'href="?sort=taken-reversed"' in html  # the Reverse button
    assert "Photos without a date taken come after the dated ones." in html
    assert "New uploads appear at the top until you reload the page." in html


def test_the_upload_order_needs_no_note(alice_client: Client, mixed: Album) -> None:
    html = alice_client.get(reverse("albums:detail", args=[mixed.pk])).content.decode()
    assert "New uploads appear at the top" not in html
    assert 'href="?sort=uploaded-reversed"' in html


def test_pages_keep_the_sort(alice_client: Client, alices_album: Album) -> None:
    for number in range(PHOTOS_PER_PAGE + 2):
        Photo.objects.create(album=alices_album, original_filename=f"IMG_{number:03d}.jpg")
    url = reverse("albums:detail", args=[alices_album.pk])

    first = alice_client.get(url, {"sort": "name"}).content.decode()
    link = re.search(r'href="\?sort=name&amp;page=2">Next</a>', first)
    assert link is not None

    second = alice_client.get(url, {"sort": "name", "page": "2"})
    assert [p.original_filename for p in second.context["photos"]] == [
        f"IMG_{number:03d}.jpg" for number in (PHOTOS_PER_PAGE, PHOTOS_PER_PAGE + 1)
    ]
    assert 'href="?sort=name&amp;page=1">Previous</a>' in second.content.decode()


def test_the_sort_is_remembered_for_that_album_only(
    alice_client: Client, mixed: Album, alice: User
) -> None:
    other = Album.objects.create(owner=alice, name="Other")
    dated_photo(other, "z.jpg", uploaded=utc("2024-01-01"))
    dated_photo(other, "a.jpg", uploaded=utc("2024-01-02"))

    names(alice_client, mixed, sort="name-reversed")

    assert names(alice_client, mixed) == [
        "d-scan.jpg",
        "c-winter.jpg",
        "b-summer.jpg",
        "A-scan.jpg",
    ]
    assert names(alice_client, other) == ["a.jpg", "z.jpg"]  # still newest upload first
    names(alice_client, mixed, sort="uploaded")
    assert names(alice_client, mixed) == [
        "A-scan.jpg",
        "c-winter.jpg",
        "d-scan.jpg",
        "b-summer.jpg",
    ]


def test_bob_gets_a_404_whatever_the_sort(bob_client: Client, mixed: Album) -> None:
    for sort in ALBUM_SORTS:
        url = reverse("albums:detail", args=[mixed.pk])
        assert bob_client.get(url, {"sort": sort.param}).status_code == 404


def test_every_sort_reads_the_page_in_a_bounded_number_of_queries(
    alice_client: Client,
    alices_album: Album,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    Photo.objects.bulk_create(
        Photo(
            album=alices_album, original_filename=f"IMG_{n:04d}.jpg", status=Photo.Status.SUCCEEDED
        )
        for n in range(300)
    )
    url = reverse("albums:detail", args=[alices_album.pk])
    for sort in ALBUM_SORTS:
        with django_assert_max_num_queries(12):
            response = alice_client.get(url, {"sort": sort.param, "page": "3"})
        assert len(response.context["photos"]) == PHOTOS_PER_PAGE


def test_sorts_parse_from_what_they_print() -> None:
    for sort in ALBUM_SORTS:
        assert AlbumSort.parse(sort.param) == sort
    assert AlbumSort.parse("taken-reversed-reversed") is None
