"""A share's photo page is the full-screen viewer, read only: its controls, its zoom and what it
never offers. Personas: alice owns the album, bob is another account, charlie is the account
alice shares it with, and a plain ``Client()`` is anyone holding a link. The GPS crawl, the
neighbours and the query bound are in tests/albums/test_sharing.py."""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from albums.models import Album, AlbumShare, Photo
from processing.recognition.labels import BoundingBox, Instance, Label
from tests.albums import test_sharing
from tests.albums.test_sharing import make_link

pytestmark = pytest.mark.django_db

# test_sharing's fixtures: a JPEG and a PNG with Lisbon's position, processed; charlie.
located = test_sharing.located
charlie = test_sharing.charlie
charlie_client = test_sharing.charlie_client

DOG = Label(
    "Dog", 91.0, "local", "nanodet-g/test", (Instance(BoundingBox(0.1, 0.2, 0.3, 0.4), 91.0),)
)


def page_of(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return unescape(response.content.decode())


def test_a_link_photo_is_the_viewer_with_outlined_labels_and_no_search(
    alice_client: Client, alices_album: Album, located: dict[str, Photo]
) -> None:
    photo = located["tram.jpg"]
    Photo.objects.filter(pk=photo.pk).update(labels=[DOG.to_item()])
    token = make_link(alices_album)
    html = page_of(Client(), reverse("albums:link-photo", args=[token, photo.pk]))
    assert 'id="viewer"' in html
    assert 'data-close-url="' in html
    assert 'class="label-box" data-label="Dog"' in html
    assert 'button type="button" class="chip chip--located" data-label="Dog"' in html
    assert "js/viewer.js" in html
    for owner_only in ("Search for Dog", "/search/", "Delete", "Pipeline execution", "Place"):
        assert owner_only not in html
    # The check can fail: the owner's page of the same photo has them.
    owner = page_of(alice_client, reverse("albums:photo", args=[photo.pk]))
    for owner_only in ("Search for Dog", "Delete", "Place"):
        assert owner_only in owner


def test_zoom_takes_the_links_original_only_when_the_link_shares_originals(
    alices_album: Album, located: dict[str, Photo]
) -> None:
    photo = located["tram.jpg"]
    closed = make_link(alices_album)
    html = page_of(Client(), reverse("albums:link-photo", args=[closed, photo.pk]))
    assert "data-original" not in html
    assert "/original/" not in html
    assert "/uploads/" not in html  # the owner's presigned original
    assert "the original is not shared" in html

    opened = make_link(alices_album, allow_download_original=True)
    original = reverse("albums:link-original", args=[opened, photo.pk])
    html = page_of(Client(), reverse("albums:link-photo", args=[opened, photo.pk]))
    assert f'data-original="{original}"' in html
    assert f'href="{original}" download' in html
    assert "/uploads/" not in html


def test_charlie_gets_the_viewer_without_originals_and_bob_a_404(
    alices_album: Album,
    located: dict[str, Photo],
    charlie: User,
    charlie_client: Client,
    bob_client: Client,
) -> None:
    AlbumShare.objects.create(album=alices_album, recipient=charlie)
    newest, older = Photo.objects.in_album(alices_album).newest_first()
    url = reverse("albums:shared-photo", args=[alices_album.pk, newest.pk])
    html = page_of(charlie_client, url)
    assert 'id="viewer"' in html
    older_url = reverse("albums:shared-photo", args=[alices_album.pk, older.pk])
    assert f'href="{older_url}" rel="next"' in html
    gallery = reverse("albums:shared-album", args=[alices_album.pk])
    assert f'data-close-url="{gallery}#photo-{newest.pk}"' in html
    for never in ("data-original", "Download original", "/uploads/", "Delete", "Place"):
        assert never not in html
    assert bob_client.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page
