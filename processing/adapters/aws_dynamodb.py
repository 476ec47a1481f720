"""The DynamoDB table behind the ResultStore port (items as processing.results shapes them).

Reads use BatchGetItem, 100 keys a call, retrying unprocessed keys with backoff. Writes are
conditional: RUNNING and metadata are written only while the item is absent or RUNNING, so a late
or repeated event never overwrites a final state.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from processing.metadata import ImageMetadata
from processing.ports import TransientError
from processing.recognition.labels import Label
from processing.results import ResultItem, Status, now_iso

_BATCH = 100
_NOT_FINAL = "attribute_not_exists(photoId) OR #status = :running"
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

    def _update(self, photo_id: str, values: dict[str, Any], *, only_if_running: bool) -> None:
        names = {f"#{i}": name for i, name in enumerate(values)}
        attributes = {
            f":{i}": _serializer.serialize(_to_dynamo(v)) for i, v in enumerate(values.values())
        }
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"photoId": {"S": photo_id}},
            "UpdateExpression": "SET " + ", ".join(f"#{i} = :{i}" for i in range(len(values))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": attributes,
        }
        if only_if_running:
            arguments["ConditionExpression"] = _NOT_FINAL
            names["#status"] = "status"
            attributes[":running"] = {"S": Status.RUNNING.value}
        try:
            self.client.update_item(**arguments)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "ConditionalCheckFailedException":
                return  # already final: the result stands
            if code in _TRANSIENT:
                raise TransientError(f"DynamoDB {code}") from error
            raise

    def record_start(self, photo_id: str, execution_arn: str) -> None:
        at = now_iso()
        self._update(
            photo_id,
            {"status": Status.RUNNING.value, "executionArn": execution_arn, "updatedAt": at},
            only_if_running=True,
        )
        # startedAt only once: a second conditional write that never replaces it.
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"photoId": {"S": photo_id}},
                UpdateExpression="SET startedAt = if_not_exists(startedAt, :at)",
                ExpressionAttributeValues={":at": {"S": at}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _TRANSIENT:
                raise TransientError("DynamoDB throttled") from error
            raise

    def record_metadata(self, photo_id: str, metadata: ImageMetadata) -> None:
        item = ResultItem(photo_id, Status.RUNNING, metadata=metadata)
        values = {**item.metadata_attributes(), "status": Status.RUNNING.value}
        values["updatedAt"] = now_iso()
        self._update(photo_id, values, only_if_running=True)

    def record_labels(self, photo_id: str, labels: list[Label]) -> None:
        values = {"labels": [label.to_item() for label in labels], "updatedAt": now_iso()}
        self._update(photo_id, values, only_if_running=True)

    def record_final(self, item: ResultItem) -> None:
        values = {k: v for k, v in item.to_item().items() if k != "photoId"}
        if not item.thumbnails:
            values.pop("thumbnails", None)
        if not item.labels:
            values.pop("labels", None)
        values["updatedAt"] = now_iso()
        self._update(item.photo_id, values, only_if_running=False)

    def get_many(self, photo_ids: Iterable[str]) -> dict[str, ResultItem]:
        items = (ResultItem.from_item(plain) for plain in self._batch_get(photo_ids))
        return {item.photo_id: item for item in items}

    def get_statuses(self, photo_ids: Iterable[str]) -> dict[str, Status]:
        projection = {
            "ProjectionExpression": "photoId, #s",
            "ExpressionAttributeNames": {"#s": "status"},
        }
        return {
            plain["photoId"]: Status(plain["status"])
            for plain in self._batch_get(photo_ids, projection)
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

    def delete(self, photo_id: str) -> None:
        self.client.delete_item(TableName=self.table, Key={"photoId": {"S": photo_id}})
