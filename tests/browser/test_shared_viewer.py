"""A share's photo pages are the full-screen viewer, read only, in a real browser at 1280 and
375 px: someone signed out opens a secret link, opens a photo from its gallery, moves through the
album with ← →, swipes and the buttons, taps a label to outline it, and Escape returns to the
gallery page that holds the photo; an account the album was shared with gets the same. No owner
control (delete, search, execution) and no place is on the page, and zoom loads the link's
location-free original only when the link allows originals.

Personas: vera owns the album, anyone holding the link is a signed-out browser, charlie is the
account vera shared the album with.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect

from albums import sharing
from albums.models import Album, AlbumShare, Photo
from albums.views import PHOTOS_PER_PAGE
from tests.browser import test_viewer
from tests.browser.test_upload_flow import log_in
from tests.browser.test_viewer import Trip, swipe
from tests.conftest import make_user

SIZES = [(1280, 800), (375, 740)]
OWNER_CONTROLS = ("Delete", "Pipeline execution", "Search for Dog")

# The owner's viewer tests' album and phone, shared here.
trip = test_viewer.trip
touch_page = test_viewer.touch_page


@pytest.fixture
def located(trip: Trip) -> Trip:
    """test_viewer's trip (vera's three photos, the middle one labelled Dog with its box), the
    newest taken in Lisbon, as its owner's page shows it: no share's page may."""
    Photo.objects.filter(pk=trip.newest.pk).update(latitude=38.7139, longitude=-9.1394)
    return trip


def link_to(album: Album, *, originals: bool = False) -> str:
    made = sharing.share_link_create(
        album=album, expires_in=None, allow_download_original=originals, keep_gps_in_originals=False
    )
    return f"/s/{made.token}/"


@pytest.fixture
def anyone(browser: Browser, live_server: object) -> Iterator[BrowserContext]:
    """A browser that never signed in, on a desktop (its pages' viewports are set per test)."""
    context = browser.new_context(base_url=str(live_server))
    context.set_default_timeout(30_000)
    yield context
    context.close()


def at(gallery: str, photo: Photo) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(gallery)}photos/{photo.id}/$")


def ready(page: Page) -> None:
    """viewer.js has set the photo up (it shows the zoom button), so keys and swipes are heard."""
    expect(page.locator('[data-viewer-action="zoom"]')).to_be_visible()


def assert_read_only(page: Page) -> None:
    for name in OWNER_CONTROLS:
        expect(page.get_by_role("link", name=name)).to_have_count(0)
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.locator("#photo-info")).not_to_contain_text("Place")
    assert "38.71" not in page.content()
    assert "openstreetmap" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_anyone_with_a_link_moves_through_the_album_in_the_viewer_and_escape_returns(
    anyone: BrowserContext, located: Trip, width: int, height: int
) -> None:
    gallery = link_to(located.album)
    page = anyone.new_page()
    page.set_viewport_size({"width": width, "height": height})
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    page.goto(gallery)
    expect(page.get_by_role("link", name="Log in")).to_be_visible()  # signed out
    page.locator(f"#photo-{located.middle.id}").get_by_role("link").click()
    expect(page).to_have_url(at(gallery, located.middle))
    viewer = page.get_by_role("region", name="Photo viewer")
    expect(viewer.locator(".viewer__title")).to_have_text("middle.jpg")
    image = viewer.get_by_role("img", name="middle.jpg")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 1024
    assert_read_only(page)
    ready(page)
    # Both neighbours' previews are loaded ahead.
    for neighbour in (located.newest, located.oldest):
        page.wait_for_function(
            "wanted => performance.getEntriesByType('resource')"
            ".some((entry) => entry.name.includes(wanted))",
            arg=f"/{neighbour.id}/1024.jpg",
        )
    documents = len([r for r in requests if r.resource_type == "document"])

    # Pointing at (or clicking) the label's chip outlines it; nothing leaves the page.
    box = page.locator(".label-box", has_text="Dog")
    chip = page.get_by_role("button", name=re.compile("^Dog"))
    chip.click()
    expect(box).to_have_class("label-box label-box--on")
    expect(chip).to_have_attribute("aria-pressed", "true")

    page.keyboard.press("ArrowRight")  # older
    expect(page).to_have_url(at(gallery, located.oldest))
    expect(viewer.locator(".viewer__title")).to_have_text("oldest.jpg")
    expect(page.get_by_role("link", name="Next photo")).to_have_count(0)  # the album's end
    page.keyboard.press("ArrowLeft")
    expect(page).to_have_url(at(gallery, located.middle))
    page.keyboard.press("ArrowLeft")  # newer: the photo with a position in its file
    expect(page).to_have_url(at(gallery, located.newest))
    expect(viewer.locator(".viewer__title")).to_have_text("newest.jpg")
    expect(page.get_by_role("link", name="Previous photo")).to_have_count(0)
    assert_read_only(page)
    # Switched in place: no page was loaded as a document since the first photo.
    assert len([r for r in requests if r.resource_type == "document"]) == documents
    page.go_back()
    expect(page).to_have_url(at(gallery, located.middle))

    page.keyboard.press("Escape")  # back through history to the gallery it was opened from
    expect(page).to_have_url(re.compile(rf"{re.escape(gallery)}$"))
    expect(page.locator(f"#photo-{located.middle.id}")).to_be_visible()


