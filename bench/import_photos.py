"""Importing a whole camera roll through the album page's mechanism, against a real local stack.

    make bench-import   (or: PYTHONPATH=. .venv/bin/python bench/import_photos.py
                         [--files 2000] [--kill-workers] [--workers 2] [--timeout 1800])

Starts the stack as `make run` does (bench/stack.py: a temporary var/, a free port), signs a
verified user in through the login form, creates an album through the album list's form, then
does over HTTP what the page does with a folder of files: hashes each file (SHA-256), asks for
tickets in batches of up to 100, POSTs the files to storage four at a time, and long-polls the
album's changes endpoint with a cursor until every uploaded photo is final.

The files (bench/camera_roll.py) are camera-like 3 to 12 MP JPEGs, about 3 % PNGs, 1 % broken
files (a cut-off JPEG, a text file named .jpg, a JPEG header with no image) that must end
REJECTED, and 2 % exact copies of earlier files that must be answered "already in this album"
(unless the earlier file's upload has not arrived yet: the server then hands out that photo's
ticket again, and the breakdown says how often).
With --kill-workers a pipeline worker child is SIGKILLed at 25 % and again at 60 % of the uploads.
The worker children's VmHWM is sampled from /proc every 0.5 s (a replaced child is a new pid).

The last line is:

    import: F of N final (D done, R rejected, S skipped as duplicates), L lost, W wrongly failed;
    P photos/s; worker peak RSS M MB

- N: files offered; S: answered as duplicates; F: D + R + S + photos final otherwise (failed,
  upload interrupted);
- L (lost): photos given a ticket whose upload was not answered 204, or that never reached a final
  status, or ended "upload interrupted", or FAILED when the file was not a deliberately broken one;
- W (wrongly failed): good files that ended REJECTED or FAILED or were refused a ticket (an error,
  or called a duplicate when they are not one), plus broken files that ended done;
- P: photos processed (D + R) per second, from the first upload's start to the last photo seen
  final; M: the largest VmHWM of any worker child, in MB.

It exits with status 1 when L or W is not zero.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests
from camera_roll import Kind, RollFile, content, plan, sha256, warm_pool
from stack import WEB, Browser, ChangesWatcher, ProcessSampler, Stack, WorkerProcesses

TICKET_BATCH = 100  # the most one ticket request may ask for
IN_FLIGHT = 4  # uploads at once, as the page's uploader
LOOKAHEAD = 100  # uploads queued before the next ticket request waits
KILL_AT = (0.25, 0.60)  # shares of the uploads after which --kill-workers kills a worker child


@dataclass
class Outcome:
    """What happened to one file of the roll."""

    file: RollFile
    sha256: str = ""
    photo_id: str | None = None
    ticket: dict[str, Any] | None = None  # kept until the upload
    duplicate_of: str | None = None
    ticket_error: str | None = None
    upload_status: int | None = None  # the storage POST's HTTP status (0: no answer)
    upload_error: str | None = None
    uploaded_at: float | None = None  # time.monotonic() of the 204


class WorkerKiller:
    """SIGKILLs one worker child each time the uploads done pass the next threshold."""

    def __init__(self, workers: WorkerProcesses, thresholds: list[int]) -> None:
        self.workers = workers
        self.thresholds = sorted(thresholds)
        self.kills: list[tuple[int, int | None]] = []  # (uploads done, pid killed or None)
        self._lock = threading.Lock()

    def uploads_done(self, count: int) -> None:
        with self._lock:
            while self.thresholds and count >= self.thresholds[0]:
                self.thresholds.pop(0)
                self.kills.append((count, self._kill_one()))

    def _kill_one(self) -> int | None:
        children = self.workers.children()
        if not children:
            return None
        os.kill(children[0], signal.SIGKILL)
        return children[0]


class Importer:
    """Hashes, asks for tickets in batches, uploads IN_FLIGHT at a time; notes each outcome."""

    def __init__(
        self, browser: Browser, album: int, roll: list[RollFile], killer: WorkerKiller | None
    ) -> None:
        self.browser, self.album, self.killer = browser, album, killer
        self.outcomes = [Outcome(file) for file in roll]
        self.ticket_seconds: list[float] = []  # how long each ticket request took
        self.upload_seconds: list[float] = []  # how long each storage POST took
        self.first_upload_at: float | None = None
        self.last_upload_at: float | None = None
        self.bytes_sent = 0
        self._done = 0
        self._lock = threading.Lock()
        self._room = threading.BoundedSemaphore(LOOKAHEAD)
        self._local = threading.local()

    def run(self) -> None:
        pool = ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix="upload")
        futures: list[Future[None]] = []
        try:
            for start in range(0, len(self.outcomes), TICKET_BATCH):
                for outcome in self._ask_tickets(self.outcomes[start : start + TICKET_BATCH]):
                    self._room.acquire()  # at most LOOKAHEAD uploads waiting or under way
                    futures.append(pool.submit(self._upload, outcome))
            for future in futures:
                future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _ask_tickets(self, batch: list[Outcome]) -> list[Outcome]:
        """Hashes the batch's files and asks for their tickets; returns those to upload."""
        wanted = []
        for outcome in batch:
            data = content(outcome.file)
            outcome.sha256 = sha256(data)
            wanted.append(
                {
                    "filename": outcome.file.name,
                    "contentType": outcome.file.content_type,
                    "size": len(data),
                    "sha256": outcome.sha256,
                }
            )
        asked = time.monotonic()
        tickets = self.browser.tickets(self.album, wanted)
        self.ticket_seconds.append(time.monotonic() - asked)
        for outcome, ticket in zip(batch, tickets, strict=True):
            if "photoId" in ticket:
                outcome.photo_id, outcome.ticket = str(ticket["photoId"]), ticket
            elif "duplicateOf" in ticket:
                outcome.duplicate_of = str(ticket["duplicateOf"])
            else:
                outcome.ticket_error = str(ticket.get("error", ticket))
        return [outcome for outcome in batch if outcome.ticket is not None]

    def _upload(self, outcome: Outcome) -> None:
        try:
            data = content(outcome.file)
            with self._lock:
                if self.first_upload_at is None:
                    self.first_upload_at = time.monotonic()
            self._post(outcome, data)
            with self._lock:
                self.last_upload_at = time.monotonic()
                self.bytes_sent += len(data)
                self._done += 1
                done = self._done
            if self.killer is not None:
                self.killer.uploads_done(done)
        finally:
            self._room.release()

    def _post(self, outcome: Outcome, data: bytes) -> None:
        assert outcome.ticket is not None
        ticket, outcome.ticket = outcome.ticket, None
        posted = time.monotonic()
        try:
            status = self._browser().upload(
                ticket, data, outcome.file.name, outcome.file.content_type
            )
        except requests.RequestException as error:
            status, outcome.upload_error = 0, str(error)
        self.upload_seconds.append(time.monotonic() - posted)
        outcome.upload_status = status
        if status == 204:
            outcome.uploaded_at = time.monotonic()

    def _browser(self) -> Browser:
        """This upload thread's own connection (with the session's cookies, as a browser)."""
        if not hasattr(self._local, "browser"):
            self._local.browser = self.browser.clone()
        browser: Browser = self._local.browser
        return browser


