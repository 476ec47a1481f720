"""Uploading in a real browser: three files at once, through tickets, storage and the pipeline."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from accounts.models import User
from albums.models import Album
from processing.local import worker
from tests.conftest import PASSWORD, make_user
from tests.processing.exif_fixtures import LISBON_GPS
from tests.processing.images import TOP_LEFT, exif_block, jpeg, orientation_card, png, stored_for


@pytest.fixture
def running_worker(var_dir: Path) -> Iterator[None]:
    """The pipeline worker, as `make run` starts it, on this test's var/ folder."""
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop.is_set,), kwargs={"idle_wait": 0.05})
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


def log_in(page: Page, user: User) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Your albums")).to_be_visible()


def test_upload_three_files_and_watch_them_become_cards(
    page: Page, running_worker: None, tmp_path: Path
) -> None:
    gina = make_user("gina@example.com")
    album = Album.objects.create(owner=gina, name="Lisbon")
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
    notes = tmp_path / "notes.jpg"
    notes.write_text("person\nbicycle\ncar\n")

    log_in(page, gina)
    page.goto(f"/albums/{album.pk}/")
    page.set_input_files("#photo-files", [str(turned), str(drawing), str(notes)])

    cards = page.locator(".photo-card")
    expect(cards).to_have_count(3)
    tram = page.locator(".photo-card", has_text="lisbon-tram.jpg")
    expect(tram.locator(".status")).to_have_text("Done", timeout=30_000)
    expect(page.locator(".photo-card", has_text="drawing.png").locator(".status")).to_have_text(
        "Done"
    )
    rejected = page.locator(".photo-card", has_text="notes.jpg")
    expect(rejected.locator(".status")).to_have_text("Rejected")
    expect(rejected).to_contain_text("Not a JPEG or PNG image")

    expect(tram).to_contain_text("1200 × 800")
    expect(tram).to_contain_text("Canon EOS R6")
    expect(tram).to_contain_text("1 May 2026, 09:30")
    expect(tram.get_by_role("link", name="38.71390, -9.13940")).to_be_visible()
    image = tram.locator("img")
    expect(image).to_have_js_property("complete", True)
    width, height, top_left = image.evaluate(
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
    assert (width, height) == (250, 167)  # upright: the stored picture was portrait
    assert all(abs(a - b) < 16 for a, b in zip(top_left, TOP_LEFT, strict=True))

    tram.get_by_role("link").first.click()
    page.get_by_role("link", name="Pipeline execution").click()
    expect(page.locator(".status--large")).to_have_text("Succeeded")
    for state in (
        "ExtractImageMetadata",
        "ImageTypeCheck",
        "TransformMetadata",
        "StoreImageMetadata",
        "ParallelProcessing",
        "Thumbnails",
        "RecordSuccess",
    ):
        expect(page.locator(f'[data-state="{state}"]')).to_have_class("state state--succeeded")


def test_files_of_the_wrong_type_or_size_are_refused_before_sending(
    page: Page, tmp_path: Path, settings: Settings
) -> None:
    settings.PHOTOSHARE_MAX_UPLOAD_BYTES = 5_000
    hana = make_user("hana@example.com")
    album = Album.objects.create(owner=hana, name="Mixed")
    big = tmp_path / "big.png"
    big.write_bytes(png(orientation_card(600, 600).effect_spread(5)))
    gif = tmp_path / "anim.gif"
    orientation_card(20, 20).save(gif)

    log_in(page, hana)
    page.goto(f"/albums/{album.pk}/")
    page.set_input_files("#photo-files", [str(big), str(gif)])
    expect(page.locator(".upload--failed")).to_have_count(2)
    expect(page.locator(".upload", has_text="big.png")).to_contain_text("Larger than")
    expect(page.locator(".upload", has_text="anim.gif")).to_contain_text("Not a JPEG or PNG image")
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
    expect(card).to_contain_text("300 × 200")
