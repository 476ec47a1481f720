"""The definition's agreed shape, read from the file: the Choice accepts exactly the formats the
pipeline decodes, every Lambda task rides out throttling, and its substitutions are the local
runner's."""

from __future__ import annotations

import json
import re
from typing import Any

from processing.formats import SUPPORTED_FORMATS
from processing.local.pipeline import DEFINITION, SUBSTITUTIONS

RAW = DEFINITION.read_text()
STATES: dict[str, Any] = json.loads(RAW)["States"]
LAMBDA_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.Unknown",
    "TransientError",
}


def test_the_image_type_check_is_a_choice_that_accepts_exactly_the_supported_formats() -> None:
    check = STATES["ImageTypeCheck"]
    assert check["Type"] == "Choice"
    (rule,) = check["Choices"]
    assert {r["Variable"] for r in rule["Or"]} == {"$.extractedMetadata.format"}
    assert sorted(r["StringEquals"] for r in rule["Or"]) == sorted(SUPPORTED_FORMATS)
    assert STATES[check["Default"]]["Type"] == "Pass"
    assert STATES[check["Default"]]["Next"] == "RecordRejection"


def test_every_lambda_task_retries_lambdas_errors_with_full_jitter_for_minutes() -> None:
    lambda_tasks = {
        name: state
        for name, state in STATES.items()
        if state["Type"] == "Task" and state["Resource"].startswith("${")
    }
    assert set(lambda_tasks) == {
        "ExtractImageMetadata",
        "StoreImageMetadata",
        "Thumbnails",
        "Recognize",
        "RecordSuccess",
        "RecordRejection",
        "RecordFailure",
    }
    for name, state in lambda_tasks.items():
        (retrier,) = state["Retry"]
        assert set(retrier["ErrorEquals"]) == LAMBDA_ERRORS, name
        assert (
            retrier["JitterStrategy"],
            retrier["MaxAttempts"],
            retrier["IntervalSeconds"],
            retrier["BackoffRate"],
            retrier["MaxDelaySeconds"],
        ) == ("FULL", 10, 1, 2, 60), name


def test_recording_falls_back_to_a_conditional_dynamodb_update() -> None:
    for name in ("RecordRejection", "RecordFailure"):
        last = STATES[name]["Catch"][-1]
        assert (last["ErrorEquals"], last["Next"]) == (["States.ALL"], "MarkFailedInTable")
    fallback = STATES["MarkFailedInTable"]
    assert fallback["Resource"] == "arn:aws:states:::dynamodb:updateItem"
    assert fallback["Parameters"]["ConditionExpression"] == "#status = :running"
    assert fallback["Parameters"]["TableName"] == "${ResultsTableName}"
    assert [c["ErrorEquals"] for c in fallback["Catch"]] == [
        ["DynamoDB.ConditionalCheckFailedException"]
    ]


def test_the_substitutions_are_the_local_runners() -> None:
    assert set(re.findall(r"\$\{([A-Za-z0-9]+)\}", RAW)) == SUBSTITUTIONS
