"""Starting executions in Step Functions (moto): deterministic names make repeats harmless."""

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from processing.adapters.aws_stepfunctions import StepFunctionsStarter, execution_arn
from tests.processing.aws.conftest import REGION

DEFINITION = Path(__file__).resolve().parents[3] / "infra/statemachine/photo_pipeline.asl.json"


@pytest.fixture
def state_machine(aws: None) -> tuple[Any, str]:
    client = boto3.client("stepfunctions", region_name=REGION)
    arn = client.create_state_machine(
        name="PhotoPipeline",
        definition=DEFINITION.read_text(),
        roleArn="arn:aws:iam::123456789012:role/photoshare-pipeline",
    )["stateMachineArn"]
    return client, arn


def test_a_repeated_start_returns_the_same_execution(state_machine: tuple[Any, str]) -> None:
    client, arn = state_machine
    starter = StepFunctionsStarter(client, arn)
    photo_input = {"s3Bucket": "b", "s3Key": "private/1/uploads/2/p1.jpg", "objectID": "p1"}
    first = starter.start(name="p1", execution_input=photo_input)
    second = starter.start(name="p1", execution_input=photo_input)

    assert first == second == execution_arn(arn, "p1")
    executions = client.list_executions(stateMachineArn=arn)["executions"]
    assert [e["name"] for e in executions] == ["p1"]
    described = client.describe_execution(executionArn=first)
    assert json.loads(described["input"]) == photo_input
