"""Every page of the app under its Content-Security-Policy, in a real browser: nothing is refused.

Chromium reports each thing the policy blocks as a `securitypolicyviolation` event and a console
error ("Refused to ..." in older versions, "... violates the following Content Security Policy
directive" in Debian's 156); both are collected across every navigation, and every response of
the live server must carry the header. Photos go through the real pipeline (finished, rejected,
still processing); the label boxes come from a stored result, as in test_labels_and_search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.mail import EmailMessage
from playwright.sync_api import ConsoleMessage, Page, Response, expect

from accounts.models import User
from albums.models import Album, AlbumShare, Photo
from photoshare.csp import content_security_policy
from processing.local.worker import work_once
from processing.runtime import config
from tests.albums.photo_helpers import finished_photo, run_worker_until_idle
from tests.browser.test_labels_and_search import DOG
from tests.browser.test_upload_flow import log_in
from tests.conftest import PASSWORD, make_user
from tests.processing.images import jpeg, orientation_card

# Runs in every document before its own scripts, so nothing the parser meets goes unseen.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation([
    location.pathname, event.violatedDirective, event.blockedURI,
    event.sourceFile + ":" + event.lineNumber, event.sample,
  ].join(" | "));
}, true);
"""


@dataclass
class PolicyWatch:
    """What the browser refused, and every response of the app, for one page's whole life."""

    origin: str
    violations: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.expose_function("reportCspViolation", self._violation)
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self._console)
        page.on("response", self._response)

    def _violation(self, description: str) -> None:
        self.violations.append(description)

    def _console(self, message: ConsoleMessage) -> None:
        # Older Chromiums say "Refused to apply inline style because it violates the following
        # Content Security Policy directive", Debian's 156 "Applying inline style violates ...".
        if message.text.startswith("Refused to") or "Content Security Policy" in message.text:
            self.refusals.append(message.text)

    def _response(self, response: Response) -> None:
        # The live server answers /static/ itself, before the app's middleware (in production
        # WhiteNoise answers inside it: tests/photoshare/test_csp.py checks that path).
        if response.url.startswith(self.origin) and not response.url.startswith(
            self.origin + "/static/"
        ):
            self.responses.append(response)
            if response.request.resource_type == "document":
                self.paths.append(response.url[len(self.origin) :])

    def assert_clean(self) -> None:
        assert {"violation events": self.violations, "console": self.refusals} == {
            "violation events": [],
            "console": [],
        }
        policy = content_security_policy()
        missing = [
            (response.status, response.url)
            for response in self.responses
            if response.all_headers().get("content-security-policy") != policy
        ]
        assert missing == []


@pytest.fixture
def watch(page: Page, live_server: object) -> PolicyWatch:
    watch = PolicyWatch(origin=str(live_server))
    watch.attach(page)
    return watch


