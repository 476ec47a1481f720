"""Presigned GET URLs reused for most of their life, so browsers can cache what they point at.

A presigned URL is a new URL every time it is signed (its signing time is in it), and a browser
caches by URL: signing a page's thumbnails afresh on every render made every visit download
every thumbnail again. botocore takes the signing time from its own clock and offers no
supported way to set it, so S3's URLs are kept instead: one per key (and expiry and
disposition), handed out again until three quarters of its life has passed, so whoever gets it
still has a quarter of its life (15 minutes of the default hour) to load it. The cache is
bounded (least recently used out first) and per process; each web process keeps its own.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

REUSE_FRACTION = 0.75
MAX_ENTRIES = 4096  # about 4 MB of URLs, a few hundred pages of thumbnails


class ReusedUrls:
    def __init__(
        self,
        *,
        max_entries: int = MAX_ENTRIES,
        reuse_fraction: float = REUSE_FRACTION,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._urls: OrderedDict[Hashable, tuple[str, float]] = OrderedDict()
        self._max_entries = max_entries
        self._reuse_fraction = reuse_fraction
        self._clock = clock
        self._lock = threading.Lock()  # gunicorn's threads render pages side by side

    def get(self, key: Hashable, expires_in: int, sign: Callable[[], str]) -> str:
        """The URL kept for ``key`` while it has more than a quarter of its life left;
        otherwise ``sign()``'s, kept from now."""
        now = self._clock()
        with self._lock:
            kept = self._urls.get(key)
            if kept is not None and now < kept[1]:
                self._urls.move_to_end(key)
                return kept[0]
        url = sign()  # outside the lock: signing takes a while, and two signers only waste one
        with self._lock:
            self._urls[key] = (url, now + expires_in * self._reuse_fraction)
            self._urls.move_to_end(key)
            while len(self._urls) > self._max_entries:
                self._urls.popitem(last=False)
        return url

    def __len__(self) -> int:
        return len(self._urls)
