"""kill -9 the worker in the middle of a photo: a restarted worker still finishes it."""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from PIL import Image

from processing.keys import UploadKey
from processing.results import Status
from processing.runtime import PipelineConfig
from tests.processing.images import png
from tests.processing.local.processes import wait_for

ROOT = Path(__file__).resolve().parents[3]


def start_worker(var_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PHOTOSHARE_BACKEND": "local",
        "PHOTOSHARE_VAR_DIR": str(var_dir),
        "PHOTOSHARE_QUEUE_LEASE_SECONDS": "2",
        "PHOTOSHARE_MAX_UPLOAD_BYTES": "200000000",  # noise does not compress: a 72 MB PNG
    }
    return subprocess.Popen(
        [sys.executable, "-m", "processing.local.worker", "--concurrency", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_a_photo_survives_its_worker_being_killed(pipeline: PipelineConfig, tmp_path: Path) -> None:
    # A 24-megapixel noisy PNG: about a second of work, so the kill lands mid-execution.
    noise = [Image.effect_noise((6000, 4000), 80) for _ in range(3)]
    data = png(Image.merge("RGB", noise), compress_level=1)
    key = UploadKey("7", "3", str(uuid.uuid4()), "png")
    pipeline.local_bucket().put_object(str(key), data, content_type="image/png")
    database = pipeline.local_database().read()

    def execution_taken() -> bool:
        row = database.execute(
            "SELECT COUNT(*) FROM jobs WHERE kind = 'execution' AND state = 'taken'"
        ).fetchone()
        return row[0] == 1

    def status() -> Status | None:
        item = pipeline.result_store().get_many([key.photo_id]).get(key.photo_id)
        return item.status if item else None

    first = start_worker(tmp_path)
    try:
        assert wait_for(execution_taken), "the worker never took the execution"
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert status() is Status.RUNNING, "the kill came too late to prove anything"

    second = start_worker(tmp_path)
    try:
        assert wait_for(lambda: status() is Status.SUCCEEDED)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=10)
    attempts = database.execute("SELECT attempts FROM jobs WHERE kind = 'execution'").fetchone()[0]
    assert attempts == 2
