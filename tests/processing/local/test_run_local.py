"""`make run` (scripts/run-local) keeps serving while worker processes die, runs the purge of
rejected originals and the sweeper, and stops it all on SIGTERM, leaving no process behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.processing.local.processes import (
    PATIENCE,
    ROOT,
    alive,
    children,
    wait_for,
    wait_for_children,
)


def children_named(script: int, command: str) -> set[int]:
    """``command`` processes among the script's grandchildren (each loop is a subshell)."""
    return {pid for sub in children(script, "run-local") for pid in children(sub, command)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def in_session(session: int) -> set[int]:
    """Every process of the session (run-local is started as a session's leader)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status == 200
    except OSError:
        return False


def test_run_local_keeps_serving_when_the_workers_die_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    port = free_port()
    healthz = f"http://127.0.0.1:{port}/healthz"
    env = {
        **os.environ,  # PHOTOSHARE_VAR_DIR and PHOTOSHARE_BACKEND from the test's fixtures
        "PHOTOSHARE_BIND": f"127.0.0.1:{port}",
        "PHOTOSHARE_WEB_WORKERS": "1",
        "VENV": str(Path(sys.executable).parent.parent),
    }
    with (tmp_path / "run-local.log").open("wb") as log:
        script = subprocess.Popen(
            [str(ROOT / "scripts" / "run-local")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert wait_for(lambda: answers(healthz)), "gunicorn never answered"
        # The purge and sweeper loops ran once each and sleep until their next run.
        assert wait_for(lambda: len(children_named(script.pid, "sleep")) == 2), (
            "the purge or the sweeper never ran"
        )
        (worker,) = children(script.pid, "processing.local.worker")
        (web,) = children(script.pid, "gunicorn")
        first = wait_for_children(worker, 2)
        for pid in first:
            os.kill(pid, signal.SIGKILL)
        wait_for_children(worker, 2, not_among=first)
        assert script.poll() is None
        assert answers(healthz)

        script.send_signal(signal.SIGTERM)
        script.wait(timeout=PATIENCE)
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
    assert wait_for(lambda: not alive(worker) and not alive(web)), "run-local left them running"
    assert wait_for(lambda: not in_session(script.pid)), "run-local left processes behind"
    assert not answers(healthz)
