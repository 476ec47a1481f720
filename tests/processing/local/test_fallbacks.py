"""The real definition's guards, run locally: the ImageTypeCheck Choice's Default, and the direct
DynamoDB update that marks a photo FAILED when recording it through Lambda keeps failing."""

from __future__ import annotations

import random
import uuid
from typing import Any

from processing.keys import UploadKey
from processing.local.pipeline import current_definition, resources
from processing.results import ResultItem, Status
from processing.runtime import PipelineConfig
from processing.statemachine.runner import Execution, ExecutionFailed, Runner
from tests.processing.images import jpeg


def started(pipeline: PipelineConfig) -> UploadKey:
    """A stored original whose RUNNING item exists, as the S3Trigger leaves it."""
    key = UploadKey("7", "3", str(uuid.uuid4()), "jpg")
    pipeline.blob_store().put(str(key), jpeg(), content_type="image/jpeg")
    pipeline.result_store().record_start(key.photo_id, f"arn:local:{key.photo_id}")
    return key


def run(
    pipeline: PipelineConfig, key: UploadKey, replaced: dict[str, Any], sleeps: list[float]
) -> Execution:
    definition = current_definition()
    tasks = resources()
    for state, task in replaced.items():
        tasks[definition["States"][state]["Resource"]] = task
    execution_input = {"s3Bucket": pipeline.bucket, "s3Key": str(key), "objectID": key.photo_id}
    runner = Runner(definition, tasks, sleep=sleeps.append, jitter=random.Random(1))
    return runner.run(execution_input, context={"Execution": {"Id": f"arn:local:{key.photo_id}"}})


def throttled(event: Any) -> Any:
    raise ExecutionFailed("Lambda.TooManyRequestsException", "Rate Exceeded.")


def item(pipeline: PipelineConfig, key: UploadKey) -> ResultItem:
    return pipeline.result_store().get_many([key.photo_id])[key.photo_id]


def test_a_format_the_choice_does_not_accept_takes_its_default_into_a_rejection(
    pipeline: PipelineConfig,
) -> None:
    key = started(pipeline)
    extract = resources()[current_definition()["States"]["ExtractImageMetadata"]["Resource"]]

    def reads_a_format_nobody_decodes(event: Any) -> Any:
        return {**extract(event), "format": "TGA"}

    execution = run(pipeline, key, {"ExtractImageMetadata": reads_a_format_nobody_decodes}, [])

    assert (execution.status, execution.error) == ("FAILED", "ImageRejected")
    assert [e.state for e in execution.history] == [
        "ExtractImageMetadata",
        "ImageTypeCheck",
        "UnsupportedFormat",
        "RecordRejection",
        "Rejected",
    ]
    rejected = item(pipeline, key)
    assert rejected.status is Status.REJECTED
    assert rejected.rejection_reason == "unsupported-format"
    assert rejected.message == "Not a JPEG, PNG, WebP, HEIC or AVIF image (its format is TGA)"


def test_a_photo_whose_recording_keeps_failing_is_marked_failed_by_the_table_fallback(
    pipeline: PipelineConfig,
) -> None:
    key = started(pipeline)
    sleeps: list[float] = []

    execution = run(pipeline, key, {"RecordSuccess": throttled, "RecordFailure": throttled}, sleeps)

    assert (execution.status, execution.error) == ("FAILED", "Lambda.TooManyRequestsException")
    states = {e.state: e for e in execution.history}
    assert (states["RecordSuccess"].status, states["RecordSuccess"].attempts) == ("CAUGHT", 11)
    assert (states["RecordFailure"].status, states["RecordFailure"].attempts) == ("CAUGHT", 11)
    assert states["MarkFailedInTable"].status == "SUCCEEDED"
    assert execution.history[-1].state == "Failed"
    assert len(sleeps) == 20
    assert all(0 <= s <= 60 for s in sleeps)
    failed = item(pipeline, key)
    assert failed.status is Status.FAILED
    assert failed.error == "Lambda.TooManyRequestsException"
    assert failed.message == "Something went wrong while processing this photo"
    assert failed.metadata is not None  # what earlier steps stored stays


def test_the_fallback_never_overwrites_a_final_state(pipeline: PipelineConfig) -> None:
    key = started(pipeline)
    # Recorded SUCCEEDED (say by an attempt whose answer Lambda lost), then every later attempt
    # to record is throttled.
    pipeline.result_store().record_final(ResultItem(key.photo_id, Status.SUCCEEDED))

    execution = run(pipeline, key, {"RecordSuccess": throttled, "RecordFailure": throttled}, [])

    fallback = next(e for e in execution.history if e.state == "MarkFailedInTable")
    assert (fallback.status, fallback.error) == (
        "CAUGHT",
        "DynamoDB.ConditionalCheckFailedException",
    )
    assert execution.history[-1].state == "Failed"
    assert item(pipeline, key).status is Status.SUCCEEDED