# --- the tally ---------------------------------------------------------------------------------


@dataclass
class Tally:
    offered: int
    final: int
    done: int
    rejected: int
    duplicates: int
    lost: list[str]
    wrong: list[str]
    rate: float
    peak_mb: float

    def last_line(self) -> str:
        return (
            f"import: {self.final} of {self.offered} final ({self.done} done, {self.rejected} "
            f"rejected, {self.duplicates} skipped as duplicates), {len(self.lost)} lost, "
            f"{len(self.wrong)} wrongly failed; {self.rate:.2f} photos/s; "
            f"worker peak RSS {self.peak_mb:.0f} MB"
        )


def is_lost(outcome: Outcome, status: str | None) -> bool:
    if outcome.photo_id is None:
        return False
    if outcome.upload_status != 204 or status is None or status == "INTERRUPTED":
        return True
    return status == "FAILED" and outcome.file.kind is not Kind.BROKEN


def is_wrong(outcome: Outcome, status: str | None) -> bool:
    if outcome.file.kind is Kind.BROKEN:
        return status == "SUCCEEDED"
    refused = outcome.ticket_error is not None
    false_duplicate = outcome.duplicate_of is not None and outcome.file.kind is not Kind.DUPLICATE
    return refused or false_duplicate or status in ("REJECTED", "FAILED")


