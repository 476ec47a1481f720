"""Wake-ups for idle local workers: one Unix datagram socket per worker process, in var/wake/.

An idle worker waits on its socket instead of polling the queue, and LocalQueue.put sends one byte
to every socket there once its job is committed. A wake-up is only a hint: sending never blocks
and ignores every error, and a waiting worker looks at the queue anyway after a short timeout, so
a lost wake-up (or a retry whose delay has just ended) costs latency, never a job.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
from pathlib import Path
from types import TracebackType

SUFFIX = ".sock"


def socket_path(directory: Path, pid: int) -> Path:
    return directory / f"{pid}{SUFFIX}"


def wake_workers(directory: Path) -> None:
    """Sends one byte to every worker socket in ``directory``; never blocks, never raises."""
    try:
        paths = [entry.path for entry in os.scandir(directory) if entry.name.endswith(SUFFIX)]
    except OSError:
        return  # no worker has listened here yet
    if not paths:
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        sender.setblocking(False)
        for path in paths:
            # A full socket already holds a wake-up; a refused or missing one belongs to a worker
            # that has died. Either way there is nothing to do.
            with contextlib.suppress(OSError):
                sender.sendto(b"!", path)


def remove_socket(directory: Path, pid: int) -> None:
    """Removes a dead worker's socket (a worker killed outright cannot remove its own)."""
    socket_path(directory, pid).unlink(missing_ok=True)


class WakeListener:
    """The socket one worker process waits on, bound at ``directory/<pid>.sock`` until closed."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        _remove_stale(directory)
        self.path = socket_path(directory, os.getpid())
        self.path.unlink(missing_ok=True)  # left by an earlier process that had this pid
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self._socket.setblocking(False)
            self._socket.bind(str(self.path))  # OSError when the path is over 107 bytes
        except OSError:
            self._socket.close()
            raise

    def wait(self, timeout: float) -> bool:
        """True when woken, False when ``timeout`` seconds passed first. Every pending wake-up is
        drained, so the puts made while the worker was busy cost one look at the queue in all."""
        readable, _, _ = select.select([self._socket], [], [], timeout)
        if not readable:
            return False
        with contextlib.suppress(BlockingIOError):
            while True:
                self._socket.recv(16)
        return True

    def close(self) -> None:
        self._socket.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> WakeListener:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _remove_stale(directory: Path) -> None:
    """Removes the sockets of processes that no longer exist (their parent was killed too), so
    that puts stop sending to them."""
    for entry in os.scandir(directory):
        pid = entry.name.removesuffix(SUFFIX)
        if entry.name.endswith(SUFFIX) and pid.isdigit() and not _alive(int(pid)):
            Path(entry.path).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: not ours to judge
    return True
