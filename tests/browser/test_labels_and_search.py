"""Labels on the photo page, search, and the gallery tiles that lead there, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from albums.models import Album, Photo
from processing.recognition.labels import BoundingBox, Instance, Label
from tests.albums.photo_helpers import finished_photo
from tests.browser.test_upload_flow import log_in
from tests.conftest import make_user

PEOPLE = Label(
    "Person",
    74.4,
    "local",
    "nanodet-g/test",
    instances=tuple(Instance(BoundingBox(0.1 * i, 0.5, 0.06, 0.3), 70.0) for i in range(7)),
)
DOG = Label(
    "Dog",
    87.4,
    "local",
    "nanodet-g/test",
    instances=(Instance(BoundingBox(0.17, 0.38, 0.3, 0.56), 87.4),),
    parents=("Pet", "Mammal", "Animal"),
)
MALAMUTE = Label("Malamute", 67.8, "local", "efficientnet/test", parents=("Dog", "Animal"))


@pytest.fixture
def ines(transactional_db: None) -> User:
    user = make_user("ines@example.com")
    beach = Album.objects.create(owner=user, name="Beach")
    porch = Album.objects.create(owner=user, name="Porch")
    finished_photo(beach, "kites.jpg", [PEOPLE])
    finished_photo(porch, "rex.jpg", [DOG, MALAMUTE])
    # Someone else's dog must never show up in Ines's search.
    other = make_user("olaf@example.com")
    finished_photo(Album.objects.create(owner=other, name="Olaf's"), "olafs-dog.jpg", [DOG])
    return user


def test_chips_search_and_outlines(page: Page, ines: User) -> None:
    log_in(page, ines)
    page.get_by_role("searchbox", name="Search your photos by label").fill("animals")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Photos of “animals”")).to_be_visible()
    expect(page.locator(".photo-card")).to_have_count(1)
    card = page.locator(".photo-card", has_text="rex.jpg")

    # The tile leads to the photo page, where the labels are.
    card.get_by_role("link").first.click()
    chip = page.locator(".facts .chip", has_text="Dog")
    expect(chip).to_have_attribute(
        "title", "Dog: 87% confident · a kind of Pet, Mammal, Animal · nanodet-g/test"
    )
    expect(chip).to_contain_text("87%")
    box = page.locator(".label-box", has_text="Dog")
    expect(box).to_have_css("opacity", "0")
    chip.hover()
    expect(box).to_have_class("label-box label-box--on")
    # Searching for a label is the link beside its chip (the chip itself outlines it).
    page.get_by_role("link", name="Search for Malamute").click()
    expect(page.get_by_role("heading", name="Photos of “Malamute”")).to_be_visible()

    page.get_by_role("searchbox", name="Label to search for").fill("people")
    page.get_by_role("button", name="Search").click()
    people = page.locator(".photo-card", has_text="kites.jpg")
    people.get_by_role("link").first.click()
    expect(page.locator(".facts .chip")).to_have_text(re.compile(r"^Person ×7 \d+%$"))


def test_the_owner_removes_a_label_and_adds_a_tag_without_a_reload(page: Page, ines: User) -> None:
    rex = Photo.objects.get(original_filename="rex.jpg")
    log_in(page, ines)
    page.goto(f"/photos/{rex.id}/?q=dog")
    page.evaluate("window.sameDocument = true")  # gone if the page loads again
    labels = page.locator("#photo-labels")

    page.get_by_role("button", name="Remove the label Dog").click()
    expect(labels.get_by_role("status")).to_have_text("Removed “Dog”.")
    expect(labels.locator(".chips button.chip")).to_have_count(0)  # Dog was the one with boxes
    expect(page.locator(".label-box")).to_have_count(0)
    expect(page.get_by_role("button", name="Put back the label Dog")).to_be_visible()

    tag = page.get_by_role("textbox", name="Add a tag of your own")
    tag.fill("  Good   Boy ")
    tag.press("Enter")
    expect(labels.locator(".chip--own")).to_have_text("Good Boy yours")
    expect(page.get_by_role("textbox", name="Add a tag of your own")).to_be_focused()
    page.get_by_role("textbox", name="Add a tag of your own").fill("malamute")
    page.keyboard.press("Enter")
    expect(labels.get_by_role("status")).to_have_text("The photo is already labelled “Malamute”")
    expect(page.get_by_role("textbox", name="Add a tag of your own")).to_have_value("malamute")

    # Putting Dog back brings its chip, and its outline, back.
    page.get_by_role("button", name="Put back the label Dog").click()
    chip = labels.locator("button.chip", has_text="Dog")
    chip.click()
    expect(page.locator(".label-box", has_text="Dog")).to_have_class("label-box label-box--on")
    assert page.evaluate("window.sameDocument") is True
    assert page.url.endswith(f"/photos/{rex.id}/?q=dog")

    # Search agrees: the tag finds the photo, and a removed label no longer does.
    page.get_by_role("button", name="Remove the label Malamute").click()
    expect(page.get_by_role("button", name="Put back the label Malamute")).to_be_visible()
    page.goto("/search/?q=good+boy")
    expect(page.locator(".photo-card", has_text="rex.jpg")).to_have_count(1)
    page.goto("/search/?q=malamute")
    expect(page.locator(".photo-card")).to_have_count(0)
