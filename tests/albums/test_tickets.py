"""Tickets in batches, and the album's memory of the files it has (by SHA-256)."""

import hashlib

import pytest
from django.test import Client
from django.utils import timezone

from albums.models import Album, Photo
from tests.albums.photo_helpers import post_to_storage, run_worker_until_idle, tickets
from tests.processing.images import jpeg, png

pytestmark = pytest.mark.django_db


def offer(data: bytes, name: str = "photo.jpg", kind: str = "image/jpeg") -> dict[str, object]:
    return {
        "filename": name,
        "contentType": kind,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def test_a_batch_gets_a_ticket_a_refusal_or_a_duplicate_per_file_in_order(
    alice_client: Client, alices_album: Album
) -> None:
    tram, drawing = jpeg(), png()
    response = tickets(
        alice_client,
        alices_album,
        [
            offer(tram, "tram.jpg"),
            offer(b"GIF89a", "anim.gif", "image/gif"),
            offer(drawing, "drawing.png", "image/png"),
            offer(tram, "tram copy.jpg"),  # the same bytes twice in one drop
        ],
    )
    assert response.status_code == 200
    first, refused, second, repeat = response.json()["tickets"]
    assert first["upload"]["fields"]["key"].endswith(f"/{first['photoId']}.jpg")
    assert 'class="photo-card' in first["card"]
    assert refused == {"error": "Only JPEG, PNG, WebP, HEIC and AVIF images can be uploaded"}
    assert second["upload"]["fields"]["Content-Type"] == "image/png"
    assert repeat == {"duplicateOf": first["photoId"], "error": "Already in this album"}
    photos = Photo.objects.in_album(alices_album)
    assert sorted(photos.values_list("original_filename", flat=True)) == ["drawing.png", "tram.jpg"]
    assert photos.get(pk=first["photoId"]).sha256 == hashlib.sha256(tram).hexdigest()


def test_dropping_the_same_files_again_uploads_only_what_is_missing(
    alice_client: Client, alices_album: Album
) -> None:
    done, half_done, new = jpeg(), png(), jpeg(quality=50)
    first = tickets(alice_client, alices_album, [offer(done), offer(half_done, kind="image/png")])
    done_ticket, half_ticket = first.json()["tickets"]
    assert post_to_storage(done_ticket, done).status_code == 204  # the other never got sent
    run_worker_until_idle()

    again = tickets(
        alice_client,
        alices_album,
        [offer(done), offer(half_done, kind="image/png"), offer(new)],
    ).json()["tickets"]
    assert again[0] == {"duplicateOf": done_ticket["photoId"], "error": "Already in this album"}
    # Its upload never finished: a new ticket for the same photo, not a second card.
    assert again[1]["photoId"] == half_ticket["photoId"]
    assert post_to_storage(again[1], half_done).status_code == 204
    assert "photoId" in again[2]
    assert Photo.objects.in_album(alices_album).count() == 3


def test_a_file_whose_photo_failed_can_be_uploaded_again(
    alice_client: Client, alices_album: Album
) -> None:
    data = jpeg()
    (first,) = tickets(alice_client, alices_album, [offer(data)]).json()["tickets"]
    Photo.objects.filter(pk=first["photoId"]).update(
        status=Photo.Status.INTERRUPTED, finished_at=timezone.now()
    )
    (second,) = tickets(alice_client, alices_album, [offer(data)]).json()["tickets"]
    assert second["photoId"] != first["photoId"]


def test_files_without_a_hash_are_never_called_duplicates(
    alice_client: Client, alices_album: Album
) -> None:
    plain = {"filename": "a.jpg", "contentType": "image/jpeg", "size": 10}
    body = tickets(alice_client, alices_album, [plain, plain]).json()
    assert all("photoId" in ticket for ticket in body["tickets"])


def test_nul_characters_leave_file_names(alice_client: Client, alices_album: Album) -> None:
    data = jpeg()
    (ticket,) = tickets(alice_client, alices_album, [offer(data, "tr\x00am.jpg")]).json()["tickets"]
    assert Photo.objects.get(pk=ticket["photoId"]).original_filename == "tram.jpg"


@pytest.mark.parametrize(
    "files",
    [
        [],
        [{"filename": "a.jpg", "contentType": "image/jpeg", "size": 10, "sha256": "xyz"}],
        [{"filename": "a.jpg", "contentType": "image/jpeg"}],
        ["a.jpg"],
        [{"filename": f"{i}.jpg", "contentType": "image/jpeg", "size": 10} for i in range(101)],
    ],
)
def test_malformed_or_oversized_batches_are_refused_whole(
    alice_client: Client, alices_album: Album, files: list[object]
) -> None:
    response = tickets(alice_client, alices_album, files)
    assert response.status_code == 400
    assert "error" in response.json()
    assert not Photo.objects.exists()


def test_no_tickets_for_someone_elses_album(bob_client: Client, alices_album: Album) -> None:
    assert tickets(bob_client, alices_album, [offer(jpeg())]).status_code == 404
    assert not Photo.objects.exists()
