"""The timeline: alice's done photos across her albums by when they were taken (uploaded when the
file does not say), newest first, under month headings, a keyset page at a time, with a month
index to jump from. Bob's photos never appear and never count; charlie is sent to log in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from albums.models import Album, Photo
from albums.pipeline import upload_signer
from albums.timeline import TIMELINE_PAGE, Cursor
from processing.results import Status
from tests.albums.dated_photos import bulk_done_photos, dated_photo, utc
from tests.albums.migrations import migrate_to_latest, migrated_to
from tests.albums.photo_helpers import run_worker_until_idle, upload
from tests.conftest import UsePipeline
from tests.processing.images import exif_block, jpeg, orientation_card

pytestmark = pytest.mark.django_db

URL = reverse("albums:timeline")


def shown(response) -> list[tuple[str, list[str]]]:  # type: ignore[no-untyped-def]
    """The page as people read it: each month heading with its photos' file names."""
    assert response.status_code == 200, response.content
    return [
        (group.month.label, [photo.original_filename for photo in group.photos])
        for group in response.context["page"].groups
    ]


def months(response) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return [(month.label, month.photos) for month in response.context["months"]]


@pytest.fixture
def holidays(alice: User) -> Album:
    return Album.objects.create(owner=alice, name="Holidays")


def test_it_orders_photos_from_every_album_by_date_taken_else_upload_time(
    alice_client: Client, alices_album: Album, holidays: Album
) -> None:
    dated_photo(alices_album, "beach.jpg", taken="2023:07:14 10:00:00", uploaded=utc("2024-01-05"))
    dated_photo(holidays, "hills.jpg", taken="2023:07:02 08:30:00", uploaded=utc("2024-01-06"))
    dated_photo(holidays, "scan.jpg", uploaded=utc("2023-08-20 12:00"))  # no date in the file
    dated_photo(alices_album, "snow.jpg", taken="2022:12:31 23:59:59", uploaded=utc("2024-01-07"))

    response = alice_client.get(URL)

    assert shown(response) == [
        ("August 2023", ["scan.jpg"]),
        ("July 2023", ["beach.jpg", "hills.jpg"]),
        ("December 2022", ["snow.jpg"]),
    ]
    assert months(response) == [("August 2023", 1), ("July 2023", 2), ("December 2022", 1)]
    html = response.content.decode()
    assert re.search(r'<h2 class="timeline-month__title" id="month-2023-07">July 2023', html)


def test_a_capture_time_with_its_offset_is_placed_by_its_moment(
    alice_client: Client, alices_album: Album
) -> None:
    # 00:30 on 1 August in UTC+02:00 is 22:30 on 31 July in UTC, the site's time zone.
    photo = Photo.objects.create(album=alices_album, original_filename="late.jpg")
    photo.taken_at = utc("2023-07-31 22:30")
    photo.status = Photo.Status.SUCCEEDED
    photo.place_in_timeline()
    photo.save()

    assert shown(alice_client.get(URL)) == [("July 2023", ["late.jpg"])]


def test_photos_still_processing_rejected_or_failed_stay_in_their_albums(
    alice_client: Client, alices_album: Album
) -> None:
    dated_photo(alices_album, "good.jpg", taken="2023:07:14 10:00:00")
    dated_photo(alices_album, "bad.jpg", taken="2023:07:15 10:00:00", status=Status.REJECTED)
    dated_photo(alices_album, "broken.jpg", taken="2023:07:16 10:00:00", status=Status.FAILED)
    Photo.objects.create(album=alices_album, original_filename="uploading.jpg")

    response = alice_client.get(URL)

    assert shown(response) == [("July 2023", ["good.jpg"])]
    assert months(response) == [("July 2023", 1)]


def test_a_real_upload_joins_the_timeline_when_the_pipeline_is_done(
    alice_client: Client, alices_album: Album
) -> None:
    data = jpeg(orientation_card(320, 240), exif=exif_block(taken_at="2021:03:09 17:45:00"))
    upload(alice_client, alices_album, data, filename="tram.jpg")
    assert shown(alice_client.get(URL)) == []  # processing

    run_worker_until_idle()
    alice_client.get(reverse("albums:detail", args=[alices_album.pk]))  # the page syncs results

    response = alice_client.get(URL)
    assert shown(response) == [("March 2021", ["tram.jpg"])]
    assert 'src="/local-s3/' in response.content.decode()  # its square thumbnail


