"""Keeps the local worker processes running: the parent of ``python -m processing.local.worker``.

A child that dies is restarted, after a delay that doubles while children keep dying young, and
the jobs it held are made available at once rather than when their leases run out. SIGTERM or
SIGINT stops every child and the parent exits 0; nothing else makes it exit, because
`scripts/run-local` stops the web server too when it does.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import FrameType

from processing.adapters.local_queue import LocalQueue
from processing.adapters.local_wake import remove_socket

logger = logging.getLogger("processing.worker")

FIRST_DELAY = 1.0  # seconds before restarting a child that died
MAX_DELAY = 30.0  # the delay doubles, up to this, while children keep dying young
HEALTHY_AFTER = 60.0  # a child that lived this long was healthy: the next death starts over
STOP_GRACE = 30.0  # seconds children get to finish their job when asked to stop
TICK = 0.5  # the longest the parent waits before it looks at its flags and timers again


@dataclass
class Slot:
    """One of the N places a child runs in, with its restart bookkeeping."""

    process: BaseProcess | None = None
    started: float = 0.0  # time.monotonic() when the child started
    early_deaths: int = 0  # deaths in a row, each before HEALTHY_AFTER
    restart_at: float | None = None  # time.monotonic() when to start the next child


class Supervisor:
    def __init__(
        self, target: Callable[[], None], count: int, queue: LocalQueue, *, recycle_code: int
    ) -> None:
        self.target = target
        self.queue = queue
        self.recycle_code = recycle_code  # a child's "replace me" exit: no delay, no warning
        self.slots = [Slot() for _ in range(count)]
        self.stopping = False
        self._context = multiprocessing.get_context("spawn")

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)
        for slot in self.slots:
            self._start(slot)
        while not self.stopping:
            self._wait()
            now = time.monotonic()
            for slot in self.slots:
                self._check(slot, now)
        self._stop_all()
        return 0

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True  # only a flag: the loop notices within TICK

    def _wait(self) -> None:
        """Until a child exits, a restart is due, or TICK has passed."""
        now = time.monotonic()
        due = [slot.restart_at - now for slot in self.slots if slot.restart_at is not None]
        timeout = max(0.0, min([TICK, *due]))
        sentinels = [slot.process.sentinel for slot in self.slots if slot.process is not None]
        if sentinels:
            multiprocessing.connection.wait(sentinels, timeout)
        else:
            time.sleep(timeout)

    def _check(self, slot: Slot, now: float) -> None:
        process = slot.process
        if process is not None and not process.is_alive():
            slot.process = None
            self._died(slot, process, now)
        if slot.process is None and slot.restart_at is not None and now >= slot.restart_at:
            self._start(slot)

    def _start(self, slot: Slot) -> None:
        process = self._context.Process(target=self.target, daemon=True)
        try:
            process.start()
        except OSError as error:  # out of processes or memory for now: try again later
            slot.early_deaths += 1
            delay = self._delay(slot)
            slot.restart_at = time.monotonic() + delay
            logger.error("Could not start a worker (%s); trying again in %g s", error, delay)
            return
        slot.process, slot.started, slot.restart_at = process, time.monotonic(), None

    def _died(self, slot: Slot, process: BaseProcess, now: float) -> None:
        pid, exitcode = process.pid, process.exitcode
        assert pid is not None  # set by start()
        assert exitcode is not None  # set once it has exited
        released = self._forget(pid)
        if exitcode == self.recycle_code:
            slot.restart_at = now  # a planned recycle; the child said why
            return
        if now - slot.started >= HEALTHY_AFTER:
            slot.early_deaths = 0
        slot.early_deaths += 1
        delay = self._delay(slot)
        slot.restart_at = now + delay
        held = f"; its {released} job(s) are available again" if released else ""
        logger.warning(
            "Worker %s %s%s; restarting it in %g s",
            pid,
            _exit_description(exitcode),
            held,
            delay,
        )

    def _delay(self, slot: Slot) -> float:
        return min(MAX_DELAY, FIRST_DELAY * 2 ** (slot.early_deaths - 1))

    def _forget(self, pid: int) -> int:
        """Cleans up after a child that is gone: its wake-up socket and its jobs, which are taken
        again at once instead of when their leases run out (they remain the safety net)."""
        if self.queue.wake_dir is not None:
            remove_socket(self.queue.wake_dir, pid)
        try:
            return self.queue.release_worker(pid)
        except Exception:  # the database is busy or broken: the leases will free the jobs
            logger.exception("Could not release the jobs of worker %s", pid)
            return 0

    def _stop_all(self) -> None:
        running = [slot.process for slot in self.slots if slot.process is not None]
        for process in running:
            process.terminate()  # each child finishes its job first
        deadline = time.monotonic() + STOP_GRACE
        for process in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                logger.warning(
                    "Worker %s did not stop within %g s; killing it", process.pid, STOP_GRACE
                )
                process.kill()
                process.join()
            assert process.pid is not None
            self._forget(process.pid)


def _exit_description(exitcode: int) -> str:
    if exitcode >= 0:
        return f"exited with code {exitcode}"
    try:
        return f"was killed by {signal.Signals(-exitcode).name}"
    except ValueError:  # a signal without a name (a real-time one)
        return f"was killed by signal {-exitcode}"
