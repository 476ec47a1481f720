"""The timeline and album sorting in a real browser, at a desktop's and a phone's width: month
headings, jumping to a month, and the album's sort control changing the order (uploading still
works under a sort)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from accounts.models import User
from albums.models import Album
from tests.albums.photo_helpers import run_worker_until_idle, upload
from tests.browser.test_upload_flow import log_in
from tests.conftest import make_user
from tests.processing.images import exif_block, jpeg, orientation_card

OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
WIDTHS = [1280, 375]


@pytest.fixture
def nina(transactional_db: None) -> User:
    return make_user("nina@example.com")


def dated_jpeg(taken: str | None, width: int = 400) -> bytes:
    exif = exif_block(taken_at=taken) if taken else None
    return jpeg(orientation_card(width, 300), exif=exif)


@pytest.fixture
def ninas_albums(nina: User) -> tuple[Album, Album]:
    """Two albums of photos through the real pipeline: three months, one file without a date."""
    client = Client()
    client.force_login(nina)
    lisbon = Album.objects.create(owner=nina, name="Lisbon")
    porto = Album.objects.create(owner=nina, name="Porto")
    upload(client, lisbon, dated_jpeg("2023:07:14 10:00:00", 640), filename="tram.jpg")
    upload(client, lisbon, dated_jpeg("2023:07:02 09:00:00", 320), filename="bridge.jpg")
    upload(client, porto, dated_jpeg("2022:12:24 18:00:00", 480), filename="port.jpg")
    upload(client, porto, dated_jpeg(None, 560), filename="Scan.jpg")
    run_worker_until_idle()
    for album in (lisbon, porto):  # the album page brings the results in, as a visit does
        assert client.get(f"/albums/{album.pk}/").status_code == 200
    return lisbon, porto


def tile_names(page: Page, scope: str = "") -> list[str]:
    return page.locator(f"{scope} .photo-card .photo-card__name").all_inner_texts()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_timeline_groups_photos_by_month_and_jumps_to_one(
    page: Page, nina: User, ninas_albums: tuple[Album, Album], width: int
) -> None:
    log_in(page, nina)
    page.set_viewport_size({"width": width, "height": 800})
    page.get_by_role("link", name="Timeline").click()
    expect(page.get_by_role("heading", name="Timeline", exact=True)).to_be_visible()

    headings = page.locator(".timeline-month__title")
    # The file without a date is placed by its upload: today, above everything else.
    expect(headings).to_have_count(3)
    texts = headings.all_inner_texts()
    assert [text.split("\n")[0].split(" ")[:2] for text in texts[1:]] == [
        ["July", "2023"],
        ["December", "2022"],
    ]
    expect(headings.nth(1)).to_contain_text("2 photos")
    july = page.locator(".timeline-month", has=page.get_by_role("heading", name="July 2023"))
    assert tile_names(page, "") == ["Scan.jpg", "tram.jpg", "bridge.jpg", "port.jpg"]
    expect(july.locator("img")).to_have_count(2)  # real thumbnails
    expect(july.locator("img").first).to_have_js_property("complete", True)
    assert july.locator("img").first.evaluate("img => img.naturalWidth") > 0
    assert page.evaluate(OVERFLOW) <= 0

    # The month index: choosing a month goes there at once (auto-submit.js).
    page.get_by_label("Jump to").select_option(label="December 2022 (1)")
    expect(page).to_have_url("/timeline/?month=2022-12")
    expect(headings).to_have_count(1)
    expect(headings.first).to_contain_text("December 2022")
    assert tile_names(page) == ["port.jpg"]
    expect(page.get_by_role("link", name="Newer")).to_be_visible()
    assert page.evaluate(OVERFLOW) <= 0
    page.get_by_role("link", name="Newer").click()
    expect(headings.first).to_contain_text(texts[0].split("\n")[0].split(" ")[0])


@pytest.mark.parametrize("width", WIDTHS)
def test_the_album_sort_control_changes_the_order(
    page: Page,
    nina: User,
    ninas_albums: tuple[Album, Album],
    running_worker: None,
    width: int,
    tmp_path: Path,
) -> None:
    _, porto = ninas_albums
    log_in(page, nina)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"/albums/{porto.pk}/")
    assert tile_names(page) == ["Scan.jpg", "port.jpg"]  # newest upload first

    page.get_by_label("Sort by").select_option(label="Date taken, newest first")
    expect(page).to_have_url(f"/albums/{porto.pk}/?sort=taken")
    expect(page.locator(".photo-card").first).to_contain_text("port.jpg")
    assert tile_names(page) == ["port.jpg", "Scan.jpg"]  # undated last
    expect(
        page.get_by_text("Photos without a date taken come after the dated ones.")
    ).to_be_visible()

    page.get_by_label("Sort by").select_option(label="Name, A to Z")
    expect(page).to_have_url(f"/albums/{porto.pk}/?sort=name")
    assert tile_names(page) == ["port.jpg", "Scan.jpg"]
    page.get_by_role("link", name="Reverse").click()
    expect(page).to_have_url(f"/albums/{porto.pk}/?sort=name-reversed")
    expect(page.get_by_label("Sort by")).to_have_value("name-reversed")
    assert tile_names(page) == ["Scan.jpg", "port.jpg"]
    assert page.evaluate(OVERFLOW) <= 0

    # Remembered for the album; and uploading under a sort still works: the new photo appears at
    # the top, as the page says, and finishes.
    page.goto(f"/albums/{porto.pk}/")
    expect(page.get_by_label("Sort by")).to_have_value("name-reversed")
    expect(
        page.get_by_text("New uploads appear at the top until you reload the page.")
    ).to_be_visible()
    added = tmp_path / "a-new-one.jpg"
    added.write_bytes(dated_jpeg("2020:01:01 12:00:00"))
    page.set_input_files("#photo-files", [str(added)])
    first = page.locator(".photo-card").first
    expect(first).to_contain_text("a-new-one.jpg")
    expect(first.locator(".status")).to_have_text("Done", timeout=60_000)
    page.reload()
    assert tile_names(page) == ["Scan.jpg", "port.jpg", "a-new-one.jpg"]  # now in its place