def test_bobs_photos_never_appear_and_his_months_are_never_counted(
    alice_client: Client, bob_client: Client, alices_album: Album, bob: User
) -> None:
    bobs_album = Album.objects.create(owner=bob, name="Bob's")
    dated_photo(alices_album, "alice.jpg", taken="2023:07:14 10:00:00")
    dated_photo(bobs_album, "bob.jpg", taken="2023:07:15 10:00:00")
    dated_photo(bobs_album, "bob-old.jpg", taken="2019:01:01 10:00:00")

    response = alice_client.get(URL)
    assert shown(response) == [("July 2023", ["alice.jpg"])]
    assert months(response) == [("July 2023", 1)]
    assert shown(alice_client.get(URL, {"month": "2019-01"})) == []

    assert shown(bob_client.get(URL)) == [
        ("July 2023", ["bob.jpg"]),
        ("January 2019", ["bob-old.jpg"]),
    ]


def test_charlie_is_sent_to_log_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_the_header_links_to_the_timeline(alice_client: Client) -> None:
    response = alice_client.get(reverse("albums:list"))
    assert f'<a href="{URL}">Timeline</a>' in response.content.decode()


def test_jumping_to_a_month_starts_the_page_at_that_month(
    alice_client: Client, alices_album: Album
) -> None:
    dated_photo(alices_album, "sep.jpg", taken="2023:09:01 00:00:00")
    dated_photo(alices_album, "aug-last.jpg", taken="2023:08:31 23:59:59")
    dated_photo(alices_album, "aug-first.jpg", taken="2023:08:01 00:00:00")
    dated_photo(alices_album, "may.jpg", taken="2023:05:20 12:00:00")

    response = alice_client.get(URL, {"month": "2023-08"})
    assert shown(response) == [
        ("August 2023", ["aug-last.jpg", "aug-first.jpg"]),
        ("May 2023", ["may.jpg"]),
    ]
    assert response.context["shown_month"] == "2023-08"
    assert response.context["page"].newer is not None  # September is a page up
    assert '<option value="2023-08" selected>August 2023 (2)</option>' in response.content.decode()

    # A month without photos (typed into the URL) starts at the next older photo.
    assert shown(alice_client.get(URL, {"month": "2023-07"})) == [("May 2023", ["may.jpg"])]


@pytest.mark.parametrize(
    "query",
    [
        {"before": "yesterday"},
        {"after": "2023-07-01T00:00:00.000000Z_not-a-uuid"},
        {"month": "2023-13"},
        {"month": "July"},
    ],
)
def test_a_place_it_never_wrote_is_a_bad_request(
    alice_client: Client, query: dict[str, str]
) -> None:
    assert alice_client.get(URL, query).status_code == 400


def test_pages_meet_exactly_when_many_photos_share_one_instant(
    alice_client: Client, alices_album: Album
) -> None:
    """Equal times are settled by the id: paging older then newer shows every photo once."""
    same = utc("2023-07-14 10:00")
    count = 2 * TIMELINE_PAGE + 7
    bulk_done_photos(alices_album, [same] * count)
    expected = [
        photo.original_filename
        for photo in sorted(
            Photo.objects.filter(album=alices_album), key=lambda p: p.pk.hex, reverse=True
        )
    ]

    seen: list[str] = []
    pages = []
    response = alice_client.get(URL)
    while True:
        page = response.context["page"]
        pages.append(page)
        seen += [photo.original_filename for photo in page.photos]
        if page.older is None:
            break
        response = alice_client.get(URL, {"before": str(page.older)})
    assert [len(page.photos) for page in pages] == [TIMELINE_PAGE, TIMELINE_PAGE, 7]
    assert seen == expected

    back = alice_client.get(URL, {"after": str(pages[-1].newer)}).context["page"]
    assert [photo.original_filename for photo in back.photos] == expected[
        TIMELINE_PAGE : 2 * TIMELINE_PAGE
    ]
    first = alice_client.get(URL, {"after": str(back.newer)}).context["page"]
    assert [photo.original_filename for photo in first.photos] == expected[:TIMELINE_PAGE]
    assert first.newer is None
    assert first.older is not None


