"""Phone first, in a real browser: no page scrolls sideways at 320 px, the gallery is a grid of
square tiles (3 a row on a phone, 4 from 600 px, more on a desktop), and the phone header is one
row whose icons open the search field and the account menu."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from albums.corrections import MAX_TAG_LENGTH, label_remove, tag_add
from albums.models import Album, Photo
from processing.local.worker import work_once
from processing.runtime import config
from tests.albums.photo_helpers import finished_photo, run_worker_until_idle, upload
from tests.browser.test_labels_and_search import DOG
from tests.browser.test_upload_flow import log_in
from tests.conftest import make_user
from tests.processing.images import jpeg, orientation_card

OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def fits(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None, path
    assert response.status == 200, path
    overflow = page.evaluate(OVERFLOW)
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320 px"


@pytest.fixture
def nora(transactional_db: None) -> User:
    return make_user("nora.with.a.rather.long.address@example.com")


@pytest.fixture
def nora_client(nora: User) -> Client:
    client = Client()
    client.force_login(nora)
    return client


def tiles_album(owner: User, count: int) -> Album:
    album = Album.objects.create(owner=owner, name="Tiles")
    for number in range(count):
        finished_photo(album, f"tile-{number}.jpg", [])
    return album


def test_no_page_scrolls_sideways_at_320_px(page: Page, nora: User, nora_client: Client) -> None:
    album = Album.objects.create(owner=nora, name="A rather long album name that has to wrap")
    whole = jpeg(orientation_card(800, 600))
    done = upload(
        nora_client, album, whole, filename="a-very-long-file-name-from-a-camera-roll.jpg"
    )
    rejected = upload(nora_client, album, whole[: len(whole) // 2], filename="damaged.jpg")
    run_worker_until_idle()
    processing = upload(nora_client, album, jpeg(orientation_card(640, 480)), filename="later.jpg")
    assert work_once(config().local_queue(), config())  # started, waiting its turn

    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        fits(page, path)

    log_in(page, nora)
    fits(page, f"/albums/{album.pk}/")
    expect(page.locator(".photo-card", has_text="later.jpg").locator(".status")).to_have_text(
        "Processing"
    )
    expect(page.locator(".photo-card", has_text="damaged.jpg")).to_contain_text(
        "The image is damaged or incomplete"
    )
    for toggle in ("Search", "Account"):  # what the header's icons open fits too
        page.get_by_role("button", name=toggle).or_(page.get_by_role("link", name=toggle)).click()
        assert page.evaluate(OVERFLOW) <= 0, f"the header's {toggle} scrolls sideways"
    for path in (
        "/",
        "/albums/",
        f"/photos/{done}/",
        f"/photos/{rejected}/",
        f"/photos/{processing}/",
        f"/photos/{done}/execution/",
        f"/photos/{rejected}/execution/",
        "/search/",
        "/search/?q=nothing-at-all",
        "/timeline/",
        "/timeline/?month=2000-01",
        f"/albums/{album.pk}/?sort=taken",
        f"/albums/{album.pk}/?sort=size-reversed",
        f"/albums/{album.pk}/rename/",
        f"/albums/{album.pk}/delete/",
        f"/photos/{done}/delete/",
        "/accounts/password/change/",
        "/accounts/email/",
    ):
        fits(page, path)
    finished_photo(album, "rex.jpg", [DOG])
    fits(page, "/search/?q=dog")
    expect(page.locator(".photo-card")).to_have_count(1)
    # The owner's label corrections: chips with their remove buttons, the longest own tag, the
    # tag box and the removed labels to put back.
    rex = Photo.objects.get(original_filename="rex.jpg")
    tag_add(photo=rex, text="W" * MAX_TAG_LENGTH)
    tag_add(photo=rex, text="Good boy")
    label_remove(photo=rex, name="Dog")
    fits(page, f"/photos/{rex.id}/")
    expect(page.get_by_role("button", name="Put back the label Dog")).to_be_visible()


@pytest.mark.parametrize(("width", "per_row"), [(375, 3), (600, 4), (1280, None)])
def test_the_gallery_is_a_grid_of_square_tiles(
    page: Page, nora: User, width: int, per_row: int | None
) -> None:
    album = tiles_album(nora, 8)
    log_in(page, nora)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"/albums/{album.pk}/")
    tiles = page.locator(".photo-card")
    expect(tiles).to_have_count(8)
    boxes = [tiles.nth(i).bounding_box() for i in range(8)]
    assert all(box is not None for box in boxes)
    tops = [round(box["y"]) for box in boxes]  # type: ignore[index]
    in_first_row = tops.count(tops[0])
    if per_row is None:
        assert in_first_row > 4, tops
    else:
        assert in_first_row == per_row, tops
        assert tops[per_row] > tops[0]
        assert round(boxes[per_row]["x"]) == round(boxes[0]["x"])  # type: ignore[index]
    for box in boxes:
        assert abs(box["width"] - box["height"]) < 1, box  # type: ignore[index]
    # Only the picture: the name is the image's alt text and the link's title.
    first = tiles.first
    expect(first.locator("img")).to_have_attribute("alt", "tile-7.jpg")
    expect(first.get_by_role("link")).to_have_attribute("title", "tile-7.jpg")
    # "Done" is there for a screen reader, not on the picture.
    expect(first.locator(".status")).to_have_text("Done")
    expect(first.locator(".status")).to_have_css("clip-path", "inset(50%)")


def test_the_phone_header_is_one_row_and_its_icons_open_search_and_the_account_menu(
    page: Page, nora: User
) -> None:
    tiles_album(nora, 1)
    finished_photo(Album.objects.get(owner=nora), "found.jpg", [])
    log_in(page, nora)
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/albums/")
    header = page.locator(".site-header")
    box = header.bounding_box()
    assert box is not None
    assert box["height"] < 64, box
    search = page.get_by_role("searchbox", name="Search your photos by label")
    expect(search).to_be_hidden()
    log_out = page.get_by_role("button", name="Log out")
    expect(log_out).to_be_hidden()

    page.get_by_role("link", name="Search").click()
    expect(search).to_be_visible()
    expect(search).to_be_focused()
    assert header.bounding_box() == box  # the field drops below the bar, the bar stays one row
    search.fill("nothing here")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Photos of “nothing here”")).to_be_visible()

    page.get_by_role("button", name="Account").click()
    expect(page.get_by_role("link", name=nora.email)).to_be_visible()
    expect(log_out).to_be_visible()
    page.keyboard.press("Escape")
    expect(log_out).to_be_hidden()
    page.get_by_role("button", name="Account").click()
    log_out.click()
    expect(page.get_by_role("heading", name="Your photos, sorted out.")).to_be_visible()


def test_the_drop_zone_says_tap_on_a_touch_screen(
    browser: Browser, live_server: object, nora: User, tmp_path: Path
) -> None:
    album = tiles_album(nora, 0)
    context = browser.new_context(
        base_url=str(live_server),
        viewport={"width": 375, "height": 740},
        has_touch=True,
        is_mobile=True,
    )
    try:
        page = context.new_page()
        log_in(page, nora)
        page.goto(f"/albums/{album.pk}/")
        zone = page.locator(".dropzone")
        expect(
            zone.get_by_text("Tap to choose JPEG, PNG, WebP, HEIC or AVIF photos.")
        ).to_be_visible()
        expect(zone.get_by_text("or click to choose")).to_be_hidden()
    finally:
        context.close()
    page = browser.new_page(base_url=str(live_server))
    try:
        log_in(page, nora)
        page.goto(f"/albums/{album.pk}/")
        expect(
            page.get_by_text("Drop JPEG, PNG, WebP, HEIC or AVIF files here, or click to choose.")
        ).to_be_visible()
        expect(
            page.get_by_text("Tap to choose JPEG, PNG, WebP, HEIC or AVIF photos.")
        ).to_be_hidden()
    finally:
        page.close()
