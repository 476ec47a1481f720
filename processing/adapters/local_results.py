"""ResultStore on the local database, holding exactly the items DynamoDB would hold."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from processing.adapters.local_db import LocalDatabase
from processing.metadata import ImageMetadata
from processing.recognition.labels import Label
from processing.results import ResultItem, Status, now_iso

_FINAL = tuple(status.value for status in Status if status.is_final)
_BATCH = 100  # as DynamoDB's BatchGetItem


class LocalResultStore:
    def __init__(self, database: LocalDatabase) -> None:
        self.database = database

    def _current(self, connection: sqlite3.Connection, photo_id: str) -> ResultItem | None:
        row = connection.execute(
            "SELECT item FROM results WHERE photo_id = ?", (photo_id,)
        ).fetchone()
        return ResultItem.from_item(json.loads(row["item"])) if row else None

    def _put(self, connection: sqlite3.Connection, item: ResultItem) -> None:
        connection.execute(
            "INSERT INTO results (photo_id, status, item, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (photo_id) DO UPDATE SET status = excluded.status, item = excluded.item, "
            "updated_at = excluded.updated_at",
            (item.photo_id, item.status.value, json.dumps(item.to_item()), item.updated_at),
        )

    def _update_running(self, photo_id: str, **changes: Any) -> None:
        """Changes an item that is still RUNNING (creating it if need be); a final item stands,
        so a repeated or late event changes nothing."""
        at = now_iso()
        with self.database.write() as connection:
            current = self._current(connection, photo_id)
            if current is not None and current.status.is_final:
                return
            base = current or ResultItem(photo_id, Status.RUNNING, started_at=at)
            self._put(connection, base.with_changes(**changes, updated_at=at))

    def record_start(self, photo_id: str, execution_arn: str) -> None:
        self._update_running(photo_id, execution_arn=execution_arn)

    def record_metadata(self, photo_id: str, metadata: ImageMetadata) -> None:
        self._update_running(photo_id, metadata=metadata)

    def record_labels(self, photo_id: str, labels: list[Label]) -> None:
        self._update_running(photo_id, labels=tuple(labels))

    def record_final(self, item: ResultItem) -> None:
        at = now_iso()
        with self.database.write() as connection:
            current = self._current(connection, item.photo_id)
            merged = item
            if current is not None:
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

    def get_many(self, photo_ids: Iterable[str]) -> dict[str, ResultItem]:
        items = (ResultItem.from_item(json.loads(row["item"])) for row in self._rows(photo_ids))
        return {item.photo_id: item for item in items}

    def get_statuses(self, photo_ids: Iterable[str]) -> dict[str, Status]:
        return {row["photo_id"]: Status(row["status"]) for row in self._rows(photo_ids)}

    def _rows(self, photo_ids: Iterable[str]) -> Iterator[sqlite3.Row]:
        """The rows for these ids, read 100 keys at a time as DynamoDB's BatchGetItem does."""
        wanted = list(dict.fromkeys(photo_ids))
        connection = self.database.read()
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            marks = ",".join("?" * len(batch))
            yield from connection.execute(
                f"SELECT photo_id, status, item FROM results WHERE photo_id IN ({marks})", batch
            ).fetchall()

    def delete(self, photo_id: str) -> None:
        with self.database.write() as connection:
            connection.execute("DELETE FROM results WHERE photo_id = ?", (photo_id,))
