"""Starting the pipeline's Step Functions state machine, by deterministic execution name."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from processing.ports import ExecutionState, TransientError

_THROTTLED = ("ThrottlingException", "ServiceUnavailable")


def execution_arn(state_machine_arn: str, name: str) -> str:
    """arn:aws:states:REGION:ACCOUNT:stateMachine:NAME -> ...:execution:NAME:EXECUTION."""
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"


class StepFunctionsStarter:
    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self.client = client
        self.state_machine_arn = state_machine_arn

    def start(self, *, name: str, execution_input: dict[str, Any]) -> str:
        try:
            response = self.client.start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(execution_input)
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "ExecutionAlreadyExists":
                return execution_arn(self.state_machine_arn, name)  # a repeated event
            if code in _THROTTLED:
                raise TransientError(f"Step Functions {code}") from error
            raise
        return str(response["executionArn"])


class StepFunctionsExecutions:
    """DescribeExecution and StopExecution for the sweeper, by execution name (the photo id)."""

    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self.client = client
        self.state_machine_arn = state_machine_arn

    def describe(self, name: str) -> ExecutionState | None:
        arn = execution_arn(self.state_machine_arn, name)
        try:
            response = self.client.describe_execution(executionArn=arn)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "ExecutionDoesNotExist":
                return None
            if code in _THROTTLED:
                raise TransientError(f"Step Functions {code}") from error
            raise
        return ExecutionState(
            status=str(response["status"]), error=response.get("error"), cause=response.get("cause")
        )

    def stop(self, name: str, *, error: str, cause: str) -> None:
        """StopExecution; one that has ended meanwhile stays as it ended (no error from AWS)."""
        arn = execution_arn(self.state_machine_arn, name)
        try:
            self.client.stop_execution(executionArn=arn, error=error, cause=cause)
        except ClientError as failure:
            code = failure.response.get("Error", {}).get("Code", "")
            if code in _THROTTLED:
                raise TransientError(f"Step Functions {code}") from failure
            raise
