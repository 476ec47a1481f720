"""Executes a States Language definition: Task, Choice, Parallel, Pass, Wait, Succeed and Fail,
with input/output processing, Retry and Catch, recording a history of every state it enters.

Task resources are plain Python callables (the Lambda handlers' functions), looked up by the ARN the
definition names after substitution. Errors are named as Lambda names them for Step Functions: the
exception's class name (``ImageRejected``), with the cause a JSON object carrying ``errorMessage``.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from processing.statemachine import paths
from processing.statemachine.choice import matches as choice_matches

Resource = Callable[[Any], Any]


class ExecutionFailed(Exception):
    """An error leaving a state: its Step Functions name and cause."""

    def __init__(self, error: str, cause: str | None) -> None:
        super().__init__(error, cause)
        self.error = error
        self.cause = cause


class DefinitionError(Exception):
    """The definition itself is invalid (unknown state, missing field, unknown resource)."""


@dataclass
class HistoryEvent:
    state: str
    type: str
    branch: str  # "" at the top level; "1" for the second branch of a Parallel, "1.0" nested
    started_at: float
    input: Any
    ended_at: float | None = None
    output: Any = None
    status: str = "RUNNING"  # SUCCEEDED, FAILED or CAUGHT (failed, then handled by a Catch)
    error: str | None = None
    cause: str | None = None
    attempts: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "type": self.type,
            "branch": self.branch,
            "startedAt": self.started_at,
            "endedAt": self.ended_at,
            "input": self.input,
            "output": self.output,
            "status": self.status,
            "error": self.error,
            "cause": self.cause,
            "attempts": self.attempts,
        }


@dataclass
class Execution:
    status: str  # SUCCEEDED or FAILED
    output: Any = None
    error: str | None = None
    cause: str | None = None
    history: list[HistoryEvent] = field(default_factory=list)


@dataclass
class _Step:
    """One state being run: its definition, its history line, the execution's shared history,
    and the context object (``$$``) as this state sees it."""

    state: Mapping[str, Any]
    event: HistoryEvent
    history: list[HistoryEvent]
    context: dict[str, Any]

    @property
    def name(self) -> str:
        return self.event.state

    def parameters(self, effective: Any) -> Any:
        """Parameters, or the effective input itself when there are none."""
        if "Parameters" in self.state:
            return paths.fill(self.state["Parameters"], effective, self.context)
        return effective

    def output_path(self, value: Any) -> Any:
        return paths.select(self.state.get("OutputPath", "$"), value, self.context)

    def output(self, data: Any, result: Any) -> Any:
        """ResultSelector, then ResultPath into the state's raw input, then OutputPath."""
        if "ResultSelector" in self.state:
            result = paths.fill(self.state["ResultSelector"], result, self.context)
        return self.output_path(paths.write(self.state.get("ResultPath", "$"), data, result))


def error_of(exception: BaseException) -> ExecutionFailed:
    """How Step Functions sees an exception raised by a Lambda function."""
    if isinstance(exception, ExecutionFailed):
        return exception
    if isinstance(exception, paths.PathError):
        return ExecutionFailed("States.Runtime", str(exception))
    name = type(exception).__name__
    return ExecutionFailed(name, json.dumps({"errorMessage": str(exception), "errorType": name}))


