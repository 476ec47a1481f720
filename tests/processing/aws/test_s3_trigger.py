"""The S3Trigger handler in aws mode, fed the recorded S3 event, against moto."""

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from processing.handlers import s3_trigger
from processing.results import Status
from processing.runtime import config
from tests.processing.aws.conftest import REGION, TABLE

ROOT = Path(__file__).resolve().parents[3]
PHOTO_ID = "0b5c3c4e-8a8f-4a65-9f53-2f1e6c1d2a90"


def test_the_recorded_event_starts_one_execution_and_records_running(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine = boto3.client("stepfunctions", region_name=REGION)
    arn = machine.create_state_machine(
        name="PhotoPipeline",
        definition=(ROOT / "infra/statemachine/photo_pipeline.asl.json").read_text(),
        roleArn="arn:aws:iam::123456789012:role/photoshare",
    )["stateMachineArn"]
    for name, value in {
        "PHOTOSHARE_BACKEND": "aws",
        "PHOTOSHARE_AWS_REGION": REGION,
        "PHOTOSHARE_RESULTS_TABLE": TABLE,
        "PHOTOSHARE_STATE_MACHINE_ARN": arn,
        "PHOTOSHARE_BUCKET": "photoshare-local",
    }.items():
        monkeypatch.setenv(name, value)
    event = json.loads((ROOT / "infra/events/s3_trigger.json").read_text())

    first = s3_trigger.handler(event, None)
    second = s3_trigger.handler(event, None)  # S3 delivers at least once

    assert [s["objectID"] for s in first["started"]] == [PHOTO_ID]
    assert second["started"] == first["started"]
    assert len(first["skipped"]) == 1  # the thumbnail's key
    executions = machine.list_executions(stateMachineArn=arn)["executions"]
    assert [e["name"] for e in executions] == [PHOTO_ID]
    item = config().result_store().get_many([PHOTO_ID])[PHOTO_ID]
    assert item.status is Status.RUNNING
    assert item.execution_arn == executions[0]["executionArn"]
