"""A camera roll in a real browser: many files at once, duplicates, types by content, retries.

Everything the pipeline does is waited for with generous timeouts, never with fixed sleeps: the CI
machine is a loaded two-core box.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from playwright.sync_api import APIResponse, Page, Request, Response, Route, expect

from albums.models import Album, Photo
from tests.browser.test_upload_flow import log_in
from tests.conftest import make_user
from tests.processing.images import encode, jpeg, orientation_card, png

HEIF = Path(__file__).resolve().parents[1] / "processing" / "heif"
PIPELINE_TIMEOUT = 300_000  # ms: 150 photos through recognition on a busy machine
UPLOAD_TIMEOUT = 120_000


def camera_roll(folder: Path, count: int, *, start: int = 0) -> list[Path]:
    """Small pictures, every one different (its own size), alternately JPEG and PNG."""
    folder.mkdir(exist_ok=True)
    paths = []
    for number in range(start, start + count):
        card = orientation_card(40 + (number % 16) * 4, 30 + (number // 16) * 2)
        if number % 2:
            path, data = folder / f"IMG_{number:04d}.PNG", png(card)
        else:
            path, data = folder / f"IMG_{number:04d}.JPG", jpeg(card)
        path.write_bytes(data)
        paths.append(path)
    return paths


def names(paths: list[Path]) -> list[str]:
    return [str(path) for path in paths]


class Traffic:
    """What the page asked for and what it got, from Playwright's network events."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.ticket_requests: list[list[dict[str, object]]] = []
        self.uploads = 0
        self.uploads_in_flight = 0
        self.most_uploads_at_once = 0
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("requestfailed", self._failed)
        page.on("pageerror", lambda error: self.errors.append(f"script error: {error}"))

    @staticmethod
    def _is_upload(request: Request) -> bool:
        return request.method == "POST" and "/local-s3/" in request.url

    def _request(self, request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/uploads/"):
            self.ticket_requests.append(request.post_data_json["files"])
        if self._is_upload(request):
            self.uploads += 1
            self.uploads_in_flight += 1
            self.most_uploads_at_once = max(self.most_uploads_at_once, self.uploads_in_flight)

    # The response's headers arrive before the page's script hears of it and starts the next
    # upload, so counting down here never counts a finished upload as still in flight.
    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.errors.append(f"{response.status} {response.request.method} {response.url}")
        if self._is_upload(response.request):
            self.uploads_in_flight -= 1

    def _failed(self, request: Request) -> None:
        if self._is_upload(request):
            self.uploads_in_flight -= 1

    def asked_for(self) -> list[str]:
        return [str(file["filename"]) for batch in self.ticket_requests for file in batch]


# Every rank each card shows, in order, recorded in the page as the DOM changes.
RECORD_RANKS = """
window.__ranks = {};
document.addEventListener("DOMContentLoaded", () => {
  const grid = document.getElementById("photo-grid");
  if (!grid) return;  // not the album page
  const note = (card) => {
    if (card.nodeType !== 1 || !card.dataset.photoId) return;
    (window.__ranks[card.dataset.photoId] ||= []).push(Number(card.dataset.rank));
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === "childList") record.addedNodes.forEach(note);
      else note(record.target);
    }
  }).observe(grid, {childList: true, subtree: true, attributeFilter: ["data-rank"]});
});
"""


def wait_until(page: Page, condition: Callable[[], bool], timeout_ms: int = UPLOAD_TIMEOUT) -> None:
    """Waits for a condition on the test's side (routes the test holds), which only turns true
    while Playwright dispatches the browser's events: each look waits for the browser's next
    animation frame, so the pace is the browser's, never a fixed sleep."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.evaluate("() => new Promise((frame) => requestAnimationFrame(frame))")


def open_album(
    page: Page, email: str, name: str, *, wait_until: Literal["commit", "load"] = "load"
) -> Album:
    """A new user's new album, opened in the page: by default once its scripts have run (the
    load event); with "commit", as soon as the page starts to arrive."""
    owner = make_user(email)
    album = Album.objects.create(owner=owner, name=name)
    log_in(page, owner)
    page.goto(f"/albums/{album.pk}/", wait_until=wait_until)
    return album


def test_a_camera_roll_of_150_photos_goes_up_in_batches_and_every_card_reaches_done(
    page: Page, running_worker: None, tmp_path: Path
) -> None:
    roll = camera_roll(tmp_path / "roll", 150)
    traffic = Traffic(page)
    page.add_init_script(RECORD_RANKS)
    album = open_album(page, "kim@example.com", "Camera roll")

    page.set_input_files("#photo-files", names(roll))

    summary = page.locator(".upload-summary")
    expect(summary.get_by_role("progressbar")).to_be_visible()
    expect(page.locator(".photo-card")).to_have_count(150, timeout=UPLOAD_TIMEOUT)
    expect(summary).to_contain_text("150 of 150 files done", timeout=UPLOAD_TIMEOUT)
    expect(summary.get_by_role("heading")).to_have_text("Upload finished")
    expect(summary).to_contain_text("150 uploaded")
    expect(summary.locator('[data-stat="failed"]')).to_be_hidden()
    expect(page.locator(".photo-card .status--succeeded")).to_have_count(
        150, timeout=PIPELINE_TIMEOUT
    )
    # The header follows the album without a reload.
    expect(page.locator('[data-count="photos"]')).to_have_text("150")
    expect(page.locator('[data-count="processing"]')).to_have_text("0", timeout=30_000)
    expect(page.locator('[data-count-group="processing"]')).to_be_hidden()
    expect(page.locator(".upload--failed")).to_have_count(0)

    assert traffic.errors == []
    # Tickets in a few batches of at most 100: never one request per file, nor one for all.
    assert sorted(traffic.asked_for()) == sorted(path.name for path in roll)
    assert 2 <= len(traffic.ticket_requests) <= 10
    assert all(len(batch) <= 100 for batch in traffic.ticket_requests)
    assert all(len(str(file["sha256"])) == 64 for file in traffic.ticket_requests[0])
    assert traffic.uploads == 150
    assert 1 <= traffic.most_uploads_at_once <= 4
    assert album.photos.filter(status=Photo.Status.SUCCEEDED).count() == 150
    # No card ever went back (Processing, then Uploading again, then Done).
    ranks = page.evaluate("window.__ranks")
    assert len(ranks) == 150
    assert all(shown == sorted(shown) and shown[-1] == 3 for shown in ranks.values()), ranks


def test_files_chosen_while_the_uploader_is_still_loading_go_up_once_it_has(
    page: Page, running_worker: None, tmp_path: Path
) -> None:
    roll = camera_roll(tmp_path / "roll", 3)
    traffic = Traffic(page)
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)  # the script arrives when the test lets it

    page.route("**/js/uploader.js", hold)
    open_album(page, "omar@example.com", "Slow connection", wait_until="commit")
    page.set_input_files("#photo-files", names(roll))
    wait_until(page, lambda: len(held) == 1)
    # The files' `change` has come and gone with nobody listening.
    assert traffic.ticket_requests == []
    held[0].continue_()

    summary = page.locator(".upload-summary")
    expect(summary).to_contain_text("3 of 3 files done", timeout=UPLOAD_TIMEOUT)
    expect(summary).to_contain_text("3 uploaded")
    expect(page.locator(".photo-card .status--succeeded")).to_have_count(
        3, timeout=PIPELINE_TIMEOUT
    )
    assert sorted(traffic.asked_for()) == sorted(path.name for path in roll)
    assert traffic.errors == []


def test_photos_the_album_already_has_are_skipped_as_duplicates(
    page: Page, running_worker: None, tmp_path: Path
) -> None:
    first = camera_roll(tmp_path / "first", 20)
    traffic = Traffic(page)
    album = open_album(page, "lena@example.com", "Holiday")
    page.set_input_files("#photo-files", names(first))
    summary = page.locator(".upload-summary")
    expect(summary).to_contain_text("20 uploaded", timeout=UPLOAD_TIMEOUT)
    expect(page.locator(".photo-card .status--succeeded")).to_have_count(
        20, timeout=PIPELINE_TIMEOUT
    )

    # Another day: the same roll again (8 of its photos), 6 new ones, and one of the new ones a
    # second time under another name.
    new = camera_roll(tmp_path / "new", 6, start=20)
    copy = tmp_path / "new" / "IMG_0020 (1).JPG"
    copy.write_bytes(new[0].read_bytes())
    page.reload()
    traffic.ticket_requests.clear()
    page.set_input_files("#photo-files", names([*first[:8], *new, copy]))

    expect(summary).to_contain_text("15 of 15 files done", timeout=UPLOAD_TIMEOUT)
    expect(summary).to_contain_text("6 uploaded")
    expect(summary).to_contain_text("9 skipped as duplicates")
    expect(summary.locator('[data-stat="failed"]')).to_be_hidden()
    expect(page.locator(".photo-card .status--succeeded")).to_have_count(
        26, timeout=PIPELINE_TIMEOUT
    )
    expect(page.locator(".photo-card")).to_have_count(26)
    expect(page.locator('[data-count="photos"]')).to_have_text("26")
    # The album's 8 are skipped by the server (the page asked), the copy by the page itself.
    assert len(traffic.asked_for()) == 14
    assert traffic.errors == []
    assert album.photos.count() == 26


def test_types_come_from_the_content_not_the_name(
    page: Page, running_worker: None, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.jpg"
    notes.write_text("milk\neggs\nbread\n")
    stereo = tmp_path / "DSCF0001.MPO"  # what a stereo or multi-frame phone camera saves
    frames = [orientation_card(320, 240), orientation_card(320, 240).rotate(180)]
    out = io.BytesIO()
    frames[0].save(out, "MPO", save_all=True, append_images=frames[1:])
    stereo.write_bytes(out.getvalue())
    traffic = Traffic(page)
    open_album(page, "mo@example.com", "Types")

    page.set_input_files("#photo-files", [str(notes), str(stereo)])

    refused = page.locator(".upload--failed", has_text="notes.jpg")
    expect(refused).to_contain_text(
        "Not a JPEG, PNG, WebP, HEIC or AVIF image (it looks like text)"
    )
    expect(refused.get_by_role("button")).to_have_count(0)  # the file is the reason: no Retry
    card = page.locator(".photo-card", has_text="DSCF0001.MPO")
    expect(card.locator(".status")).to_have_text("Done", timeout=PIPELINE_TIMEOUT)
    expect(page.locator(".photo-card")).to_have_count(1)
    expect(page.locator(".upload-summary")).to_contain_text("1 uploaded")
    expect(page.locator(".upload-summary")).to_contain_text("1 failed")
    # The text file was never offered to the server; the .MPO was offered as what it is.
    [[offered]] = traffic.ticket_requests
    assert (offered["filename"], offered["contentType"]) == ("DSCF0001.MPO", "image/jpeg")
    assert traffic.errors == []
    assert not Photo.objects.filter(original_filename="notes.jpg").exists()

    # The summary and its failure row fit a phone without sideways scrolling.
    page.set_viewport_size({"width": 375, "height": 740})
    expect(refused).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

    # Its first frame, as the photo page (where the details are) shows.
    card.get_by_role("link").first.click()
    expect(page.locator(".facts")).to_contain_text("320 × 240")


def test_phone_formats_are_offered_as_what_they_are_and_processed(
    page: Page, running_worker: None, tmp_path: Path
) -> None:
    """WebP, AVIF and an iPhone's HEIC go up typed by their content and come back as photos."""
    files = {
        "IMG_0001.webp": (encode(orientation_card(320, 240), "WEBP"), "image/webp", "320 × 240"),
        "IMG_0002.avif": (encode(orientation_card(300, 200), "AVIF"), "image/avif", "300 × 200"),
        "IMG_0003.HEIC": (
            (HEIF / "empty_icc.heic").read_bytes(),
            "image/heic",
            "1025 × 900",
        ),
    }
    for name, (data, _, _) in files.items():
        (tmp_path / name).write_bytes(data)
    traffic = Traffic(page)
    open_album(page, "phil@example.com", "Phone")

    page.set_input_files("#photo-files", [str(tmp_path / name) for name in files])

    for name in files:
        card = page.locator(".photo-card", has_text=name)
        expect(card.locator(".status")).to_have_text("Done", timeout=PIPELINE_TIMEOUT)
    # Their sizes, as the photo pages (where the details are) show them.
    album_url = page.url
    for name, (_, _, size) in files.items():
        page.locator(".photo-card", has_text=name).get_by_role("link").first.click()
        expect(page.locator(".facts")).to_contain_text(size)
        page.goto(album_url)
    offered = {o["filename"]: o["contentType"] for batch in traffic.ticket_requests for o in batch}
    assert offered == {name: content_type for name, (_, content_type, _) in files.items()}
    assert traffic.errors == []


