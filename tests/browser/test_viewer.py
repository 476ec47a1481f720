"""The full-screen viewer in a real browser, at 1280 and 375 px: opened from the grid, ← → and
swipes move through the album in its order (the address follows and Back works), Escape returns
to the grid, the 1024 px preview shows at once and the original only on zoom, the neighbours'
previews are loaded ahead, and tapping a label outlines it without leaving the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect

from accounts.models import User
from albums.models import Album, Photo
from albums.outcomes import refresh_photos
from albums.views import PHOTOS_PER_PAGE
from processing.local.worker import work_once
from processing.runtime import config
from tests.albums.photo_helpers import run_worker_until_idle, upload
from tests.browser.test_labels_and_search import DOG
from tests.browser.test_upload_flow import log_in
from tests.conftest import make_user
from tests.processing.images import jpeg, orientation_card

SIZES = [(1280, 800), (375, 740)]
HEIF_SAMPLES = Path(__file__).resolve().parents[1] / "processing" / "heif"


@dataclass
class Trip:
    """Vera's album of three finished photos, newest first as the grid shows them."""

    owner: User
    album: Album
    newest: Photo
    middle: Photo  # labelled Dog, with its box
    oldest: Photo


@pytest.fixture
def trip(transactional_db: None) -> Trip:
    vera = make_user("vera@example.com")
    client = Client()
    client.force_login(vera)
    album = Album.objects.create(owner=vera, name="Trip")
    ids = [
        upload(client, album, jpeg(orientation_card(1600, 1200)), filename=f"{name}.jpg")
        for name in ("oldest", "middle", "newest")
    ]
    run_worker_until_idle()
    oldest, middle, newest = (Photo.objects.get(pk=photo_id) for photo_id in ids)
    refresh_photos([oldest, middle, newest])  # as the gallery would on its next look
    assert {photo.status for photo in (oldest, middle, newest)} == {Photo.Status.SUCCEEDED}
    # Recognition of a test card finds nothing; a stored Dog with a box gives a chip to tap.
    Photo.objects.filter(pk=middle.pk).update(labels=[DOG.to_item()])
    return Trip(vera, album, newest, middle, oldest)


@pytest.fixture
def touch_page(browser: Browser, live_server: object, transactional_db: None) -> Iterator[Page]:
    """A phone: a touch screen at 375 px."""
    context: BrowserContext = browser.new_context(
        base_url=str(live_server),
        viewport={"width": 375, "height": 740},
        has_touch=True,
        is_mobile=True,
    )
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def photo_url(photo: Photo) -> re.Pattern[str]:
    return re.compile(rf"/photos/{photo.id}/$")


def originals(requests: list[Request]) -> list[str]:
    return [request.url for request in requests if "/uploads/" in request.url]


