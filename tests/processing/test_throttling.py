"""Throttling never fails a photo: the real definition, run by the local runner with the aws
adapters against moto (S3, DynamoDB through the real DynamoResultStore, Rekognition through the
real RekognitionRecognizer), while 30% of the recognizer's and the store's requests are throttled
as AWS throttles them and 30% of Lambda invocations are refused as Lambda refuses them when it is
out of concurrency.

A throttled request is answered as the service answers it (HTTP 400 with its
ThrottlingException or ProvisionedThroughputExceededException body) and never reaches moto, as a
throttled request is never applied. It is injected at botocore's ``before-send``, so the
client's own retry policy (the one the Lambda functions run with) handles it first and botocore
raises the ClientError the adapters turn into TransientError, which the definition retries.
(Raised at ``before-call`` instead, every throttle would skip the SDK's retries: with 30% on
every call, a Thumbnails attempt, one Lambda invocation and two DynamoDB reads, fails two times in
three, and 11 attempts lose about 1% of photos. Measured: 5 of 500.)

The definition is the file itself: its waits and the SDK's are taken (and recorded) by injected
sleeps, never shortened in the definition; full jitter draws from a seeded generator.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from moto import mock_aws
from moto.core.botocore_stubber import MockRawResponse

from processing.keys import UploadKey
from processing.local.pipeline import current_definition, function_arn, resources
from processing.results import ResultItem, Status
from processing.runtime import config
from processing.statemachine.runner import Execution, ExecutionFailed, Runner
from tests.conftest import UsePipeline
from tests.infra.cfn import create_photo_bucket, create_results_table
from tests.processing.images import jpeg, orientation_card

REGION = "eu-west-1"
BUCKET = "photoshare-throttled"
TABLE = "ImageMetadata"
PHOTOS = 500
THROTTLED_SHARE = 0.3
THROTTLES = {
    "dynamodb": ("ProvisionedThroughputExceededException", "ThrottlingException"),
    "rekognition": ("ThrottlingException", "ProvisionedThroughputExceededException"),
}
# How each service's JSON protocol names the error, and its content type.
PROTOCOLS = {
    "dynamodb": ("com.amazonaws.dynamodb.v20120810#", "application/x-amz-json-1.0"),
    "rekognition": ("", "application/x-amz-json-1.1"),
}
NOWHERE = "https://throttled.invalid/"  # a URL no moto backend serves


@pytest.fixture
def stack(
    fake_aws_credentials: None, monkeypatch: pytest.MonkeyPatch, use_pipeline: UsePipeline
) -> Iterator[None]:
    """The stack's bucket and table in moto, as the template declares them, and the pipeline
    configured for aws mode."""
    monkeypatch.delenv("PHOTOSHARE_AWS_ENDPOINT_URL", raising=False)
    use_pipeline(
        PHOTOSHARE_BACKEND="aws",
        PHOTOSHARE_AWS_REGION=REGION,
        PHOTOSHARE_BUCKET=BUCKET,
        PHOTOSHARE_RESULTS_TABLE=TABLE,
        PHOTOSHARE_STATE_MACHINE_ARN="arn:aws:states:eu-west-1:123456789012:stateMachine:p",
    )
    with mock_aws():
        create_photo_bucket(boto3.client("s3", region_name=REGION), BUCKET, REGION)
        create_results_table(boto3.client("dynamodb", region_name=REGION), TABLE)
        yield


@pytest.fixture
def throttled_clients(
    stack: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[random.Random], list[str]]]:
    """Arms a hook on the store's and the recognizer's own clients (the ones the handlers use)
    that throttles a seeded 30% of their requests; returns the log of throttled operations. The
    SDK's retry waits are recorded, not slept."""
    settings = config()
    clients = {
        "dynamodb": settings.result_store().client,  # type: ignore[attr-defined]
        "rekognition": settings.recognizer().client,  # type: ignore[attr-defined]
    }
    sdk_waits: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", _RecordedTime(sdk_waits))
    armed: list[tuple[Any, str, Callable[..., AWSResponse | None]]] = []

    def arm(seed: random.Random) -> list[str]:
        throttled: list[str] = []
        for service, client in clients.items():

            def hook(
                request: AWSPreparedRequest, event_name: str, service: str = service, **_: Any
            ) -> AWSResponse | None:
                if seed.random() >= THROTTLED_SHARE:
                    return None
                throttled.append(event_name.removeprefix("before-send."))
                prefix, content_type = PROTOCOLS[service]
                code = seed.choice(THROTTLES[service])
                body = json.dumps({"__type": prefix + code, "message": "Rate exceeded"})
                request.url = NOWHERE  # the service never sees a throttled request
                headers = {"Content-Type": content_type, "x-amzn-RequestId": str(uuid.uuid4())}
                return AWSResponse(NOWHERE, 400, headers, MockRawResponse(body))

            event = f"before-send.{service}"
            client.meta.events.register_first(event, hook)  # before moto answers
            armed.append((client, event, hook))
        return throttled

    yield arm
    # The clients are cached for the process: the next test must find them unhooked.
    for client, event, hook in armed:
        client.meta.events.unregister(event, hook)


class _RecordedTime:
    """botocore.endpoint's ``time``: it only sleeps between the SDK's own retries."""

    def __init__(self, waits: list[float]) -> None:
        self.sleep = waits.append