def describe(outcome: Outcome, status: str | None) -> str:
    if outcome.duplicate_of is not None:
        what = f"answered duplicate of {outcome.duplicate_of}"
    elif outcome.ticket_error is not None:
        what = f"ticket refused: {outcome.ticket_error}"
    elif outcome.upload_status != 204:
        what = f"upload answered {outcome.upload_status} {outcome.upload_error or ''}".strip()
    else:
        what = status or "never final"
    return f"{outcome.file.name} ({outcome.file.kind}, photo {outcome.photo_id}): {what}"


def final_statuses(importer: Importer, watcher: ChangesWatcher) -> list[str | None]:
    """Each file's final status as the changes endpoint showed it (None: never final)."""
    found = []
    for outcome in importer.outcomes:
        seen = watcher.photos.get(outcome.photo_id) if outcome.photo_id else None
        found.append(seen.final_status if seen and outcome.upload_status == 204 else None)
    return found


def last_final_at(importer: Importer, watcher: ChangesWatcher) -> float | None:
    times = [
        watcher.photos[o.photo_id].final_at
        for o in importer.outcomes
        if o.photo_id in watcher.photos and o.upload_status == 204
    ]
    return max((t for t in times if t is not None), default=None)


def upload_to_final(importer: Importer, watcher: ChangesWatcher) -> list[float]:
    """Seconds from each upload's 204 to the changes endpoint showing the photo final."""
    found = []
    for outcome in importer.outcomes:
        seen = watcher.photos.get(outcome.photo_id or "")
        if outcome.uploaded_at is not None and seen is not None and seen.final_at is not None:
            found.append(seen.final_at - outcome.uploaded_at)
    return found


def tally(importer: Importer, watcher: ChangesWatcher, sampler: ProcessSampler) -> Tally:
    statuses = final_statuses(importer, watcher)
    counts = Counter(s for s in statuses if s is not None)
    duplicates = sum(o.duplicate_of is not None for o in importer.outcomes)
    pairs = list(zip(importer.outcomes, statuses, strict=True))
    processed = counts["SUCCEEDED"] + counts["REJECTED"]
    elapsed = (last_final_at(importer, watcher) or 0) - (importer.first_upload_at or 0)
    return Tally(
        offered=len(importer.outcomes),
        final=sum(counts.values()) + duplicates,
        done=counts["SUCCEEDED"],
        rejected=counts["REJECTED"],
        duplicates=duplicates,
        lost=[describe(o, s) for o, s in pairs if is_lost(o, s)],
        wrong=[describe(o, s) for o, s in pairs if is_wrong(o, s)],
        rate=processed / elapsed if elapsed > 0 else 0.0,
        peak_mb=sampler.peak_mb(),
    )


# --- the report --------------------------------------------------------------------------------


def seconds(start: float | None, end: float | None) -> float:
    return (end - start) if start is not None and end is not None else float("nan")


@dataclass
class Run:
    """Everything measured in one import."""

    importer: Importer
    watcher: ChangesWatcher
    sampler: ProcessSampler
    killer: WorkerKiller | None
    stack_started_in: float = 0.0
    backlog: int = 0  # photos not final when the last upload was answered


