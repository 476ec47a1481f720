"""Playwright driving Debian's Chromium against pytest-django's live server.

Playwright's own browser download does not work on these machines, so the tests launch the system
Chromium; a missing browser fails the run (never a silent skip) and `make test` installs it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from processing.local import worker

# CI machines are loaded 2-core boxes: every wait for what the page does is generous, so a slow
# moment is never a failure (a real failure still fails, only later).
expect.set_options(timeout=30_000)

# Playwright's sync API keeps an event loop running on the test thread for the whole session, and
# Django refuses ORM calls (test database set-up included) while one runs unless told that the
# calls really are synchronous, as they are here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("PHOTOSHARE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"
# Headless flags for a closed network: no background fetches, updates, sync or QUIC probes.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"No Chromium at {CHROMIUM}: run `make test` (it installs Debian's chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def running_worker(var_dir: Path) -> Iterator[None]:
    """The pipeline worker, as `make run` starts it, on this test's var/ folder."""
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop.is_set,), kwargs={"idle_wait": 0.05})
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


@pytest.fixture
def page(
    browser: Browser,
    live_server: object,
    transactional_db: None,
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=str(live_server), viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
