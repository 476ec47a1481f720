"""The local worker: takes jobs from the durable queue and runs them, in N processes.

    python -m processing.local.worker [--concurrency N]

An "s3-event" job is an S3 notification, handed to the S3Trigger handler (which starts an
execution, queueing an "execution" job); an "execution" job runs the state machine. The parent
process (processing.local.supervisor) restarts a child that dies and frees the jobs it held at
once; a job's lease frees it in any case, so kill -9 loses nothing. An idle child waits for a
put to wake it (processing.adapters.local_wake) and looks at the queue every IDLE_WAIT seconds
anyway. A child that holds too much memory after a job exits to be replaced.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from processing.adapters.local_queue import Job, LocalQueue
from processing.adapters.local_wake import WakeListener
from processing.handlers import s3_trigger
from processing.local.bucket import S3_EVENT
from processing.local.pipeline import run_execution
from processing.local.supervisor import Supervisor
from processing.ports import PhotoDeleted
from processing.recognition.models.manifest import ModelsUnavailable
from processing.results import ResultItem, Status
from processing.runtime import PipelineConfig, config

logger = logging.getLogger("processing.worker")
MAX_ATTEMPTS = 5  # a job that fails this often (a bug, not a bad photo) is set aside
IDLE_WAIT = 1.0  # seconds an idle worker waits for a wake-up before it looks at the queue anyway
EXIT_RECYCLE = 75  # sysexits' EX_TEMPFAIL: a child asking to be replaced, at once and quietly
GAVE_UP_ERROR = "WorkerGaveUp"
GAVE_UP_MESSAGE = "Processing failed repeatedly; try uploading the photo again"


def handle(job: Job, settings: PipelineConfig) -> None:
    if job.kind == S3_EVENT:
        s3_trigger.handler(job.body, None)
    elif job.kind == "execution":
        run_execution(settings.local_executions(), job.body["name"])
    else:
        raise ValueError(f"unknown job kind {job.kind!r}")


def work_once(queue: LocalQueue, settings: PipelineConfig) -> bool:
    """Takes and runs one job; False when the queue had none."""
    job = queue.take()
    if job is None:
        return False
    if job.attempts > MAX_ATTEMPTS:
        # Taken this often and never finished: it kills the process running it (a crash, the
        # kernel's OOM killer), so running it once more would only do that again.
        set_aside(queue, job, settings)
        return True
    with _lease_kept(queue, job):
        try:
            handle(job, settings)
        except Exception:
            logger.exception("Job %s (%s) failed on attempt %s", job.id, job.kind, job.attempts)
            if job.attempts >= MAX_ATTEMPTS:
                set_aside(queue, job, settings)
            else:
                queue.release(job, delay=2.0**job.attempts)
        else:
            queue.done(job)
    return True


@contextmanager
def _lease_kept(queue: LocalQueue, job: Job) -> Iterator[None]:
    """Renews the job's lease while the block runs, so a long job is not taken twice."""
    finished = threading.Event()

    def keep_lease() -> None:
        while not finished.wait(queue.lease_seconds / 3):
            queue.renew(job)

    renewer = threading.Thread(target=keep_lease, daemon=True)
    renewer.start()
    try:
        yield
    finally:
        finished.set()
        renewer.join()


def set_aside(queue: LocalQueue, job: Job, settings: PipelineConfig) -> None:
    """Gives up on a job. Its photo is marked FAILED first: should this process die in between,
    the job is taken and set aside again, and the photo is never left RUNNING."""
    logger.error("Job %s (%s) set aside after %s attempts", job.id, job.kind, job.attempts)
    if job.kind == "execution" and "name" in job.body:
        _fail_execution(job.body["name"], job.attempts, settings)
    queue.give_up(job)