def swipe(page: Page, from_x: int, to_x: int, y: int = 300) -> None:
    """A finger moving across the screen, as Chromium's input pipeline delivers it (touch and
    pointer events both), through the DevTools protocol."""
    cdp = page.context.new_cdp_session(page)
    steps = 8
    cdp.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": from_x, "y": y}]}
    )
    for step in range(1, steps + 1):
        x = from_x + (to_x - from_x) * step / steps
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
        )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_keys_move_through_the_album_back_works_and_escape_returns_to_the_grid(
    page: Page, trip: Trip, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    log_in(page, trip.owner)
    page.goto(f"/albums/{trip.album.pk}/")
    page.locator(".photo-card", has_text="middle.jpg").get_by_role("link").click()
    expect(page).to_have_url(photo_url(trip.middle))
    viewer = page.get_by_role("region", name="Photo viewer")
    expect(viewer.locator(".viewer__title")).to_have_text("middle.jpg")
    # The 1024 px preview at once, fitting the screen: nothing scrolls sideways.
    image = viewer.get_by_role("img", name="middle.jpg")
    expect(image).to_have_attribute("src", re.compile(r"/1024\.jpg\?"))
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 1024
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    # Both neighbours' previews are loaded ahead.
    for neighbour in (trip.newest, trip.oldest):
        page.wait_for_function(
            "wanted => performance.getEntriesByType('resource')"
            ".some((entry) => entry.name.includes(wanted))",
            arg=f"/{neighbour.id}/1024.jpg",
        )

    page.keyboard.press("ArrowRight")  # older
    expect(page).to_have_url(photo_url(trip.oldest))
    expect(viewer.locator(".viewer__title")).to_have_text("oldest.jpg")
    expect(page.get_by_role("link", name="Next photo")).to_have_count(0)  # the album's end
    page.go_back()
    expect(page).to_have_url(photo_url(trip.middle))
    expect(viewer.locator(".viewer__title")).to_have_text("middle.jpg")
    page.keyboard.press("ArrowLeft")  # newer
    expect(page).to_have_url(photo_url(trip.newest))
    expect(viewer.locator(".viewer__title")).to_have_text("newest.jpg")
    expect(page.get_by_role("link", name="Previous photo")).to_have_count(0)
    assert originals(requests) == []  # no original without a zoom

    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(rf"/albums/{trip.album.pk}/$"))
    expect(page.locator(".photo-card", has_text="middle.jpg")).to_be_visible()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_buttons_move_and_close_to_the_grid_page_of_a_shared_link(
    page: Page, trip: Trip, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, trip.owner)
    page.goto(f"/photos/{trip.newest.id}/")  # a copied link: no grid behind it
    page.get_by_role("link", name="Next photo").click()
    expect(page).to_have_url(photo_url(trip.middle))
    page.get_by_role("link", name="Previous photo").click()
    expect(page).to_have_url(photo_url(trip.newest))
    page.get_by_role("link", name="Close: back to Trip").click()
    expect(page).to_have_url(re.compile(rf"/albums/{trip.album.pk}/#photo-{trip.newest.id}$"))
    expect(page.locator(".photo-card", has_text="newest.jpg")).to_be_visible()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_original_loads_only_when_zooming(
    page: Page, trip: Trip, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    log_in(page, trip.owner)
    page.goto(f"/photos/{trip.middle.id}/")
    image = page.get_by_role("img", name="middle.jpg")
    expect(image).to_have_js_property("complete", True)
    zoom = page.get_by_role("button", name="Zoom in")
    expect(zoom).to_be_visible()
    assert originals(requests) == []

    image.dblclick()
    expect(page.locator("#viewer-canvas")).to_have_class(re.compile("viewer__canvas--zoomed"))
    expect(image).to_have_attribute(
        "src", re.compile(rf"/uploads/{trip.album.pk}/{trip.middle.id}\.jpg\?")
    )
    expect(image).to_have_js_property("naturalWidth", 1600)
    assert len(originals(requests)) >= 1
    expect(page.get_by_role("button", name="Zoom out")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Escape")  # leaves the zoom first
    expect(page.get_by_role("button", name="Zoom in")).to_have_attribute("aria-pressed", "false")
    expect(page).to_have_url(photo_url(trip.middle))


def test_swipes_move_on_a_touch_screen(touch_page: Page, trip: Trip) -> None:
    page = touch_page
    log_in(page, trip.owner)
    page.goto(f"/photos/{trip.middle.id}/")
    expect(page.get_by_role("img", name="middle.jpg")).to_have_js_property("complete", True)
    swipe(page, 320, 60)  # to the left: the next, older photo
    expect(page).to_have_url(photo_url(trip.oldest))
    expect(page.get_by_role("img", name="oldest.jpg")).to_be_visible()
    swipe(page, 60, 320)  # to the right: back
    expect(page).to_have_url(photo_url(trip.middle))
    swipe(page, 60, 320)
    expect(page).to_have_url(photo_url(trip.newest))
    page.go_back()
    expect(page).to_have_url(photo_url(trip.middle))
    expect(page.get_by_role("img", name="middle.jpg")).to_be_visible()


def pinch(page: Page, x: int, y: int, spread: range) -> None:
    """Two fingers moving apart, as Chromium's input pipeline delivers them."""
    cdp = page.context.new_cdp_session(page)

    def fingers(half: int) -> list[dict[str, int]]:
        return [{"x": x - half, "y": y, "id": 1}, {"x": x + half, "y": y, "id": 2}]

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": fingers(spread[0])})
    for half in spread[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": fingers(half)})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_a_pinch_brings_the_original_in_place_of_the_preview(touch_page: Page, trip: Trip) -> None:
    page = touch_page
    log_in(page, trip.owner)
    page.goto(f"/photos/{trip.middle.id}/")
    image = page.get_by_role("img", name="middle.jpg")
    expect(image).to_have_js_property("complete", True)
    width = image.evaluate("img => img.getBoundingClientRect().width")
    pinch(page, 180, 300, range(20, 160, 5))
    expect(image).to_have_attribute("src", re.compile(rf"/{trip.middle.id}\.jpg\?"))
    expect(image).to_have_js_property("naturalWidth", 1600)
    # The same place on the page, sharper: the browser's own zoom does the enlarging.
    assert image.evaluate("img => img.getBoundingClientRect().width") == width
    assert page.evaluate("visualViewport.scale") > 1.2
    expect(page).to_have_url(photo_url(trip.middle))


def test_tapping_a_label_outlines_it_and_searching_is_its_own_link(
    touch_page: Page, trip: Trip
) -> None:
    page = touch_page
    log_in(page, trip.owner)
    page.goto(f"/photos/{trip.middle.id}/")
    box = page.locator(".label-box", has_text="Dog")
    expect(box).to_have_css("opacity", "0")
    chip = page.get_by_role("button", name=re.compile("^Dog"))
    chip.tap()
    expect(box).to_have_class("label-box label-box--on")
    expect(chip).to_have_attribute("aria-pressed", "true")
    expect(page).to_have_url(photo_url(trip.middle))  # still here
    expect(box).to_be_in_viewport()  # the chips are below the picture: it comes into sight
    chip.tap()  # a second tap takes the outline away
    expect(box).to_have_class("label-box")
    page.get_by_role("link", name="Search for Dog").tap()
    expect(page.get_by_role("heading", name="Photos of “Dog”")).to_be_visible()


def test_a_photo_still_processing_says_so_in_the_viewer(page: Page, trip: Trip) -> None:
    client = Client()
    client.force_login(trip.owner)
    waiting = upload(client, trip.album, jpeg(orientation_card(640, 480)), filename="later.jpg")
    assert work_once(config().local_queue(), config())  # started, waiting its turn
    log_in(page, trip.owner)
    page.goto(f"/photos/{waiting}/")
    expect(page.get_by_role("status")).to_contain_text("Processing")
    expect(page.locator(".viewer__image")).to_have_count(0)
    page.keyboard.press("ArrowRight")  # the newest photo is next: the waiting one is newer
    expect(page).to_have_url(photo_url(trip.newest))


def burst(owner: User) -> tuple[Album, list[Photo]]:
    """An album of a grid page and two photos more (finished, without files), newest first."""
    album = Album.objects.create(owner=owner, name="Burst")
    Photo.objects.bulk_create(
        Photo(album=album, original_filename=f"burst-{i:02}.jpg", status=Photo.Status.SUCCEEDED)
        for i in range(PHOTOS_PER_PAGE + 2)
    )
    return album, list(album.photos.newest_first())


def test_escape_returns_to_where_the_grid_was_or_to_the_page_of_the_photo_reached(
    page: Page, transactional_db: None
) -> None:
    wim = make_user("wim@example.com")
    album, in_order = burst(wim)
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, wim)
    page.goto(f"/albums/{album.pk}/")
    # Far down the first page: Escape after a few photos comes back to the same place.
    tile = page.locator(f"#photo-{in_order[40].id}")
    tile.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 1000
    tile.get_by_role("link").click()
    expect(page).to_have_url(photo_url(in_order[40]))
    expect(page.get_by_role("button", name="Zoom in")).to_be_visible()  # viewer.js listens
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(photo_url(in_order[41]))
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(rf"/albums/{album.pk}/$"))
    page.wait_for_function(f"Math.abs(window.scrollY - {scrolled}) < 50")

    # Past the page's last photo: Escape opens the page that shows the one on screen.
    page.locator(f"#photo-{in_order[PHOTOS_PER_PAGE - 1].id}").get_by_role("link").click()
    # viewer.js shows the zoom button once it listens: a key pressed before would be lost.
    expect(page.get_by_role("button", name="Zoom in")).to_be_visible()
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(photo_url(in_order[PHOTOS_PER_PAGE]))
    page.keyboard.press("Escape")
    last = in_order[PHOTOS_PER_PAGE]
    expect(page).to_have_url(re.compile(rf"/albums/{album.pk}/\?page=2#photo-{last.id}$"))
    expect(page.locator(f"#photo-{last.id}")).to_be_in_viewport()


def test_without_javascript_the_viewer_is_links(
    browser: Browser, live_server: object, trip: Trip
) -> None:
    context = browser.new_context(base_url=str(live_server), java_script_enabled=False)
    page = context.new_page()
    log_in(page, trip.owner)
    page.goto(f"/photos/{trip.newest.id}/")
    expect(page.get_by_role("img", name="newest.jpg")).to_be_visible()
    expect(page.get_by_role("button", name="Zoom in")).to_be_hidden()  # zooming needs the script
    page.get_by_role("link", name="Next photo").click()
    expect(page).to_have_url(photo_url(trip.middle))
    page.get_by_role("link", name="Close: back to Trip").click()
    expect(page).to_have_url(re.compile(rf"/albums/{trip.album.pk}/#photo-{trip.middle.id}$"))
    context.close()


def test_zooming_a_heic_photo_enlarges_its_preview_and_says_why(
    page: Page, transactional_db: None
) -> None:
    xena = make_user("xena@example.com")
    client = Client()
    client.force_login(xena)
    album = Album.objects.create(owner=xena, name="Phone")
    iphone = (HEIF_SAMPLES / "empty_icc.heic").read_bytes()  # an iPhone XS photo, 1025 by 900
    photo_id = upload(client, album, iphone, filename="IMG_0001.HEIC", content_type="image/heic")
    run_worker_until_idle()
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    log_in(page, xena)
    page.goto(f"/photos/{photo_id}/")
    image = page.get_by_role("img", name="IMG_0001.HEIC")
    expect(image).to_have_js_property("complete", True)
    expect(page.locator("[data-viewer-note]")).to_have_text(
        "The original is HEIC, which browsers cannot show: zooming enlarges the 1024 px preview."
    )
    page.get_by_role("button", name="Zoom in").click()
    expect(page.locator("#viewer-canvas")).to_have_class(re.compile("viewer__canvas--zoomed"))
    expect(image).to_have_attribute("src", re.compile(r"/1024\.jpg\?"))
    assert image.evaluate("img => img.getBoundingClientRect().width") == 1024
    assert originals(requests) == []