def test_swipes_and_a_tapped_label_work_through_a_link_on_a_phone(
    touch_page: Page, located: Trip
) -> None:
    page = touch_page
    gallery = link_to(located.album)
    page.goto(f"{gallery}photos/{located.middle.id}/")
    expect(page.get_by_role("img", name="middle.jpg")).to_have_js_property("complete", True)
    ready(page)
    box = page.locator(".label-box", has_text="Dog")
    expect(box).to_have_css("opacity", "0")
    chip = page.get_by_role("button", name=re.compile("^Dog"))
    chip.tap()
    expect(box).to_have_class("label-box label-box--on")
    expect(box).to_be_in_viewport()  # the chips are below the picture: it comes into sight
    expect(page).to_have_url(at(gallery, located.middle))
    assert_read_only(page)
    # Opened from a copied link: closing goes to the gallery page that holds the photo.
    page.get_by_role("link", name="Close: back to Trip").tap()
    expect(page).to_have_url(re.compile(rf"{re.escape(gallery)}#photo-{located.middle.id}$"))
    expect(page.locator(f"#photo-{located.middle.id}")).to_be_in_viewport()
    page.go_back()
    expect(page).to_have_url(at(gallery, located.middle))
    expect(page.get_by_role("img", name="middle.jpg")).to_have_js_property("complete", True)
    ready(page)
    swipe(page, 320, 60)  # to the left: the next, older photo
    expect(page).to_have_url(at(gallery, located.oldest))
    expect(page.get_by_role("img", name="oldest.jpg")).to_be_visible()
    swipe(page, 60, 320)
    expect(page).to_have_url(at(gallery, located.middle))
    swipe(page, 60, 320)
    expect(page).to_have_url(at(gallery, located.newest))
    assert_read_only(page)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_zoom_loads_the_links_original_only_when_the_link_allows_originals(
    anyone: BrowserContext, located: Trip, width: int, height: int
) -> None:
    page = anyone.new_page()
    page.set_viewport_size({"width": width, "height": height})
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    closed = link_to(located.album)
    page.goto(f"{closed}photos/{located.middle.id}/")
    image = page.get_by_role("img", name="middle.jpg")
    expect(image).to_have_js_property("complete", True)
    expect(page.get_by_role("link", name="Download original")).to_have_count(0)
    ready(page)
    image.dblclick()
    expect(page.locator("#viewer-canvas")).to_have_class(re.compile("viewer__canvas--zoomed"))
    expect(page.locator("[data-viewer-note]")).to_have_text(
        "Zooming enlarges the 1024 px preview: the original is not shared."
    )
    expect(image).to_have_attribute("src", re.compile(r"/1024\.jpg\?"))
    assert [r.url for r in requests if "/original/" in r.url or "/uploads/" in r.url] == []

    opened = link_to(located.album, originals=True)
    original = f"{opened}photos/{located.middle.id}/original/"
    page.goto(f"{opened}photos/{located.middle.id}/")
    image = page.get_by_role("img", name="middle.jpg")
    expect(image).to_have_js_property("complete", True)
    expect(page.get_by_role("link", name="Download original")).to_have_attribute("href", original)
    page.get_by_role("button", name="Zoom in").click()
    expect(image).to_have_attribute("src", original)  # through the link: its location removed
    expect(image).to_have_js_property("naturalWidth", 1600)
    expect(page.locator("#viewer-canvas")).to_have_class(re.compile("viewer__canvas--zoomed"))
    # Asked for once (each request reads and redacts the whole file), never the owner's
    # presigned original.
    assert len([r for r in requests if r.url.endswith(original)]) == 1
    assert [r.url for r in requests if "/uploads/" in r.url] == []


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_an_account_it_was_shared_with_gets_the_viewer_without_originals(
    page: Page, located: Trip, width: int, height: int
) -> None:
    charlie = make_user("charlie@example.com")
    AlbumShare.objects.create(album=located.album, recipient=charlie)
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, charlie)
    gallery = f"/shared/albums/{located.album.pk}/"
    page.goto(gallery)
    page.locator(f"#photo-{located.newest.id}").get_by_role("link").click()
    expect(page).to_have_url(at(gallery, located.newest))
    page.get_by_role("link", name="Next photo").click()
    expect(page).to_have_url(at(gallery, located.middle))
    expect(page.get_by_role("img", name="middle.jpg")).to_have_js_property("complete", True)
    assert_read_only(page)
    expect(page.get_by_role("link", name="Download original")).to_have_count(0)
    expect(page.locator(".viewer__image[data-original]")).to_have_count(0)
    ready(page)
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(rf"{re.escape(gallery)}$"))


def test_escape_from_past_a_gallery_page_opens_the_page_that_holds_the_photo(
    anyone: BrowserContext, transactional_db: None
) -> None:
    album, in_order = test_viewer.burst(make_user("wim@example.com"))
    gallery = link_to(album)
    page = anyone.new_page()
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(gallery)
    page.locator(f"#photo-{in_order[PHOTOS_PER_PAGE - 1].id}").get_by_role("link").click()
    expect(page).to_have_url(at(gallery, in_order[PHOTOS_PER_PAGE - 1]))
    ready(page)
    page.keyboard.press("ArrowRight")
    last = in_order[PHOTOS_PER_PAGE]
    expect(page).to_have_url(at(gallery, last))
    page.keyboard.press("Escape")
    # The gallery's second page, by the cursor its own Older link carries.
    expect(page).to_have_url(
        re.compile(rf"{re.escape(gallery)}\?after=[0-9]+_[0-9a-f-]+#photo-{last.id}$")
    )
    expect(page.locator(f"#photo-{last.id}")).to_be_in_viewport()
    expect(page.locator(".photo-card")).to_have_count(2)
    page.get_by_role("link", name="Newest").click()
    expect(page.locator(".photo-card")).to_have_count(PHOTOS_PER_PAGE)
