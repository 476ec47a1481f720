"""The DynamoDB results store under moto: the item shape, conditional writes, batched reads."""

import time
from typing import Any

import pytest

from processing.adapters.aws_dynamodb import DynamoResultStore
from processing.metadata import extract_metadata
from processing.ports import PhotoDeleted
from processing.recognition.labels import Label
from processing.results import ResultItem, Status, StoredThumbnail, Tombstone
from tests.processing.aws.conftest import TABLE
from tests.processing.exif_fixtures import LISBON_GPS
from tests.processing.images import exif_block, jpeg


def test_an_item_goes_from_running_through_metadata_to_succeeded(dynamodb: Any) -> None:
    store = DynamoResultStore(dynamodb, TABLE)
    metadata = extract_metadata(jpeg(exif=exif_block(orientation=6, make="Canon", gps=LISBON_GPS)))
    store.record_start("p1", "arn:aws:states:eu-west-1:1:execution:Pipeline:p1")
    store.record_metadata("p1", metadata)
    thumbnail = StoredThumbnail(250, "private/7/resized/p1/250.jpg", 250, 167, "image/jpeg")
    store.record_final(ResultItem("p1", Status.SUCCEEDED, thumbnails=(thumbnail,)))

    item = store.get_many(["p1"])["p1"]
    assert item.status is Status.SUCCEEDED
    assert item.metadata == metadata  # floats, GPS and all survive Decimal and back
    assert item.thumbnails == (thumbnail,)
    assert item.execution_arn == "arn:aws:states:eu-west-1:1:execution:Pipeline:p1"
    assert item.started_at is not None


def test_a_late_start_never_overwrites_a_final_state(dynamodb: Any) -> None:
    store = DynamoResultStore(dynamodb, TABLE)
    store.record_start("p1", "arn:1")
    store.record_final(ResultItem("p1", Status.REJECTED, rejection_reason="corrupt", message="x"))
    store.record_start("p1", "arn:2")  # a repeated S3 event arriving after the end
    store.record_metadata("p1", extract_metadata(jpeg()))

    item = store.get_many(["p1"])["p1"]
    assert (item.status, item.execution_arn, item.rejection_reason) == (
        Status.REJECTED,
        "arn:1",
        "corrupt",
    )
    assert item.metadata is None