def print_breakdown(run: Run, result: Tally) -> None:
    _print_files(run, result)
    _print_timings(run)
    _print_processes(run)
    _print_problems(run, result)


def _print_files(run: Run, result: Tally) -> None:
    outcomes = run.importer.outcomes
    kinds = Counter(o.file.kind for o in outcomes)
    issued = sum(o.photo_id is not None for o in outcomes)
    refused = sum(o.ticket_error is not None for o in outcomes)
    print(
        f"files: {len(outcomes)} offered: {kinds[Kind.JPEG]} JPEG, {kinds[Kind.PNG]} PNG, "
        f"{kinds[Kind.BROKEN]} broken, {kinds[Kind.DUPLICATE]} copies of earlier files"
    )
    print(
        f"tickets: {len(run.importer.ticket_seconds)} requests: {issued} tickets, "
        f"{result.duplicates} answered duplicate ({kinds[Kind.DUPLICATE]} expected), "
        f"{refused} refused"
    )
    shared = Counter(o.photo_id for o in outcomes if o.photo_id is not None)
    again = sum(count - 1 for count in shared.values())
    if again:
        print(
            f"  {again} files were given the ticket of an earlier file's photo (the same bytes, "
            "offered while that file's upload had not arrived yet): one photo, uploaded twice"
        )
    statuses = Counter(s for s in final_statuses(run.importer, run.watcher) if s is not None)
    counts = run.watcher.last_body.get("counts")
    print(f"final statuses seen: {dict(statuses)}; the server's counts: {counts}")


def _print_timings(run: Run) -> None:
    importer, watcher = run.importer, run.watcher
    uploads = [o for o in importer.outcomes if o.upload_status is not None]
    upload_s = seconds(importer.first_upload_at, importer.last_upload_at)
    drain_s = seconds(importer.last_upload_at, last_final_at(importer, watcher))
    not_204 = sum(o.upload_status != 204 for o in uploads)
    print(f"stack start (migrate, collectstatic, /healthz): {run.stack_started_in:.1f} s")
    print(
        f"upload phase: {len(uploads)} uploads, {importer.bytes_sent / 1e9:.2f} GB in "
        f"{upload_s:.1f} s ({importer.bytes_sent / 1e6 / upload_s:.1f} MB/s); "
        f"{not_204} not answered 204; {run.backlog} photos not yet final at its end"
    )
    print(f"queue drain: {drain_s:.1f} s from the last upload to the last photo seen final")
    print(f"ticket request (up to {TICKET_BATCH} files): {spread(importer.ticket_seconds)}")
    print(f"storage POST, {IN_FLIGHT} at once: {spread(importer.upload_seconds)}")
    print(f"from 204 to seen final: {spread(upload_to_final(importer, watcher))}")


def spread(values: list[float]) -> str:
    """Median, 95th percentile and max of durations in seconds, in words."""
    if not values:
        return "none"
    p95 = statistics.quantiles(values, n=20, method="inclusive")[-1] if values[1:] else values[0]
    return (
        f"median {statistics.median(values):.2f} s, p95 {p95:.2f} s, max {max(values):.2f} s "
        f"({len(values)})"
    )


def _print_processes(run: Run) -> None:
    sampler = run.sampler
    if run.killer is not None:
        kills = ", ".join(f"after {n} uploads (pid {pid or 'none'})" for n, pid in run.killer.kills)
        print(f"worker kills: {len(run.killer.kills)}: {kills or 'none'}")
    peaks = ", ".join(f"{pid}: {kb / 1024:.0f}" for pid, kb in sorted(sampler.peak_hwm_kb.items()))
    print(f"worker children seen: {len(sampler.peak_hwm_kb)}; peak RSS (MB) by pid: {peaks}")
    cpu = ", ".join(f"{role} {used:.0f} s" for role, used in sampler.cpu_seconds().items())
    wall = sampler.stopped_at - sampler.started_at
    cores = os.cpu_count() or 1
    print(f"CPU time in {wall:.0f} s ({cores} cores: {cores * wall:.0f} CPU s at most): {cpu}")
    drain = sampler.stopped_at - sampler.marked_at
    web = sampler.cpu_seconds(since_mark=True)[WEB]
    print(
        f"web server during the queue drain (long polls only): {web:.1f} CPU s in {drain:.0f} s, "
        f"{web / drain:.2f} of a core"
    )


