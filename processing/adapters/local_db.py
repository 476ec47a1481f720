"""The local runtime's own SQLite database (var/pipeline.sqlite3): results, executions, queue.

One file, so that starting an execution and queueing its job is one transaction. WAL mode lets the
web server read while workers write; every write takes the lock up front (BEGIN IMMEDIATE) and
waits for it, and a lock held too long surfaces as TransientError, which the state machine retries.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from processing.ports import TransientError

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    photo_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    item TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS executions (
    name TEXT PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    input TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at REAL NOT NULL,
    stopped_at REAL,
    output TEXT,
    error TEXT,
    cause TEXT,
    history TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'ready',
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until REAL,
    worker_pid INTEGER,
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (state, id);
CREATE TABLE IF NOT EXISTS stored_keys (
    key TEXT PRIMARY KEY,
    stored_at REAL NOT NULL
);
"""
# The ledger of keys the local bucket has stored (processing.local.bucket): a key is stored once,
# so an upload ticket, which pins one key, is used once. Rows are never deleted, not even with the
# object: a ticket for a deleted photo must stay used.

# Indexes on columns that ADDED_COLUMNS may have just added.
LATE_INDEXES = """
CREATE INDEX IF NOT EXISTS results_expiring ON results (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS results_running ON results (started_at, photo_id)
    WHERE status = 'RUNNING';
"""
# results_running is DynamoDB's sparse `Running` index: only the items in flight, oldest first,
# which the sweeper pages through (processing.sweeper).

# Columns added after a table was first created: CREATE TABLE IF NOT EXISTS leaves an existing
# var/pipeline.sqlite3 as it was, so these are added in place when missing.
ADDED_COLUMNS = (
    ("jobs", "worker_pid", "INTEGER"),  # the process holding a taken job's lease
    ("results", "expires_at", "REAL"),  # a tombstone's expiry (DynamoDB's TTL), else NULL
    ("results", "started_at", "TEXT"),  # the item's startedAt, for results_running
)
# What fills a column just added from what the rows already hold.
BACKFILLS = {
    ("results", "started_at"): (
        "UPDATE results SET started_at = json_extract(item, '$.startedAt') WHERE status = 'RUNNING'"
    ),
}


# How long a new connection keeps trying to enter WAL mode while others create the file.
WAL_SETUP_SECONDS = 30.0


def _enter_wal_mode(connection: sqlite3.Connection) -> None:
    """Switch to WAL, retrying while another connection holds the lock.

    Switching journal modes needs an exclusive lock and SQLite answers SQLITE_BUSY at once, without
    calling the busy handler, when two connections open a brand-new file together (a worker and the
    web server at first start, or two threads); so the wait is ours to do.
    """
    deadline = time.monotonic() + WAL_SETUP_SECONDS
    pause = 0.005
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


class LocalDatabase:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connection().executescript(SCHEMA)  # its own transaction; IF NOT EXISTS throughout
        self._add_missing_columns()
        self._connection().executescript(LATE_INDEXES)

    def _columns(self, table: str) -> set[str]:
        return {row["name"] for row in self._connection().execute(f"PRAGMA table_info({table})")}

    def _add_missing_columns(self) -> None:
        missing = [added for added in ADDED_COLUMNS if added[1] not in self._columns(added[0])]
        if not missing:
            return  # the usual case: no write lock taken
        with self.write() as connection:
            for table, column, kind in missing:
                # Checked again under the lock: another process may have just added it.
                if column not in self._columns(table):
                    connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                    if (table, column) in BACKFILLS:
                        connection.execute(BACKFILLS[(table, column)])

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            _enter_wal_mode(connection)
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.row_factory = sqlite3.Row
            self._local.connection = connection
        return connection

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise TransientError(f"local database busy: {error}") from error
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def read(self) -> sqlite3.Connection:
        return self._connection()
