"""Select mode in a real browser: picking tiles by click, Shift-click, Space and long press, then
downloading, moving and deleting them; at 1280 px with a mouse and at 375 px on a touch screen."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from accounts.models import User
from albums.models import Album, Photo
from albums.pipeline import pipeline_config
from tests.albums.photo_helpers import run_worker_until_idle, upload
from tests.albums.test_bulk_actions import stored_photo
from tests.browser.test_upload_flow import log_in
from tests.conftest import make_user
from tests.processing.images import jpeg, orientation_card

SELECTED = re.compile(r"(^|\s)is-selected(\s|$)")
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def alice(transactional_db: None) -> User:
    return make_user("alice@example.com")


def processed_album(owner: User, name: str, filenames: list[str]) -> Album:
    """An album whose photos went through the whole pipeline (thumbnails and all)."""
    album = Album.objects.create(owner=owner, name=name)
    client = Client()
    client.force_login(owner)
    for number, filename in enumerate(filenames):
        data = jpeg(orientation_card(320 + 16 * number, 240), quality=80 + number)
        upload(client, album, data, filename=filename)
    run_worker_until_idle()
    return album


def tile(page: Page, filename: str) -> Locator:
    return page.locator(".photo-card", has_text=filename)


def original(filename: str, album: Album | None = None) -> bytes:
    photos = Photo.objects.select_related("album").filter(original_filename=filename)
    if album is not None:
        photos = photos.filter(album=album)
    return pipeline_config().blob_store().get(photos.get().original_key)


@pytest.fixture
def phone(browser: Browser, live_server: object) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=str(live_server),
        viewport={"width": 375, "height": 740},
        has_touch=True,
        is_mobile=True,
        color_scheme="dark",
    )
    context.set_default_timeout(30_000)
    yield context
    context.close()


def long_press(card: Locator) -> None:
    """A finger held on the tile: pointerdown, the page's own timer, then the finger lifts."""
    box = card.bounding_box()
    assert box is not None
    at = {"clientX": box["x"] + box["width"] / 2, "clientY": box["y"] + box["height"] / 2}
    touch = {"pointerType": "touch", "isPrimary": True, "bubbles": True, **at}
    card.locator(".photo-card__link").dispatch_event("pointerdown", touch)
    expect(card).to_have_class(SELECTED, timeout=5_000)
    card.locator(".photo-card__link").dispatch_event("pointerup", touch)


