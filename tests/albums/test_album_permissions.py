"""Every album URL, as the owner (alice), as someone else (bob) and as an anonymous visitor."""

import pytest
from django.test import Client
from django.urls import reverse

from albums.models import Album

pytestmark = pytest.mark.django_db

ALBUM_URLS = ["albums:detail", "albums:rename", "albums:delete"]
# Each URL with each method it answers; the detail page is read-only (405 on POST for everyone).
ALBUM_REQUESTS = [
    ("albums:detail", "get"),
    ("albums:rename", "get"),
    ("albums:rename", "post"),
    ("albums:delete", "get"),
    ("albums:delete", "post"),
]


def send(client: Client, method: str, url: str):
    if method == "post":
        return client.post(url, {"name": "Mine"})
    return client.get(url)


@pytest.mark.parametrize("name", ALBUM_URLS)
def test_the_owner_can_open_it(alice_client: Client, alices_album: Album, name: str) -> None:
    assert alice_client.get(reverse(name, args=[alices_album.pk])).status_code == 200


@pytest.mark.parametrize(("name", "method"), ALBUM_REQUESTS)
def test_it_rejects_foreign_album_as_not_found(
    bob_client: Client, alices_album: Album, name: str, method: str
) -> None:
    response = send(bob_client, method, reverse(name, args=[alices_album.pk]))
    assert response.status_code == 404
    alices_album.refresh_from_db()
    assert alices_album.name == "Lisbon 2026"


@pytest.mark.parametrize(("name", "method"), ALBUM_REQUESTS)
def test_it_sends_anonymous_visitors_to_login(
    client: Client, alices_album: Album, name: str, method: str
) -> None:
    url = reverse(name, args=[alices_album.pk])
    response = send(client, method, url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"
    assert Album.objects.filter(pk=alices_album.pk, name="Lisbon 2026").exists()


def test_the_detail_page_accepts_no_post(alice_client: Client, alices_album: Album) -> None:
    assert alice_client.post(reverse("albums:detail", args=[alices_album.pk])).status_code == 405
