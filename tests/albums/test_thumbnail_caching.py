"""Thumbnails the browser keeps: the same URL on every render for most of its life, served with
a year-long, immutable Cache-Control (a thumbnail's key is never used for anything else)."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client
from django.urls import reverse

from albums.models import Album
from tests.albums.photo_helpers import run_worker_until_idle, upload
from tests.processing.images import jpeg, orientation_card

pytestmark = pytest.mark.django_db
THUMBNAIL = re.compile(r'<img class="photo-card__image" src="([^"]+)"')


def gallery_thumbnail_url(client: Client, album: Album) -> str:
    page = client.get(reverse("albums:detail", args=[album.pk])).content.decode()
    return THUMBNAIL.search(page).group(1).replace("&amp;", "&")  # type: ignore[union-attr]


def test_two_renders_give_the_same_thumbnail_url_served_as_immutable(
    alice_client: Client, alices_album: Album
) -> None:
    upload(alice_client, alices_album, jpeg(orientation_card(800, 600)))
    run_worker_until_idle()

    first = gallery_thumbnail_url(alice_client, alices_album)
    assert gallery_thumbnail_url(alice_client, alices_album) == first

    response = Client().get(first)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"


def test_a_thumbnail_url_near_its_end_is_renewed(
    alice_client: Client, alices_album: Album, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload(alice_client, alices_album, jpeg(orientation_card(800, 600)))
    run_worker_until_idle()
    first = gallery_thumbnail_url(alice_client, alices_album)

    later = time.time() + 3600 * 0.75 + 1  # PHOTOSHARE_URL_SECONDS is an hour
    monkeypatch.setattr(time, "time", lambda: later)
    renewed = gallery_thumbnail_url(alice_client, alices_album)
    assert renewed != first
    assert Client().get(renewed).status_code == 200


def test_an_original_is_not_cached_for_long(alice_client: Client, alices_album: Album) -> None:
    photo_id = upload(alice_client, alices_album, jpeg(orientation_card(800, 600)))
    run_worker_until_idle()
    page = alice_client.get(reverse("albums:photo", args=[photo_id])).content.decode()
    original = re.search(r'data-original="([^"]+)"', page).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert Client().get(original)["Cache-Control"] == "private, max-age=3600"
