"""A photo's outcome comes from the results store, or, without a result, from storage: never
from the clock alone. A backlog or a lost event never fails a good photo."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from albums.models import Album, Photo
from albums.outcomes import UPLOAD_INTERRUPTED
from processing.runtime import config
from tests.albums.photo_helpers import changes, run_worker_until_idle, statuses, ticket, upload
from tests.processing.images import jpeg

pytestmark = pytest.mark.django_db


def age_tickets(album: Album, *, seconds: int) -> None:
    """As if every ticket of the album had been issued ``seconds`` ago."""
    issued = timezone.now() - timedelta(seconds=seconds)
    Photo.objects.in_album(album).update(ticket_issued_at=issued)


def executions_started() -> int:
    database = config().local_database().read()
    return int(database.execute("SELECT COUNT(*) FROM executions").fetchone()[0])


def test_a_backlog_past_the_ticket_lifetime_ends_with_every_photo_done(
    alice_client: Client, alices_album: Album, settings: Settings
) -> None:
    # The worker is down while five uploads arrive, and stays down past their tickets' lifetime
    # (plus the grace minute): their originals are stored, so they are waiting, not lost.
    ids = [upload(alice_client, alices_album, jpeg(), filename=f"{i}.jpg") for i in range(5)]
    age_tickets(alices_album, seconds=settings.PHOTOSHARE_UPLOAD_TICKET_SECONDS + 61)

    waiting = changes(alice_client, alices_album)
    assert {p["status"] for p in waiting["photos"]} == {"PROCESSING"}
    assert waiting["counts"]["failed"] == 0
    assert all(photo.resubmitted_at for photo in Photo.objects.in_album(alices_album))

    run_worker_until_idle()  # the original events and their replays, in one backlog
    assert statuses(alice_client, alices_album) == dict.fromkeys(ids, "SUCCEEDED")
    assert executions_started() == 5  # a replay never starts a second execution


def test_a_stored_upload_whose_event_was_lost_is_replayed(
    alice_client: Client, alices_album: Album, settings: Settings
) -> None:
    photo_id = upload(alice_client, alices_album, jpeg())
    with config().local_database().write() as connection:
        connection.execute("DELETE FROM jobs")  # the notification never reached the trigger
    age_tickets(alices_album, seconds=settings.PHOTOSHARE_UPLOAD_TICKET_SECONDS + 61)

    assert statuses(alice_client, alices_album) == {photo_id: "PROCESSING"}
    run_worker_until_idle()
    assert statuses(alice_client, alices_album) == {photo_id: "SUCCEEDED"}


def test_an_upload_that_never_arrives_is_interrupted_not_left_uploading(
    alice_client: Client, alices_album: Album, settings: Settings
) -> None:
    photo_id = ticket(alice_client, alices_album).json()["photoId"]
    age_tickets(alices_album, seconds=settings.PHOTOSHARE_UPLOAD_TICKET_SECONDS - 30)
    assert statuses(alice_client, alices_album) == {photo_id: "UPLOADING"}  # may still arrive

    age_tickets(alices_album, seconds=settings.PHOTOSHARE_UPLOAD_TICKET_SECONDS + 61)
    (card,) = changes(alice_client, alices_album)["photos"]
    assert (card["status"], card["final"]) == ("INTERRUPTED", True)
    assert UPLOAD_INTERRUPTED.split(";")[0] in card["html"]


def test_a_result_that_arrives_after_the_photo_was_marked_interrupted_is_applied(
    alice_client: Client, alices_album: Album, settings: Settings
) -> None:
    body = ticket(alice_client, alices_album).json()
    age_tickets(alices_album, seconds=settings.PHOTOSHARE_UPLOAD_TICKET_SECONDS + 61)
    assert statuses(alice_client, alices_album) == {body["photoId"]: "INTERRUPTED"}
    before = changes(alice_client, alices_album)["cursor"]

    # The upload lands after all (a very slow connection), and the pipeline finishes it.
    data = jpeg()
    key = body["upload"]["fields"]["key"]
    config().local_bucket().put_object(key, data, content_type="image/jpeg")
    run_worker_until_idle()

    after = changes(alice_client, alices_album, before)
    assert [(p["id"], p["status"]) for p in after["photos"]] == [(body["photoId"], "SUCCEEDED")]
    assert after["counts"]["failed"] == 0
    assert Photo.objects.get(pk=body["photoId"]).status_message == ""


def test_the_photo_page_applies_a_late_result_too(
    alice_client: Client, alices_album: Album, settings: Settings
) -> None:
    body = ticket(alice_client, alices_album).json()
    age_tickets(alices_album, seconds=settings.PHOTOSHARE_UPLOAD_TICKET_SECONDS + 61)
    statuses(alice_client, alices_album)
    config().local_bucket().put_object(
        body["upload"]["fields"]["key"], jpeg(), content_type="image/jpeg"
    )
    run_worker_until_idle()
    page = alice_client.get(f"/photos/{body['photoId']}/").content.decode()
    assert "Done" in page
    assert Photo.objects.get(pk=body["photoId"]).status == Photo.Status.SUCCEEDED
