"""The DynamoDB table behind the ResultStore port (items as processing.results shapes them).

Reads use BatchGetItem, 100 keys a call, retrying unprocessed keys with backoff, and leave
tombstones out. Writes are conditional: the RUNNING item is created only where there is none or
it is RUNNING, and every later write only while it is RUNNING, so a late or repeated event never
overwrites a final state, and nothing is written for a deleted photo (its item is a tombstone,
or gone): a write that finds that raises PhotoDeleted. Tombstones carry ``expiresAt``, the
table's TTL attribute (infra/template.yaml).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from processing.metadata import ImageMetadata
from processing.ports import PhotoDeleted, TransientError
from processing.recognition.labels import Label
from processing.results import (
    DELETED,
    RUNNING_FLAG,
    RUNNING_INDEX,
    ResultItem,
    RunningItem,
    Status,
    StoredOriginal,
    Tombstone,
    now_iso,
    parse_item,
    tombstone,
)

_BATCH = 100
_WRITE_BATCH = 25  # BatchWriteItem's limit
_ABSENT_OR_RUNNING = "attribute_not_exists(photoId) OR #status = :running"
_RUNNING = "#status = :running"
_NOT_DELETED = "attribute_exists(photoId) AND #status <> :deleted"
_TRANSIENT = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
}
_serializer, _deserializer = TypeSerializer(), TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


class DynamoResultStore:
    def __init__(self, client: Any, table: str, *, sleep: Any = time.sleep) -> None:
        self.client = client
        self.table = table
        self.sleep = sleep

    def _update(
        self,
        photo_id: str,
        values: dict[str, Any],
        *,
        condition: str,
        once: dict[str, Any] | None = None,
        remove: tuple[str, ...] = (),
    ) -> None:
        """SET ``values`` (and ``once``, each only where the item has none yet) and REMOVE
        ``remove`` if ``condition`` holds. When it does not, the item is read again: a final item
        stands (nothing to do), a tombstone or no item at all means the photo was deleted."""
        once = once or {}
        names = {f"#{i}": name for i, name in enumerate([*values, *once])}
        attributes = {
            f":{i}": _serializer.serialize(_to_dynamo(v))
            for i, v in enumerate([*values.values(), *once.values()])
        }
        sets = [f"#{i} = :{i}" for i in range(len(values))]
        sets += [f"#{i} = if_not_exists(#{i}, :{i})" for i in range(len(values), len(names))]
        names |= {f"#r{i}": name for i, name in enumerate(remove)}
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"photoId": {"S": photo_id}},
            "UpdateExpression": "SET "
            + ", ".join(sets)
            + (" REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove))) if remove else ""),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": attributes,
        }
        if condition:
            arguments["ConditionExpression"] = condition
            names["#status"] = "status"
            for name, value in ((":running", Status.RUNNING.value), (":deleted", DELETED)):
                if name in condition:
                    attributes[name] = {"S": value}
        try:
            self.client.update_item(**arguments)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in _TRANSIENT:
                raise TransientError(f"DynamoDB {code}") from error
            if code != "ConditionalCheckFailedException":
                raise
        else:
            return
        current = self.get(photo_id)
        if current is None or isinstance(current, Tombstone):
            raise PhotoDeleted(photo_id)
        # Otherwise the item is final: the result stands.

    def record_start(
        self,
        photo_id: str,
        execution_arn: str | None = None,
        *,
        original: StoredOriginal | None = None,
    ) -> None:
        at = now_iso()
        # RUNNING_FLAG puts the item in the sweeper's sparse index until a final write.
        values: dict[str, Any] = {
            "status": Status.RUNNING.value,
            "updatedAt": at,
            RUNNING_FLAG: "1",
        }
        if execution_arn is not None:
            values["executionArn"] = execution_arn
        once: dict[str, Any] = {"startedAt": at}
        if original is not None:
            once |= {
                "originalETag": original.etag,
                "originalVersionId": original.version_id,
                "originalKey": original.key,
            }
            once = {k: v for k, v in once.items() if v is not None}
        self._update(photo_id, values, condition=_ABSENT_OR_RUNNING, once=once)

    def record_metadata(self, photo_id: str, metadata: ImageMetadata) -> None:
        item = ResultItem(photo_id, Status.RUNNING, metadata=metadata)
        values = {**item.metadata_attributes(), "updatedAt": now_iso()}
        self._update(photo_id, values, condition=_RUNNING)

    def record_labels(self, photo_id: str, labels: list[Label]) -> None:
        values = {"labels": [label.to_item() for label in labels], "updatedAt": now_iso()}
        self._update(photo_id, values, condition=_RUNNING)

    def record_final(self, item: ResultItem, *, overwrite: bool = False) -> None:
        values = {k: v for k, v in item.to_item().items() if k != "photoId"}
        if not item.thumbnails:
            values.pop("thumbnails", None)
        if not item.labels:
            values.pop("labels", None)
        values["updatedAt"] = now_iso()
        # Overwriting (a replaced original) still needs the photo: anything but a tombstone.
        # A final item leaves the sweeper's index.
        condition = _NOT_DELETED if overwrite else _RUNNING
        self._update(item.photo_id, values, condition=condition, remove=(RUNNING_FLAG,))

    def record_execution(self, photo_id: str, execution_arn: str) -> None:
        values = {"executionArn": execution_arn, "updatedAt": now_iso()}
        self._update(photo_id, values, condition=_RUNNING)

    def running_before(
        self, deadline: str, *, limit: int, after: RunningItem | None = None
    ) -> list[RunningItem]:
        """A Query of the sparse `Running` index, oldest first; DynamoDB may stop a page short
        (1 MB), so it asks again from where it stopped until ``limit`` items or the end."""
        found: list[RunningItem] = []
        start: dict[str, Any] | None = None
        if after is not None:
            start = {
                "photoId": {"S": after.photo_id},
                RUNNING_FLAG: {"S": "1"},
                "startedAt": {"S": after.started_at},
            }
        while len(found) < limit:
            arguments: dict[str, Any] = {
                "TableName": self.table,
                "IndexName": RUNNING_INDEX,
                "KeyConditionExpression": "#running = :one AND startedAt < :deadline",
                "ExpressionAttributeNames": {"#running": RUNNING_FLAG},
                "ExpressionAttributeValues": {":one": {"S": "1"}, ":deadline": {"S": deadline}},
                "Limit": limit - len(found),
            }
            if start is not None:
                arguments["ExclusiveStartKey"] = start
            try:
                response = self.client.query(**arguments)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code in _TRANSIENT:
                    raise TransientError(f"DynamoDB {code}") from error
                raise
            for raw in response.get("Items", []):
                plain = {k: _deserializer.deserialize(v) for k, v in raw.items()}
                found.append(
                    RunningItem(
                        photo_id=plain["photoId"],
                        started_at=plain["startedAt"],
                        execution_arn=plain.get("executionArn"),
                        original_key=plain.get("originalKey"),
                    )
                )
            start = response.get("LastEvaluatedKey")
            if start is None:
                break
        return found

    def get(self, photo_id: str) -> ResultItem | Tombstone | None:
        try:
            response = self.client.get_item(
                TableName=self.table, Key={"photoId": {"S": photo_id}}, ConsistentRead=True
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _TRANSIENT:
                raise TransientError("DynamoDB throttled") from error
            raise
        raw = response.get("Item")
        if raw is None:
            return None
        return parse_item({k: _from_dynamo(_deserializer.deserialize(v)) for k, v in raw.items()})

    def get_many(self, photo_ids: Iterable[str]) -> dict[str, ResultItem]:
        plains = (p for p in self._batch_get(photo_ids) if p.get("status") != DELETED)
        items = (ResultItem.from_item(plain) for plain in plains)
        return {item.photo_id: item for item in items}

    def get_statuses(self, photo_ids: Iterable[str]) -> dict[str, Status]:
        projection = {
            "ProjectionExpression": "photoId, #s",
            "ExpressionAttributeNames": {"#s": "status"},
        }
        return {
            plain["photoId"]: Status(plain["status"])
            for plain in self._batch_get(photo_ids, projection)
            if plain.get("status") != DELETED
        }

    def _batch_get(
        self, photo_ids: Iterable[str], projection: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """BatchGetItem, 100 keys a call, unprocessed keys retried with backoff."""
        wanted = list(dict.fromkeys(photo_ids))
        for start in range(0, len(wanted), _BATCH):
            keys = [{"photoId": {"S": photo_id}} for photo_id in wanted[start : start + _BATCH]]
            request: dict[str, Any] = {
                self.table: {"Keys": keys, "ConsistentRead": True, **(projection or {})}
            }
            for attempt in range(8):
                response = self.client.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self.table, []):
                    yield {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in raw.items()}
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                self.sleep(min(0.05 * 2**attempt, 2.0))
            else:
                raise TransientError("DynamoDB left keys unprocessed after 8 attempts")

    def delete(self, photo_id: str, *, keep_seconds: int) -> None:
        """A PutItem of the tombstone: whatever the item held is gone with it."""
        item = tombstone(photo_id, keep_seconds=keep_seconds).to_item()
        self.client.put_item(
            TableName=self.table, Item={k: _serializer.serialize(v) for k, v in item.items()}
        )

    def delete_many(self, photo_ids: Iterable[str], *, keep_seconds: int) -> None:
        """The tombstones' PutRequests by BatchWriteItem, 25 a call, unprocessed items retried
        with backoff. (Unconditional, like ``delete``: a tombstone replaces whatever was there.)"""
        wanted = list(dict.fromkeys(photo_ids))
        for start in range(0, len(wanted), _WRITE_BATCH):
            requests = [
                {
                    "PutRequest": {
                        "Item": {
                            k: _serializer.serialize(v)
                            for k, v in tombstone(photo_id, keep_seconds=keep_seconds)
                            .to_item()
                            .items()
                        }
                    }
                }
                for photo_id in wanted[start : start + _WRITE_BATCH]
            ]
            pending: dict[str, Any] = {self.table: requests}
            for attempt in range(8):
                response = self.client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
                self.sleep(min(0.05 * 2**attempt, 2.0))
            else:
                raise TransientError("DynamoDB left tombstones unwritten after 8 attempts")
