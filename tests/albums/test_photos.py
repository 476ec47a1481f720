"""The gallery's status endpoint, photo pages, execution pages and deletion, on real uploads."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from albums.models import Album, Photo
from processing.runtime import config
from tests.albums.photo_helpers import SUCCESSFUL_STATES, changes, run_worker_until_idle, upload
from tests.processing.exif_fixtures import LISBON_GPS
from tests.processing.images import exif_block, jpeg, orientation_card, stored_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def turned_photo() -> bytes:
    exif = exif_block(
        orientation=6,
        make="Canon",
        model="Canon EOS R6",
        taken_at="2026:05:01 09:30:12",
        offset="+01:00",
        gps=LISBON_GPS,
        extra_exif={0x829A: 1 / 250, 0x829D: 2.8, 0x8827: 400, 0x920A: 35.0},
    )
    return jpeg(stored_for(orientation_card(1200, 800), 6), exif=exif)


def test_statuses_follow_the_pipeline_and_final_results_are_copied(
    alice_client: Client, alices_album: Album, turned_photo: bytes
) -> None:
    good = upload(alice_client, alices_album, turned_photo, filename="lisbon.jpg")
    bad = upload(alice_client, alices_album, b"not an image at all", filename="notes.jpg")
    before = changes(alice_client, alices_album)
    assert {p["status"] for p in before["photos"]} == {"UPLOADING"}
    assert before["pending"] == 2

    run_worker_until_idle()
    after = changes(alice_client, alices_album, before["cursor"])
    cards = {p["id"]: p for p in after["photos"]}
    assert (cards[good]["status"], cards[good]["rank"], cards[good]["final"]) == (
        "SUCCEEDED",
        3,
        True,
    )
    assert cards[bad]["status"] == "REJECTED"
    assert "Not a JPEG, PNG, WebP, HEIC or AVIF image" in cards[bad]["html"]
    assert after["counts"] == {"photos": 2, "processing": 0, "done": 1, "rejected": 1, "failed": 0}
    assert after["pending"] == 0

    photo = Photo.objects.get(pk=good)
    assert (photo.display_width, photo.display_height) == (1200, 800)
    assert photo.camera_model == "Canon EOS R6"
    assert photo.taken_at_local == "2026-05-01T09:30:12+01:00"
    assert photo.taken_at == datetime(2026, 5, 1, 8, 30, 12, tzinfo=UTC)
    assert photo.latitude == pytest.approx(38.7139, abs=1e-4)
    assert [t["size"] for t in photo.thumbnails] == [250, 1024]
    assert photo.execution_arn.endswith(good)


def test_the_gallery_shows_thumbnails_newest_first_a_page_at_a_time(
    alice_client: Client, alices_album: Album, turned_photo: bytes
) -> None:
    first = upload(alice_client, alices_album, turned_photo, filename="first.jpg")
    second = upload(alice_client, alices_album, jpeg(), filename="second.jpg")
    run_worker_until_idle()
    html = alice_client.get(reverse("albums:detail", args=[alices_album.pk])).content.decode()
    assert html.index(second) < html.index(first)
    assert "/250.jpg?expires=" in html
    assert 'alt="first.jpg"' in html
    # A tile links to the photo page, which shows the details.
    assert reverse("albums:photo", args=[first]) in html
    details = alice_client.get(reverse("albums:photo", args=[first])).content.decode()
    assert "Canon EOS R6" in details
    assert "openstreetmap.org/?mlat=38.71390" in details
    assert "1 May 2026, 09:30" in details  # as the camera showed it, not converted to UTC (08:30)

    for i in range(50):
        Photo.objects.create(album=alices_album, original_filename=f"filler-{i}.jpg")
    page_two = alice_client.get(reverse("albums:detail", args=[alices_album.pk]), {"page": 2})
    assert "first.jpg" in page_two.content.decode()
    assert "Page 2 of 2" in page_two.content.decode()


def test_the_photo_page_shows_every_field_and_the_execution_link(
    alice_client: Client, alices_album: Album, turned_photo: bytes
) -> None:
    photo_id = upload(alice_client, alices_album, turned_photo)
    run_worker_until_idle()
    html = alice_client.get(reverse("albums:photo", args=[photo_id])).content.decode()
    for text in (
        "1200 × 800 px",
        "stored 800 × 1200, turned upright",
        "2026-05-01T09:30:12+01:00",
        "1 May 2026, 09:30:12 (UTC+01:00)",  # the camera's own clock, with its offset
        "ƒ/2.8 · 1/250 s · ISO 400 · 35 mm",
        "Canon EOS R6",
        "38.71390, -9.13940",
        "/1024.jpg?expires=",
        reverse("albums:execution", args=[photo_id]),
    ):
        assert text in html


def test_the_execution_page_lists_every_state(
    alice_client: Client, alices_album: Album, turned_photo: bytes
) -> None:
    photo_id = upload(alice_client, alices_album, turned_photo)
    run_worker_until_idle()
    html = alice_client.get(reverse("albums:execution", args=[photo_id])).content.decode()
    for state in SUCCESSFUL_STATES:
        assert f'data-state="{state}"' in html
    assert html.count("state--succeeded") == len(SUCCESSFUL_STATES)


def test_a_rejected_photos_execution_page_says_rejected_as_its_card_does(
    alice_client: Client, alices_album: Album
) -> None:
    photo_id = upload(alice_client, alices_album, b"not an image at all", filename="notes.jpg")
    run_worker_until_idle()
    html = alice_client.get(reverse("albums:execution", args=[photo_id])).content.decode()

    head = html[html.index('<div class="page-head">') : html.index('<dl class="facts')]
    assert '<span class="status status--rejected status--large">Rejected</span>' in head
    fail_state = html[html.index('data-state="Rejected"') :]
    assert '<span class="status status--rejected">Rejected</span>' in fail_state
    assert "status--failed" not in html
    assert ">Failed<" not in html


def test_the_execution_page_shows_nested_json_once_readably(
    alice_client: Client, alices_album: Album
) -> None:
    photo_id = upload(alice_client, alices_album, b"not an image at all", filename="notes.jpg")
    run_worker_until_idle()
    html = alice_client.get(reverse("albums:execution", args=[photo_id])).content.decode()

    assert "\\&quot;" not in html  # no escaped quotes within a string
    assert "&quot;reason&quot;: &quot;unsupported-format&quot;" in html
    assert "&quot;message&quot;: &quot;Not a JPEG, PNG, WebP, HEIC or AVIF image&quot;" in html


def test_the_execution_pages_breadcrumb_starts_at_albums(
    alice_client: Client, alices_album: Album
) -> None:
    photo_id = upload(alice_client, alices_album, jpeg(), filename="lisbon.jpg")
    run_worker_until_idle()
    html = alice_client.get(reverse("albums:execution", args=[photo_id])).content.decode()
    crumbs = html[
        html.index('<nav class="breadcrumbs"') : html.index("</nav>", html.index("breadcrumbs"))
    ]
    names = [part.rsplit(">", 1)[-1] for part in crumbs.split("</a>")[:-1]]
    assert names == ["Albums", "Lisbon 2026", "lisbon.jpg"]
    assert crumbs.endswith("<span>Execution</span>")


def test_the_rejected_photo_page_gives_its_reason_once(
    alice_client: Client, alices_album: Album
) -> None:
    photo_id = upload(alice_client, alices_album, b"not an image at all", filename="notes.jpg")
    run_worker_until_idle()
    html = alice_client.get(reverse("albums:photo", args=[photo_id])).content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    assert main.count("Not a JPEG, PNG, WebP, HEIC or AVIF image") == 1


@pytest.mark.parametrize("name", ["albums:photo", "albums:photo-delete", "albums:execution"])
def test_it_rejects_foreign_photos_as_not_found(
    alice_client: Client, bob_client: Client, alices_album: Album, name: str
) -> None:
    photo_id = upload(alice_client, alices_album, jpeg())
    run_worker_until_idle()
    assert bob_client.get(reverse(name, args=[photo_id])).status_code == 404
    assert bob_client.post(reverse("albums:photo-delete", args=[photo_id])).status_code == 404
    assert Photo.objects.filter(pk=photo_id).exists()


def test_foreign_albums_give_no_changes(bob_client: Client, alices_album: Album) -> None:
    url = reverse("albums:changes", args=[alices_album.pk])
    assert bob_client.get(url, {"since": 0}).status_code == 404


def test_deleting_a_photo_removes_original_thumbnails_and_results(
    alice_client: Client, alices_album: Album
) -> None:
    photo_id = upload(alice_client, alices_album, jpeg())
    run_worker_until_idle()
    media = config().var_dir / "media"
    assert len([p for p in media.rglob("*") if p.is_file()]) == 3

    response = alice_client.post(reverse("albums:photo-delete", args=[photo_id]))
    assert response["Location"] == reverse("albums:detail", args=[alices_album.pk])
    assert not Photo.objects.filter(pk=photo_id).exists()
    assert [p for p in media.rglob("*") if p.is_file()] == []
    assert config().result_store().get_many([photo_id]) == {}


def test_deleting_an_album_removes_its_photos_files(
    alice_client: Client, alices_album: Album
) -> None:
    upload(alice_client, alices_album, jpeg())
    run_worker_until_idle()
    alice_client.post(reverse("albums:delete", args=[alices_album.pk]))
    media = config().var_dir / "media"
    assert [p for p in media.rglob("*") if p.is_file()] == []


def test_a_large_album_page_costs_a_fixed_number_of_queries(
    alice_client: Client, alices_album: Album, django_assert_max_num_queries: Any
) -> None:
    Photo.objects.bulk_create(
        Photo(
            album=alices_album,
            original_filename=f"{i}.jpg",
            status=Photo.Status.SUCCEEDED,
            display_width=4000,
            display_height=3000,
            file_size=3_000_000,
            thumbnails=[
                {
                    "size": 250,
                    "key": f"private/1/resized/{i}/250.jpg",
                    "width": 250,
                    "height": 188,
                    "contentType": "image/jpeg",
                }
            ],
        )
        for i in range(3000)
    )
    with django_assert_max_num_queries(8):
        response = alice_client.get(reverse("albums:detail", args=[alices_album.pk]))
    assert response.content.decode().count('class="photo-card ') == 48


def test_an_album_with_finished_photos_shows_the_newest_as_its_cover(
    alice_client: Client, alices_album: Album
) -> None:
    upload(alice_client, alices_album, jpeg(), filename="older.jpg")
    newest = upload(alice_client, alices_album, jpeg(), filename="newer.jpg")
    run_worker_until_idle()
    alice_client.get(reverse("albums:detail", args=[alices_album.pk]))  # syncs the results
    html = alice_client.get(reverse("albums:list")).content.decode()
    assert f"/resized/{newest}/250.jpg?expires=" in html
