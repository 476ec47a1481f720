"""Presigned GET URLs handed out again for most of their life, so browsers keep what they load:
the local signer's by computation, S3's by a bounded per-process cache."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from urllib.parse import parse_qs, urlsplit

from processing.adapters.local_uploads import LocalUploadSigner
from processing.adapters.reused_urls import ReusedUrls

HOUR = 3600
KEY = "private/7/resized/0b5c3c4e-8a8f-4a65-9f53-2f1e6c1d2a90/250.jpg"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def numbered_urls() -> tuple[list[str], Callable[[], str]]:
    signed: list[str] = []
    numbers = count(1)

    def sign() -> str:
        signed.append(f"https://bucket/{KEY}?n={next(numbers)}")
        return signed[-1]

    return signed, sign


def test_the_same_url_is_handed_out_until_three_quarters_of_its_life() -> None:
    clock = Clock(1_000_000.0)
    urls = ReusedUrls(clock=clock)
    signed, sign = numbered_urls()

    first = urls.get(KEY, HOUR, sign)
    clock.now += 0.75 * HOUR - 1
    assert urls.get(KEY, HOUR, sign) == first
    clock.now += 1
    renewed = urls.get(KEY, HOUR, sign)
    assert renewed != first
    assert signed == [first, renewed]


def test_the_cache_is_bounded_least_recently_used_out_first() -> None:
    urls = ReusedUrls(max_entries=2, clock=Clock(0.0))
    signed, sign = numbered_urls()
    a = urls.get("a", HOUR, sign)
    urls.get("b", HOUR, sign)
    assert urls.get("a", HOUR, sign) == a  # a is now the most recent
    urls.get("c", HOUR, sign)  # b goes
    assert len(urls) == 2
    assert urls.get("a", HOUR, sign) == a
    assert len(signed) == 3
    urls.get("b", HOUR, sign)
    assert len(signed) == 4


def local_signer() -> LocalUploadSigner:
    return LocalUploadSigner(
        secret="s", bucket="b", upload_url="/local-s3/b/", download_url="/local-s3/b/"
    )


def expiry(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["expires"][0])


def test_the_local_signer_gives_one_url_a_window_with_three_quarters_of_its_life_left() -> None:
    signer = local_signer()
    start = 1_800_000_000  # a window's start: a multiple of 900 s
    first = signer.presigned_get(KEY, expires_in=HOUR, now=start)
    assert signer.presigned_get(KEY, expires_in=HOUR, now=start + 899) == first
    assert expiry(first) - (start + 899) >= 0.75 * HOUR
    # Another process (another signer with the same secret) agrees.
    assert local_signer().presigned_get(KEY, expires_in=HOUR, now=start + 450) == first
    assert signer.verify_get(
        KEY, str(expiry(first)), parse_qs(urlsplit(first).query)["signature"][0], now=start + 899
    )


def test_the_local_signer_renews_a_url_near_its_end() -> None:
    signer = local_signer()
    start = 1_800_000_000
    first = signer.presigned_get(KEY, expires_in=HOUR, now=start)
    renewed = signer.presigned_get(KEY, expires_in=HOUR, now=start + 900)
    assert renewed != first
    assert expiry(renewed) == expiry(first) + 900
