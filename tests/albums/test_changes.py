"""The album's change feed: what changed after a cursor, for any number of waiting photos."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from albums.changes import PAGE_OF_CHANGES, stamp_changes
from albums.models import Album, Photo
from processing.results import ResultItem, Status
from processing.runtime import config
from tests.albums.photo_helpers import changes, run_worker_until_idle, statuses, upload
from tests.processing.images import jpeg

pytestmark = pytest.mark.django_db

CAMERA_ROLL = 2_000


def pending_photos(album: Album, count: int) -> list[str]:
    """Photos whose tickets were handed out (and stamped as changes, as tickets are)."""
    photos = [Photo(album=album, original_filename=f"IMG_{i:04}.JPG") for i in range(count)]
    stamp_changes(album.pk, photos)
    Photo.objects.bulk_create(photos)
    return [str(photo.pk) for photo in photos]


def test_two_thousand_pending_photos_get_their_status_without_any_4xx(
    alice_client: Client, alices_album: Album, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = pending_photos(alices_album, CAMERA_ROLL)
    store = config().result_store()
    for photo_id in ids[:1500]:
        store.record_start(photo_id, f"arn:local:{photo_id}")
    for photo_id in ids[:700]:
        store.record_final(ResultItem(photo_id, Status.SUCCEEDED))
    reads: list[int] = []
    store_class = type(store)
    original = store_class.get_statuses

    def counting(self: object, photo_ids: object) -> object:
        wanted = list(photo_ids)  # type: ignore[call-overload]
        reads.append(len(wanted))
        return original(self, wanted)  # type: ignore[arg-type]

    monkeypatch.setattr(store_class, "get_statuses", counting)

    url = reverse("albums:changes", args=[alices_album.pk])
    seen: dict[str, str] = {}
    cursor, more, requests = 0, True, 0
    while more:
        response = alice_client.get(url, {"since": cursor})
        assert response.status_code == 200
        body = response.json()
        assert len(body["photos"]) <= PAGE_OF_CHANGES
        seen |= {photo["id"]: photo["status"] for photo in body["photos"]}
        cursor, more, requests = body["cursor"], body["more"], requests + 1
    assert len(seen) == CAMERA_ROLL
    assert list(seen.values()).count("SUCCEEDED") == 700
    assert list(seen.values()).count("PROCESSING") == 800
    assert list(seen.values()).count("UPLOADING") == 500
    assert requests == -(-CAMERA_ROLL // PAGE_OF_CHANGES)  # pages of 200, nothing more
    assert body["counts"] == {
        "photos": CAMERA_ROLL,
        "processing": 1300,
        "done": 700,
        "rejected": 0,
        "failed": 0,
    }
    # One look at every open photo's status per request, however many there are.
    assert reads[0] == CAMERA_ROLL
    assert len(reads) == requests


def test_a_request_costs_the_same_queries_for_twenty_photos_as_for_two_thousand(
    alice_client: Client, alices_album: Album
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            changes(alice_client, alices_album, since=10**9)
        return len(captured)

    pending_photos(alices_album, 20)
    few = queries()
    pending_photos(alices_album, CAMERA_ROLL - 20)
    assert queries() == few


def test_only_what_changed_after_the_cursor_comes_back(
    alice_client: Client, alices_album: Album
) -> None:
    first = upload(alice_client, alices_album, jpeg(), filename="first.jpg")
    cursor = changes(alice_client, alices_album)["cursor"]
    assert changes(alice_client, alices_album, cursor)["photos"] == []

    second = upload(alice_client, alices_album, jpeg(quality=40), filename="second.jpg")
    body = changes(alice_client, alices_album, cursor)
    assert [photo["id"] for photo in body["photos"]] == [second]
    run_worker_until_idle()
    later = changes(alice_client, alices_album, body["cursor"])
    assert {photo["id"] for photo in later["photos"]} == {first, second}
    assert later["pending"] == 0


def test_a_waiting_request_returns_as_soon_as_a_photo_finishes(
    alice_client: Client, alices_album: Album
) -> None:
    photo_id = upload(alice_client, alices_album, jpeg())
    cursor = changes(alice_client, alices_album)["cursor"]
    worker = threading.Timer(0.5, run_worker_until_idle)
    worker.start()
    started = time.monotonic()
    seen: list[str] = []
    while "SUCCEEDED" not in seen:
        body = changes(alice_client, alices_album, cursor, wait=25)
        assert body["photos"], "the request sat out its whole wait"
        seen += [photo["status"] for photo in body["photos"] if photo["id"] == photo_id]
        cursor = body["cursor"]
    worker.join()
    assert seen[-1] == "SUCCEEDED"
    assert time.monotonic() - started < 25  # answered on each change, not at the deadline


def test_a_cursor_from_the_future_is_brought_back(
    alice_client: Client, alices_album: Album
) -> None:
    upload(alice_client, alices_album, jpeg())
    body = changes(alice_client, alices_album, since=10**9)
    assert body["cursor"] == alices_album.photos.get().change_seq


@pytest.mark.parametrize("query", [{"since": "x"}, {"since": "1", "wait": "soon"}])
def test_nonsense_cursors_are_a_clear_400(
    alice_client: Client, alices_album: Album, query: dict[str, str]
) -> None:
    response = alice_client.get(reverse("albums:changes", args=[alices_album.pk]), query)
    assert response.status_code == 400


def test_the_album_page_renders_the_cursor_and_counts(
    alice_client: Client, alices_album: Album
) -> None:
    upload(alice_client, alices_album, jpeg())
    run_worker_until_idle()
    statuses(alice_client, alices_album)
    html = alice_client.get(reverse("albums:detail", args=[alices_album.pk])).content.decode()
    album = Album.objects.get(pk=alices_album.pk)
    assert f'data-cursor="{album.change_seq}"' in html
    assert '<span data-count="photos">1</span> photo' in html
    assert 'data-rank="3"' in html


@pytest.mark.django_db(transaction=True)  # the deletion commits from another thread
def test_an_album_deleted_while_its_page_waits_is_a_404(
    alice_client: Client, alices_album: Album
) -> None:
    upload(alice_client, alices_album, jpeg())
    cursor = changes(alice_client, alices_album)["cursor"]
    deleting = threading.Timer(0.5, lambda: Album.objects.filter(pk=alices_album.pk).delete())
    deleting.start()
    url = reverse("albums:changes", args=[alices_album.pk])
    response = alice_client.get(url, {"since": cursor, "wait": 20})
    deleting.join()
    assert response.status_code == 404
