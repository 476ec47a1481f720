from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from albums.models import Album, Photo

pytestmark = pytest.mark.django_db
URL = reverse("albums:list")


def test_it_lists_only_the_owners_albums_with_photo_counts(
    alice_client: Client, alice: User, bob: User
) -> None:
    lisbon = Album.objects.create(owner=alice, name="Lisbon")
    Album.objects.create(owner=alice, name="Empty")
    Album.objects.create(owner=bob, name="Bob's secret trip")
    for name in ("a.jpg", "b.jpg", "c.png"):
        Photo.objects.create(album=lisbon, original_filename=name)

    response = alice_client.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert [a.name for a in response.context["albums"]] == ["Lisbon", "Empty"]
    assert "3 photos" in html
    assert "0 photos" in html
    assert "Bob&#x27;s secret trip" not in html


def test_the_most_recently_changed_album_comes_first(alice_client: Client, alice: User) -> None:
    old = Album.objects.create(owner=alice, name="Old")
    Album.objects.create(owner=alice, name="Newer")
    Album.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3))
    # A new photo counts as a change to its album.
    Photo.objects.create(album=old, original_filename="fresh.jpg")

    albums = alice_client.get(URL).context["albums"]

    assert [a.name for a in albums] == ["Old", "Newer"]
    assert albums[0].last_change > albums[1].last_change - timedelta(seconds=1)


def test_it_creates_an_album_and_goes_to_it(alice_client: Client, alice: User) -> None:
    response = alice_client.post(URL, {"name": "  Kyoto  "})
    album = Album.objects.get(owner=alice)
    assert album.name == "Kyoto"
    assert response["Location"] == reverse("albums:detail", args=[album.pk])


def test_bad_input_is_a_form_error_on_the_page(alice_client: Client, alice: User) -> None:
    response = alice_client.post(URL, {"name": "x" * 101})
    assert response.status_code == 200
    assert "Keep the name to 100 characters or fewer." in response.content.decode()
    assert not Album.objects.exists()


def test_a_missing_field_is_a_form_error_not_a_500(alice_client: Client) -> None:
    response = alice_client.post(URL, {})
    assert response.status_code == 200
    assert "Give the album a name." in response.content.decode()


def test_an_empty_list_invites_a_first_album(alice_client: Client) -> None:
    assert "No albums yet." in alice_client.get(URL).content.decode()


def test_anonymous_visitors_are_sent_to_login(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={URL}"
    assert client.post(URL, {"name": "Sneaky"}).status_code == 302
    assert not Album.objects.exists()
