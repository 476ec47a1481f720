"""The sweeper: every photo left RUNNING past the deadline gets its execution's real outcome, on
the local adapters and on the aws ones under moto (DynamoDB with the `Running` index, Step
Functions)."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from processing.adapters.aws_dynamodb import DynamoResultStore
from processing.adapters.aws_stepfunctions import StepFunctionsExecutions, StepFunctionsStarter
from processing.adapters.local_db import LocalDatabase
from processing.adapters.local_executions import LocalExecutions
from processing.adapters.local_queue import LocalQueue
from processing.adapters.local_results import LocalResultStore
from processing.handlers import sweeper as sweeper_handler
from processing.ports import ExecutionControl, ExecutionStarter, PhotoDeleted, ResultStore
from processing.results import ResultItem, RunningItem, Status, StoredOriginal, Tombstone
from processing.sweeper import SweepReport, SweepSettings, metric_line, sweep
from tests.conftest import UsePipeline
from tests.processing.aws.conftest import REGION, RESULTS_TABLE, TABLE

BUCKET = "photoshare-test"
DEFINITION = Path(__file__).resolve().parents[2] / "infra/statemachine/photo_pipeline.asl.json"
PROJECT = Path(__file__).resolve().parents[2]
SETTINGS = SweepSettings(after_seconds=900, hard_limit_seconds=3600, bucket=BUCKET)


def upload_key(photo_id: str) -> str:
    return f"private/7/uploads/3/{photo_id}.jpg"


def later(**delta: float) -> datetime:
    """A sweep's "now", this far after the items were started (rather than back-dating items)."""
    return datetime.now(UTC) + timedelta(**delta)


@dataclass
class World:
    """One runtime's results, executions and starter, as the sweeper gets them."""

    name: str
    results: ResultStore
    executions: ExecutionControl
    starter: ExecutionStarter

    def begin(self, photo_id: str, *, start: bool = True, key: bool = True) -> None:
        """What the trigger does: the RUNNING item, then (unless not ``start``) the execution."""
        original = StoredOriginal("etag-1", None, upload_key(photo_id) if key else None)
        self.results.record_start(photo_id, original=original)
        if start:
            execution_input = {"s3Bucket": BUCKET, "s3Key": upload_key(photo_id)}
            arn = self.starter.start(
                name=photo_id, execution_input={**execution_input, "objectID": photo_id}
            )
            self.results.record_start(photo_id, arn)

    def sweep(self, now: datetime, settings: SweepSettings = SETTINGS) -> SweepReport:
        return sweep(
            results=self.results,
            executions=self.executions,
            starter=self.starter,
            settings=settings,
            now=now,
            emit=lambda line: None,
        )

    def lose_jobs(self) -> None:
        """Locally, what leaves an execution RUNNING with nobody holding it: its job ended
        without finishing it. (Step Functions has no jobs: nothing to do.)"""
        if isinstance(self.results, LocalResultStore):
            queue = LocalQueue(self.results.database)
            while job := queue.take():
                queue.done(job)

    def item(self, photo_id: str) -> ResultItem:
        found = self.results.get(photo_id)
        assert isinstance(found, ResultItem)
        return found


@pytest.fixture
def aws_env(fake_aws_credentials: None) -> Iterator[None]:
    with mock_aws():
        yield


def aws_world(state_machine_name: str = "PhotoPipeline") -> World:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(**RESULTS_TABLE)
    machine = boto3.client("stepfunctions", region_name=REGION)
    arn = machine.create_state_machine(
        name=state_machine_name,
        definition=DEFINITION.read_text(),
        roleArn="arn:aws:iam::123456789012:role/photoshare-pipeline",
    )["stateMachineArn"]
    return World(
        "aws",
        DynamoResultStore(dynamodb, TABLE),
        StepFunctionsExecutions(machine, arn),
        StepFunctionsStarter(machine, arn),
    )


def local_world(var: Path) -> World:
    database = LocalDatabase(var / "pipeline.sqlite3")
    executions = LocalExecutions(database)
    return World("local", LocalResultStore(database), executions, executions)


@pytest.fixture
def local(tmp_path: Path) -> World:
    return local_world(tmp_path)