def upload_started(count: int, data: bytes) -> list[dict[str, str]]:
    """Stored originals with their RUNNING items, as the S3Trigger leaves them."""
    s3 = boto3.client("s3", region_name=REGION)
    results = config().result_store()
    inputs = []
    for _ in range(count):
        key = UploadKey("7", "3", str(uuid.uuid4()), "jpg")
        s3.put_object(Bucket=BUCKET, Key=str(key), Body=data, ContentType="image/jpeg")
        results.record_start(key.photo_id, f"arn:aws:states:{REGION}:1:execution:p:{key.photo_id}")
        inputs.append({"s3Bucket": BUCKET, "s3Key": str(key), "objectID": key.photo_id})
    return inputs


def lambda_throttled(
    tasks: dict[str, Callable[[Any], Any]], seed: random.Random, refused: list[str]
) -> dict[str, Callable[[Any], Any]]:
    """Every Lambda function refuses a seeded 30% of its invocations as Lambda does when the
    account or the function is out of concurrency (the DynamoDB integration is no Lambda)."""

    def wrap(arn: str, task: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def invoke(event: Any) -> Any:
            if seed.random() < THROTTLED_SHARE:
                refused.append(arn)
                raise ExecutionFailed("Lambda.TooManyRequestsException", "Rate Exceeded.")
            return task(event)

        return invoke

    return {
        arn: wrap(arn, task) if arn.startswith("arn:aws:lambda:") else task
        for arn, task in tasks.items()
    }


def retries(execution: Execution) -> int:
    return sum(max(0, event.attempts - 1) for event in execution.history)


def test_500_photos_all_succeed_while_a_third_of_calls_are_throttled(
    throttled_clients: Callable[[random.Random], list[str]],
) -> None:
    inputs = upload_started(PHOTOS, jpeg(orientation_card(48, 32)))
    seed = random.Random(20261129)
    throttled = throttled_clients(seed)
    refused: list[str] = []
    tasks = lambda_throttled(resources(), seed, refused)
    waits: list[float] = []
    runner = Runner(current_definition(), tasks, sleep=waits.append, jitter=seed)

    started = time.perf_counter()
    executions = [
        runner.run(photo, context={"Execution": {"Id": photo["objectID"]}}) for photo in inputs
    ]
    elapsed = time.perf_counter() - started

    failures = [(e.error, e.cause) for e in executions if e.status != "SUCCEEDED"]
    assert failures == []
    items = config().result_store().get_many(photo["objectID"] for photo in inputs)
    assert len(items) == PHOTOS
    for item in items.values():
        assert item.status is Status.SUCCEEDED
        assert [label.name for label in item.labels] == ["Mobile Phone"]  # moto's Rekognition
        assert [t.size for t in item.thumbnails] == [250, 1024]
    # Plausible: five Lambda tasks a photo, each invocation refused 30% of the time, is about
    # 2.1 retries a photo; the SDK absorbed most throttled requests, the rest cost a task retry.
    total_retries = sum(retries(e) for e in executions)
    assert total_retries == len(waits)
    assert len(refused) <= total_retries <= len(refused) + len(throttled)
    assert 1.5 * PHOTOS < len(refused) < 2.7 * PHOTOS
    assert {call.split(".")[0] for call in throttled} == {"dynamodb", "rekognition"}
    throttled_operations = set(throttled)
    assert {"dynamodb.UpdateItem", "dynamodb.GetItem", "rekognition.DetectLabels"} <= (
        throttled_operations
    )
    assert max(e.attempts for ex in executions for e in ex.history) <= 11
    print(
        f"\n{PHOTOS} photos in {elapsed:.1f} s: {total_retries} retries "
        f"({len(refused)} Lambda refusals, {len(throttled)} throttled requests), "
        f"{sum(waits):.0f} s of waits skipped"
    )


def test_a_photo_whose_recording_keeps_failing_is_marked_failed_in_dynamodb(
    stack: None,
) -> None:
    """The fallback's parameters themselves go to DynamoDB's UpdateItem (moto's)."""
    (photo,) = upload_started(1, jpeg(orientation_card(48, 32)))
    record = function_arn("RecordResultFunctionArn")

    def out_of_capacity(event: Any) -> Any:
        raise ExecutionFailed("Lambda.TooManyRequestsException", "Rate Exceeded.")

    tasks = {**resources(), record: out_of_capacity}
    waits: list[float] = []
    runner = Runner(current_definition(), tasks, sleep=waits.append, jitter=random.Random(3))
    execution = runner.run(photo, context={"Execution": {"Id": photo["objectID"]}})

    assert (execution.status, execution.error) == ("FAILED", "Lambda.TooManyRequestsException")
    assert [e.state for e in execution.history][-3:] == [
        "RecordFailure",
        "MarkFailedInTable",
        "Failed",
    ]
    item = config().result_store().get(photo["objectID"])
    assert isinstance(item, ResultItem)
    assert (item.status, item.error, item.message) == (
        Status.FAILED,
        "Lambda.TooManyRequestsException",
        "Something went wrong while processing this photo",
    )
    assert item.metadata is not None  # what StoreImageMetadata wrote stays

    # Run again (a redriven execution): the item is final, the condition fails, nothing changes.
    again = runner.run(photo, context={"Execution": {"Id": photo["objectID"]}})
    fallback = next(e for e in again.history if e.state == "MarkFailedInTable")
    assert (fallback.status, fallback.error) == (
        "CAUGHT",
        "DynamoDB.ConditionalCheckFailedException",
    )
    assert config().result_store().get(photo["objectID"]) == item