class UnprocessedOnce:
    """DynamoDB may return part of a batch as UnprocessedKeys under load, which moto never does:
    this passes every call to the real (moto) client but defers half the keys the first time."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[int] = []

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        keys = RequestItems[TABLE]["Keys"]
        self.calls.append(len(keys))
        if len(self.calls) == 1 and len(keys) > 1:
            half = len(keys) // 2
            response = self.client.batch_get_item(RequestItems={TABLE: {"Keys": keys[:half]}})
            response["UnprocessedKeys"] = {TABLE: {"Keys": keys[half:]}}
            return response
        return self.client.batch_get_item(RequestItems=RequestItems)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def test_reads_are_batches_of_100_and_unprocessed_keys_are_retried(dynamodb: Any) -> None:
    writer = DynamoResultStore(dynamodb, TABLE)
    ids = [f"p{i}" for i in range(250)]
    for photo_id in ids:
        writer.record_start(photo_id, f"arn:{photo_id}")
    client = UnprocessedOnce(dynamodb)
    sleeps: list[float] = []
    found = DynamoResultStore(client, TABLE, sleep=sleeps.append).get_many([*ids, "missing"])

    assert set(found) == set(ids)
    assert client.calls == [100, 50, 100, 51]
    assert sleeps == [0.05]


def test_statuses_are_read_alone_in_the_same_batches(dynamodb: Any) -> None:
    store = DynamoResultStore(dynamodb, TABLE)
    ids = [f"p{i}" for i in range(150)]
    for photo_id in ids:
        store.record_start(photo_id, f"arn:{photo_id}")
    store.record_final(ResultItem("p7", Status.REJECTED, message="Not a JPEG or PNG image"))
    client = UnprocessedOnce(dynamodb)
    statuses = DynamoResultStore(client, TABLE).get_statuses([*ids, "missing"])

    assert statuses == {**dict.fromkeys(ids, Status.RUNNING), "p7": Status.REJECTED}
    assert client.calls == [100, 50, 51]


def test_labels_are_stored_while_running_and_kept_by_the_final_write(dynamodb: Any) -> None:
    store = DynamoResultStore(dynamodb, TABLE)
    dog = Label("Dog", 47.4, "local", "nanodet-g/human-models-3.0.4", parents=("Animal",))
    store.record_start("p1", "arn:1")
    store.record_labels("p1", [dog])
    store.record_final(ResultItem("p1", Status.SUCCEEDED))

    item = store.get_many(["p1"])["p1"]
    assert list(item.labels) == [dog]


@pytest.mark.parametrize("deleted", ["tombstone", "no item"])
def test_no_pipeline_write_lands_for_a_deleted_photo(dynamodb: Any, deleted: str) -> None:
    store = DynamoResultStore(dynamodb, TABLE)
    store.record_start("p1", "arn:1")
    if deleted == "tombstone":
        store.delete("p1", keep_seconds=3600)
    else:
        dynamodb.delete_item(TableName=TABLE, Key={"photoId": {"S": "p1"}})
    writes = [
        lambda: store.record_metadata("p1", extract_metadata(jpeg())),
        lambda: store.record_labels("p1", []),
        lambda: store.record_final(ResultItem("p1", Status.SUCCEEDED)),
        lambda: store.record_final(ResultItem("p1", Status.FAILED), overwrite=True),
    ]
    for write in writes:
        with pytest.raises(PhotoDeleted):
            write()
    if deleted == "tombstone":
        with pytest.raises(PhotoDeleted):
            store.record_start("p1", "arn:2")  # a late S3 notification brings nothing back
    assert store.get_many(["p1"]) == {}
    assert store.get_statuses(["p1"]) == {}


def test_a_tombstone_expires_by_the_tables_ttl_attribute(dynamodb: Any) -> None:
    store = DynamoResultStore(dynamodb, TABLE)
    store.record_start("p1", "arn:1")
    store.record_metadata("p1", extract_metadata(jpeg()))
    before = int(time.time())
    store.delete("p1", keep_seconds=3600)

    raw = dynamodb.get_item(TableName=TABLE, Key={"photoId": {"S": "p1"}})["Item"]
    assert set(raw) == {"photoId", "status", "updatedAt", "expiresAt"}  # nothing of the photo
    assert before + 3600 <= int(raw["expiresAt"]["N"]) <= int(time.time()) + 3600
    assert isinstance(store.get("p1"), Tombstone)


def test_the_first_final_state_stands(dynamodb: Any) -> None:
    store = DynamoResultStore(dynamodb, TABLE)
    store.record_start("p1", "arn:1")
    store.record_final(ResultItem("p1", Status.SUCCEEDED))
    store.record_final(ResultItem("p1", Status.FAILED, message="late"))
    assert store.get_many(["p1"])["p1"].status is Status.SUCCEEDED


def test_many_photos_are_tombstoned_twenty_five_to_a_batch_write(dynamodb: Any) -> None:
    store = DynamoResultStore(dynamodb, TABLE)
    ids = [f"p{n}" for n in range(60)]
    for photo_id in ids:
        store.record_start(photo_id, f"arn:{photo_id}")
    writes: list[str] = []
    dynamodb.meta.events.register(
        "before-call.dynamodb.BatchWriteItem", lambda **_: writes.append("BatchWriteItem")
    )

    store.delete_many(ids, keep_seconds=3600)

    assert len(writes) == 3
    assert all(isinstance(store.get(photo_id), Tombstone) for photo_id in ids)
    with pytest.raises(PhotoDeleted):
        store.record_final(ResultItem("p7", Status.SUCCEEDED))