def _print_problems(run: Run, result: Tally) -> None:
    watcher = run.watcher
    flipped = [i for i, seen in watcher.photos.items() if seen.changed_after_final]
    print(
        f"changes long poll: {watcher.polls} answers, {len(watcher.errors)} errors; "
        f"{len(flipped)} photos changed status after being final"
    )
    for error in watcher.errors[:5]:
        print(f"  poll error: {error}")
    for title, lines in (("lost", result.lost), ("wrongly failed", result.wrong)):
        for line in lines[:10]:
            print(f"  {title}: {line}")
        if len(lines) > 10:
            print(f"  {title}: ... and {len(lines) - 10} more")


# --- main --------------------------------------------------------------------------------------


def wait_until_final(stack: Stack, watcher: ChangesWatcher, ids: list[str], timeout: float) -> None:
    """Until every photo is seen final; gives up after ``timeout`` s, or at once if the stack
    has stopped (nothing would ever change)."""
    deadline = time.monotonic() + timeout
    while not watcher.wait_final(ids, min(5.0, max(0.0, deadline - time.monotonic()))):
        if stack.exit_code() is not None:
            print(f"The stack stopped (scripts/run-local exited {stack.exit_code()})")
            return
        if time.monotonic() >= deadline:
            print(f"Timed out after {timeout:.0f} s of waiting")
            return


def run_import(args: argparse.Namespace, roll: list[RollFile]) -> tuple[Run, Tally]:
    with Stack(workers=args.workers) as stack:
        browser = stack.sign_in()
        album = browser.create_album(f"Camera roll ({len(roll)} files)")
        killer = None
        if args.kill_workers:
            thresholds = [math.ceil(len(roll) * share) for share in KILL_AT]
            killer = WorkerKiller(stack.workers_processes(), thresholds)
        run = Run(
            importer=Importer(browser, album, roll, killer),
            watcher=ChangesWatcher(browser.clone(), album),
            sampler=ProcessSampler(stack.workers_processes()),
            killer=killer,
            stack_started_in=stack.started_in,
        )
        run.watcher.start()
        run.sampler.start()
        try:
            run.importer.run()
            awaited = [o.photo_id for o in run.importer.outcomes if o.photo_id and o.uploaded_at]
            run.backlog = len(run.watcher.unfinished(awaited))
            run.sampler.mark()  # the queue drain starts: from now on the web serves long polls
            wait_until_final(stack, run.watcher, awaited, args.timeout)
        finally:
            run.sampler.stop()
            run.watcher.stop()
    return run, tally(run.importer, run.watcher, run.sampler)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="files to import (2000)")
    parser.add_argument("--workers", type=int, default=2, help="pipeline worker processes (2)")
    parser.add_argument(
        "--kill-workers", action="store_true", help="SIGKILL a worker child at 25 %% and 60 %%"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait at the end")
    parser.add_argument("--seed", type=int, default=1, help="the roll's shuffle (1)")
    args = parser.parse_args()
    roll = plan(args.files, seed=args.seed)
    warm_pool()
    started = time.monotonic()
    run, result = run_import(args, roll)
    print_breakdown(run, result)
    print(f"whole run, stack start and stop included: {time.monotonic() - started:.0f} s")
    print(result.last_line())
    return 1 if result.lost or result.wrong else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("Interrupted: the stack is stopped.", file=sys.stderr)
        sys.exit(130)