def _iso(moment: datetime) -> str:
    """As Step Functions writes times in the context object: ISO 8601 UTC, milliseconds, Z."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error_matches(names: list[str], error: str) -> bool:
    if error == "States.Runtime":
        return False  # never retried or caught, as in Step Functions
    if "States.ALL" in names or error in names:
        return True
    return "States.TaskFailed" in names and error != "States.Timeout"


class Runner:
    def __init__(
        self,
        definition: Mapping[str, Any],
        resources: Mapping[str, Resource],
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        jitter: random.Random | None = None,
    ) -> None:
        self.definition = definition
        self.resources = resources
        self.sleep = sleep
        self.clock = clock
        # JitterStrategy FULL draws each wait from here; tests pass a seeded one.
        self.jitter = jitter or random.Random()
        self._lock = threading.Lock()

    def run(self, execution_input: Any, *, context: dict[str, Any] | None = None) -> Execution:
        history: list[HistoryEvent] = []
        context = context or {}
        try:
            output = self._run_machine(self.definition, execution_input, "", history, context)
        except ExecutionFailed as failure:
            return Execution("FAILED", None, failure.error, failure.cause, history)
        return Execution("SUCCEEDED", output, history=history)

    # -- machinery -----------------------------------------------------------------------------

    def _run_machine(
        self,
        machine: Mapping[str, Any],
        data: Any,
        branch: str,
        history: list[HistoryEvent],
        context: dict[str, Any],
    ) -> Any:
        states = machine.get("States") or {}
        name = str(machine.get("StartAt"))
        while True:
            if name not in states:
                raise DefinitionError(f"no state named {name!r}")
            state = states[name]
            event = HistoryEvent(name, state.get("Type", "?"), branch, self.clock(), data)
            with self._lock:
                history.append(event)
            entered = datetime.fromtimestamp(event.started_at, UTC)
            state_context = {"Name": name, "EnteredTime": _iso(entered)}
            step = _Step(state, event, history, {**context, "State": state_context})
            try:
                data, following = self._run_state(step, data)
            except (ExecutionFailed, paths.PathError) as raised:
                failure = error_of(raised)
                event.ended_at, event.status = self.clock(), "FAILED"
                event.error, event.cause = failure.error, failure.cause
                raise failure from None
            event.ended_at, event.output = self.clock(), data
            if event.status == "RUNNING":
                event.status = "SUCCEEDED"
            if following is None:
                return data
            name = following

    def _run_state(self, step: _Step, data: Any) -> tuple[Any, str | None]:
        state, context = step.state, step.context
        kind = state.get("Type")
        following = None if state.get("End") else state.get("Next")
        if kind == "Fail":
            error = state.get("Error", "States.Fail")
            cause = state.get("Cause")
            if "ErrorPath" in state:
                error = str(paths.read(state["ErrorPath"], data, context))
            if "CausePath" in state:
                cause = str(paths.read(state["CausePath"], data, context))
            raise ExecutionFailed(error, cause)
        effective = paths.select(state.get("InputPath", "$"), data, context)
        if kind == "Succeed":
            return step.output_path(effective), None
        if kind == "Choice":
            chosen = next(
                (
                    rule["Next"]
                    for rule in state.get("Choices", [])
                    if choice_matches(rule, effective)
                ),
                state.get("Default"),
            )
            if chosen is None:
                raise ExecutionFailed("States.NoChoiceMatched", f"no choice matched in {step.name}")
            return step.output_path(effective), chosen
        if kind == "Wait":
            seconds = state.get("Seconds")
            if "SecondsPath" in state:
                seconds = paths.read(state["SecondsPath"], effective, context)
            self.sleep(float(seconds or 0))
            return step.output_path(effective), following
        if kind == "Pass":
            result = state["Result"] if "Result" in state else step.parameters(effective)
            return step.output(data, result), following
        if kind in ("Task", "Parallel"):
            return self._run_with_retries(step, data, effective, following)
        raise DefinitionError(f"state {step.name!r} has unsupported type {kind!r}")

    def _run_with_retries(
        self, step: _Step, data: Any, effective: Any, following: str | None
    ) -> tuple[Any, str | None]:
        retriers = step.state.get("Retry", [])
        used = [0] * len(retriers)
        while True:
            step.event.attempts += 1
            try:
                result = self._attempt(step, effective)
                return step.output(data, result), following
            except Exception as raised:  # every error a task can raise is judged by Retry/Catch
                failure = error_of(raised)
            delay = self._retry_delay(retriers, used, failure.error)
            if delay is not None:
                self.sleep(delay)
                continue
            for catcher in step.state.get("Catch", []):
                if _error_matches(catcher.get("ErrorEquals", []), failure.error):
                    step.event.status = "CAUGHT"
                    step.event.error, step.event.cause = failure.error, failure.cause
                    caught = {"Error": failure.error, "Cause": failure.cause}
                    return paths.write(catcher.get("ResultPath", "$"), data, caught), catcher[
                        "Next"
                    ]
            raise failure

    def _retry_delay(
        self, retriers: list[dict[str, Any]], used: list[int], error: str
    ) -> float | None:
        for index, retrier in enumerate(retriers):
            if not _error_matches(retrier.get("ErrorEquals", []), error):
                continue
            if used[index] >= retrier.get("MaxAttempts", 3):
                return None
            delay = (
                retrier.get("IntervalSeconds", 1) * retrier.get("BackoffRate", 2.0) ** used[index]
            )
            used[index] += 1
            delay = min(delay, retrier.get("MaxDelaySeconds", delay))
            if retrier.get("JitterStrategy") == "FULL":
                # Step Functions' full jitter: anywhere between no wait and the computed one, so
                # photos throttled together do not all come back together.
                delay = self.jitter.uniform(0, delay)
            return delay
        return None

    def _attempt(self, step: _Step, effective: Any) -> Any:
        task_input = step.parameters(effective)
        if step.state["Type"] == "Parallel":
            return self._run_branches(step, task_input)
        resource = self.resources.get(step.state.get("Resource", ""))
        if resource is None:
            raise DefinitionError(f"no function for resource {step.state.get('Resource')!r}")
        return resource(task_input)

    def _run_branches(self, step: _Step, task_input: Any) -> list[Any]:
        event, history, context = step.event, step.history, step.context
        prefix = f"{event.branch}." if event.branch else ""
        branches = step.state.get("Branches", [])
        with ThreadPoolExecutor(max_workers=max(1, len(branches))) as pool:
            futures = [
                pool.submit(self._run_machine, branch, task_input, f"{prefix}{i}", history, context)
                for i, branch in enumerate(branches)
            ]
            # Every branch runs to its end; the first failure (in branch order) fails the state.
            outcomes = []
            for future in futures:
                try:
                    outcomes.append(("ok", future.result()))
                except ExecutionFailed as failure:
                    outcomes.append(("failed", failure))
        for kind, value in outcomes:
            if kind == "failed":
                raise value
        return [value for _, value in outcomes]
