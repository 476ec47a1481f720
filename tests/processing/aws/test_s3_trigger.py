"""The S3Trigger handler in aws mode, fed SQS batches of EventBridge events of the recorded shape
(infra/events/s3_trigger_sqs.json), against moto: a new upload starts one execution; a message
whose start raised is reported in batchItemFailures, the rest are done; a replayed ticket's
object (a replacement, or an upload after the photo was deleted) starts nothing and is deleted;
S3's own notification shape (the web app's replay) still starts the execution."""

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from processing.handlers import s3_trigger
from processing.local.s3_events import object_created
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
    return json.loads((ROOT / "infra/events/s3_trigger_sqs.json").read_text())


def post(s3: Any, data: bytes) -> dict[str, Any]:
    """Stores ``data`` under the photo's key as an upload does, and returns the SQS batch the
    trigger then receives: the recorded message, its EventBridge body naming the object's real
    ETag (and version id, if any)."""
    stored = s3.put_object(Bucket=BUCKET, Key=KEY, Body=data, ContentType="image/jpeg")
    record = copy.deepcopy(recorded_event()["Records"][0])
    body = json.loads(record["body"])
    body["detail"]["bucket"]["name"] = BUCKET
    body["detail"]["object"] |= {"key": KEY, "size": len(data), "etag": stored["ETag"].strip('"')}
    body["detail"]["object"].pop("version-id")
    if stored.get("VersionId"):
        body["detail"]["object"]["version-id"] = stored["VersionId"]
    record["body"] = json.dumps(body)
    return {"Records": [record]}


def executions(client: Any, arn: str) -> list[str]:
    return [e["name"] for e in client.list_executions(stateMachineArn=arn)["executions"]]


def item() -> ResultItem | Tombstone | None:
    return config().result_store().get(PHOTO_ID)


def test_the_recorded_batch_starts_one_execution_per_upload_and_records_running(
    s3: Any, machine: tuple[Any, str]
) -> None:
    client, arn = machine
    event = recorded_event()
    photo_ids = []
    for record in event["Records"]:
        key = json.loads(record["body"])["detail"]["object"]["key"]
        s3.put_object(Bucket=BUCKET, Key=key, Body=jpeg())
        photo_ids.append(key.rsplit("/", 1)[1].split(".")[0])

    first = s3_trigger.handler(event, None)
    second = s3_trigger.handler(event, None)  # SQS delivers at least once

    assert first == second == {"batchItemFailures": []}
    listed = client.list_executions(stateMachineArn=arn)["executions"]
    assert sorted(e["name"] for e in listed) == sorted(photo_ids)
    result = config().result_store().get_many([PHOTO_ID])[PHOTO_ID]
    assert result.status is Status.RUNNING
    assert result.execution_arn == f"{arn.replace(':stateMachine:', ':execution:')}:{PHOTO_ID}"
    assert result.original is not None
    assert result.original.etag == "d41d8cd98f00b204e9800998ecf8427e"  # the event's
    assert result.original.version_id == "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"


def test_a_message_whose_start_raised_is_reported_and_the_others_are_done(
    s3: Any, machine: tuple[Any, str]
) -> None:
    event = post(s3, jpeg())
    broken = copy.deepcopy(event["Records"][0]) | {"messageId": "not-json", "body": "{"}
    event["Records"].insert(0, broken)

    assert s3_trigger.handler(event, None) == {
        "batchItemFailures": [{"itemIdentifier": "not-json"}]
    }
    assert executions(*machine) == [PHOTO_ID]


def test_a_refused_start_execution_leaves_the_message_for_sqs_to_deliver_again(
    s3: Any, machine: tuple[Any, str]
) -> None:
    client, arn = machine
    event = post(s3, jpeg())
    client.delete_state_machine(stateMachineArn=arn)  # Step Functions now refuses every start

    response = s3_trigger.handler(event, None)

    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    current = item()
    assert isinstance(current, ResultItem)
    assert (current.status, current.execution_arn) == (Status.RUNNING, None)


def test_an_event_that_is_not_object_created_is_done_without_starting_anything(
    s3: Any, machine: tuple[Any, str]
) -> None:
    event = post(s3, jpeg())
    body = json.loads(event["Records"][0]["body"]) | {"detail-type": "Object Deleted"}
    event["Records"][0]["body"] = json.dumps(body)

    assert s3_trigger.handler(event, None) == {"batchItemFailures": []}
    assert executions(*machine) == []


def test_s3s_own_notification_shape_still_starts_the_execution(
    s3: Any, machine: tuple[Any, str]
) -> None:
    """The web app's replay of an original with no result, and the local bucket, send it."""
    data = jpeg()
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=data)
    replay = object_created(BUCKET, KEY, size=len(data))

    first = s3_trigger.handler(replay, None)

    assert [s["objectID"] for s in first["started"]] == [PHOTO_ID]
    assert executions(*machine) == [PHOTO_ID]


def test_a_repeated_notification_of_the_same_object_changes_nothing(
    s3: Any, machine: tuple[Any, str]
) -> None:
    event = post(s3, jpeg())
    s3_trigger.handler(event, None)
    config().result_store().record_final(ResultItem(PHOTO_ID, Status.SUCCEEDED))

    again = s3_trigger.handler(event, None)

    assert again == {"batchItemFailures": []}
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

    assert replayed == {"batchItemFailures": []}  # refused, and done with
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

    assert replayed == {"batchItemFailures": []}
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

    assert replayed == {"batchItemFailures": []}
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)
    assert isinstance(item(), Tombstone)
    assert config().result_store().get_many([PHOTO_ID]) == {}
    assert executions(*machine) == [PHOTO_ID]  # the first upload's, nothing new


def test_a_notification_for_an_object_no_longer_there_starts_nothing(
    s3: Any, machine: tuple[Any, str]
) -> None:
    event = post(s3, jpeg())
    s3.delete_object(Bucket=BUCKET, Key=KEY)

    assert s3_trigger.handler(event, None) == {"batchItemFailures": []}
    assert executions(*machine) == []
    assert item() is None
