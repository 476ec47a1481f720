"""Step Functions' direct service integrations, as the local runner performs them.

The definition's last-resort recording (MarkFailedInTable) is ``arn:aws:states:::dynamodb:
updateItem``: no Lambda, so no Lambda capacity needed. In aws mode this calls DynamoDB's
UpdateItem with the very parameters of the definition (so the aws end-to-end tests exercise them
against moto); in local mode it applies the same change to the local results store through the
ResultStore port. A failed condition is what Step Functions reports,
``DynamoDB.ConditionalCheckFailedException``; other DynamoDB errors are ``DynamoDB.<code>``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from processing.ports import PhotoDeleted
from processing.results import ResultItem, Status
from processing.runtime import PipelineConfig
from processing.statemachine.runner import ExecutionFailed

DYNAMODB_UPDATE_ITEM = "arn:aws:states:::dynamodb:updateItem"
CONDITION_FAILED = "DynamoDB.ConditionalCheckFailedException"


def dynamodb_update_item(settings: PipelineConfig, parameters: dict[str, Any]) -> dict[str, Any]:
    if settings.backend == "aws":
        return _update_in_dynamodb(settings, parameters)
    return _update_locally(settings, parameters)


def _update_in_dynamodb(settings: PipelineConfig, parameters: dict[str, Any]) -> dict[str, Any]:
    try:
        response = settings.aws_client("dynamodb").update_item(**parameters)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "AmazonDynamoDBException")
        raise ExecutionFailed(f"DynamoDB.{code}", str(error)) from None
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def _update_locally(settings: PipelineConfig, parameters: dict[str, Any]) -> dict[str, Any]:
    """The local store has one way to write a final state: record_final, which is itself
    conditional on RUNNING. The condition is checked first so that a final item or a tombstone
    fails the step as DynamoDB's condition would (should the item turn final in between,
    record_final leaves it as it is, which is the same outcome)."""
    photo_id = parameters["Key"]["photoId"]["S"]
    values = parameters.get("ExpressionAttributeValues", {})
    results = settings.result_store()
    current = results.get(photo_id)
    if not isinstance(current, ResultItem) or current.status is not Status.RUNNING:
        raise ExecutionFailed(CONDITION_FAILED, "The conditional request failed")
    failed = ResultItem(
        photo_id,
        Status(values[":failed"]["S"]),
        message=values[":message"]["S"],
        error=values[":error"]["S"],
    )
    try:
        results.record_final(failed)
    except PhotoDeleted:
        raise ExecutionFailed(CONDITION_FAILED, "The conditional request failed") from None
    return {}
