"""The worker parent keeps its children running: a child that dies is replaced, the jobs it held
are taken again at once, and only SIGTERM or SIGINT stops the parent. Real processes throughout."""

from __future__ import annotations

import os
import re
import signal
import statistics
import time
from pathlib import Path

import pytest

from processing.local.bucket import S3_EVENT
from processing.local.s3_events import object_created
from processing.local.supervisor import HEALTHY_AFTER
from processing.results import Status
from processing.runtime import PipelineConfig
from tests.conftest import UsePipeline
from tests.processing.local.processes import (
    alive,
    processed,
    slow_photo,
    start_workers,
    status,
    stop,
    upload,
    wait_for,
    wait_for_children,
    waiting_for_work,
)


@pytest.fixture
def runtime(tmp_path: Path, use_pipeline: UsePipeline) -> PipelineConfig:
    """A temporary var/ whose leases are far longer than any test: a job taken again within
    a test was released by the parent, not freed by its lease."""
    return use_pipeline(
        PHOTOSHARE_BACKEND="local",
        PHOTOSHARE_VAR_DIR=str(tmp_path / "var"),
        PHOTOSHARE_QUEUE_LEASE_SECONDS="600",
    )


def restart_lines(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if "restarting it in" in line]


def test_killed_workers_are_replaced_and_the_parent_outlives_them_all(
    runtime: PipelineConfig, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    parent = start_workers(log, concurrency=2)
    try:
        first = wait_for_children(parent.pid, 2)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        second = wait_for_children(parent.pid, 2, not_among={victim})
        replaced_at = time.monotonic()
        assert processed(runtime, upload(runtime))

        replacement_lived = time.monotonic() - replaced_at
        for pid in second:
            os.kill(pid, signal.SIGKILL)
        third = wait_for_children(parent.pid, 2, not_among=second)
        assert parent.poll() is None
        assert processed(runtime, upload(runtime))
    finally:
        assert stop(parent) == 0
    assert not any(alive(pid) for pid in third), "the parent left workers behind"

    lines = restart_lines(log)
    assert len(lines) == 3, lines  # one line per restart
    (replacement,) = second - first
    (survivor,) = first - {victim}
    # A second early death in the same slot waits longer; on a machine so loaded that the
    # replacement lived past HEALTHY_AFTER, its death counts as a first one again.
    doubled = 2 if replacement_lived < HEALTHY_AFTER - 5 else 1
    expected = [(victim, 1), (replacement, doubled), (survivor, 1)]
    for pid, delay in expected:
        mine = [line for line in lines if f"Worker {pid} " in line]
        assert len(mine) == 1, lines
        # A child killed while it held a job also says that the job is available again.
        held = r"(its \d+ job\(s\) are available again; )?"
        assert re.search(f"was killed by SIGKILL; {held}restarting it in {delay} s", mine[0])


def test_sigint_stops_the_workers_and_the_parent_exits_0(
    runtime: PipelineConfig, tmp_path: Path
) -> None:
    parent = start_workers(tmp_path / "worker.log", concurrency=2)
    workers = wait_for_children(parent.pid, 2)
    parent.send_signal(signal.SIGINT)
    assert parent.wait(timeout=120) == 0
    assert not any(alive(pid) for pid in workers)
    assert not list((runtime.var_dir / "wake").glob("*.sock")), "a worker left its socket"


def test_the_job_of_a_killed_worker_is_taken_again_at_once(
    runtime: PipelineConfig, tmp_path: Path, use_pipeline: UsePipeline
) -> None:
    runtime = use_pipeline(PHOTOSHARE_MAX_UPLOAD_BYTES="200000000")  # the noise PNG is 72 MB
    database = runtime.local_database().read()

    def execution_holder() -> int | None:
        row = database.execute(
            "SELECT worker_pid FROM jobs WHERE kind = 'execution' AND state = 'taken'"
        ).fetchone()
        return row[0] if row else None

    log = tmp_path / "worker.log"
    parent = start_workers(log, concurrency=2)
    try:
        wait_for_children(parent.pid, 2)
        key = upload(runtime, slow_photo(), "png")
        assert wait_for(execution_holder, timeout=120), "no worker took the execution"
        holder = execution_holder()
        assert holder is not None
        os.kill(holder, signal.SIGKILL)
        assert status(runtime, key) is Status.RUNNING, "the kill came too late to prove anything"
        # The lease is 600 s: only the parent's release explains a result within two minutes.
        assert processed(runtime, key)
    finally:
        assert stop(parent) == 0
    attempts = database.execute("SELECT attempts FROM jobs WHERE kind = 'execution'").fetchone()
    assert attempts[0] == 2
    (line,) = [line for line in restart_lines(log) if f"Worker {holder} " in line]
    assert "its 1 job(s) are available again" in line


def test_a_worker_over_its_memory_ceiling_is_replaced_and_the_next_job_runs(
    runtime: PipelineConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHOTOSHARE_WORKER_MAX_RSS_MB", "1")  # every worker is over it
    log = tmp_path / "worker.log"
    parent = start_workers(log, concurrency=1)
    try:
        (first,) = wait_for_children(parent.pid, 1)
        assert processed(runtime, upload(runtime))
        assert not alive(first)
        assert processed(runtime, upload(runtime))
    finally:
        assert stop(parent) == 0
    text = log.read_text()
    # Two photos are four jobs (the notification, the execution), each followed by a recycle.
    assert len(re.findall(r"Replacing this worker: \d+ MB resident", text)) >= 4
    assert restart_lines(log) == []  # planned: no warning and no backoff


def test_the_memory_ceiling_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert PipelineConfig.from_environment().worker_max_rss_mb == 450
    monkeypatch.setenv("PHOTOSHARE_WORKER_MAX_RSS_MB", "300")
    assert PipelineConfig.from_environment().worker_max_rss_mb == 300


def test_an_idle_worker_is_woken_by_a_put(runtime: PipelineConfig, tmp_path: Path) -> None:
    """Without the wake-up an idle worker would find each job only on its 1 s fallback look."""
    queue = runtime.local_queue()
    database = runtime.local_database().read()
    parent = start_workers(tmp_path / "worker.log", concurrency=1)
    latencies = []
    try:
        (worker,) = wait_for_children(parent.pid, 1)
        assert wait_for((runtime.var_dir / "wake" / f"{worker}.sock").exists)
        for _ in range(10):
            assert wait_for(lambda: waiting_for_work(worker))  # idle: only a wake-up is quick
            # A notification outside uploads/: the worker takes it and ignores it at once.
            job = queue.put(S3_EVENT, object_created(runtime.bucket, "public/note.txt", size=1))

            def finished(job: int = job) -> tuple[float, float] | None:
                return database.execute(
                    "SELECT created_at, finished_at FROM jobs WHERE id = ? AND state = 'done'",
                    (job,),
                ).fetchone()

            assert wait_for(finished)
            created, done = finished() or (0.0, 0.0)
            latencies.append(done - created)
    finally:
        assert stop(parent) == 0
    # Found by the fallback look instead, each would wait up to 1 s (half of that on average).
    assert statistics.median(latencies) < 0.25, latencies


def test_a_retry_runs_when_its_delay_ends_with_no_put_to_wake_a_worker(
    runtime: PipelineConfig, tmp_path: Path
) -> None:
    database = runtime.local_database().read()
    parent = start_workers(tmp_path / "worker.log", concurrency=1)
    try:
        wait_for_children(parent.pid, 1)
        job = runtime.local_queue().put("no-such-kind", {})  # fails, to be retried in 2 s

        def attempts() -> int:
            row = database.execute("SELECT attempts FROM jobs WHERE id = ?", (job,)).fetchone()
            return int(row[0])

        assert wait_for(lambda: attempts() >= 2), "the retry never ran"
    finally:
        assert stop(parent) == 0


def test_workers_stop_when_their_parent_is_killed(runtime: PipelineConfig, tmp_path: Path) -> None:
    parent = start_workers(tmp_path / "worker.log", concurrency=2)
    workers = wait_for_children(parent.pid, 2)
    parent.kill()
    parent.wait(timeout=30)
    assert wait_for(lambda: not any(alive(pid) for pid in workers)), "orphaned workers ran on"
