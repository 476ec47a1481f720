"""A person's first visit, end to end in a real browser: from sign-up to logging out."""

from __future__ import annotations

import re

from django.core.mail import EmailMessage
from playwright.sync_api import Browser, Page, expect

from albums.models import Album
from tests.conftest import PASSWORD, make_user

EMAIL = "dana@example.com"


def verification_link(mailoutbox: list[EmailMessage]) -> str:
    assert len(mailoutbox) == 1, [m.subject for m in mailoutbox]
    assert mailoutbox[0].to == [EMAIL]
    match = re.search(r"https?://\S+/accounts/confirm-email/\S+", mailoutbox[0].body)
    assert match, mailoutbox[0].body
    return match.group(0)


def test_sign_up_verify_log_in_manage_an_album_and_log_out(
    page: Page, browser: Browser, mailoutbox: list[EmailMessage]
) -> None:
    page.goto("/")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again):").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Verify your e-mail address")).to_be_visible()

    # The mail is opened elsewhere, like a phone's mail app: a browser with no session.
    other = browser.new_context(base_url=page.context.pages[0].url)
    mail_tab = other.new_page()
    mail_tab.goto(verification_link(mailoutbox))
    mail_tab.get_by_role("button", name="Confirm").click()
    expect(mail_tab.get_by_role("heading", name="Sign In")).to_be_visible()
    mail_tab.get_by_label("Email").fill(EMAIL)
    mail_tab.get_by_label("Password").fill(PASSWORD)
    mail_tab.get_by_role("button", name="Sign In").click()
    expect(mail_tab.get_by_role("heading", name="Your albums")).to_be_visible()
    expect(mail_tab.get_by_text("No albums yet.")).to_be_visible()
    page = mail_tab

    # Create: a blank name is refused on the page, a real one opens the new album.
    page.get_by_role("button", name="Create album").click()
    expect(page.get_by_text("Give the album a name.")).to_be_visible()
    page.get_by_label("New album").fill("  Road trip  ")
    page.get_by_role("button", name="Create album").click()
    expect(page.get_by_role("heading", name="Road trip")).to_be_visible()
    expect(page.get_by_text("Album “Road trip” created.")).to_be_visible()

    # Rename.
    page.get_by_role("link", name="Rename").click()
    page.get_by_label("Album name").fill("Road trip 2026")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Road trip 2026")).to_be_visible()
    page.get_by_role("link", name="Albums", exact=True).first.click()
    expect(page.get_by_role("link", name="Road trip 2026")).to_be_visible()
    expect(page.get_by_text("0 photos")).to_be_visible()

    # Delete, which asks first.
    page.get_by_role("link", name="Road trip 2026").click()
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete “Road trip 2026”?")).to_be_visible()
    page.get_by_role("button", name="Delete album").click()
    expect(page.get_by_text("Album “Road trip 2026” deleted.")).to_be_visible()
    expect(page.get_by_text("No albums yet.")).to_be_visible()
    assert not Album.objects.exists()

    # Log out: the albums are private again.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Your photos, sorted out.")).to_be_visible()
    page.goto("/albums/")
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()
    other.close()


def test_pages_fit_a_phone_screen_without_sideways_scrolling(page: Page) -> None:
    user = make_user("erin@example.com")
    Album.objects.create(owner=user, name="A rather long album name that must wrap on a phone")
    page.set_viewport_size({"width": 375, "height": 740})

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("erin@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Your albums")).to_be_visible()

    for path in ("/", "/albums/", "/accounts/password/reset/"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"


def test_a_forgotten_password_is_reset_through_the_mailed_link(
    page: Page, mailoutbox: list[EmailMessage]
) -> None:
    make_user("frank@example.com")
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("frank@example.com")
    page.get_by_role("button", name="Reset My Password").click()
    expect(page.get_by_role("heading", name="Password Reset")).to_be_visible()

    match = re.search(r"https?://\S+/accounts/password/reset/key/\S+", mailoutbox[-1].body)
    assert match, mailoutbox[-1].body
    page.goto(match.group(0))
    new_password = "an entirely new passphrase 7"
    page.get_by_label("New Password:", exact=True).fill(new_password)
    page.get_by_label("New Password (again):").fill(new_password)
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text("Your password is now changed.")).to_be_visible()

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("frank@example.com")
    page.get_by_label("Password").fill(new_password)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Your albums")).to_be_visible()