@pytest.fixture(params=["local", "aws"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> World:
    if request.param == "local":
        return local_world(tmp_path)
    request.getfixturevalue("aws_env")
    return aws_world()


def end_locally(world: World, photo_id: str, status: str, error: str | None, cause: str) -> None:
    """The local execution ends as Step Functions would report it (moto's never end)."""
    assert isinstance(world.executions, LocalExecutions)
    world.executions.finish(
        photo_id, status=status, output=None, error=error, cause=cause, history=[]
    )


# The index: only items in flight, paged, oldest first.


def test_a_started_photo_is_in_the_running_index_until_its_final_write(world: World) -> None:
    for photo_id in ("done", "deleted", "bulk-deleted", "running"):
        world.begin(photo_id)
    world.results.record_final(ResultItem("done", Status.SUCCEEDED))
    world.results.delete("deleted", keep_seconds=60)
    world.results.delete_many(["bulk-deleted"], keep_seconds=60)

    found = world.results.running_before(later(seconds=1).isoformat(), limit=10)

    assert [item.photo_id for item in found] == ["running"]
    assert found[0].original_key == upload_key("running")
    assert found[0].execution_arn is not None
    assert found[0].execution_arn.endswith(":running")


def test_recording_an_execution_changes_only_a_running_item(world: World) -> None:
    for photo_id in ("running", "done", "deleted"):
        world.begin(photo_id, start=False)
    world.results.record_final(ResultItem("done", Status.SUCCEEDED))
    world.results.delete("deleted", keep_seconds=60)

    world.results.record_execution("running", "arn:new")
    world.results.record_execution("done", "arn:new")
    with pytest.raises(PhotoDeleted):
        world.results.record_execution("deleted", "arn:new")

    assert world.item("running").execution_arn == "arn:new"
    assert world.item("done").execution_arn is None


def test_only_items_started_before_the_deadline_are_listed(world: World) -> None:
    world.begin("p1")
    before = (datetime.now(UTC) - timedelta(seconds=5)).isoformat().replace("+00:00", "Z")
    assert world.results.running_before(before, limit=10) == []


def test_a_final_dynamodb_item_keeps_no_running_flag(aws_env: None) -> None:
    world = aws_world()
    world.begin("p1")
    client = boto3.client("dynamodb", region_name=REGION)
    raw = client.get_item(TableName=TABLE, Key={"photoId": {"S": "p1"}})["Item"]
    assert raw["running"] == {"S": "1"}
    world.results.record_final(ResultItem("p1", Status.FAILED, message="x", error="E"))
    raw = client.get_item(TableName=TABLE, Key={"photoId": {"S": "p1"}})["Item"]
    assert "running" not in raw
    assert raw["status"] == {"S": "FAILED"}


def test_dynamodb_pages_through_thousands_of_running_items_in_order(aws_env: None) -> None:
    world = aws_world()
    client = boto3.client("dynamodb", region_name=REGION)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    stamps = {
        f"p{n:04}": (start + timedelta(seconds=n)).isoformat().replace("+00:00", "Z")
        for n in range(2000)
    }
    items = [
        {
            "photoId": {"S": photo_id},
            "status": {"S": "RUNNING"},
            "running": {"S": "1"},
            "startedAt": {"S": stamp},
        }
        for photo_id, stamp in stamps.items()
    ]
    for first in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[first : first + 25]]
        client.batch_write_item(RequestItems={TABLE: requests})

    pages = list(pages_of(world.results, "2027-01-01T00:00:00.000Z", limit=100))

    assert len(pages) == 20
    assert all(len(page) == 100 for page in pages)
    assert [item.photo_id for page in pages for item in page] == sorted(stamps)


def test_the_local_store_pages_through_thousands_of_running_items_in_order(local: World) -> None:
    assert isinstance(local.results, LocalResultStore)
    ids = [f"p{n:04}" for n in range(3000)]
    for photo_id in ids:
        local.results.record_start(photo_id)

    pages = list(pages_of(local.results, later(seconds=1).isoformat(), limit=100))

    assert len(pages) == 30
    assert all(len(page) == 100 for page in pages)
    listed = [item for page in pages for item in page]
    assert sorted(item.photo_id for item in listed) == ids
    assert [item.started_at for item in listed] == sorted(item.started_at for item in listed)


def pages_of(results: ResultStore, deadline: str, *, limit: int) -> Iterator[list[RunningItem]]:
    after = None
    while page := results.running_before(deadline, limit=limit, after=after):
        assert len(page) <= limit
        yield page
        after = page[-1]


def test_the_local_query_reads_the_partial_index_not_the_table(local: World) -> None:
    assert isinstance(local.results, LocalResultStore)
    plan = local.results.database.read().execute(
        "EXPLAIN QUERY PLAN SELECT photo_id, started_at, item FROM results "
        "WHERE status = 'RUNNING' AND started_at < ? AND (started_at, photo_id) > (?, ?) "
        "ORDER BY started_at, photo_id LIMIT ?",
        ("z", "", "", 100),
    )
    details = " ".join(row["detail"] for row in plan)
    assert "results_running" in details
    assert "TEMP B-TREE" not in details


def test_an_older_local_database_gains_the_index_with_its_running_items(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE results (photo_id TEXT PRIMARY KEY, status TEXT NOT NULL, "
        "item TEXT NOT NULL, updated_at TEXT NOT NULL, expires_at REAL);"
    )
    for photo_id, status in (("old-running", "RUNNING"), ("old-done", "SUCCEEDED")):
        item = {"photoId": photo_id, "status": status, "startedAt": "2026-01-01T00:00:00.000Z"}
        old.execute(
            "INSERT INTO results VALUES (?, ?, ?, ?, NULL)",
            (photo_id, status, json.dumps(item), item["startedAt"]),
        )
    old.commit()
    old.close()

    results = LocalResultStore(LocalDatabase(path))

    found = results.running_before("2026-06-01T00:00:00.000Z", limit=10)
    assert [item.photo_id for item in found] == ["old-running"]


# What the sweeper records, case by case.


def test_a_failed_execution_fails_its_photo_with_its_error(local: World) -> None:
    local.begin("p1")
    end_locally(local, "p1", "FAILED", "States.TaskFailed", '{"errorMessage": "boom"}')

    report = local.sweep(later(minutes=20))

    item = local.item("p1")
    assert (item.status, item.error, item.cause) == (
        Status.FAILED,
        "States.TaskFailed",
        '{"errorMessage": "boom"}',
    )
    assert item.message == "Something went wrong while processing this photo"
    assert report.actions == {"recorded FAILED": 1}


def test_a_timed_out_execution_says_it_took_too_long(local: World) -> None:
    local.begin("p1")
    end_locally(local, "p1", "TIMED_OUT", None, "")

    local.sweep(later(minutes=20))

    item = local.item("p1")
    assert (item.status, item.error) == (Status.FAILED, "TIMED_OUT")
    assert item.message == "Processing this photo took too long; try uploading it again"


def test_an_image_rejected_execution_rejects_the_photo_with_its_reason(local: World) -> None:
    local.begin("p1")
    rejection = json.dumps({"reason": "corrupt", "message": "The image is damaged"})
    cause = json.dumps({"errorMessage": rejection, "errorType": "ImageRejected"})
    end_locally(local, "p1", "FAILED", "ImageRejected", cause)

    local.sweep(later(minutes=20))

    item = local.item("p1")
    assert (item.status, item.rejection_reason, item.message) == (
        Status.REJECTED,
        "corrupt",
        "The image is damaged",
    )


def test_a_succeeded_execution_whose_result_was_lost_fails_the_photo_plainly(
    local: World,
) -> None:
    local.begin("p1")
    end_locally(local, "p1", "SUCCEEDED", None, "")

    local.sweep(later(minutes=20))

    item = local.item("p1")
    assert (item.status, item.error) == (Status.FAILED, "ResultLost")
    assert item.message == "Processing finished but its result was lost; upload the photo again"


def test_an_execution_never_started_is_started_once_with_the_triggers_input(
    world: World,
) -> None:
    world.begin("p1", start=False)

    first = world.sweep(later(minutes=20))
    second = world.sweep(later(minutes=20))

    assert first.actions == {"started": 1}
    assert second.actions == {"left running": 1}
    item = world.item("p1")
    assert item.status is Status.RUNNING
    assert item.execution_arn is not None
    assert item.execution_arn.endswith(":p1")
    if isinstance(world.executions, LocalExecutions):
        record = world.executions.get_by_name("p1")
        assert record is not None
        assert record.input == {"s3Bucket": BUCKET, "s3Key": upload_key("p1"), "objectID": "p1"}
    else:
        assert isinstance(world.executions, StepFunctionsExecutions)
        described = world.executions.client.describe_execution(executionArn=item.execution_arn)
        assert json.loads(described["input"])["s3Key"] == upload_key("p1")


def test_an_execution_never_started_for_an_item_without_its_key_fails_the_photo(
    local: World,
) -> None:
    local.begin("p1", start=False, key=False)

    local.sweep(later(minutes=20))

    item = local.item("p1")
    assert (item.status, item.error) == (Status.FAILED, "NeverStarted")
    assert isinstance(local.executions, LocalExecutions)
    assert local.executions.get_by_name("p1") is None


def test_a_running_execution_is_left_alone_until_the_hard_limit_then_stopped(
    world: World,
) -> None:
    world.begin("p1")
    world.lose_jobs()

    young = world.sweep(later(minutes=30))
    assert young.actions == {"left running": 1}
    assert world.item("p1").status is Status.RUNNING

    old = world.sweep(later(minutes=61))

    assert old.actions == {"stopped FAILED": 1}
    item = world.item("p1")
    assert (item.status, item.error) == (Status.FAILED, "StuckRunning")
    state = world.executions.describe("p1")
    assert state is not None
    assert state.status == "ABORTED"
    assert world.results.running_before(later(hours=2).isoformat(), limit=10) == []


def test_a_local_execution_whose_job_is_queued_or_leased_is_never_stopped(local: World) -> None:
    """A backlog of thousands may wait longer than the hard limit; the worker's supervision, not
    the clock, decides when a local job has failed."""
    local.begin("leased")
    local.begin("waiting")
    assert isinstance(local.results, LocalResultStore)
    job = LocalQueue(local.results.database).take()  # a live worker holds the first job
    assert job is not None
    assert job.body == {"name": "leased"}

    report = local.sweep(later(hours=5))

    assert report.actions == {"left running": 2}
    assert local.item("leased").status is Status.RUNNING
    assert local.item("waiting").status is Status.RUNNING


def test_photos_started_within_the_deadline_are_not_looked_at(world: World) -> None:
    world.begin("p1", start=False)

    report = world.sweep(later(minutes=10))

    assert (report.stuck, report.actions) == (0, {})
    assert world.item("p1").execution_arn is None


def test_a_failed_moto_execution_fails_the_photo(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto reports an execution FAILED, with no error, when told to (its executions never
    run): the aws adapter's describe carries that to the sweeper."""
    world = aws_world()
    monkeypatch.setenv("SF_EXECUTION_HISTORY_TYPE", "FAILURE")
    world.begin("p1")

    world.sweep(later(minutes=20))

    item = world.item("p1")
    assert (item.status, item.error) == (Status.FAILED, "FAILED")


class FinishedMeanwhile:
    """The real store, but between the sweeper's listing and its writes the pipeline finishes
    one photo and the person deletes another: the page the sweeper holds is stale."""

    def __init__(self, results: ResultStore) -> None:
        self.results = results

    def __getattr__(self, name: str) -> Any:
        return getattr(self.results, name)

    def running_before(
        self, deadline: str, *, limit: int, after: RunningItem | None = None
    ) -> list[RunningItem]:
        page = self.results.running_before(deadline, limit=limit, after=after)
        if after is None:
            self.results.record_final(ResultItem("finished", Status.SUCCEEDED))
            self.results.delete("deleted", keep_seconds=60)
        return page


def test_a_photo_that_finished_or_was_deleted_meanwhile_is_never_overwritten(
    world: World,
) -> None:
    for photo_id in ("finished", "deleted", "stuck"):
        world.begin(photo_id)
    world.lose_jobs()
    stale = World(world.name, FinishedMeanwhile(world.results), world.executions, world.starter)

    report = stale.sweep(later(hours=2))  # past the hard limit: every one would be FAILED

    assert report.actions == {
        "finished meanwhile": 1,
        "deleted meanwhile": 1,
        "stopped FAILED": 1,
    }
    assert world.item("finished").status is Status.SUCCEEDED
    assert isinstance(world.results.get("deleted"), Tombstone)
    assert world.item("stuck").status is Status.FAILED


def test_a_sweep_is_bounded_and_pages_past_photos_it_leaves_running(local: World) -> None:
    for n in range(250):
        local.begin(f"p{n:03}")
    settings = SweepSettings(bucket=BUCKET, page_size=100, max_items=200)

    report = local.sweep(later(minutes=20), settings)

    assert (report.stuck, report.actions) == (200, {"left running": 200})


# What it tells people: a log line per photo, and the StuckPhotos metric.


def test_it_logs_a_json_line_per_photo_and_emits_the_stuck_photos_metric(
    local: World, caplog: pytest.LogCaptureFixture
) -> None:
    local.begin("p1")
    local.begin("p2", start=False)
    lines: list[str] = []
    now = later(minutes=20)

    with caplog.at_level(logging.INFO, logger="processing.sweeper"):
        sweep(
            results=local.results,
            executions=local.executions,
            starter=local.starter,
            settings=SETTINGS,
            now=now,
            emit=lines.append,
        )

    logged = [json.loads(record.getMessage()) for record in caplog.records]
    assert {(line["photoId"], line["sweeper"], line["execution"]) for line in logged} == {
        ("p1", "left running", "RUNNING"),
        ("p2", "started", None),
    }
    assert lines == [metric_line(2, now)]
    metric = json.loads(lines[0])
    assert metric["StuckPhotos"] == 2
    directive = metric["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "Photoshare"
    assert directive["Metrics"] == [{"Name": "StuckPhotos", "Unit": "Count"}]
    assert metric["_aws"]["Timestamp"] == int(now.timestamp() * 1000)


# The two ways it runs.


def test_the_lambda_handler_sweeps_the_stack_it_is_configured_for(
    aws_env: None, use_pipeline: UsePipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    world = aws_world()
    assert isinstance(world.executions, StepFunctionsExecutions)
    use_pipeline(
        PHOTOSHARE_BACKEND="aws",
        PHOTOSHARE_BUCKET=BUCKET,
        PHOTOSHARE_RESULTS_TABLE=TABLE,
        PHOTOSHARE_STATE_MACHINE_ARN=world.executions.state_machine_arn,
        PHOTOSHARE_AWS_REGION=REGION,
    )
    # What the trigger left an hour ago: the RUNNING item, its original named, no execution.
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName=TABLE,
        Item={
            "photoId": {"S": "p1"},
            "status": {"S": "RUNNING"},
            "running": {"S": "1"},
            "startedAt": {"S": an_hour_ago()},
            "updatedAt": {"S": an_hour_ago()},
            "originalKey": {"S": upload_key("p1")},
        },
    )
    event = json.loads((PROJECT / "infra/events/sweeper.json").read_text())

    result = sweeper_handler.handler(event, None)

    assert result == {"stuck": 1, "actions": {"started": 1}}
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["StuckPhotos"] for line in emitted] == [1]


def an_hour_ago() -> str:
    moment = datetime.now(UTC) - timedelta(hours=1)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_python_m_processing_sweeper_sweeps_the_local_runtime_once(tmp_path: Path) -> None:
    world = local_world(tmp_path)
    # What a trigger left an hour ago: the RUNNING item, without its original's key.
    item = {"photoId": "p1", "status": "RUNNING", "startedAt": an_hour_ago()}
    assert isinstance(world.results, LocalResultStore)
    with world.results.database.write() as connection:
        connection.execute(
            "INSERT INTO results (photo_id, status, item, updated_at, started_at) "
            "VALUES (?, ?, ?, ?, ?)",
            ("p1", "RUNNING", json.dumps(item), item["startedAt"], item["startedAt"]),
        )
    env = {**os.environ, "PHOTOSHARE_BACKEND": "local", "PHOTOSHARE_VAR_DIR": str(tmp_path)}

    run = subprocess.run(
        [sys.executable, "-m", "processing.sweeper"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip())["StuckPhotos"] == 1
    assert world.item("p1").status is Status.FAILED
