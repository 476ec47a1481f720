"""The S3Trigger handler in aws mode, fed S3 events of the recorded shape, against moto: a new
upload starts one execution; a replayed ticket's object (a replacement, or an upload after the
photo was deleted) starts nothing and is deleted."""

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from processing.handlers import s3_trigger
from processing.results import ResultItem, Status, Tombstone
from processing.runtime import config
from tests.conftest import UsePipeline
from tests.processing.aws.conftest import BUCKET, REGION, TABLE
from tests.processing.images import jpeg, png

ROOT = Path(__file__).resolve().parents[3]
PHOTO_ID = "0b5c3c4e-8a8f-4a65-9f53-2f1e6c1d2a90"
KEY = f"private/7/uploads/3/{PHOTO_ID}.jpg"


@pytest.fixture
def machine(s3: Any, dynamodb: Any, use_pipeline: UsePipeline) -> tuple[Any, str]:
    client = boto3.client("stepfunctions", region_name=REGION)
    arn = client.create_state_machine(
        name="PhotoPipeline",
        definition=(ROOT / "infra/statemachine/photo_pipeline.asl.json").read_text(),
        roleArn="arn:aws:iam::123456789012:role/photoshare",
    )["stateMachineArn"]
    use_pipeline(
        PHOTOSHARE_BACKEND="aws",
        PHOTOSHARE_AWS_REGION=REGION,
        PHOTOSHARE_RESULTS_TABLE=TABLE,
        PHOTOSHARE_STATE_MACHINE_ARN=arn,
        PHOTOSHARE_BUCKET=BUCKET,
    )
    return client, arn


def recorded_event() -> dict[str, Any]:
    return json.loads((ROOT / "infra/events/s3_trigger.json").read_text())


def post(s3: Any, data: bytes) -> dict[str, Any]:
    """Stores ``data`` under the photo's key as an upload does, and returns S3's notification of
    it: the recorded event's shape, with the object's real ETag (and version id, if any)."""
    stored = s3.put_object(Bucket=BUCKET, Key=KEY, Body=data, ContentType="image/jpeg")
    event = recorded_event()
    record = copy.deepcopy(event["Records"][0])
    record["s3"]["bucket"]["name"] = BUCKET
    record["s3"]["object"] |= {"size": len(data), "eTag": stored["ETag"].strip('"')}
    if stored.get("VersionId"):
        record["s3"]["object"]["versionId"] = stored["VersionId"]
    return {"Records": [record]}


def executions(client: Any, arn: str) -> list[str]:
    return [e["name"] for e in client.list_executions(stateMachineArn=arn)["executions"]]


def item() -> ResultItem | Tombstone | None:
    return config().result_store().get(PHOTO_ID)


def test_the_recorded_event_starts_one_execution_and_records_running(
    s3: Any, machine: tuple[Any, str]
) -> None:
    client, arn = machine
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=jpeg())
    event = recorded_event()

    first = s3_trigger.handler(event, None)
    second = s3_trigger.handler(event, None)  # S3 delivers at least once

    assert [s["objectID"] for s in first["started"]] == [PHOTO_ID]
    assert second["started"] == first["started"]
    assert len(first["skipped"]) == 1  # the thumbnail's key
    listed = client.list_executions(stateMachineArn=arn)["executions"]
    assert [e["name"] for e in listed] == [PHOTO_ID]
    result = config().result_store().get_many([PHOTO_ID])[PHOTO_ID]
    assert result.status is Status.RUNNING
    assert result.execution_arn == listed[0]["executionArn"]
    assert result.original is not None
    assert result.original.etag == "d41d8cd98f00b204e9800998ecf8427e"  # the event's


