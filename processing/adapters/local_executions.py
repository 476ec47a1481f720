"""The local stand-in for Step Functions' bookkeeping: executions by deterministic name, with
their history, and the job queue that hands them to workers.

Starting an execution and queueing its job happen in one transaction, so an execution is never
recorded without the work that runs it, nor queued twice.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from processing.adapters.local_db import LocalDatabase
from processing.ports import ExecutionState

STATE_MACHINE_NAME = "PhotoPipeline"


def execution_arn(name: str) -> str:
    return f"arn:aws:states:local:000000000000:execution:{STATE_MACHINE_NAME}:{name}"


@dataclass(frozen=True)
class ExecutionRecord:
    name: str
    arn: str
    input: dict[str, Any]
    status: str  # RUNNING, SUCCEEDED, FAILED or ABORTED (stopped by the sweeper)
    started_at: float
    stopped_at: float | None
    output: Any
    error: str | None
    cause: str | None
    history: list[dict[str, Any]]


class LocalExecutions:
    def __init__(self, database: LocalDatabase) -> None:
        self.database = database

    def start(self, *, name: str, execution_input: dict[str, Any]) -> str:
        arn = execution_arn(name)
        with self.database.write() as connection:
            exists = connection.execute(
                "SELECT 1 FROM executions WHERE name = ?", (name,)
            ).fetchone()
            if exists:
                return arn  # a repeated event: nothing new starts
            now = time.time()
            connection.execute(
                "INSERT INTO executions (name, arn, input, status, started_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, arn, json.dumps(execution_input), "RUNNING", now),
            )
            connection.execute(
                "INSERT INTO jobs (kind, body, created_at) VALUES ('execution', ?, ?)",
                (json.dumps({"name": name}), now),
            )
        return arn

    def finish(
        self,
        name: str,
        *,
        status: str,
        output: Any,
        error: str | None,
        cause: str | None,
        history: list[dict[str, Any]],
    ) -> None:
        with self.database.write() as connection:
            connection.execute(
                "UPDATE executions SET status = ?, stopped_at = ?, output = ?, error = ?, "
                "cause = ?, history = ? WHERE name = ?",
                (status, time.time(), json.dumps(output), error, cause, json.dumps(history), name),
            )

    def describe(self, name: str) -> ExecutionState | None:
        """The ExecutionControl port, for the sweeper."""
        record = self.get_by_name(name)
        if record is None:
            return None
        queued = record.status == "RUNNING" and self._job_open(name)
        return ExecutionState(
            status=record.status, error=record.error, cause=record.cause, queued=queued
        )

    def _job_open(self, name: str) -> bool:
        """Whether the execution's job waits in the queue or is leased (the index jobs_ready
        narrows this to open jobs: the backlog, not the queue's history)."""
        row = (
            self.database.read()
            .execute(
                "SELECT 1 FROM jobs WHERE state IN ('ready', 'taken') AND kind = 'execution' "
                "AND body = ? LIMIT 1",
                (json.dumps({"name": name}),),
            )
            .fetchone()
        )
        return row is not None

    def stop(self, name: str, *, error: str, cause: str) -> None:
        """Marks a running execution ABORTED, as StopExecution does. A worker still running it
        goes on (there is no signal to it), but its photo is already final, and every pipeline
        write is conditional on the photo still being RUNNING, so it changes nothing there."""
        with self.database.write() as connection:
            connection.execute(
                "UPDATE executions SET status = 'ABORTED', stopped_at = ?, error = ?, cause = ? "
                "WHERE name = ? AND status = 'RUNNING'",
                (time.time(), error, cause, name),
            )

    def get(self, arn: str) -> ExecutionRecord | None:
        return self._one("arn", arn)

    def get_by_name(self, name: str) -> ExecutionRecord | None:
        return self._one("name", name)

    def _one(self, column: str, value: str) -> ExecutionRecord | None:
        query = f"SELECT * FROM executions WHERE {column} = ?"
        row = self.database.read().execute(query, (value,)).fetchone()
        if row is None:
            return None
        return ExecutionRecord(
            name=row["name"],
            arn=row["arn"],
            input=json.loads(row["input"]),
            status=row["status"],
            started_at=row["started_at"],
            stopped_at=row["stopped_at"],
            output=json.loads(row["output"]) if row["output"] else None,
            error=row["error"],
            cause=row["cause"],
            history=json.loads(row["history"]),
        )
