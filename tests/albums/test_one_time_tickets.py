"""A ticket stores one object once: the local storage endpoint refuses a replayed POST, whatever
became of the photo, and a form without exactly one file, as S3 does."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from albums.models import Album, Photo
from albums.services import photo_delete
from processing.runtime import config
from tests.albums.photo_helpers import post_to_storage, run_worker_until_idle, ticket
from tests.processing.images import jpeg, png

pytestmark = pytest.mark.django_db


def stored_files() -> dict[str, bytes]:
    media = config().var_dir / "media"
    return {str(p.relative_to(media)): p.read_bytes() for p in media.rglob("*") if p.is_file()}


def jobs() -> int:
    return config().local_database().read().execute("SELECT COUNT(*) FROM jobs").fetchone()[0]


def _succeeded(photo: Photo) -> None:
    run_worker_until_idle()


def _processing(photo: Photo) -> None:
    pass  # the notification waits in the queue: nothing has run yet


def _deleted(photo: Photo) -> None:
    run_worker_until_idle()
    photo_delete(photo=photo)


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (jpeg(), _succeeded),
        (b"not a picture at all", _succeeded),  # rejected
        (jpeg(), _processing),
        (jpeg(), _deleted),
    ],
    ids=["after-success", "after-rejection", "while-processing", "after-deletion"],
)
def test_a_replayed_ticket_is_403_and_stores_and_announces_nothing(
    alice_client: Client, alices_album: Album, first: bytes, then: Callable[[Photo], None]
) -> None:
    body = ticket(alice_client, alices_album, size=len(first)).json()
    assert post_to_storage(body, first).status_code == 204
    then(Photo.objects.get(pk=body["photoId"]))
    files, queued = stored_files(), jobs()

    response = post_to_storage(body, png(), content_type="image/jpeg")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/xml"
    assert b"<Code>AccessDenied</Code>" in response.content
    assert stored_files() == files  # not one byte replaced, no orphan
    assert jobs() == queued


def two_files(body: dict[str, Any], second_name: str) -> Any:
    form = dict(body["upload"]["fields"])
    form["file"] = SimpleUploadedFile("a.jpg", jpeg(), content_type="image/jpeg")
    form[second_name] = SimpleUploadedFile("b.jpg", jpeg(), content_type="image/jpeg")
    return Client().post(body["upload"]["url"], form)


@pytest.mark.parametrize("second_name", ["file", "other"])
def test_a_form_with_more_than_one_file_is_refused_as_s3_refuses_it(
    alice_client: Client, alices_album: Album, second_name: str
) -> None:
    body = ticket(alice_client, alices_album, size=len(jpeg())).json()
    form = dict(body["upload"]["fields"])
    if second_name == "file":  # two parts named "file"
        parts = [SimpleUploadedFile(name, jpeg(), content_type="image/jpeg") for name in "ab"]
        response = Client().post(body["upload"]["url"], {**form, "file": parts})
    else:
        response = two_files(body, second_name)

    assert response.status_code == 400
    assert b"<Code>InvalidArgument</Code>" in response.content
    assert b"POST requires exactly one file upload per request." in response.content
    assert stored_files() == {}
    assert jobs() == 0
    # Refused whole, the ticket is still good for the one file it was meant for.
    assert post_to_storage(body, jpeg()).status_code == 204


def test_a_file_under_another_name_alone_is_refused(
    alice_client: Client, alices_album: Album
) -> None:
    body = ticket(alice_client, alices_album, size=len(jpeg())).json()
    form = dict(body["upload"]["fields"])
    form["upload"] = SimpleUploadedFile("a.jpg", jpeg(), content_type="image/jpeg")
    response = Client().post(body["upload"]["url"], form)
    assert response.status_code == 400
    assert b"POST requires exactly one file upload per request." in response.content
    assert stored_files() == {}