def settle(page: Page) -> None:
    """Lets the page run what it queued (violation events are delivered as tasks)."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)))")


def visit(page: Page, path: str, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == status, path
    settle(page)


def mailed_link(mailoutbox: list[EmailMessage], pattern: str) -> str:
    found = re.search(pattern, mailoutbox[-1].body)
    assert found, mailoutbox[-1].body
    return found.group(0)


def test_a_visitors_pages_break_no_policy(
    page: Page, watch: PolicyWatch, mailoutbox: list[EmailMessage]
) -> None:
    visit(page, "/")
    visit(page, "/accounts/login/")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator(".errorlist, .message, [role=alert]").first).to_be_visible()
    settle(page)

    visit(page, "/accounts/signup/")
    page.get_by_label("Email").fill("kim@example.com")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again):").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))  # "verify your address"
    settle(page)
    visit(page, "/accounts/login/")  # logging in before verifying: the page says why
    page.get_by_label("Email").fill("kim@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text("Verify your address first")).to_be_visible()
    settle(page)
    page.get_by_role("button", name="Send a new link").click()
    expect(page.locator(".messages")).to_contain_text("kim@example.com")
    settle(page)
    visit(page, mailed_link(mailoutbox, r"https?://\S+/accounts/confirm-email/\S+"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your albums")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Your photos, sorted out.")).to_be_visible()

    visit(page, "/accounts/password/reset/")
    page.get_by_label("Email").fill("kim@example.com")
    page.get_by_role("button", name="Reset My Password").click()
    expect(page).to_have_url(re.compile(r"/accounts/password/reset/done/$"))
    settle(page)
    visit(page, mailed_link(mailoutbox, r"https?://\S+/accounts/password/reset/key/\S+"))
    page.get_by_label("New Password:", exact=True).fill(PASSWORD + "!")
    page.get_by_label("New Password (again):").fill(PASSWORD + "!")
    page.get_by_role("button", name="Change Password").click()
    expect(page).to_have_url(re.compile(r"/accounts/password/reset/key/done/$"))
    settle(page)
    visit(page, "/accounts/password/reset/key/1-not-a-key/")  # a bad link's page
    visit(page, "/accounts/confirm-email/not-a-key/")  # an expired confirmation's page
    visit(page, "/accounts/inactive/")
    visit(page, "/no-such-page/", status=404)
    visit(page, "/admin/login/")

    assert len(watch.paths) >= 15
    watch.assert_clean()


def upload(page: Page, files: list[Path], uploaded: int) -> None:
    page.set_input_files("#photo-files", [str(path) for path in files])
    expect(page.locator(".upload-summary")).to_contain_text(f"{uploaded} uploaded")


def test_a_signed_in_persons_pages_break_no_policy(
    page: Page, watch: PolicyWatch, tmp_path: Path
) -> None:
    lena = make_user("lena@example.com")
    User.objects.filter(pk=lena.pk).update(is_staff=True, is_superuser=True)  # for the admin
    good, damaged, later = tmp_path / "tram.jpg", tmp_path / "damaged.jpg", tmp_path / "later.jpg"
    whole = jpeg(orientation_card(800, 600))
    good.write_bytes(whole)
    damaged.write_bytes(whole[: len(whole) // 2])
    later.write_bytes(jpeg(orientation_card(640, 480)))
    notes = tmp_path / "notes.jpg"
    notes.write_text("not a picture\n")

    log_in(page, lena)
    settle(page)
    page.get_by_label("New album").fill("")
    page.get_by_role("button", name="Create album").click()  # the form's error
    settle(page)
    for name in ("Lisbon", "Porch"):
        page.get_by_label("New album").fill(name)
        page.get_by_role("button", name="Create album").click()
        expect(page.get_by_role("heading", name=name)).to_be_visible()
        settle(page)
        visit(page, "/albums/")
    lisbon = Album.objects.get(owner=lena, name="Lisbon")

    # Finished and rejected through the whole pipeline; a text file refused on the page.
    visit(page, f"/albums/{lisbon.pk}/")
    upload(page, [good, damaged, notes], uploaded=2)
    run_worker_until_idle()
    card = page.locator(".photo-card", has_text="tram.jpg")
    expect(card.locator(".status")).to_have_text("Done")
    rejected = page.locator(".photo-card", has_text="damaged.jpg")
    expect(rejected.locator(".status")).to_have_text("Rejected")
    expect(rejected).to_contain_text("The image is damaged or incomplete (its data ends early)")
    # Still processing: the S3 notification has started its execution, which waits its turn.
    upload(page, [later], uploaded=1)
    assert work_once(config().local_queue(), config())
    expect(page.locator(".photo-card", has_text="later.jpg").locator(".status")).to_have_text(
        "Processing"
    )
    settle(page)
    visit(page, f"/albums/{lisbon.pk}/")  # the three, rendered by the server
    # Select mode: the toolbar, ticked tiles, and a move's answer (the page again, with a message).
    page.get_by_role("button", name="Select", exact=True).click()
    page.get_by_role("button", name="Select all").click()
    expect(page.get_by_text("All 3 photos selected")).to_be_visible()
    settle(page)
    page.get_by_label("Album to move the photos to").select_option(label="Porch")
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_text("Moved 3 photos to “Porch”.")).to_be_visible()
    settle(page)
    porch = Album.objects.get(owner=lena, name="Porch")
    page.goto(f"/albums/{porch.pk}/")
    page.get_by_role("button", name="Select", exact=True).click()
    page.get_by_role("button", name="Select all").click()
    page.get_by_label("Album to move the photos to").select_option(label="Lisbon")
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_text("Moved 3 photos to “Lisbon”.")).to_be_visible()
    settle(page)
    visit(page, "/albums/")  # a photo cover and a coloured letter
    expect(page.locator(".album-card__cover--photo")).to_have_count(1)

    photos = {photo.original_filename: photo for photo in Photo.objects.filter(album=lisbon)}
    for name in ("tram.jpg", "damaged.jpg", "later.jpg"):
        visit(page, f"/photos/{photos[name].id}/")
    for name in ("tram.jpg", "damaged.jpg"):
        visit(page, f"/photos/{photos[name].id}/execution/")
    visit(page, f"/photos/{photos['tram.jpg'].id}/delete/")

    # Label boxes, placed by viewer.js from their data attributes.
    rex = finished_photo(lisbon, "rex.jpg", [DOG])
    visit(page, f"/photos/{rex.id}/")
    box = page.locator(".label-box", has_text="Dog")
    assert box.evaluate("box => [box.style.left, box.style.top, box.style.width]") == [
        "17%",
        "38%",
        "30%",
    ]
    page.locator(".facts .chip", has_text="Dog").hover()
    expect(box).to_have_class("label-box label-box--on")
    # Label corrections swap in server-rendered labels and boxes, with no reload.
    page.get_by_role("button", name="Remove the label Dog").click()
    expect(page.get_by_role("button", name="Put back the label Dog")).to_be_visible()
    page.get_by_role("textbox", name="Add a tag of your own").fill("Rex")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".chip--own", has_text="Rex")).to_be_visible()
    page.get_by_role("button", name="Put back the label Dog").click()
    expect(page.locator(".label-box", has_text="Dog")).to_have_count(1)
    # The viewer opened from a search, switching photos in place and zooming to the original.
    visit(page, f"/photos/{photos['later.jpg'].id}/?q=dog")
    in_order = list(lisbon.photos.newest_first())
    visit(page, f"/photos/{in_order[in_order.index(photos['tram.jpg']) - 1].id}/")
    page.get_by_role("link", name="Next photo").click()
    expect(page).to_have_url(re.compile(rf"/photos/{photos['tram.jpg'].id}/$"))
    page.get_by_role("img", name="tram.jpg").dblclick()
    expect(page.get_by_role("button", name="Zoom out")).to_be_visible()
    expect(page.get_by_role("img", name="tram.jpg")).to_have_attribute("src", re.compile("uploads"))
    settle(page)
    visit(page, "/albums/")  # the viewer is full-screen: the header's search is on other pages

    page.get_by_role("searchbox", name="Search your photos by label").fill("dog")
    page.keyboard.press("Enter")
    expect(page.locator(".photo-card")).to_have_count(1)
    settle(page)
    visit(page, "/search/?q=nothing-at-all")
    visit(page, "/timeline/")  # month headings, the month index and auto-submit.js
    page.get_by_label("Jump to").select_option(index=0)
    expect(page).to_have_url(re.compile(r"/timeline/\?month="))
    settle(page)
    visit(page, f"/albums/{lisbon.pk}/?sort=taken")  # the sort control and its note
    visit(page, f"/albums/{lisbon.pk}/rename/")
    visit(page, f"/albums/{lisbon.pk}/delete/")
    visit(page, "/albums/999999/", status=404)
    visit(page, "/account/")
    visit(page, "/account/delete/")
    page.get_by_label("Type your password to confirm").fill("not my password")
    page.get_by_role("button", name="Delete my account and photos").click()
    expect(page.get_by_text("That is not your password")).to_be_visible()
    settle(page)
    visit(page, "/accounts/password/change/")
    visit(page, "/accounts/email/")  # allauth's page with its own scripts
    visit(page, "/accounts/reauthenticate/")

    # Sharing: the Share page with a new link and a person, the link's gallery and photo page,
    # and an album another account shared with lena.
    make_user("sam@example.com")
    visit(page, f"/albums/{lisbon.pk}/share/")
    page.get_by_label("Allow downloading the originals").check()
    page.get_by_role("button", name="Create a link").click()
    expect(page.locator("#new-link-url")).to_be_visible()
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("[data-copy-status]")).not_to_be_empty()
    settle(page)
    link = page.locator("#new-link-url").input_value()
    page.get_by_label("E-mail address").fill("sam@example.com")
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.locator(".share-list__email")).to_have_text("sam@example.com")
    settle(page)
    visit(page, link)
    visit(page, f"{link}photos/{photos['tram.jpg'].id}/")
    page.keyboard.press("ArrowRight")  # viewer.js switches to the older photo in place
    settle(page)
    olga = make_user("olga@example.com")
    olgas = Album.objects.create(owner=olga, name="Olga's")
    AlbumShare.objects.create(album=olgas, recipient=lena)
    shared = finished_photo(olgas, "olga.jpg", [DOG])
    visit(page, "/albums/")
    visit(page, f"/shared/albums/{olgas.pk}/")
    visit(page, f"/shared/albums/{olgas.pk}/photos/{shared.id}/")
    visit(page, "/s/not-a-link/", status=404)

    visit(page, "/admin/")
    for path in ("albums/album/", "albums/photo/", "accounts/user/"):
        visit(page, f"/admin/{path}")
    visit(page, f"/admin/albums/photo/{photos['tram.jpg'].id}/change/")
    visit(page, f"/admin/albums/album/{lisbon.pk}/change/")
    visit(page, f"/admin/accounts/user/{lena.pk}/change/")
    visit(page, "/admin/accounts/user/add/")

    visit(page, "/accounts/logout/")  # the confirmation page
    page.get_by_role("button", name="Sign Out").click()
    expect(page.get_by_role("heading", name="Your photos, sorted out.")).to_be_visible()
    settle(page)

    assert len(watch.paths) >= 30
    watch.assert_clean()


def test_changing_the_password_and_deleting_the_account_break_no_policy(
    page: Page, watch: PolicyWatch
) -> None:
    max_ = make_user("max@example.com")
    Album.objects.create(owner=max_, name="Trips")
    log_in(page, max_)
    page.get_by_role("link", name="max@example.com").click()  # the header's account link
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    settle(page)
    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Current Password:").fill(PASSWORD)
    page.get_by_label("New Password:", exact=True).fill(PASSWORD + "!")
    page.get_by_label("New Password (again):").fill(PASSWORD + "!")
    page.get_by_role("button", name="Change Password").click()
    expect(
        page.get_by_role("heading", name="Your account", exact=True)
    ).to_be_visible()  # the way on
    settle(page)
    page.get_by_role("link", name="Delete account").click()
    page.get_by_label("Type your password to confirm").fill(PASSWORD + "!")
    page.get_by_role("button", name="Delete my account and photos").click()
    expect(page.locator(".messages")).to_contain_text("Goodbye")
    settle(page)
    assert not User.objects.filter(email="max@example.com").exists()
    watch.assert_clean()
