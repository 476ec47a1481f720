"""The sweeper: no photo stays RUNNING. Pure logic on ports; processing.handlers.sweeper runs it
in Lambda every 10 minutes, ``python -m processing.sweeper`` once (scripts/run-local, every few
minutes).

It pages through the items RUNNING since before a deadline (an index of the items in flight,
never a scan), asks the state machine what became of each one's execution and records that:

- FAILED, TIMED_OUT or ABORTED: the photo FAILED with the execution's error and cause (REJECTED
  with its reason when the error is ImageRejected, as RecordRejection would have written);
- SUCCEEDED while the item is RUNNING: the last write was lost, and the execution's output does
  not hold the result, so the photo FAILED with words that say to upload it again;
- no execution at all (the trigger recorded the start, then StartExecution never happened): it is
  started, under the same name and with the input the trigger would have built;
- RUNNING: left alone (retries with backoff take minutes), until the hard limit, then stopped and
  FAILED; locally, never while its job is queued or leased (the worker's supervision answers for
  it, and a backlog may wait longer than the limit).

Every write is conditional on the item still being RUNNING: a photo that finished or was deleted
meanwhile is left as it is. One JSON log line per photo it touches, and the count of stuck photos
as the CloudWatch metric StuckPhotos (namespace Photoshare) by an Embedded Metric Format line on
stdout: no API call, no dependency.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from processing import defaults
from processing.keys import parse_upload_key
from processing.ports import (
    ExecutionControl,
    ExecutionStarter,
    ExecutionState,
    PhotoDeleted,
    ResultStore,
)
from processing.results import ResultItem, RunningItem, Status

logger = logging.getLogger("processing.sweeper")

DEFAULT_SWEEP_AFTER_SECONDS = defaults.SWEEP_AFTER_SECONDS
DEFAULT_HARD_LIMIT_SECONDS = defaults.SWEEP_HARD_LIMIT_SECONDS
PAGE_SIZE = 100
MAX_ITEMS = 1000  # per run: a run stays within a Lambda timeout; the next one goes on

METRIC_NAMESPACE = "Photoshare"
METRIC_NAME = "StuckPhotos"

# The error names the sweeper records (the execution's own, when it has one).
STUCK_ERROR = "StuckRunning"
RESULT_LOST_ERROR = "ResultLost"
NEVER_STARTED_ERROR = "NeverStarted"
REJECTED_ERROR = "ImageRejected"

FAILED_MESSAGE = "Something went wrong while processing this photo"
_MESSAGES = {
    "TIMED_OUT": "Processing this photo took too long; try uploading it again",
    "ABORTED": "Processing this photo was stopped; try uploading it again",
    STUCK_ERROR: "Processing this photo took too long; try uploading it again",
    RESULT_LOST_ERROR: "Processing finished but its result was lost; upload the photo again",
    NEVER_STARTED_ERROR: "Processing never started; upload the photo again",
}


@dataclass(frozen=True)
class SweepSettings:
    after_seconds: int = DEFAULT_SWEEP_AFTER_SECONDS  # RUNNING longer than this: look at it
    hard_limit_seconds: int = DEFAULT_HARD_LIMIT_SECONDS  # still running after this: stop it
    bucket: str = ""  # where originals are, for an execution that was never started
    page_size: int = PAGE_SIZE
    max_items: int = MAX_ITEMS


@dataclass
class SweepReport:
    stuck: int = 0  # items found RUNNING past the deadline
    actions: dict[str, int] = field(default_factory=dict)  # what was done, by action
    errors: int = 0  # items that could not be dealt with this time (the next run tries again)

    def count(self, action: str) -> None:
        self.actions[action] = self.actions.get(action, 0) + 1


def sweep(
    *,
    results: ResultStore,
    executions: ExecutionControl,
    starter: ExecutionStarter,
    settings: SweepSettings,
    now: datetime | None = None,
    emit: Callable[[str], None] = print,
) -> SweepReport:
    """One sweep: at most ``settings.max_items`` stuck items, ``page_size`` at a time."""
    now = now or datetime.now(UTC)
    deadline = _iso(now - timedelta(seconds=settings.after_seconds))
    report = SweepReport()
    after: RunningItem | None = None
    while report.stuck < settings.max_items:
        limit = min(settings.page_size, settings.max_items - report.stuck)
        page = results.running_before(deadline, limit=limit, after=after)
        for item in page:
            report.stuck += 1
            try:
                action = _settle(item, results, executions, starter, settings, now)
            except Exception:
                # One photo's trouble (a throttled call) must not keep the others stuck.
                logger.exception("Sweeping %s failed; the next sweep tries again", item.photo_id)
                report.errors += 1
                continue
            report.count(action)
        if len(page) < limit:
            break
        after = page[-1]
    emit(metric_line(report.stuck, now))
    return report


def _settle(
    item: RunningItem,
    results: ResultStore,
    executions: ExecutionControl,
    starter: ExecutionStarter,
    settings: SweepSettings,
    now: datetime,
) -> str:
    """Deals with one stuck item; returns what it did, having logged it."""
    age = (now - _parse_iso(item.started_at)).total_seconds()
    state = executions.describe(item.photo_id)
    execution = state.status if state else None
    # Read again (consistently) now that the execution is known: a photo that has finished or
    # was deleted since the listing is left alone, and the log says so. The writes below are
    # conditional all the same, for the moment between this read and them.
    current = results.get(item.photo_id)
    if not isinstance(current, ResultItem):
        action = "deleted meanwhile"
    elif current.status.is_final:
        action = "finished meanwhile"
    elif state is None:
        action = _start_again(item, results, starter, settings.bucket)
    elif state.status == "RUNNING" and (state.queued or age <= settings.hard_limit_seconds):
        action = "left running"
    elif state.status == "RUNNING":
        cause = f"Still running {int(age)} s after it started; stopped by the sweeper"
        executions.stop(item.photo_id, error=STUCK_ERROR, cause=cause)
        action = _record(results, _failed(item.photo_id, STUCK_ERROR, cause), "stopped")
    else:
        action = _record(results, outcome_of(item.photo_id, state), "recorded")
    logger.info(
        json.dumps(
            {
                "sweeper": action,
                "photoId": item.photo_id,
                "execution": execution,
                "startedAt": item.started_at,
                "ageSeconds": int(age),
            }
        )
    )
    return action


def outcome_of(photo_id: str, state: ExecutionState) -> ResultItem:
    """The final item an ended execution means for a photo still RUNNING."""
    if state.status == "SUCCEEDED":
        # Its output is the last state's (RecordSuccess's "status"), not the thumbnails and
        # labels: the result cannot be rebuilt from it, so the photo is to be uploaded again.
        cause = "The execution succeeded but the photo's result was never stored"
        return _failed(photo_id, RESULT_LOST_ERROR, cause)
    if state.error == REJECTED_ERROR:
        rejection = _rejection(state.cause)
        return ResultItem(
            photo_id,
            Status.REJECTED,
            rejection_reason=rejection.get("reason"),
            message=rejection.get("message"),
            error=state.error,
            cause=state.cause,
        )
    error = state.error or state.status
    message = _MESSAGES.get(state.status, FAILED_MESSAGE)
    return ResultItem(photo_id, Status.FAILED, message=message, error=error, cause=state.cause)


def _failed(photo_id: str, error: str, cause: str) -> ResultItem:
    return ResultItem(photo_id, Status.FAILED, message=_MESSAGES[error], error=error, cause=cause)


def _record(results: ResultStore, item: ResultItem, action: str) -> str:
    """A final write that stands only if the item is still RUNNING (the store's condition)."""
    try:
        results.record_final(item)
    except PhotoDeleted:
        return "deleted meanwhile"
    return f"{action} {item.status.value}"


def _start_again(
    item: RunningItem, results: ResultStore, starter: ExecutionStarter, bucket: str
) -> str:
    """Starts the execution the trigger never started, with the input it would have built. Its
    name is the photo id, so this happens once: the next sweep finds it running or ended."""
    key = item.original_key
    valid = False
    if key and bucket:
        try:
            valid = parse_upload_key(key).photo_id == item.photo_id
        except ValueError:
            valid = False
    if not valid:
        cause = "The execution was never started and the item does not name its original"
        return _record(results, _failed(item.photo_id, NEVER_STARTED_ERROR, cause), "recorded")
    execution_input = {"s3Bucket": bucket, "s3Key": key, "objectID": item.photo_id}
    arn = starter.start(name=item.photo_id, execution_input=execution_input)
    try:
        results.record_execution(item.photo_id, arn)
    except PhotoDeleted:
        return "started, deleted meanwhile"  # its steps find that and end quietly
    return "started"


def _rejection(cause: str | None) -> dict[str, str]:
    """ImageRejected's JSON ({"reason", "message"}), inside Lambda's error cause
    ({"errorMessage": "<json>", ...}) or as the cause itself."""
    try:
        outer = json.loads(cause or "")
    except ValueError:
        return {}
    if isinstance(outer, dict) and "reason" in outer:
        return outer
    try:
        inner = json.loads(outer.get("errorMessage", "")) if isinstance(outer, dict) else None
    except ValueError:
        return {}
    return inner if isinstance(inner, dict) else {}


def metric_line(stuck: int, now: datetime) -> str:
    """StuckPhotos as an Embedded Metric Format log line: CloudWatch Logs turns it into the
    metric (no dimensions, so an alarm names only namespace and metric)."""
    return json.dumps(
        {
            "_aws": {
                "Timestamp": int(now.timestamp() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": METRIC_NAMESPACE,
                        "Dimensions": [[]],
                        "Metrics": [{"Name": METRIC_NAME, "Unit": "Count"}],
                    }
                ],
            },
            METRIC_NAME: stuck,
        }
    )


def _iso(moment: datetime) -> str:
    """As processing.results.now_iso writes startedAt, so that strings compare as times."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def main() -> int:
    """``python -m processing.sweeper``: one sweep with the configured adapters."""
    from processing.runtime import config  # the composition root, only when run as a program

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    settings = config()
    started = time.perf_counter()
    report = sweep(
        results=settings.result_store(),
        executions=settings.execution_control(),
        starter=settings.execution_starter(),
        settings=settings.sweep_settings(),
    )
    summary: dict[str, Any] = {
        "stuck": report.stuck,
        "actions": report.actions,
        "errors": report.errors,
        "ms": round((time.perf_counter() - started) * 1000),
    }
    logger.info(json.dumps({"sweep": summary}))
    return 1 if report.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
