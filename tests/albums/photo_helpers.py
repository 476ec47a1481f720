"""Helpers for tests that upload through the real endpoints and run the real pipeline."""

from __future__ import annotations

import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from albums.models import Album, Photo
from albums.outcomes import refresh_photos
from processing.local.worker import work_once
from processing.recognition.labels import Label
from processing.results import ResultItem, Status
from processing.runtime import config

# Every state a photo passes through when all goes well.
SUCCESSFUL_STATES = (
    "ExtractImageMetadata",
    "ImageTypeCheck",
    "StoreImageMetadata",
    "Thumbnails",
    "Recognize",
    "RecordSuccess",
)
# The Lambda tasks among them (ImageTypeCheck is a Choice state).
SUCCESSFUL_TASKS = tuple(state for state in SUCCESSFUL_STATES if state != "ImageTypeCheck")


def ticket(
    client: Client,
    album: Album,
    *,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    size: int = 1000,
) -> Any:
    return client.post(
        reverse("albums:upload-ticket", args=[album.pk]),
        json.dumps({"filename": filename, "contentType": content_type, "size": size}),
        content_type="application/json",
    )


def tickets(client: Client, album: Album, files: list[dict[str, Any]]) -> Any:
    """Asks for a batch of tickets as the album page does."""
    return client.post(
        reverse("albums:upload-ticket", args=[album.pk]),
        json.dumps({"files": files}),
        content_type="application/json",
    )


def changes(client: Client, album: Album, since: int = 0, wait: float = 0) -> dict[str, Any]:
    """What changed in the album after ``since``, as the album page asks."""
    response = client.get(
        reverse("albums:changes", args=[album.pk]), {"since": since, "wait": wait}
    )
    assert response.status_code == 200, response.content
    return response.json()


def statuses(client: Client, album: Album) -> dict[str, str]:
    """Every photo's status as the page would end up showing it, following the change feed."""
    found: dict[str, str] = {}
    cursor, more = 0, True
    while more:
        body = changes(client, album, cursor)
        found |= {photo["id"]: photo["status"] for photo in body["photos"]}
        cursor, more = body["cursor"], body["more"]
    return found


def post_to_storage(
    ticket_body: dict[str, Any],
    data: bytes,
    *,
    fields: dict[str, str] | None = None,
    content_type: str | None = None,
) -> Any:
    form = {**ticket_body["upload"]["fields"], **(fields or {})}
    kind = content_type or form.get("Content-Type", "image/jpeg")
    form["file"] = SimpleUploadedFile("upload", data, content_type=kind)
    return Client().post(ticket_body["upload"]["url"], form)


def upload(
    client: Client,
    album: Album,
    data: bytes,
    *,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
) -> str:
    response = ticket(client, album, filename=filename, content_type=content_type, size=len(data))
    assert response.status_code == 201, response.content
    stored = post_to_storage(response.json(), data)
    assert stored.status_code == 204, stored.content
    return response.json()["photoId"]


def run_worker_until_idle() -> None:
    settings = config()
    queue = settings.local_queue()
    while work_once(queue, settings):
        pass


def finished_photo(album: Album, filename: str, labels: list[Label]) -> Photo:
    """A photo whose pipeline stored these labels and succeeded, synced as the gallery does: for
    tests of what is done with labels, whichever recognizer found them."""
    photo = Photo.objects.create(album=album, original_filename=filename)
    store = config().result_store()
    store.record_start(str(photo.id), f"arn:local:{photo.id}")
    store.record_labels(str(photo.id), labels)
    store.record_final(ResultItem(str(photo.id), Status.SUCCEEDED))
    refresh_photos([photo])
    return photo
