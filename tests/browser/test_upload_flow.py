"""Uploading in a real browser: a few files at once, through tickets, storage and the pipeline."""

from __future__ import annotations

import random
import re
from pathlib import Path

from django.core.mail import EmailMessage
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from accounts.models import User
from albums.models import Album
from tests.albums.photo_helpers import SUCCESSFUL_STATES
from tests.conftest import PASSWORD, UsePipeline, make_user
from tests.processing.exif_fixtures import LISBON_GPS
from tests.processing.images import TOP_LEFT, exif_block, jpeg, orientation_card, png, stored_for


def log_in(page: Page, user: User) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Your albums")).to_be_visible()


def top_left_of(image: Locator) -> tuple[int, int, list[int]]:
    """Natural size and the colour a quarter in from the top-left corner, read from the pixels."""
    expect(image).to_have_js_property("complete", True)
    return image.evaluate(
        """img => {
            const canvas = document.createElement('canvas');
            canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
            const context = canvas.getContext('2d');
            context.drawImage(img, 0, 0);
            const pixel = context.getImageData(
                img.naturalWidth / 4, img.naturalHeight / 4, 1, 1).data;
            return [img.naturalWidth, img.naturalHeight, Array.from(pixel.slice(0, 3))];
        }"""
    )


def test_sign_up_create_an_album_upload_three_files_and_see_the_results(
    page: Page, running_worker: None, tmp_path: Path, mailoutbox: list[EmailMessage]
) -> None:
    turned = tmp_path / "lisbon-tram.jpg"
    turned.write_bytes(
        jpeg(
            stored_for(orientation_card(1200, 800), 6),
            exif=exif_block(
                orientation=6,
                make="Canon",
                model="Canon EOS R6",
                taken_at="2026:05:01 09:30:12",
                gps=LISBON_GPS,
            ),
        )
    )
    drawing = tmp_path / "drawing.png"
    drawing.write_bytes(png(orientation_card(640, 480)))
    # A JPEG by its first bytes, so it is sent; the pipeline finds it cut short.
    damaged = tmp_path / "damaged.jpg"
    whole = jpeg(orientation_card(400, 300))
    damaged.write_bytes(whole[: len(whole) // 2])
    notes = tmp_path / "notes.jpg"
    notes.write_text("person\nbicycle\ncar\n")

    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("gina@example.com")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again):").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mailoutbox[-1].body)
    assert link
    page.goto(link.group(0))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("New album").fill("Lisbon")
    page.get_by_role("button", name="Create album").click()
    expect(page.get_by_role("heading", name="Lisbon")).to_be_visible()

    page.set_input_files("#photo-files", [str(turned), str(drawing), str(damaged), str(notes)])

    # The text file is refused on the page, by its content: it never becomes a photo.
    refused = page.locator(".upload--failed", has_text="notes.jpg")
    expect(refused).to_contain_text(
        "Not a JPEG, PNG, WebP, HEIC or AVIF image (it looks like text)"
    )
    cards = page.locator(".photo-card")
    expect(cards).to_have_count(3)
    tram = page.locator(".photo-card", has_text="lisbon-tram.jpg")
    expect(tram.locator(".status")).to_have_text("Done", timeout=30_000)
    expect(page.locator(".photo-card", has_text="drawing.png").locator(".status")).to_have_text(
        "Done"
    )
    rejected = page.locator(".photo-card", has_text="damaged.jpg")
    expect(rejected.locator(".status")).to_have_text("Rejected")
    expect(rejected).to_contain_text("The image is damaged or incomplete")

    width, height, top_left = top_left_of(tram.locator("img"))
    assert (width, height) == (250, 167)  # upright: the stored picture was portrait
    assert all(abs(a - b) < 16 for a, b in zip(top_left, TOP_LEFT, strict=True))
    drawing_card = page.locator(".photo-card", has_text="drawing.png")
    width, height, top_left = top_left_of(drawing_card.locator("img"))
    assert (width, height) == (250, 188)
    assert all(abs(a - b) < 16 for a, b in zip(top_left, TOP_LEFT, strict=True))

    # The tiles are pictures alone; each photo's details are on its page.
    drawing_card.get_by_role("link").first.click()
    expect(page.locator(".facts")).to_contain_text("640 × 480")
    page.go_back()
    tram.get_by_role("link").first.click()
    facts = page.locator(".facts")
    expect(facts).to_contain_text("1200 × 800")
    expect(facts).to_contain_text("Canon EOS R6")
    expect(facts).to_contain_text("1 May 2026, 09:30")
    expect(facts.get_by_role("link", name="38.71390, -9.13940")).to_be_visible()
    page.get_by_role("link", name="Pipeline execution").click()
    # The photo's status, in its card's words: "Done", not the execution's "Succeeded".
    expect(page.locator(".status--large")).to_have_text("Done")
    for state in SUCCESSFUL_STATES:
        expect(page.locator(f'[data-state="{state}"]')).to_have_class("state state--succeeded")


def test_files_of_the_wrong_type_or_size_are_refused_before_sending(
    page: Page, tmp_path: Path, use_pipeline: UsePipeline
) -> None:
    limit = use_pipeline(PHOTOSHARE_MAX_UPLOAD_BYTES="5000").limits.max_bytes
    hana = make_user("hana@example.com")
    album = Album.objects.create(owner=hana, name="Mixed")
    big = tmp_path / "big.png"
    # Noise from a fixed seed: far over the limit every time (a smooth picture may compress under).
    noise = random.Random(5).randbytes(200 * 200 * 3)
    big.write_bytes(png(Image.frombytes("RGB", (200, 200), noise)))
    assert big.stat().st_size > 10 * limit
    gif = tmp_path / "anim.gif"
    orientation_card(20, 20).save(gif)

    log_in(page, hana)
    page.goto(f"/albums/{album.pk}/")
    page.set_input_files("#photo-files", [str(big), str(gif)])
    expect(page.locator(".upload--failed")).to_have_count(2)
    expect(page.locator(".upload", has_text="big.png")).to_contain_text("Larger than")
    expect(page.locator(".upload", has_text="anim.gif")).to_contain_text(
        "Not a JPEG, PNG, WebP, HEIC or AVIF image"
    )
    expect(page.locator(".photo-card")).to_have_count(0)
    assert not album.photos.exists()


def test_dropping_a_file_on_the_album_uploads_it(page: Page, running_worker: None) -> None:
    ivan = make_user("ivan@example.com")
    album = Album.objects.create(owner=ivan, name="Dropped")
    log_in(page, ivan)
    page.goto(f"/albums/{album.pk}/")
    dropped = page.evaluate_handle(
        """bytes => {
            const transfer = new DataTransfer();
            const file = new File([new Uint8Array(bytes)], 'dropped.jpg', {type: 'image/jpeg'});
            transfer.items.add(file);
            return transfer;
        }""",
        list(jpeg(orientation_card(300, 200))),
    )
    page.dispatch_event(".dropzone", "drop", {"dataTransfer": dropped})
    card = page.locator(".photo-card", has_text="dropped.jpg")
    expect(card.locator(".status")).to_have_text("Done", timeout=30_000)
    card.get_by_role("link").first.click()
    expect(page.locator(".facts")).to_contain_text("300 × 200")
