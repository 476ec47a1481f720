"""Idle workers are woken by a put, across processes, and a put never blocks or fails for it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from processing.adapters.local_wake import WakeListener, socket_path
from processing.local.bucket import S3_EVENT
from processing.runtime import PipelineConfig
from tests.processing.local.processes import ROOT

LISTEN = """
import sys
from pathlib import Path
from processing.adapters.local_wake import WakeListener
with WakeListener(Path(sys.argv[1])) as listener:
    print("listening", flush=True)
    print("woken" if listener.wait(120) else "timed out", flush=True)
"""


def test_a_put_wakes_a_listening_worker_once(pipeline: PipelineConfig) -> None:
    queue = pipeline.local_queue()
    assert queue.wake_dir is not None
    with WakeListener(queue.wake_dir) as listener:
        assert not listener.wait(0)
        queue.put(S3_EVENT, {"n": 1})
        queue.put(S3_EVENT, {"n": 2})
        assert listener.wait(10)
        assert not listener.wait(0)  # both wake-ups were drained at once


def test_a_put_wakes_a_worker_in_another_process(pipeline: PipelineConfig) -> None:
    queue = pipeline.local_queue()
    with subprocess.Popen(
        [sys.executable, "-c", LISTEN, str(queue.wake_dir)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    ) as listener:
        assert listener.stdout is not None
        try:
            assert listener.stdout.readline().strip() == "listening"
            queue.put(S3_EVENT, {})
            assert listener.stdout.readline().strip() == "woken"  # not after its 120 s timeout
        finally:
            listener.kill()


def test_a_put_neither_blocks_nor_fails_for_its_wake_ups(pipeline: PipelineConfig) -> None:
    queue = pipeline.local_queue()
    assert queue.wake_dir is not None
    queue.put(S3_EVENT, {})  # no worker has listened yet: there is no directory
    with WakeListener(queue.wake_dir) as never_reads:
        (queue.wake_dir / "4000000.sock").touch()  # a plain file, not a socket
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as killed:
            killed.bind(str(queue.wake_dir / "4000001.sock"))  # left by a killed worker
        started = time.monotonic()
        for n in range(100):  # far more than a socket holds: the rest are dropped
            queue.put(S3_EVENT, {"n": n})
        assert time.monotonic() - started < 30  # none of them waited to send
        assert never_reads.wait(0)
    assert queue.pending() == 101


def test_a_listener_removes_its_socket_and_those_of_dead_workers(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = socket_path(tmp_path, dead.pid)
    stale.touch()
    with WakeListener(tmp_path) as listener:
        assert listener.path == socket_path(tmp_path, os.getpid())
        assert listener.path.exists()
        assert not stale.exists()
    assert not listener.path.exists()
