"""The local worker: takes jobs from the durable queue and runs them, in N processes.

    python -m processing.local.worker [--concurrency N]

An "s3-event" job is an S3 notification, handed to the S3Trigger handler (which starts an
execution, queueing an "execution" job); an "execution" job runs the state machine. A job whose
worker dies is taken again when its lease runs out, so kill -9 loses nothing.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

from processing.adapters.local_queue import Job, LocalQueue
from processing.handlers import s3_trigger
from processing.local.bucket import S3_EVENT
from processing.local.pipeline import run_execution
from processing.recognition.models.manifest import ModelsUnavailable
from processing.runtime import PipelineConfig, config

logger = logging.getLogger("processing.worker")
MAX_ATTEMPTS = 5  # a job that fails this often (a bug, not a bad photo) is set aside


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
    finished = threading.Event()

    def keep_lease() -> None:
        while not finished.wait(queue.lease_seconds / 3):
            queue.renew(job)

    renewer = threading.Thread(target=keep_lease, daemon=True)
    renewer.start()
    try:
        handle(job, settings)
    except Exception:
        logger.exception("Job %s (%s) failed on attempt %s", job.id, job.kind, job.attempts)
        if job.attempts >= MAX_ATTEMPTS:
            queue.give_up(job)
        else:
            queue.release(job, delay=2.0**job.attempts)
    else:
        queue.done(job)
    finally:
        finished.set()
        renewer.join()
    return True


def run(stop: Callable[[], bool], *, idle_wait: float = 0.2) -> None:
    """Works until ``stop()`` is true, checking between jobs and while idle."""
    settings = config()
    queue = settings.local_queue()
    while not stop():
        if not work_once(queue, settings):
            time.sleep(idle_wait)


def _child() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    # A plain flag, not a threading.Event: a signal handler that calls Event.set() while the main
    # thread waits on that Event deadlocks on the Event's own lock.
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(process)d: %(message)s")
    _warm_up()
    run(lambda: bool(stopping))


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
    config().local_database()  # create the schema once, before the children race to
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=_child, daemon=True) for _ in range(max(1, args.concurrency))
    ]
    for child in children:
        child.start()
    print(f"Photoshare worker: {len(children)} process(es) taking jobs", flush=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        for child in children:
            child.terminate()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while any(child.is_alive() for child in children):
        time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