def _fail_execution(name: str, attempts: int, settings: PipelineConfig) -> None:
    """Ends a given-up execution as FAILED, and its photo too unless it already has its result
    (the job may have died after recording it)."""
    executions = settings.local_executions()
    record = executions.get_by_name(name)
    if record is None:
        return
    cause = json.dumps({"errorMessage": f"The pipeline gave up after {attempts} attempts"})
    photo_id = str(record.input.get("objectID", ""))
    results = settings.result_store()
    current = results.get_many([photo_id]).get(photo_id) if photo_id else None
    if photo_id and (current is None or not current.status.is_final):
        failed = ResultItem(
            photo_id, Status.FAILED, message=GAVE_UP_MESSAGE, error=GAVE_UP_ERROR, cause=cause
        )
        with suppress(PhotoDeleted):  # a deleted photo has nothing to fail
            results.record_final(failed)
    if record.status == "RUNNING":
        executions.finish(
            name,
            status="FAILED",
            output=None,
            error=GAVE_UP_ERROR,
            cause=cause,
            history=record.history,
        )


def run(
    stop: Callable[[], bool],
    *,
    idle_wait: float = IDLE_WAIT,
    wake: WakeListener | None = None,
    max_rss_mb: int | None = None,
) -> bool:
    """Works until ``stop()`` is true, checking between jobs and while idle, and returns False;
    or returns True as soon as a job leaves this process over ``max_rss_mb`` of resident memory
    (it should then be replaced). Idle, it waits for ``wake`` or ``idle_wait`` seconds."""
    settings = config()
    queue = settings.local_queue()
    while not stop():
        if work_once(queue, settings):
            if max_rss_mb is not None and _over_memory_ceiling(max_rss_mb):
                return True
        elif wake is not None:
            wake.wait(idle_wait)
        else:
            time.sleep(idle_wait)
    return False


def resident_mb() -> float | None:
    """This process's resident memory (VmRSS) in MB, or None where /proc does not say."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024  # given in kB
    except OSError:
        pass
    return None


def _over_memory_ceiling(max_rss_mb: int) -> bool:
    # Memory a big photo made Python or the libraries reserve is seldom given back; a fresh
    # process is the sure way to get it back.
    resident = resident_mb()
    if resident is None or resident <= max_rss_mb:
        return False
    logger.info(
        "Replacing this worker: %.0f MB resident after its job, over the %s MB ceiling "
        "(PHOTOSHARE_WORKER_MAX_RSS_MB)",
        resident,
        max_rss_mb,
    )
    return True


def _child() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    # A plain flag, not a threading.Event: a signal handler that calls Event.set() while the main
    # thread waits on that Event deadlocks on the Event's own lock.
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(process)d: %(message)s")
    settings = config()
    _warm_up()
    wake = _listen(settings.local_queue().wake_dir)
    try:
        recycle = run(
            lambda: bool(stopping) or _orphaned(),
            wake=wake,
            max_rss_mb=settings.worker_max_rss_mb,
        )
    finally:
        if wake is not None:
            wake.close()
    sys.exit(EXIT_RECYCLE if recycle else 0)


def _orphaned() -> bool:
    """True once the parent is gone: a parent killed outright cannot stop its children, so they
    see to it themselves rather than work on unsupervised. (multiprocessing gives a spawned child
    a pipe from its parent that closes when the parent dies, whenever that happened.)"""
    parent = multiprocessing.parent_process()
    return parent is not None and not parent.is_alive()


def _listen(directory: Path | None) -> WakeListener | None:
    if directory is None:
        return None
    try:
        return WakeListener(directory)
    except OSError as error:  # e.g. a var/ path too long for a Unix socket's address
        logger.warning(
            "Cannot listen for wake-ups in %s (%s); looking at the queue every %g s instead",
            directory,
            error,
            IDLE_WAIT,
        )
        return None


def _warm_up() -> None:
    """Loads the recognizer before the first job (half a second for the local models), and says
    at once, not on every photo, when the models are missing."""
    try:
        config().recognizer()
    except ModelsUnavailable as error:
        logger.warning("%s Until then every photo fails at its Recognize step.", error)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m processing.local.worker")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=int(os.environ.get("PHOTOSHARE_WORKERS", "2")),
        help="worker processes (default: $PHOTOSHARE_WORKERS or 2)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s worker parent %(process)d: %(message)s"
    )
    queue = config().local_queue()  # creates the schema once, before the children race to
    supervisor = Supervisor(_child, max(1, args.concurrency), queue, recycle_code=EXIT_RECYCLE)
    print(f"Photoshare worker: {len(supervisor.slots)} process(es) taking jobs", flush=True)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