def test_select_by_click_shift_click_and_space_then_download_move_and_delete(
    page: Page, alice: User, tmp_path: Path
) -> None:
    names = ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"]
    lisbon = processed_album(alice, "Lisbon", names)
    porto = Album.objects.create(owner=alice, name="Porto")
    log_in(page, alice)
    page.goto(f"/albums/{lisbon.pk}/")
    bar = page.get_by_role("form", name="Selected photos")
    count = bar.locator('[data-bulk="count"]')
    expect(bar).to_be_hidden()
    # Newest first: e d c b a.
    expect(page.locator(".photo-card .photo-card__name")).to_have_text(names[::-1])

    # A tile's check box (shown on hover) starts select mode.
    tile(page, "e.jpg").hover()
    tile(page, "e.jpg").get_by_role("checkbox").click()
    expect(bar).to_be_visible()
    expect(count).to_have_text("1 selected")
    # Shift-click: the range from the last tile toggled.
    tile(page, "c.jpg").click(modifiers=["Shift"])
    expect(count).to_have_text("3 selected")
    assert page.url.endswith(f"/albums/{lisbon.pk}/")  # picked, not opened
    tile(page, "d.jpg").click()
    expect(count).to_have_text("2 selected")
    # Keyboard: the tile's link takes focus and Space toggles it.
    tile(page, "b.jpg").locator(".photo-card__link").focus()
    page.keyboard.press("Space")
    expect(count).to_have_text("3 selected")
    expect(tile(page, "b.jpg")).to_have_class(SELECTED)
    expect(tile(page, "d.jpg")).not_to_have_class(SELECTED)
    # Screen readers hear it on the tile's link.
    expect(tile(page, "b.jpg").get_by_role("link")).to_have_accessible_name("b.jpg (selected)")
    expect(tile(page, "d.jpg").get_by_role("link")).to_have_accessible_name("d.jpg")

    # Download: a zip of exactly those originals, byte for byte, named after the album.
    with page.expect_download() as download_info:
        bar.get_by_role("button", name="Download zip").click()
    download = download_info.value
    assert download.suggested_filename == "Lisbon.zip"
    saved = tmp_path / "Lisbon.zip"
    download.save_as(saved)
    with zipfile.ZipFile(io.BytesIO(saved.read_bytes())) as archive:
        assert sorted(archive.namelist()) == ["b.jpg", "c.jpg", "e.jpg"]
        for name in archive.namelist():
            assert archive.read(name) == original(name)
    expect(count).to_have_text("3 selected")  # still selecting after the download

    # Move to Porto: the photos are there, and gone from here.
    bar.get_by_label("Album to move the photos to").select_option(label="Porto")
    bar.get_by_role("button", name="Move").click()
    expect(page.get_by_text("Moved 3 photos to “Porto”.")).to_be_visible()
    expect(page.locator(".photo-card .photo-card__name")).to_have_text(["d.jpg", "a.jpg"])
    expect(bar).to_be_hidden()
    page.goto(f"/albums/{porto.pk}/")
    expect(page.locator(".photo-card .photo-card__name")).to_have_text(
        ["e.jpg", "c.jpg", "b.jpg"], ignore_case=False
    )
    expect(tile(page, "e.jpg").locator("img")).to_have_js_property("naturalWidth", 250)  # loads

    # Escape leaves select mode; Select all, then Delete after the confirmation.
    page.goto(f"/albums/{lisbon.pk}/")
    page.get_by_role("button", name="Select", exact=True).click()
    expect(bar).to_be_visible()
    # Focus moves to the first tile (the button hides), where Space picks it.
    expect(tile(page, "d.jpg").locator(".photo-card__link")).to_be_focused()
    page.keyboard.press("Space")
    expect(count).to_have_text("1 selected")
    page.keyboard.press("Escape")
    expect(bar).to_be_hidden()
    expect(page.get_by_role("button", name="Select", exact=True)).to_be_focused()
    expect(tile(page, "d.jpg")).not_to_have_class(SELECTED)
    page.get_by_role("button", name="Select", exact=True).click()
    bar.get_by_role("button", name="Select all").click()
    expect(count).to_have_text("All 2 photos selected")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    bar.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Deleted 2 photos.")).to_be_visible()
    assert asked == ["Delete 2 photos?"]
    expect(page.locator(".photo-card")).to_have_count(0)
    assert not lisbon.photos.exists()
    assert Album.objects.get(pk=porto.pk).photos.count() == 3


def test_a_declined_confirmation_deletes_nothing(page: Page, alice: User) -> None:
    album = Album.objects.create(owner=alice, name="Keep")
    stored_photo(album, "keep.jpg")
    log_in(page, alice)
    page.goto(f"/albums/{album.pk}/")
    page.get_by_role("button", name="Select", exact=True).click()
    tile(page, "keep.jpg").click()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("form", name="Selected photos").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("form", name="Selected photos")).to_contain_text("1 selected")
    assert album.photos.count() == 1


