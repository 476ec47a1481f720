"""Each States Language construct the local runner supports, on small definitions."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from processing.statemachine.runner import Runner


class Flaky(Exception):
    pass


class Broken(Exception):
    pass


def machine(states: dict[str, Any], start: str | None = None) -> dict[str, Any]:
    return {"StartAt": start or next(iter(states)), "States": states}


def run(
    definition: dict[str, Any],
    data: Any,
    resources: dict[str, Any] | None = None,
    sleeps: list[float] | None = None,
):
    recorded = sleeps if sleeps is not None else []
    return Runner(definition, resources or {}, sleep=recorded.append).run(data)


def test_a_task_gets_its_parameters_and_its_result_lands_at_the_result_path() -> None:
    seen = []

    def double(event: dict[str, Any]) -> dict[str, Any]:
        seen.append(event)
        return {"value": event["n"] * 2, "noise": True}

    definition = machine(
        {
            "Double": {
                "Type": "Task",
                "Resource": "fn:double",
                "InputPath": "$.job",
                "Parameters": {"n.$": "$.number", "fixed": "yes", "name.$": "$$.Execution.Name"},
                "ResultSelector": {"doubled.$": "$.value"},
                "ResultPath": "$.job.result",
                "OutputPath": "$.job",
                "End": True,
            }
        }
    )
    execution = Runner(definition, {"fn:double": double}).run(
        {"job": {"number": 21}, "other": 1}, context={"Execution": {"Name": "ex-1"}}
    )
    assert seen == [{"n": 21, "fixed": "yes", "name": "ex-1"}]
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"number": 21, "result": {"doubled": 42}}


def test_result_path_null_keeps_the_input() -> None:
    definition = machine({"T": {"Type": "Task", "Resource": "fn", "ResultPath": None, "End": True}})
    assert run(definition, {"a": 1}, {"fn": lambda e: {"b": 2}}).output == {"a": 1}


def test_pass_inserts_a_result_and_succeed_ends() -> None:
    definition = machine(
        {
            "P": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.fixed", "Next": "Done"},
            "Done": {"Type": "Succeed"},
        }
    )
    execution = run(definition, {"a": 1})
    assert execution.output == {"a": 1, "fixed": {"x": 1}}
    assert [e.state for e in execution.history] == ["P", "Done"]


@pytest.mark.parametrize(
    ("data", "branch"),
    [
        ({"kind": "JPEG", "size": 5}, "Jpeg"),
        ({"kind": "PNG", "size": 5}, "Small"),
        ({"kind": "PNG", "size": 50}, "Other"),
        ({"size": 50}, "Other"),
    ],
)
def test_choice_follows_the_first_matching_rule(data: dict[str, Any], branch: str) -> None:
    definition = machine(
        {
            "Which": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.kind", "StringEquals": "JPEG", "Next": "Jpeg"},
                    {
                        "And": [
                            {"Variable": "$.kind", "IsPresent": True},
                            {"Variable": "$.size", "NumericLessThan": 10},
                        ],
                        "Next": "Small",
                    },
                ],
                "Default": "Other",
            },
            "Jpeg": {"Type": "Succeed"},
            "Small": {"Type": "Succeed"},
            "Other": {"Type": "Succeed"},
        }
    )
    assert run(definition, data).history[-1].state == branch


def test_parallel_runs_every_branch_and_collects_their_outputs_in_order() -> None:
    definition = machine(
        {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    machine({"A": {"Type": "Task", "Resource": "a", "End": True}}),
                    machine({"B": {"Type": "Task", "Resource": "b", "End": True}}),
                ],
                "ResultPath": "$.results",
                "End": True,
            }
        }
    )
    execution = run(definition, {"n": 1}, {"a": lambda e: "from a", "b": lambda e: "from b"})
    assert execution.output == {"n": 1, "results": ["from a", "from b"]}
    assert {(e.state, e.branch) for e in execution.history} == {
        ("Both", ""),
        ("A", "0"),
        ("B", "1"),
    }


def test_retry_backs_off_then_succeeds_and_counts_attempts() -> None:
    calls = []

    def flaky(event: Any) -> str:
        calls.append(event)
        if len(calls) < 3:
            raise Flaky("busy")
        return "ok"

    definition = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "fn",
                "End": True,
                "Retry": [
                    {
                        "ErrorEquals": ["Flaky"],
                        "IntervalSeconds": 2,
                        "BackoffRate": 3,
                        "MaxAttempts": 3,
                    }
                ],
            }
        }
    )
    sleeps: list[float] = []
    execution = run(definition, {}, {"fn": flaky}, sleeps)
    assert execution.output == "ok"
    assert sleeps == [2, 6]
    assert execution.history[0].attempts == 3


def test_an_error_no_retrier_names_is_not_retried_and_fails_the_execution() -> None:
    def broken(event: Any) -> None:
        raise Broken("no")

    definition = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "fn",
                "End": True,
                "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 5}],
            }
        }
    )
    execution = run(definition, {}, {"fn": broken})
    assert execution.status == "FAILED"
    assert execution.error == "Broken"
    assert '"errorMessage": "no"' in (execution.cause or "")
    assert execution.history[0].attempts == 1


def test_retries_run_out_and_the_catch_takes_over_with_error_and_cause() -> None:
    def flaky(event: Any) -> None:
        raise Flaky("still busy")

    definition = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "fn",
                "Next": "Never",
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "IntervalSeconds": 1}],
                "Catch": [
                    {"ErrorEquals": ["Other"], "Next": "Never"},
                    {
                        "ErrorEquals": ["States.TaskFailed"],
                        "ResultPath": "$.error",
                        "Next": "Handled",
                    },
                ],
            },
            "Never": {"Type": "Succeed"},
            "Handled": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"},
        }
    )
    execution = run(definition, {"photo": 7}, {"fn": flaky})
    assert execution.history[0].attempts == 3
    assert execution.history[0].status == "CAUGHT"
    assert execution.history[1].input["photo"] == 7
    assert execution.history[1].input["error"]["Error"] == "Flaky"
    assert (execution.status, execution.error) == ("FAILED", "Flaky")
    assert "still busy" in (execution.cause or "")


def test_a_failing_branch_fails_the_parallel_where_its_catch_applies() -> None:
    def broken(event: Any) -> None:
        raise Broken("branch")

    definition = machine(
        {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    machine({"A": {"Type": "Task", "Resource": "ok", "End": True}}),
                    machine({"B": {"Type": "Task", "Resource": "broken", "End": True}}),
                ],
                "Catch": [{"ErrorEquals": ["Broken"], "Next": "Recover"}],
                "Next": "Never",
            },
            "Recover": {"Type": "Pass", "End": True},
            "Never": {"Type": "Succeed"},
        }
    )
    execution = run(definition, {}, {"ok": lambda e: 1, "broken": broken})
    assert execution.status == "SUCCEEDED"
    assert execution.history[-1].state == "Recover"
    assert execution.output == {"Error": "Broken", "Cause": execution.output["Cause"]}


def test_a_path_that_matches_nothing_is_a_runtime_error_nothing_catches() -> None:
    definition = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "fn",
                "InputPath": "$.missing",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}],
                "End": True,
            },
            "C": {"Type": "Succeed"},
        }
    )
    execution = run(definition, {}, {"fn": lambda e: e})
    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")


def test_fail_with_a_fixed_error_and_wait() -> None:
    definition = machine(
        {
            "W": {"Type": "Wait", "Seconds": 3, "Next": "F"},
            "F": {"Type": "Fail", "Error": "Nope", "Cause": "because"},
        }
    )
    sleeps: list[float] = []
    execution = run(definition, {}, sleeps=sleeps)
    assert sleeps == [3.0]
    assert (execution.status, execution.error, execution.cause) == ("FAILED", "Nope", "because")


def flaky_until(successes_after: int) -> Any:
    calls = []

    def task(event: Any) -> str:
        calls.append(event)
        if len(calls) <= successes_after:
            raise Flaky("busy")
        return "done"

    return task


def test_full_jitter_waits_a_seeded_uniform_share_of_the_capped_backoff() -> None:
    retrier = {
        "ErrorEquals": ["Flaky"],
        "IntervalSeconds": 1,
        "BackoffRate": 2,
        "MaxAttempts": 10,
        "MaxDelaySeconds": 60,
        "JitterStrategy": "FULL",
    }
    definition = machine({"T": {"Type": "Task", "Resource": "fn", "Retry": [retrier], "End": True}})
    sleeps: list[float] = []
    runner = Runner(
        definition, {"fn": flaky_until(8)}, sleep=sleeps.append, jitter=random.Random(12)
    )
    execution = runner.run({})

    assert execution.status == "SUCCEEDED"
    assert execution.history[0].attempts == 9
    ceilings = [1, 2, 4, 8, 16, 32, 60, 60]  # doubling, capped by MaxDelaySeconds
    expected = random.Random(12)
    assert sleeps == [expected.uniform(0, ceiling) for ceiling in ceilings]
    assert all(0 <= wait <= ceiling for wait, ceiling in zip(sleeps, ceilings, strict=True))
    assert sleeps != ceilings


def test_intrinsic_functions_fill_parameters() -> None:
    definition = machine(
        {
            "Shape": {
                "Type": "Pass",
                "Parameters": {
                    "cause.$": (
                        'States.Format(\'\\{"format": "{}", "pixels": {}\\}\', '
                        "$.format, $.size.pixels)"
                    ),
                    "text.$": "States.JsonToString($.size)",
                    "back.$": "States.StringToJson(States.JsonToString($.size))",
                    "quoted.$": "States.Format('it\\'s {} at {}', $.format, $$.Execution.Name)",
                },
                "End": True,
            }
        }
    )
    execution = Runner(definition, {}).run(
        {"format": "TGA", "size": {"pixels": 12}}, context={"Execution": {"Name": "ex-1"}}
    )
    assert execution.output == {
        "cause": '{"format": "TGA", "pixels": 12}',
        "text": '{"pixels":12}',
        "back": {"pixels": 12},
        "quoted": "it's TGA at ex-1",
    }
    assert json.loads(execution.output["cause"]) == {"format": "TGA", "pixels": 12}


def test_a_bad_intrinsic_is_a_runtime_error() -> None:
    definition = machine(
        {
            "Shape": {
                "Type": "Pass",
                "Parameters": {"x.$": "States.Format('{} and {}', $.a)"},
                "End": True,
            }
        }
    )
    execution = Runner(definition, {}).run({"a": 1})
    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")


def test_the_context_tells_a_state_when_it_was_entered() -> None:
    definition = machine(
        {"When": {"Type": "Pass", "Parameters": {"at.$": "$$.State.EnteredTime"}, "End": True}}
    )
    execution = Runner(definition, {}, clock=lambda: 1767225600.25).run({})
    assert execution.output == {"at": "2026-01-01T00:00:00.250Z"}
