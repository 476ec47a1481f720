"""Real worker processes for the tests: starting them, finding their children, waiting on them.

No fixed sleeps: every wait polls for what the system does, with timeouts generous enough for a
loaded machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from processing.keys import UploadKey
from processing.results import Status
from processing.runtime import PipelineConfig
from tests.processing.images import jpeg, orientation_card, png

ROOT = Path(__file__).resolve().parents[3]
PATIENCE = 120.0  # seconds: a photo takes well under one even on a loaded machine


def wait_for(condition: Callable[[], object], timeout: float = PATIENCE) -> bool:
    """Until ``condition()`` holds, for up to ``timeout`` seconds. What these tests wait for
    lives in other processes (/proc entries, SQLite rows, files), which send no event to wait
    on: the condition is looked at every 10 ms, and the wait ends the moment it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def start_workers(log: Path, *, concurrency: int = 2) -> subprocess.Popen[bytes]:
    """``python -m processing.local.worker`` on this test's environment (its PHOTOSHARE_* set by
    the fixtures), its logs in ``log``."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "processing.local.worker", "--concurrency", str(concurrency)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, as run-local sends; kills the whole group should it not exit in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=PATIENCE)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise


def children(parent: int, command: str = "multiprocessing.spawn") -> set[int]:
    """The processes whose parent is ``parent`` and whose command line names ``command``
    (a worker's children: the spawned workers, not multiprocessing's resource tracker)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # it exited while we looked
        # The command name, in parentheses, may hold spaces; the parent pid is 2nd after it.
        if int(stat.rpartition(")")[2].split()[1]) == parent and command in cmdline:
            found.add(int(entry.name))
    return found


def wait_for_children(parent: int, count: int, *, not_among: set[int] = frozenset()) -> set[int]:
    """Waits until ``parent`` has ``count`` worker children, none of them in ``not_among``."""
    found: set[int] = set()

    def ready() -> bool:
        nonlocal found
        found = children(parent)
        return len(found) == count and not found & not_among

    assert wait_for(ready), f"expected {count} new worker(s), found {found}"
    return found


def waiting_for_work(pid: int) -> bool:
    """Whether the worker's main thread sleeps in select() on its wake-up socket: its idle
    wait, read from the kernel's wait channel (the same function on every architecture)."""
    try:
        channel = Path(f"/proc/{pid}/task/{pid}/wchan").read_text()
    except OSError:
        return False
    return channel.startswith(("poll_schedule_timeout", "do_select", "do_sys_poll"))


def alive(pid: int) -> bool:
    """Running: neither gone nor a zombie (an orphan's zombie waits for a reaper that may be slow
    or, in a container, absent)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def upload(
    settings: PipelineConfig, data: bytes | None = None, extension: str = "jpg"
) -> UploadKey:
    key = UploadKey("7", "3", str(uuid.uuid4()), extension)
    content_type = "image/png" if extension == "png" else "image/jpeg"
    photo = data if data is not None else jpeg(orientation_card(480, 320))
    settings.local_bucket().put_object(str(key), photo, content_type=content_type)
    return key


def status(settings: PipelineConfig, key: UploadKey) -> Status | None:
    item = settings.result_store().get_many([key.photo_id]).get(key.photo_id)
    return item.status if item else None


def processed(settings: PipelineConfig, key: UploadKey) -> bool:
    return wait_for(lambda: status(settings, key) is Status.SUCCEEDED)


def slow_photo() -> bytes:
    """A 24-megapixel noisy PNG (72 MB, noise does not compress): a second or more of work, so
    a kill lands while its execution runs."""
    noise = [Image.effect_noise((6000, 4000), 80) for _ in range(3)]
    return png(Image.merge("RGB", noise), compress_level=1)