def test_on_a_phone_a_long_press_selects_and_select_all_moves_every_page(
    phone: BrowserContext, alice: User
) -> None:
    trip = Album.objects.create(owner=alice, name="Trip")
    for number in range(50):  # more than the page's 48
        stored_photo(trip, f"IMG_{number:02}.jpg", jpeg(quality=40 + number))
    home = Album.objects.create(owner=alice, name="Home")
    page = phone.new_page()
    log_in(page, alice)
    page.goto(f"/albums/{trip.pk}/")
    bar = page.get_by_role("form", name="Selected photos")
    count = bar.locator('[data-bulk="count"]')
    expect(page.locator(".photo-card")).to_have_count(48)
    # No check boxes on a touch screen until select mode.
    expect(tile(page, "IMG_49.jpg").get_by_role("checkbox")).to_be_hidden()

    long_press(tile(page, "IMG_49.jpg"))
    expect(bar).to_be_visible()
    expect(count).to_have_text("1 selected")
    assert page.url.endswith(f"/albums/{trip.pk}/")
    tile(page, "IMG_48.jpg").tap()
    expect(count).to_have_text("2 selected")
    # The toolbar fits a phone, in dark mode too.
    assert page.evaluate(OVERFLOW) <= 0
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate(OVERFLOW) <= 0
    background = bar.evaluate("element => getComputedStyle(element).backgroundColor")
    assert background == "rgb(27, 30, 35)"  # the dark --surface

    bar.get_by_role("button", name="Select all").tap()
    expect(count).to_have_text("All 50 photos selected")
    tile(page, "IMG_49.jpg").tap()  # unticked: every photo but this one
    expect(count).to_have_text("49 selected")
    bar.get_by_label("Album to move the photos to").select_option(label="Home")
    bar.get_by_role("button", name="Move").tap()
    expect(page.get_by_text("Moved 49 photos to “Home”.")).to_be_visible()
    expect(page.locator(".photo-card .photo-card__name")).to_have_text(["IMG_49.jpg"])
    page.goto(f"/albums/{home.pk}/")
    expect(page.locator('[data-count="photos"]')).to_have_text("49")
    assert home.photos.count() == 49


def test_a_tile_replaced_by_a_live_card_keeps_its_tick(page: Page, alice: User) -> None:
    album = processed_album(alice, "Live", ["done.jpg"])
    log_in(page, alice)
    page.goto(f"/albums/{album.pk}/")
    # Uploaded from the page, processed by nobody yet: its tile waits at Processing.
    page.locator("#photo-files").set_input_files(
        [{"name": "late.jpg", "mimeType": "image/jpeg", "buffer": jpeg(orientation_card(300, 200))}]
    )
    late = tile(page, "late.jpg")
    expect(late.locator(".status")).to_have_text("Processing")
    page.get_by_role("button", name="Select", exact=True).click()
    late.click()
    tile(page, "done.jpg").click()
    count = page.get_by_role("form", name="Selected photos").locator('[data-bulk="count"]')
    expect(count).to_have_text("2 selected")

    run_worker_until_idle()  # the page's long poll brings the finished card, which replaces it

    expect(late.locator("img")).to_be_visible()
    expect(late).to_have_class(SELECTED)
    expect(late.get_by_role("checkbox")).to_be_checked()
    expect(count).to_have_text("2 selected")


def test_the_browsers_own_long_press_menu_becomes_the_selection(
    phone: BrowserContext, alice: User
) -> None:
    album = Album.objects.create(owner=alice, name="Menu")
    stored_photo(album, "pressed.jpg")
    page = phone.new_page()
    log_in(page, alice)
    page.goto(f"/albums/{album.pk}/")
    card = tile(page, "pressed.jpg")
    link = card.locator(".photo-card__link")

    # Android may open its link menu before the page's own timer: the press wins, no menu.
    link.dispatch_event("pointerdown", {"pointerType": "touch", "isPrimary": True})
    menu_cancelled = link.evaluate(
        "link => !link.dispatchEvent("
        "new MouseEvent('contextmenu', {bubbles: true, cancelable: true}))"
    )

    assert menu_cancelled
    expect(card).to_have_class(SELECTED)
    expect(page.get_by_role("form", name="Selected photos")).to_contain_text("1 selected")
