"""The pipeline's definition, its Lambda functions and service integrations, and running one
execution locally."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from processing.adapters.local_executions import LocalExecutions
from processing.handlers import (
    extract_metadata,
    recognize,
    record_result,
    store_image_metadata,
    thumbnails,
)
from processing.local.integrations import DYNAMODB_UPDATE_ITEM, dynamodb_update_item
from processing.runtime import config
from processing.statemachine.runner import Execution, Runner

DEFINITION = (
    Path(__file__).resolve().parents[2] / "infra" / "statemachine" / "photo_pipeline.asl.json"
)

# DefinitionSubstitutions: the same names the SAM template fills with function ARNs.
FUNCTIONS: dict[str, Callable[[dict[str, Any], object], Any]] = {
    "ExtractImageMetadataFunctionArn": extract_metadata.handler,
    "StoreImageMetadataFunctionArn": store_image_metadata.handler,
    "ThumbnailsFunctionArn": thumbnails.handler,
    "RecognizeFunctionArn": recognize.handler,
    "RecordResultFunctionArn": record_result.handler,
}
# The other substitutions: the results table the direct DynamoDB integration writes.
RESULTS_TABLE_NAME = "ResultsTableName"
SUBSTITUTIONS = frozenset({*FUNCTIONS, RESULTS_TABLE_NAME})


def function_arn(substitution: str) -> str:
    return f"arn:aws:lambda:local:000000000000:function:{substitution.removesuffix('FunctionArn')}"


def load_definition(path: Path = DEFINITION, *, results_table: str | None = None) -> dict[str, Any]:
    """The definition with ``${...}`` substitutions replaced, as Step Functions receives it: the
    functions' ARNs, and the configured results table (the environment's, unless given)."""
    text = path.read_text()
    table = results_table if results_table is not None else config().results_table

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == RESULTS_TABLE_NAME:
            return table
        if name not in FUNCTIONS:
            raise KeyError(f"the definition names an unknown substitution {name!r}")
        return function_arn(name)

    return json.loads(re.sub(r"\$\{([A-Za-z0-9]+)\}", substitute, text))


@cache
def _cached_definition(path: Path, modified: float, results_table: str) -> dict[str, Any]:
    return load_definition(path, results_table=results_table)


def current_definition(path: Path = DEFINITION) -> dict[str, Any]:
    """Reloaded whenever the file changes, so an edited definition is what the next run uses."""
    return _cached_definition(path, path.stat().st_mtime, config().results_table)


def _as_resource(handler: Callable[[dict[str, Any], object], Any]) -> Callable[[Any], Any]:
    """A handler as a Task resource: Lambda passes an event and a context; here there is none."""
    return lambda event: handler(event, None)


def resources() -> dict[str, Callable[[Any], Any]]:
    """Every Task resource the definition names: the Lambda functions, and the DynamoDB
    integration (which reads the configuration when it runs, as the handlers do)."""
    table = {function_arn(name): _as_resource(handler) for name, handler in FUNCTIONS.items()}
    table[DYNAMODB_UPDATE_ITEM] = lambda parameters: dynamodb_update_item(config(), parameters)
    return table


def run_execution(
    executions: LocalExecutions,
    name: str,
    *,
    definition: dict[str, Any] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Execution:
    """Runs the named (already started) execution to its end and stores its history."""
    record = executions.get_by_name(name)
    if record is None:
        raise KeyError(f"no execution named {name!r}")
    runner = Runner(definition or current_definition(), resources(), sleep=sleep)
    context = {"Execution": {"Id": record.arn, "Name": name, "Input": record.input}}
    result = runner.run(record.input, context=context)
    executions.finish(
        name,
        status=result.status,
        output=result.output,
        error=result.error,
        cause=result.cause,
        history=[event.to_dict() for event in result.history],
    )
    return result
