"""A durable job queue on the local database, with leases so that no job is lost to a crash.

A worker takes a job with a lease and renews it while working; a job whose worker died (even by
kill -9) becomes available again when its lease runs out, or at once when the worker's parent
sees it die and releases what that process held (each taken job records its worker's pid).
Jobs are therefore at-least-once: the steps they run are idempotent (thumbnails are overwritten,
results writes are conditional). A put wakes idle workers (``processing.adapters.local_wake``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from processing.adapters.local_db import LocalDatabase
from processing.adapters.local_wake import wake_workers


@dataclass(frozen=True)
class Job:
    id: int
    kind: str  # "s3-event" (an S3 notification) or "execution" (run a state machine execution)
    body: dict[str, Any]
    attempts: int


class LocalQueue:
    def __init__(
        self,
        database: LocalDatabase,
        *,
        lease_seconds: float = 60.0,
        wake_dir: Path | None = None,  # where idle workers listen; None: nobody is woken
    ) -> None:
        self.database = database
        self.lease_seconds = lease_seconds
        self.wake_dir = wake_dir

    def put(self, kind: str, body: dict[str, Any]) -> int:
        with self.database.write() as connection:
            job_id = self.put_within(connection, kind, body)
        self.wake()  # after the commit, so that the worker woken finds the job
        return job_id

    @staticmethod
    def put_within(connection: sqlite3.Connection, kind: str, body: dict[str, Any]) -> int:
        """Queues a job inside the caller's write transaction (so it commits, or not, with the
        caller's other writes); the caller wakes the workers after its commit."""
        cursor = connection.execute(
            "INSERT INTO jobs (kind, body, created_at) VALUES (?, ?, ?)",
            (kind, json.dumps(body), time.time()),
        )
        return int(cursor.lastrowid or 0)

    def take(self) -> Job | None:
        now = time.time()
        with self.database.write() as connection:
            row = connection.execute(
                "SELECT id, kind, body, attempts FROM jobs WHERE state = 'ready' "
                "OR (state = 'taken' AND lease_until < ?) ORDER BY id LIMIT 1",
                (now,),
            ).fetchone()
            if row is None:
                return None
            connection.execute(
                "UPDATE jobs SET state = 'taken', attempts = attempts + 1, lease_until = ?, "
                "worker_pid = ? WHERE id = ?",
                (now + self.lease_seconds, os.getpid(), row["id"]),
            )
        return Job(row["id"], row["kind"], json.loads(row["body"]), row["attempts"] + 1)

    def renew(self, job: Job) -> None:
        with self.database.write() as connection:
            connection.execute(
                "UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'taken'",
                (time.time() + self.lease_seconds, job.id),
            )

    def done(self, job: Job) -> None:
        with self.database.write() as connection:
            connection.execute(
                "UPDATE jobs SET state = 'done', finished_at = ?, lease_until = NULL WHERE id = ?",
                (time.time(), job.id),
            )

    def release(self, job: Job, *, delay: float) -> None:
        """Back to the queue after a failed attempt, available again after ``delay`` seconds.
        No process holds it meanwhile, so its worker's death does not cut the delay short."""
        with self.database.write() as connection:
            connection.execute(
                "UPDATE jobs SET lease_until = ?, worker_pid = NULL "
                "WHERE id = ? AND state = 'taken'",
                (time.time() + delay, job.id),
            )

    def release_worker(self, pid: int) -> int:
        """Makes the jobs a dead worker process held available at once, instead of when their
        leases run out; returns how many. Their attempts still count (take added one each)."""
        with self.database.write() as connection:
            cursor = connection.execute(
                "UPDATE jobs SET state = 'ready', lease_until = NULL, worker_pid = NULL "
                "WHERE state = 'taken' AND worker_pid = ?",
                (pid,),
            )
        if cursor.rowcount:
            self.wake()
        return cursor.rowcount

    def give_up(self, job: Job) -> None:
        with self.database.write() as connection:
            connection.execute(
                "UPDATE jobs SET state = 'failed', finished_at = ?, lease_until = NULL "
                "WHERE id = ?",
                (time.time(), job.id),
            )

    def wake(self) -> None:
        if self.wake_dir is not None:
            wake_workers(self.wake_dir)

    def pending(self) -> int:
        row = (
            self.database.read()
            .execute("SELECT COUNT(*) AS n FROM jobs WHERE state IN ('ready', 'taken')")
            .fetchone()
        )
        return int(row["n"])