def test_the_links_carry_the_cursors(alice_client: Client, alices_album: Album) -> None:
    bulk_done_photos(alices_album, [utc("2023-07-14 10:00")] * (TIMELINE_PAGE + 1))
    html = alice_client.get(URL).content.decode()
    older = re.search(r'href="\?before=([^"]+)">Older</a>', html)
    assert older is not None
    response = alice_client.get(f"{URL}?before={older.group(1)}")
    assert len(response.context["page"].photos) == 1
    assert Cursor.parse(str(response.context["page"].newer)) == response.context["page"].newer


def test_ten_thousand_photos_take_a_bounded_number_of_queries_at_any_depth(
    alice_client: Client,
    alices_album: Album,
    holidays: Album,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    start = utc("2015-01-01")
    times = [start + timedelta(hours=7 * number) for number in range(10_000)]
    bulk_done_photos(alices_album, times[:8_000], prefix="ROLL")
    bulk_done_photos(holidays, times[8_000:], prefix="TRIP")

    # The session, the user, the page, the month index; and "anything newer?" below the top.
    with django_assert_max_num_queries(4):
        top = alice_client.get(URL)
    assert len(top.context["page"].photos) == TIMELINE_PAGE
    assert sum(month.photos for month in top.context["months"]) == 10_000
    assert len(top.context["months"]) == 96  # eight years of months, from one aggregate

    with django_assert_max_num_queries(5):
        deep = alice_client.get(URL, {"month": "2015-02"})
    photos = deep.context["page"].photos
    assert len(photos) == TIMELINE_PAGE
    assert photos[0].timeline_at < utc("2015-03-01") <= photos[0].timeline_at + timedelta(hours=7)

    with django_assert_max_num_queries(5):
        older = alice_client.get(URL, {"before": str(deep.context["page"].older)})
    assert older.context["page"].photos[0].timeline_at < photos[-1].timeline_at


@pytest.mark.django_db(transaction=True)
def test_the_migration_places_existing_done_photos() -> None:
    old = migrated_to("albums", "0008_photo_upload_album")
    user = old.get_model("accounts", "User").objects.create(email="alice@example.com")
    album = old.get_model("albums", "Album").objects.create(owner_id=user.pk, name="Lisbon")
    old_photos = old.get_model("albums", "Photo").objects
    dated = old_photos.create(
        album=album, original_filename="a", status="SUCCEEDED", taken_at=utc("2020-05-05")
    )
    undated = old_photos.create(album=album, original_filename="b", status="SUCCEEDED")
    waiting = old_photos.create(album=album, original_filename="c", status="PROCESSING")

    photos = migrated_to("albums", "0009_timeline").get_model("albums", "Photo").objects
    assert photos.get(pk=dated.pk).timeline_at == utc("2020-05-05")
    assert photos.get(pk=dated.pk).timeline_owner_id == user.pk
    assert photos.get(pk=undated.pk).timeline_at == photos.get(pk=undated.pk).created_at
    assert photos.get(pk=waiting.pk).timeline_owner_id is None

    migrate_to_latest()


def test_in_aws_mode_tiles_are_presigned_s3_thumbnails_the_same_on_every_render(
    use_pipeline: UsePipeline,
    monkeypatch: pytest.MonkeyPatch,
    alice_client: Client,
    alices_album: Album,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    # Presigning is local computation: credentials are needed, S3 is not (no moto, no network).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    use_pipeline(PHOTOSHARE_BACKEND="aws", PHOTOSHARE_AWS_REGION="eu-west-1")
    bulk_done_photos(alices_album, [utc("2023-07-14 10:00")] * (TIMELINE_PAGE + 5))

    with django_assert_max_num_queries(4):
        html = alice_client.get(URL).content.decode()
    again = alice_client.get(URL).content.decode()

    sources = re.findall(r'<img class="photo-card__image" src="([^"]+)"', html)
    assert len(sources) == TIMELINE_PAGE
    assert all(".s3." in src and "X-Amz-Signature=" in src for src in sources), sources[0]
    # The same URLs on the next render, so the browser's cache serves them; one signer, and so
    # one boto3 client (milliseconds to make), for every page of the process.
    assert re.findall(r'<img class="photo-card__image" src="([^"]+)"', again) == sources
    assert upload_signer() is upload_signer()
