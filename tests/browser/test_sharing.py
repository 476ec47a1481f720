"""Sharing in a real browser, on a desktop and a phone: the owner makes a link, someone signed out
opens its gallery and a photo, the owner revokes it and the link is a 404. The sharing pages fit
320 and 375 px, light and dark, without scrolling sideways."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from albums.models import Album, AlbumShare
from albums.outcomes import refresh_photos
from tests.albums.photo_helpers import run_worker_until_idle, upload
from tests.browser.test_phone_layout import OVERFLOW
from tests.browser.test_upload_flow import log_in
from tests.conftest import make_user
from tests.processing.exif_fixtures import LISBON_GPS
from tests.processing.images import exif_block, jpeg, orientation_card


@pytest.fixture
def alice(transactional_db: None) -> User:
    return make_user("alice@example.com")


@pytest.fixture
def album(alice: User) -> Album:
    """Two finished photos, one of them with a GPS position."""
    album = Album.objects.create(owner=alice, name="Lisbon 2026")
    client = Client()
    client.force_login(alice)
    located = jpeg(orientation_card(800, 600), exif=exif_block(make="Canon", gps=LISBON_GPS))
    upload(client, album, located, filename="tram.jpg")
    upload(client, album, jpeg(orientation_card(640, 480)), filename="river.jpg")
    run_worker_until_idle()
    refresh_photos(list(album.photos.select_related("album")))  # as the owner's gallery does
    return album


def fits(page: Page) -> None:
    assert page.evaluate(OVERFLOW) <= 0, f"{page.url} scrolls sideways"


@pytest.mark.parametrize("width", [1280, 375])
def test_a_link_opens_the_album_signed_out_until_it_is_revoked(
    page: Page, browser: Browser, live_server: object, alice: User, album: Album, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, alice)
    page.goto(f"/albums/{album.pk}/")
    expect(page.locator(".photo-card .status", has_text="Done")).to_have_count(2)
    page.get_by_role("link", name="Share", exact=True).click()
    expect(page.get_by_role("heading", name="Share “Lisbon 2026”")).to_be_visible()
    page.get_by_role("button", name="Create a link").click()
    link = page.locator("#new-link-url")
    expect(link).to_have_value(re.compile(r"/s/[A-Za-z0-9_-]{43}/$"))
    url = link.input_value()
    fits(page)

    visitor = browser.new_context(viewport={"width": width, "height": 800})
    try:
        shared = visitor.new_page()
        response = shared.goto(url)
        assert response is not None
        assert response.status == 200
        expect(shared.get_by_role("heading", name="Lisbon 2026")).to_be_visible()
        tiles = shared.locator(".photo-card img")
        expect(tiles).to_have_count(2)
        for index in range(2):
            expect(tiles.nth(index)).to_have_js_property("complete", True)
            assert tiles.nth(index).evaluate("img => img.naturalWidth") > 0
        expect(shared.get_by_role("link", name="Log in")).to_be_visible()  # signed out
        fits(shared)
        shared.locator(".photo-card__link").first.click()
        expect(shared.get_by_role("heading", name="river.jpg")).to_be_visible()
        preview = shared.get_by_role("img", name="river.jpg")
        expect(preview).to_have_js_property("complete", True)
        assert preview.evaluate("img => img.naturalWidth") == 640
        expect(shared.get_by_text("Place")).to_have_count(0)
        fits(shared)
        shared.keyboard.press("ArrowRight")  # to the older photo, in the viewer
        expect(shared.get_by_role("heading", name="tram.jpg")).to_be_visible()
        expect(shared.locator("body")).not_to_contain_text("38.71")
        shared.keyboard.press("ArrowLeft")
        expect(shared.get_by_role("heading", name="river.jpg")).to_be_visible()

        page.goto(f"/albums/{album.pk}/share/")
        page.get_by_role("button", name="Revoke").click()
        expect(page.locator(".messages")).to_contain_text("Link revoked")
        expect(page.get_by_role("button", name="Revoke")).to_have_count(0)

        gone = shared.goto(url)
        assert gone is not None
        assert gone.status == 404
        photo_page = shared.goto(url + "photos/" + str(album.photos.first().pk) + "/")  # type: ignore[union-attr]
        assert photo_page is not None
        assert photo_page.status == 404
    finally:
        visitor.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_sharing_pages_fit_a_phone(
    browser: Browser, live_server: object, alice: User, album: Album, scheme: str
) -> None:
    charlie = make_user("charlie.with.a.rather.long.address@example.com")
    AlbumShare.objects.create(album=album, recipient=charlie)
    context = browser.new_context(
        base_url=str(live_server), viewport={"width": 320, "height": 640}, color_scheme=scheme
    )
    try:
        page = context.new_page()
        log_in(page, alice)
        page.goto(f"/albums/{album.pk}/share/")
        page.get_by_label("Allow downloading the originals").check()
        page.get_by_role("button", name="Create a link").click()
        url = page.locator("#new-link-url").input_value()
        for width in (320, 375):
            page.set_viewport_size({"width": width, "height": 640})
            page.goto(f"/albums/{album.pk}/share/")
            expect(page.locator(".share-list__email")).to_contain_text("charlie.with")
            fits(page)
            page.goto(url)
            fits(page)
            page.locator(".photo-card__link").first.click()
            expect(page.get_by_role("link", name="Download original")).to_be_visible()
            fits(page)
        page.goto("/albums/")  # the viewer is full screen: the site's header is hidden there
        page.get_by_role("button", name="Account").click()
        page.get_by_role("button", name="Log out").click()
        log_in(page, charlie)
        expect(page.get_by_role("heading", name="Shared with you")).to_be_visible()
        fits(page)
        page.get_by_role("link", name="Lisbon 2026").click()
        expect(page.get_by_text("Shared with you by alice@example.com")).to_be_visible()
        fits(page)
        page.locator(".photo-card__link").first.click()
        expect(page.locator(".viewer__image")).to_be_visible()
        fits(page)
    finally:
        context.close()