def test_a_repeated_notification_of_the_same_object_changes_nothing(
    s3: Any, machine: tuple[Any, str]
) -> None:
    event = post(s3, jpeg())
    s3_trigger.handler(event, None)
    config().result_store().record_final(ResultItem(PHOTO_ID, Status.SUCCEEDED))

    again = s3_trigger.handler(event, None)

    assert again["refused"] == []
    assert executions(*machine) == [PHOTO_ID]
    current = item()
    assert isinstance(current, ResultItem)
    assert current.status is Status.SUCCEEDED
    assert s3.head_object(Bucket=BUCKET, Key=KEY)["ContentLength"] > 0


def test_an_original_replaced_after_success_is_deleted_and_the_photo_failed(
    s3: Any, machine: tuple[Any, str]
) -> None:
    s3_trigger.handler(post(s3, jpeg()), None)
    config().result_store().record_final(ResultItem(PHOTO_ID, Status.SUCCEEDED))

    replayed = s3_trigger.handler(post(s3, png()), None)  # the same ticket, other bytes

    assert replayed["started"] == []
    assert replayed["refused"] == [{"objectID": PHOTO_ID, "reason": "replaced"}]
    assert executions(*machine) == [PHOTO_ID]
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)  # the unchecked bytes are gone
    current = item()
    assert isinstance(current, ResultItem)
    assert (current.status, current.error) == (Status.FAILED, "OriginalReplaced")
    assert current.message == "The original was replaced after it was processed; upload it again"


def test_an_original_replaced_while_processing_fails_the_photo_and_its_last_steps_change_nothing(
    s3: Any, machine: tuple[Any, str]
) -> None:
    s3_trigger.handler(post(s3, jpeg()), None)
    s3_trigger.handler(post(s3, png()), None)

    store = config().result_store()
    store.record_labels(PHOTO_ID, [])  # the running execution's later steps
    store.record_final(ResultItem(PHOTO_ID, Status.SUCCEEDED))
    current = item()
    assert isinstance(current, ResultItem)
    assert (current.status, current.error) == (Status.FAILED, "OriginalReplaced")


def test_on_a_versioned_bucket_the_replacing_version_is_deleted_and_the_original_restored(
    s3: Any, machine: tuple[Any, str]
) -> None:
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    checked = jpeg()
    s3_trigger.handler(post(s3, checked), None)
    config().result_store().record_final(ResultItem(PHOTO_ID, Status.SUCCEEDED))

    replayed = s3_trigger.handler(post(s3, png()), None)

    assert replayed["refused"] == [{"objectID": PHOTO_ID, "reason": "replaced"}]
    assert s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == checked
    versions = s3.list_object_versions(Bucket=BUCKET, Prefix=KEY)
    assert len(versions["Versions"]) == 1
    assert "DeleteMarkers" not in versions
    current = item()
    assert isinstance(current, ResultItem)
    assert current.status is Status.SUCCEEDED
    assert executions(*machine) == [PHOTO_ID]


def test_a_ticket_used_after_its_photo_was_deleted_starts_nothing_and_leaves_nothing(
    s3: Any, machine: tuple[Any, str]
) -> None:
    s3_trigger.handler(post(s3, jpeg()), None)
    config().result_store().record_final(ResultItem(PHOTO_ID, Status.SUCCEEDED))
    config().result_store().delete(PHOTO_ID, keep_seconds=3600)  # the web app deletes it
    s3.delete_object(Bucket=BUCKET, Key=KEY)

    replayed = s3_trigger.handler(post(s3, jpeg()), None)

    assert replayed["refused"] == [{"objectID": PHOTO_ID, "reason": "deleted"}]
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)
    assert isinstance(item(), Tombstone)
    assert config().result_store().get_many([PHOTO_ID]) == {}
    assert executions(*machine) == [PHOTO_ID]  # the first upload's, nothing new


def test_a_notification_for_an_object_no_longer_there_starts_nothing(
    s3: Any, machine: tuple[Any, str]
) -> None:
    event = post(s3, jpeg())
    s3.delete_object(Bucket=BUCKET, Key=KEY)

    assert s3_trigger.handler(event, None)["started"] == []
    assert executions(*machine) == []
    assert item() is None