def test_leaving_mid_upload_warns_and_storage_errors_are_retried_then_offered_again(
    page: Page, tmp_path: Path
) -> None:
    roll = camera_roll(tmp_path / "roll", 10)
    unlucky = roll[3].name
    held: list[Route] = []
    storage = {"hold": True, "refuse": unlucky}

    def storage_route(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
        elif storage["hold"]:
            held.append(route)  # in flight until the test lets it go
        else:
            answer(route)

    def answer(route: Route) -> None:
        body = route.request.post_data_buffer or b""
        if storage["refuse"] and f'filename="{storage["refuse"]}"'.encode() in body:
            route.fulfill(status=503, body="<Error><Code>SlowDown</Code></Error>")
        else:
            route.continue_()

    traffic = Traffic(page)
    open_album(page, "nico@example.com", "Unlucky")
    page.route("**/local-s3/**", storage_route)
    page.set_input_files("#photo-files", names(roll))

    # Four uploads in flight, the rest queued: leaving now would lose them, so the page asks.
    wait_until(page, lambda: len(held) == 4)
    page.locator("h1").click()  # browsers ask only on pages the person has interacted with
    with page.expect_event("dialog", timeout=30_000) as asked:
        page.close(run_before_unload=True)
    assert asked.value.type == "beforeunload"
    asked.value.dismiss()
    dialogs = [asked.value.type]
    assert len(held) == 4

    # Storage answers 503 for one file every time: five tries with backoff, then a row.
    storage["hold"] = False
    for route in held:
        answer(route)
    row = page.locator(".upload--failed", has_text=unlucky)
    expect(row).to_contain_text("Storage is not answering (error 503)", timeout=UPLOAD_TIMEOUT)
    summary = page.locator(".upload-summary")
    expect(summary).to_contain_text("10 of 10 files done")
    expect(summary).to_contain_text("9 uploaded")
    expect(summary).to_contain_text("1 failed")
    card = page.locator(".photo-card", has_text=unlucky)
    expect(card.locator(".status")).to_have_text("Upload failed")
    assert traffic.uploads == 9 + 5
    assert traffic.most_uploads_at_once <= 4

    # Storage is back: Retry sends it with the same ticket.
    storage["refuse"] = ""
    row.get_by_role("button", name="Retry").click()
    expect(summary).to_contain_text("10 uploaded", timeout=UPLOAD_TIMEOUT)
    expect(page.locator(".upload--failed")).to_have_count(0)
    expect(summary.locator('[data-stat="failed"]')).to_be_hidden()
    expect(card.locator(".status")).to_have_text("Processing")

    # Nothing left to lose: the page closes without asking.
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    with page.expect_event("close", timeout=30_000):
        page.close(run_before_unload=True)
    assert dialogs == ["beforeunload"]


def test_without_web_crypto_files_go_without_a_hash_and_are_accepted(
    page: Page, running_worker: None, tmp_path: Path
) -> None:
    # Plain http to a LAN address is no secure context: the browser offers no crypto.subtle.
    page.add_init_script("Object.defineProperty(window, 'isSecureContext', {value: false})")
    roll = camera_roll(tmp_path / "roll", 3)
    traffic = Traffic(page)
    open_album(page, "olga@example.com", "On the LAN")

    page.set_input_files("#photo-files", names(roll))

    expect(page.locator(".photo-card .status--succeeded")).to_have_count(
        3, timeout=PIPELINE_TIMEOUT
    )
    expect(page.locator(".upload-summary")).to_contain_text("3 uploaded")
    [batch] = traffic.ticket_requests
    assert [file.get("sha256") for file in batch] == [None, None, None]
    assert traffic.errors == []


def test_an_answer_older_than_the_upload_never_moves_a_card_back(
    page: Page, running_worker: None, tmp_path: Path
) -> None:
    [photo] = camera_roll(tmp_path / "roll", 1)
    held_upload: list[Route] = []
    late_answer: list[tuple[Route, APIResponse]] = []

    def hold_upload(route: Route) -> None:
        if route.request.method == "POST":
            held_upload.append(route)
        else:
            route.continue_()

    # The first answer that says "Uploading" reaches the page only after the upload finished,
    # as a slow network delivers it.
    def delay_uploading(route: Route) -> None:
        response = route.fetch()
        says_uploading = any(p["rank"] == 0 for p in response.json()["photos"])
        if says_uploading and not late_answer:
            late_answer.append((route, response))
        else:
            route.fulfill(response=response)

    page.add_init_script(RECORD_RANKS)
    open_album(page, "pia@example.com", "Slow network")
    page.route("**/local-s3/**", hold_upload)
    page.route(re.compile(r"/changes/\?"), delay_uploading)
    page.set_input_files("#photo-files", [str(photo)])

    wait_until(page, lambda: bool(held_upload and late_answer))
    held_upload[0].continue_()
    card = page.locator(".photo-card", has_text=photo.name)
    expect(page.locator(".upload-summary")).to_contain_text("1 uploaded", timeout=UPLOAD_TIMEOUT)
    expect(card.locator(".status")).to_have_text("Processing")
    route, response = late_answer[0]
    route.fulfill(response=response)
    expect(card.locator(".status")).to_have_text("Done", timeout=PIPELINE_TIMEOUT)
    [shown] = page.evaluate("window.__ranks").values()
    assert shown == sorted(shown), shown
    assert (shown[0], shown[-1]) == (0, 3)
