"""A job set aside after MAX_ATTEMPTS never leaves its photo RUNNING.

A worker's death is played as its parent sees it: the job was taken by this process, then the
parent releases what the dead process held (``release_worker``), as it does for a killed child.
"""

from __future__ import annotations

import os
import uuid

from processing.adapters.local_queue import LocalQueue
from processing.keys import UploadKey
from processing.local.worker import (
    GAVE_UP_ERROR,
    GAVE_UP_MESSAGE,
    MAX_ATTEMPTS,
    handle,
    work_once,
)
from processing.results import ResultItem, Status
from processing.runtime import PipelineConfig
from tests.processing.images import jpeg, orientation_card


def started_photo(pipeline: PipelineConfig) -> UploadKey:
    """A photo whose notification has been handled: its execution job waits, its item RUNNING."""
    key = UploadKey("7", "3", str(uuid.uuid4()), "jpg")
    data = jpeg(orientation_card(480, 320))
    pipeline.local_bucket().put_object(str(key), data, content_type="image/jpeg")
    assert work_once(pipeline.local_queue(), pipeline)
    return key


def item(pipeline: PipelineConfig, key: UploadKey) -> ResultItem:
    return pipeline.result_store().get_many([key.photo_id])[key.photo_id]


def die_holding(queue: LocalQueue, times: int) -> None:
    for _ in range(times):
        job = queue.take()
        assert job is not None
        assert job.kind == "execution"
        assert queue.release_worker(os.getpid()) == 1


def job_row(queue: LocalQueue, kind: str) -> tuple[str, int]:
    row = (
        queue.database.read()
        .execute("SELECT state, attempts FROM jobs WHERE kind = ?", (kind,))
        .fetchone()
    )
    return row["state"], row["attempts"]


def test_a_job_that_keeps_killing_its_worker_is_set_aside_and_its_photo_fails(
    pipeline: PipelineConfig,
) -> None:
    queue = pipeline.local_queue()
    key = started_photo(pipeline)
    assert item(pipeline, key).status is Status.RUNNING

    die_holding(queue, MAX_ATTEMPTS)
    assert work_once(queue, pipeline)  # taken once more: set aside, not run

    assert job_row(queue, "execution") == ("failed", MAX_ATTEMPTS + 1)
    failed = item(pipeline, key)
    assert failed.status is Status.FAILED
    assert (
        failed.message
        == GAVE_UP_MESSAGE
        == ("Processing failed repeatedly; try uploading the photo again")
    )
    assert failed.error == GAVE_UP_ERROR
    assert failed.execution_arn is not None  # what earlier steps stored is kept
    execution = pipeline.local_executions().get(failed.execution_arn)
    assert execution is not None
    assert (execution.status, execution.error) == ("FAILED", GAVE_UP_ERROR)
    assert not work_once(queue, pipeline)


def test_a_photo_already_final_keeps_its_result_when_its_job_is_set_aside(
    pipeline: PipelineConfig,
) -> None:
    queue = pipeline.local_queue()
    key = started_photo(pipeline)
    job = queue.take()
    assert job is not None
    handle(job, pipeline)  # the photo is processed, then its worker dies before saying so
    assert queue.release_worker(os.getpid()) == 1
    die_holding(queue, MAX_ATTEMPTS - 1)
    assert work_once(queue, pipeline)

    assert job_row(queue, "execution") == ("failed", MAX_ATTEMPTS + 1)
    assert item(pipeline, key).status is Status.SUCCEEDED
    execution = pipeline.local_executions().get(item(pipeline, key).execution_arn or "")
    assert execution is not None
    assert execution.status == "SUCCEEDED"


def test_a_job_that_fails_on_its_last_attempt_is_set_aside(pipeline: PipelineConfig) -> None:
    queue = pipeline.local_queue()
    queue.put("no-such-kind", {})  # handle() raises for it on every attempt
    for _ in range(MAX_ATTEMPTS - 1):
        assert queue.take() is not None
        queue.release_worker(os.getpid())
    assert work_once(queue, pipeline)  # the last attempt fails, and the job is given up
    assert job_row(queue, "no-such-kind") == ("failed", MAX_ATTEMPTS)
