"""Benchmark of the whole local pipeline: S3 notification -> state machine -> results item.

    make bench-pipeline   (or: PYTHONPATH=. .venv/bin/python bench/local_pipeline.py)

Uses the 12 MP camera-like JPEG of bench/pipeline.py (3.0 MB) and real worker processes
(``python -m processing.local.worker``) on a temporary var/ folder, and measures:

- throughput: a burst of uploads all at once, with 1 and with 2 workers (photos per second, in
  steady state: after one warm-up photo per worker);
- latency: one upload every 0.5 s through the real stack as `make run` starts it (bench/stack.py:
  tickets, the storage POST), from storage's 204 to the results item being SUCCEEDED, and to a
  client long-polling the album's changes endpoint, as the page does, seeing the photo final.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from pipeline import twelve_megapixels  # noqa: E402  (the same generated photos as the core benchmark)

from processing.keys import UploadKey  # noqa: E402
from processing.results import Status  # noqa: E402
from processing.runtime import PipelineConfig  # noqa: E402


def start_workers(var_dir: Path, count: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PHOTOSHARE_VAR_DIR": str(var_dir),
        "PHOTOSHARE_BACKEND": "local",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "processing.local.worker", "--concurrency", str(count)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(3)  # let the children import everything before the clock starts
    return process


def stop_workers(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def upload(config: PipelineConfig, data: bytes) -> str:
    key = UploadKey("1", "1", str(uuid.uuid4()), "jpg")
    config.local_bucket().put_object(str(key), data, content_type="image/jpeg")
    return key.photo_id


def wait_all_done(config: PipelineConfig, ids: list[str], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    store = config.result_store()
    while time.monotonic() < deadline:
        items = store.get_many(ids)
        if len(items) == len(ids) and all(i.status.is_final for i in items.values()):
            failed = [i for i in items.values() if i.status is not Status.SUCCEEDED]
            if failed:
                raise RuntimeError(f"{len(failed)} photos did not succeed: {failed[0]}")
            return
        time.sleep(0.02)
    raise TimeoutError("the pipeline did not finish in time")


def throughput(data: bytes, workers: int, photos: int) -> float:
    """Photos per second for a burst of uploads, in steady state: one warm-up photo per worker
    first (a worker loads its models before its first job, and onnxruntime allocates on its
    first run), then the clock runs from the burst's first upload to the moment its last results
    item became final (the item's updatedAt), so that this process can poll slowly and leave
    the cores to the workers."""
    with tempfile.TemporaryDirectory() as scratch:
        config = _config(Path(scratch))
        process = start_workers(Path(scratch), workers)
        try:
            wait_all_done(config, [upload(config, data) for _ in range(workers)])
            started = time.time()
            ids = [upload(config, data) for _ in range(photos)]
            return photos / (_last_finished(config, ids) - started)
        finally:
            stop_workers(process)


def _last_finished(config: PipelineConfig, ids: list[str], timeout: float = 600) -> float:
    """When the last of these photos became final (epoch seconds), all of them SUCCEEDED."""
    deadline = time.monotonic() + timeout
    store = config.result_store()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        items = store.get_many(ids)
        if len(items) == len(ids) and all(i.status.is_final for i in items.values()):
            failed = [i for i in items.values() if i.status is not Status.SUCCEEDED]
            if failed:
                raise RuntimeError(f"{len(failed)} photos did not succeed: {failed[0]}")
            return max(_epoch(i.updated_at) for i in items.values())
    raise TimeoutError("the pipeline did not finish in time")


def latency(
    data: bytes, workers: int, photos: int, interval: float
) -> tuple[list[float], list[float]]:
    """Seconds from each upload's 204 to its results item SUCCEEDED, and to the page seeing it.

    The whole stack as `make run` starts it (bench/stack.py); one upload every ``interval`` s,
    each a distinct copy of ``data`` (its own JPEG comment, so never a duplicate) sent as the page
    sends it: a ticket, then the presigned POST to storage. The page's view is a client
    long-polling the album's changes endpoint with a cursor: the photo is shown done when that
    client first sees it final.
    """
    from camera_roll import jpeg_with_comment
    from stack import ChangesWatcher, Stack

    answered: dict[str, tuple[float, float]] = {}  # photo id: (time.time(), monotonic) of the 204
    with Stack(workers=workers) as stack:
        browser = stack.sign_in()
        album = browser.create_album("Latency")
        watcher = ChangesWatcher(browser.clone(), album)
        watcher.start()
        try:
            started = time.monotonic()
            for number in range(photos):
                time.sleep(max(0.0, started + number * interval - time.monotonic()))
                photo = jpeg_with_comment(data, f"latency photo {number}")
                photo_id = browser.upload_one(album, photo, f"latency-{number}.jpg", "image/jpeg")
                answered[photo_id] = (time.time(), time.monotonic())
            if not watcher.wait_final(list(answered), timeout=600):
                raise TimeoutError("the page did not see every photo final in time")
        finally:
            watcher.stop()
        statuses = {i: watcher.photos[i].final_status for i in answered}
        if any(status != "SUCCEEDED" for status in statuses.values()):
            raise RuntimeError(f"not every photo succeeded: {statuses}")
        items = _config(stack.var_dir).result_store().get_many(list(answered))
    done = [_epoch(items[i].updated_at) - wall for i, (wall, _) in answered.items()]
    shown = [watcher.seen_final_at(i) - mono for i, (_, mono) in answered.items()]
    return done, shown


def _epoch(iso: str | None) -> float:
    return datetime.fromisoformat((iso or "").replace("Z", "+00:00")).timestamp()


def _config(var_dir: Path) -> PipelineConfig:
    os.environ["PHOTOSHARE_VAR_DIR"] = str(var_dir)
    os.environ["PHOTOSHARE_BACKEND"] = "local"
    return PipelineConfig.from_environment()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=40, help="photos in the burst")
    args = parser.parse_args()
    sample = twelve_megapixels()
    data = sample.data
    print("# Local pipeline benchmark\n")
    print(
        f"{os.cpu_count()} cores; {sample.label} camera-like JPEG, {len(data) / 1e6:.1f} MB; "
        "each photo: metadata, validation, metadata stored, 250 and 1024 px thumbnails, "
        "recognition from the 1024 px one, labels stored, result recorded.\n"
    )
    print("| workers | photos | photos per second |")
    print("|---|---|---|")
    for workers in (1, 2):
        rate = throughput(data, workers, args.photos)
        print(f"| {workers} | {args.photos} | {rate:.2f} |", flush=True)
    done, shown = latency(data, workers=2, photos=30, interval=0.5)
    print(
        "\nUploads arriving every 0.5 s through the page's mechanism (a ticket, then the POST to "
        "storage) on the whole stack (30 photos, 2 workers):\n"
    )
    print("| from storage's 204 to | median | p95 | max |")
    print("|---|---|---|---|")
    print(
        f"| results item SUCCEEDED | {statistics.median(done) * 1000:.0f} ms | "
        f"{p95(done) * 1000:.0f} ms | {max(done) * 1000:.0f} ms |"
    )
    print(
        f"| the page seeing it final (changes long poll) | "
        f"{statistics.median(shown) * 1000:.0f} ms | "
        f"{p95(shown) * 1000:.0f} ms | {max(shown) * 1000:.0f} ms |"
    )


if __name__ == "__main__":
    main()
