"""Upload tickets and the local storage endpoint that enforces them as S3 would."""

import base64
import json
import re
import time

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from albums.models import Album, Photo
from processing.runtime import config
from tests.albums.photo_helpers import (
    post_to_storage,
    run_worker_until_idle,
    statuses,
    ticket,
    upload,
)
from tests.conftest import UsePipeline
from tests.processing.images import jpeg, png

pytestmark = pytest.mark.django_db


def stored_keys() -> list[str]:
    media = config().var_dir / "media"
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def test_a_ticket_pins_the_key_type_and_size(alice_client: Client, alices_album: Album) -> None:
    response = ticket(alice_client, alices_album, filename="tram.jpg", size=123_456)
    assert response.status_code == 201
    body = response.json()
    photo = Photo.objects.get(pk=body["photoId"])
    assert photo.status == Photo.Status.UPLOADING
    assert photo.original_filename == "tram.jpg"
    fields = body["upload"]["fields"]
    assert (
        fields["key"] == f"private/{alices_album.owner_id}/uploads/{alices_album.pk}/{photo.pk}.jpg"
    )
    assert fields["Content-Type"] == "image/jpeg"
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert {"key": fields["key"]} in policy["conditions"]
    assert ["content-length-range", 1, 25_000_000] in policy["conditions"]


@pytest.mark.parametrize(
    ("content_type", "size", "error"),
    [
        ("image/gif", 100, "Only JPEG, PNG, WebP, HEIC and AVIF images can be uploaded"),
        ("image/jpeg", 25_000_001, "Files must be under 25 MB"),
        ("image/png", 0, "Files must be under 25 MB"),
    ],
)
def test_tickets_are_refused_for_the_wrong_type_or_size(
    alice_client: Client, alices_album: Album, content_type: str, size: int, error: str
) -> None:
    response = ticket(alice_client, alices_album, content_type=content_type, size=size)
    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert not Photo.objects.exists()


@pytest.mark.parametrize(
    ("content_type", "extension"),
    [
        ("image/webp", "webp"),
        ("image/heic", "heic"),
        ("image/heif", "heif"),
        ("image/avif", "avif"),
    ],
)
def test_phone_formats_get_a_ticket_pinning_their_type_and_extension(
    alice_client: Client, alices_album: Album, content_type: str, extension: str
) -> None:
    response = ticket(alice_client, alices_album, filename="IMG_0001", content_type=content_type)
    assert response.status_code == 201
    fields = response.json()["upload"]["fields"]
    assert fields["key"].endswith(f".{extension}")
    assert fields["Content-Type"] == content_type
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert {"Content-Type": content_type} in policy["conditions"]


def test_no_ticket_for_someone_elses_album(bob_client: Client, alices_album: Album) -> None:
    assert ticket(bob_client, alices_album).status_code == 404
    assert not Photo.objects.exists()


def test_anonymous_visitors_get_no_ticket(client: Client, alices_album: Album) -> None:
    assert ticket(client, alices_album).status_code == 302
    assert not Photo.objects.exists()


def test_a_good_upload_is_stored_under_its_key_and_queued(
    alice_client: Client, alices_album: Album
) -> None:
    data = jpeg()
    photo_id = upload(alice_client, alices_album, data)
    photo = Photo.objects.get(pk=photo_id)
    assert stored_keys() == [photo.original_key]
    assert config().local_queue().pending() == 1


@pytest.mark.parametrize(
    "tamper",
    [
        {"key": "private/1/uploads/1/someone-else.jpg"},  # another key
        {"Content-Type": "text/html"},  # another type
        {"x-amz-signature": "0" * 64},  # a forged signature
        {"acl": "public-read"},  # a field the policy does not cover
    ],
)
def test_a_tampered_ticket_is_403_and_stores_nothing(
    alice_client: Client, alices_album: Album, tamper: dict[str, str]
) -> None:
    body = ticket(alice_client, alices_album, size=2000).json()
    response = post_to_storage(body, jpeg(), fields=tamper)
    assert response.status_code == 403
    assert b"<Error>" in response.content
    assert stored_keys() == []
    assert config().local_queue().pending() == 0


def test_a_changed_policy_breaks_the_signature(alice_client: Client, alices_album: Album) -> None:
    body = ticket(alice_client, alices_album).json()
    policy = json.loads(base64.b64decode(body["upload"]["fields"]["policy"]))
    policy["conditions"][-1] = ["content-length-range", 1, 10**12]
    forged = base64.b64encode(json.dumps(policy).encode()).decode()
    response = post_to_storage(body, jpeg(), fields={"policy": forged})
    assert response.status_code == 403
    assert b"SignatureDoesNotMatch" in response.content


def test_an_expired_ticket_is_403(
    alice_client: Client, alices_album: Album, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = ticket(alice_client, alices_album).json()
    later = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: later)
    response = post_to_storage(body, jpeg())
    assert response.status_code == 403
    assert b"Policy expired" in response.content
    assert stored_keys() == []


def test_a_file_larger_than_the_ticket_allows_is_refused(
    alice_client: Client, alices_album: Album, use_pipeline: UsePipeline
) -> None:
    use_pipeline(PHOTOSHARE_MAX_UPLOAD_BYTES="500")
    body = ticket(alice_client, alices_album, size=400).json()
    response = post_to_storage(body, b"x" * 501)
    assert response.status_code == 400
    assert b"EntityTooLarge" in response.content
    assert stored_keys() == []


def test_an_upload_is_processed_after_the_web_server_is_gone(
    alice_client: Client, alices_album: Album
) -> None:
    # The queue entry is committed before the 204: a worker started afterwards (the web server may
    # have died the next instant) finds it and processes the photo.
    photo_id = upload(alice_client, alices_album, png())
    run_worker_until_idle()
    assert statuses(alice_client, alices_album) == {photo_id: "SUCCEEDED"}


def test_storage_downloads_need_a_valid_signature(
    alice_client: Client, alices_album: Album, alice: User
) -> None:
    photo_id = upload(alice_client, alices_album, jpeg())
    run_worker_until_idle()
    page = alice_client.get(reverse("albums:photo", args=[photo_id])).content.decode()
    url = (
        re.search(r'src="(/local-s3/[^"]+/1024\.jpg\?[^"]+)"', page).group(1).replace("&amp;", "&")
    )
    assert Client().get(url).status_code == 200
    assert Client().get(url.split("?")[0]).status_code == 403
    assert Client().get(url.replace("signature=", "signature=0")).status_code == 403


def test_a_body_larger_than_any_ticket_allows_is_refused_unread(
    alice_client: Client, alices_album: Album, use_pipeline: UsePipeline
) -> None:
    use_pipeline(PHOTOSHARE_MAX_UPLOAD_BYTES="1000")
    body = ticket(alice_client, alices_album, size=1000).json()
    response = post_to_storage(body, b"x" * 200_000)
    assert response.status_code == 400
    assert b"EntityTooLarge" in response.content
    assert stored_keys() == []
