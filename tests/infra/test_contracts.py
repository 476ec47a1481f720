"""Contract tests: the pieces that are written separately (the SAM templates, the state machine
definition, the local runner's function table, the handlers and the configuration reader) agree,
so a rename or a new step in one of them fails here rather than in a deployed stack."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from processing.formats import SUPPORTED_FORMATS
from processing.local import pipeline as local_pipeline
from tests.infra.cfn import (
    DEFINITION,
    INFRA,
    definition_names,
    definition_substitutions,
    functions,
    state_machine_definition,
)

TEMPLATES = sorted(INFRA.glob("*.yaml"))
PROCESSING = Path(__file__).resolve().parents[2] / "processing"

STATES: dict[str, Any] = json.loads(DEFINITION.read_text())["States"]
# What a Lambda task retries: the service's own failures and throttling, as Step Functions names
# them, and the adapters' TransientError (an AWS service throttling the function's calls).
LAMBDA_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.Unknown",
    "TransientError",
}


def _states(machine: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state, those inside Parallel branches and Map iterators included."""
    for name, state in machine.get("States", {}).items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from _states(branch)
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from _states(state[key])


def _records(name: str, state: dict[str, Any]) -> bool:
    """A state that writes the photo's final outcome (the Record* tasks and their fallback)."""
    return name.startswith("Record") or ":states:::dynamodb:" in state.get("Resource", "")


def test_every_handler_the_templates_name_imports_and_is_callable() -> None:
    handlers = {
        (template.name, name): properties["Handler"]
        for template in TEMPLATES
        for name, properties in functions(template).items()
        if "Handler" in properties
    }
    assert handlers, "the pipeline template declares functions"
    for (template, name), handler in handlers.items():
        module_name, _, attribute = handler.rpartition(".")
        module = importlib.import_module(module_name)
        assert callable(getattr(module, attribute, None)), f"{template} {name}: {handler}"


def test_the_template_the_definition_and_the_local_runner_name_the_same_substitutions() -> None:
    in_template = set(definition_substitutions())
    in_definition = definition_names()
    in_local_runner = set(local_pipeline.SUBSTITUTIONS)
    assert in_template == in_definition == in_local_runner


def test_each_function_substituted_into_the_definition_is_declared_in_the_template() -> None:
    declared = set(functions())
    for name, value in definition_substitutions().items():
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            assert value["Fn::GetAtt"][0] in declared, name


def test_every_task_that_can_fail_ends_in_a_recorded_outcome() -> None:
    """No path out of a task leaves the photo RUNNING: each catches everything into a state
    that records the outcome (or ends quietly for a deleted photo)."""
    states = dict(_states(json.loads(state_machine_definition())))
    for name, state in states.items():
        if state["Type"] != "Task" or _records(name, state):
            continue
        catchers = state.get("Catch", [])
        assert any("States.ALL" in c["ErrorEquals"] for c in catchers), name
        for catcher in catchers:
            assert catcher["Next"] in states, f"{name} catches into a missing state"


def test_the_functions_read_only_variables_the_configuration_knows() -> None:
    """A variable set in a template but read by nothing is a setting that silently does
    nothing (a typo, or a reader renamed)."""
    source = "\n".join(p.read_text() for p in PROCESSING.rglob("*.py"))
    for template in TEMPLATES:
        for name, properties in functions(template).items():
            variables = properties.get("Environment", {}).get("Variables", {})
            for variable in variables:
                if variable.startswith("PHOTOSHARE_"):
                    assert f'"{variable}"' in source, f"{template.name} {name}: {variable}"


def test_the_definition_file_is_the_one_both_runtimes_run() -> None:
    assert local_pipeline.DEFINITION.resolve() == DEFINITION.resolve()


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
