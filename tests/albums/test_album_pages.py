"""Album detail, rename and delete, as the owner."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from albums.models import Album, Photo

pytestmark = pytest.mark.django_db


def test_the_detail_page_shows_the_album(alice_client: Client, alices_album: Album) -> None:
    response = alice_client.get(reverse("albums:detail", args=[alices_album.pk]))
    assert response.status_code == 200
    assert "<h1>Lisbon 2026</h1>" in response.content.decode()


def test_renaming_saves_the_trimmed_name(alice_client: Client, alices_album: Album) -> None:
    url = reverse("albums:rename", args=[alices_album.pk])
    assert alice_client.get(url).status_code == 200

    response = alice_client.post(url, {"name": "  Lisbon, spring 2026 "})

    alices_album.refresh_from_db()
    assert alices_album.name == "Lisbon, spring 2026"
    assert response["Location"] == reverse("albums:detail", args=[alices_album.pk])


def test_a_bad_rename_keeps_the_old_name_and_shows_the_error(
    alice_client: Client, alices_album: Album
) -> None:
    response = alice_client.post(reverse("albums:rename", args=[alices_album.pk]), {"name": " "})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Give the album a name." in html
    assert "Lisbon 2026" in html
    alices_album.refresh_from_db()
    assert alices_album.name == "Lisbon 2026"


def test_renaming_onto_another_album_name_is_refused(
    alice_client: Client, alice: User, alices_album: Album
) -> None:
    Album.objects.create(owner=alice, name="Porto")
    response = alice_client.post(
        reverse("albums:rename", args=[alices_album.pk]), {"name": "porto"}
    )
    assert "You already have an album called “porto”." in response.content.decode()


def test_delete_asks_for_confirmation_before_deleting(
    alice_client: Client, alices_album: Album
) -> None:
    Photo.objects.create(album=alices_album, original_filename="tram.jpg")
    url = reverse("albums:delete", args=[alices_album.pk])

    page = alice_client.get(url)
    assert page.status_code == 200
    assert "Its 1 photo will be deleted with it." in page.content.decode()
    assert Album.objects.filter(pk=alices_album.pk).exists()

    response = alice_client.post(url)
    assert response["Location"] == reverse("albums:list")
    assert not Album.objects.filter(pk=alices_album.pk).exists()
    assert not Photo.objects.exists()


def test_an_unknown_album_is_a_404(alice_client: Client) -> None:
    assert alice_client.get(reverse("albums:detail", args=[999_999])).status_code == 404
