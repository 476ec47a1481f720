"""The durable queue: who holds a job, releasing a dead worker's jobs, and older database files."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

from processing.adapters.local_db import LocalDatabase
from processing.adapters.local_queue import LocalQueue
from processing.local.bucket import S3_EVENT
from processing.runtime import PipelineConfig

SOMEONE_ELSE = 4_000_000  # above Linux's pid_max: a pid no process has


@pytest.fixture
def queue(pipeline: PipelineConfig) -> LocalQueue:
    """Leases far longer than a test, so that only a release makes a taken job available."""
    return LocalQueue(pipeline.local_database(), lease_seconds=600)


def holder(queue: LocalQueue, job: int) -> tuple[str, int | None]:
    row = (
        queue.database.read()
        .execute("SELECT state, worker_pid FROM jobs WHERE id = ?", (job,))
        .fetchone()
    )
    return row["state"], row["worker_pid"]


def test_a_taken_job_records_the_process_that_holds_it(queue: LocalQueue) -> None:
    job = queue.put(S3_EVENT, {})
    taken = queue.take()
    assert taken is not None
    assert taken.id == job
    assert holder(queue, job) == ("taken", os.getpid())


def test_releasing_a_dead_worker_frees_its_jobs_at_once_and_only_its_own(
    queue: LocalQueue,
) -> None:
    mine, theirs = queue.put(S3_EVENT, {"n": 1}), queue.put("s3-event", {"n": 2})
    assert queue.take() is not None
    assert queue.take() is not None
    with queue.database.write() as connection:
        connection.execute("UPDATE jobs SET worker_pid = ? WHERE id = ?", (SOMEONE_ELSE, theirs))

    assert queue.release_worker(os.getpid()) == 1
    assert holder(queue, mine) == ("ready", None)
    assert holder(queue, theirs) == ("taken", SOMEONE_ELSE)
    again = queue.take()
    assert again is not None
    assert (again.id, again.attempts) == (mine, 2)  # the attempt that died still counts
    assert queue.take() is None


def test_a_job_waiting_for_its_retry_is_held_by_no_worker(queue: LocalQueue) -> None:
    job = queue.put(S3_EVENT, {})
    taken = queue.take()
    assert taken is not None
    queue.release(taken, delay=60)
    assert holder(queue, job) == ("taken", None)
    assert queue.release_worker(os.getpid()) == 0  # its worker's death does not cut the delay
    assert queue.take() is None


def test_an_existing_database_gains_the_worker_column_in_place(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, body TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'ready', attempts INTEGER NOT NULL DEFAULT 0,
            lease_until REAL, created_at REAL NOT NULL, finished_at REAL
        );
        INSERT INTO jobs (kind, body, created_at) VALUES ('s3-event', '{"n": 1}', 0);
        """
    )
    old.close()

    queue = LocalQueue(LocalDatabase(path))
    job = queue.take()
    assert job is not None
    assert job.body == {"n": 1}
    assert holder(queue, job.id) == ("taken", os.getpid())
    LocalDatabase(path)  # opening it again changes nothing
    columns = [row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(jobs)")]
    assert columns.count("worker_pid") == 1


def test_many_connections_opening_a_new_database_together_all_succeed(tmp_path: Path) -> None:
    """The web server and workers first start together: none may fail on the journal-mode switch."""
    for attempt in range(40):  # the race is narrow; a few dozen fresh files made it fail reliably
        path = tmp_path / f"pipeline-{attempt}.sqlite3"
        start = threading.Barrier(8, timeout=60)
        errors: list[BaseException] = []

        def open_database(
            path: Path = path,
            start: threading.Barrier = start,
            errors: list[BaseException] = errors,
        ) -> None:
            start.wait()
            try:
                LocalDatabase(path)
            except BaseException as error:  # collected and reported by the assert below
                errors.append(error)

        threads = [threading.Thread(target=open_database, daemon=True) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
