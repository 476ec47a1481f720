"""ResultStore on the local database, holding exactly the items DynamoDB would hold, with the
same conditional writes: nothing is written for a deleted photo (PhotoDeleted), and a final item
stands. Tombstones expire as DynamoDB's TTL would make them: writing one sweeps the expired."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from typing import Any

from processing.adapters.local_db import LocalDatabase
from processing.metadata import ImageMetadata
from processing.ports import PhotoDeleted
from processing.recognition.labels import Label
from processing.results import (
    DELETED,
    ResultItem,
    RunningItem,
    Status,
    StoredOriginal,
    Tombstone,
    now_iso,
    parse_item,
    tombstone,
)

_BATCH = 100  # as DynamoDB's BatchGetItem


class LocalResultStore:
    def __init__(self, database: LocalDatabase) -> None:
        self.database = database

    def _current(
        self, connection: sqlite3.Connection, photo_id: str
    ) -> ResultItem | Tombstone | None:
        row = connection.execute(
            "SELECT item FROM results WHERE photo_id = ?", (photo_id,)
        ).fetchone()
        return parse_item(json.loads(row["item"])) if row else None

    def _put(self, connection: sqlite3.Connection, item: ResultItem | Tombstone) -> None:
        plain = item.to_item()
        connection.execute(
            "INSERT INTO results (photo_id, status, item, updated_at, expires_at, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (photo_id) DO UPDATE SET "
            "status = excluded.status, item = excluded.item, updated_at = excluded.updated_at, "
            "expires_at = excluded.expires_at, started_at = excluded.started_at",
            (
                item.photo_id,
                plain["status"],
                json.dumps(plain),
                plain.get("updatedAt"),
                plain.get("expiresAt"),
                plain.get("startedAt"),
            ),
        )

    def _update_running(self, photo_id: str, *, create: bool, **changes: Any) -> None:
        """Changes an item that is still RUNNING (creating it when ``create``); a final item
        stands, so a repeated or late event changes nothing; a deleted photo raises."""
        at = now_iso()
        with self.database.write() as connection:
            current = self._current(connection, photo_id)
            if isinstance(current, Tombstone) or (current is None and not create):
                raise PhotoDeleted(photo_id)
            if current is not None and current.status.is_final:
                return
            base = current or ResultItem(photo_id, Status.RUNNING, started_at=at)
            if base.original is not None:
                changes.pop("original", None)  # recorded once
            self._put(connection, base.with_changes(**changes, updated_at=at))

    def record_start(
        self,
        photo_id: str,
        execution_arn: str | None = None,
        *,
        original: StoredOriginal | None = None,
    ) -> None:
        changes: dict[str, Any] = {}
        if execution_arn is not None:
            changes["execution_arn"] = execution_arn
        if original is not None:
            changes["original"] = original
        self._update_running(photo_id, create=True, **changes)

    def record_metadata(self, photo_id: str, metadata: ImageMetadata) -> None:
        self._update_running(photo_id, create=False, metadata=metadata)

    def record_labels(self, photo_id: str, labels: list[Label]) -> None:
        self._update_running(photo_id, create=False, labels=tuple(labels))

    def record_final(self, item: ResultItem, *, overwrite: bool = False) -> None:
        at = now_iso()
        with self.database.write() as connection:
            current = self._current(connection, item.photo_id)
            if current is None or isinstance(current, Tombstone):
                raise PhotoDeleted(item.photo_id)
            if current.status.is_final and not overwrite:
                return  # the first final state stands
            # Keep what earlier steps stored (execution, start, metadata) unless replaced.
            merged = current.with_changes(
                status=item.status,
                metadata=item.metadata or current.metadata,
                thumbnails=item.thumbnails or current.thumbnails,
                labels=item.labels or current.labels,
                rejection_reason=item.rejection_reason,
                message=item.message,
                error=item.error,
                cause=item.cause,
            )
            self._put(connection, merged.with_changes(updated_at=at))

    def record_execution(self, photo_id: str, execution_arn: str) -> None:
        with self.database.write() as connection:
            current = self._current(connection, photo_id)
            if current is None or isinstance(current, Tombstone):
                raise PhotoDeleted(photo_id)
            if not current.status.is_final:
                self._put(connection, current.with_changes(execution_arn=execution_arn))

    def running_before(
        self, deadline: str, *, limit: int, after: RunningItem | None = None
    ) -> list[RunningItem]:
        """From the partial index results_running (local_db), as DynamoDB's sparse GSI."""
        start = (after.started_at, after.photo_id) if after else ("", "")
        rows = (
            self.database.read()
            .execute(
                "SELECT photo_id, started_at, item FROM results "
                "WHERE status = 'RUNNING' AND started_at < ? AND (started_at, photo_id) > (?, ?) "
                "ORDER BY started_at, photo_id LIMIT ?",
                (deadline, *start, limit),
            )
            .fetchall()
        )
        found = []
        for row in rows:
            item = ResultItem.from_item(json.loads(row["item"]))
            found.append(
                RunningItem(
                    photo_id=item.photo_id,
                    started_at=row["started_at"],
                    execution_arn=item.execution_arn,
                    original_key=item.original.key if item.original else None,
                )
            )
        return found

    def get(self, photo_id: str) -> ResultItem | Tombstone | None:
        return self._current(self.database.read(), photo_id)

    def get_many(self, photo_ids: Iterable[str]) -> dict[str, ResultItem]:
        items = (ResultItem.from_item(json.loads(row["item"])) for row in self._rows(photo_ids))
        return {item.photo_id: item for item in items}

    def get_statuses(self, photo_ids: Iterable[str]) -> dict[str, Status]:
        return {row["photo_id"]: Status(row["status"]) for row in self._rows(photo_ids)}

    def _rows(self, photo_ids: Iterable[str]) -> Iterator[sqlite3.Row]:
        """The results (never tombstones) for these ids, read 100 keys at a time as DynamoDB's
        BatchGetItem does."""
        wanted = list(dict.fromkeys(photo_ids))
        connection = self.database.read()
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            marks = ",".join("?" * len(batch))
            yield from connection.execute(
                f"SELECT photo_id, status, item FROM results WHERE photo_id IN ({marks}) "
                "AND status != ?",
                [*batch, DELETED],
            ).fetchall()

    def delete(self, photo_id: str, *, keep_seconds: int) -> None:
        self.delete_many([photo_id], keep_seconds=keep_seconds)

    def delete_many(self, photo_ids: Iterable[str], *, keep_seconds: int) -> None:
        with self.database.write() as connection:
            for photo_id in photo_ids:
                self._put(connection, tombstone(photo_id, keep_seconds=keep_seconds))
            # DynamoDB's TTL, locally: tombstones past their expiry go (an indexed delete).
            connection.execute(
                "DELETE FROM results WHERE expires_at IS NOT NULL AND expires_at < ?",
                (time.time(),),
            )
