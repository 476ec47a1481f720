"""Benchmark of the whole local pipeline: S3 notification -> state machine -> results item.

    make bench-pipeline   (or: PYTHONPATH=. .venv/bin/python bench/local_pipeline.py)

Uses the 12 MP camera-like JPEG of bench/pipeline.py (3.0 MB) and real worker processes
(``python -m processing.local.worker``) on a temporary var/ folder, and measures:

- throughput: a burst of uploads all at once, with 1 and with 2 workers (photos per second, in
  steady state: after one warm-up photo per worker);
- latency: uploads arriving steadily below capacity, from "upload finished" (the S3 event queued,
  which is when storage answers 204) to the results item being SUCCEEDED, and to a card showing
  done, observed by polling the results store once a second as the album page does.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from pipeline import samples  # noqa: E402  (the same generated photos as the core benchmark)

from processing.keys import UploadKey  # noqa: E402
from processing.results import Status  # noqa: E402
from processing.runtime import PipelineConfig  # noqa: E402

POLL_SECONDS = 1.0  # as static/js/album.js


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
    """Seconds from upload finished to SUCCEEDED, and to a once-a-second poller seeing it."""
    with tempfile.TemporaryDirectory() as scratch:
        config = _config(Path(scratch))
        process = start_workers(Path(scratch), workers)
        finished_at: dict[str, float] = {}
        seen_at: dict[str, float] = {}
        stop = threading.Event()

        def poller() -> None:
            store = config.result_store()
            while not stop.is_set():
                waiting = [i for i in finished_at if i not in seen_at]
                for photo_id, item in store.get_many(waiting).items():
                    if item.status is Status.SUCCEEDED:
                        seen_at[photo_id] = time.time()
                stop.wait(POLL_SECONDS)

        watcher = threading.Thread(target=poller)
        watcher.start()
        try:
            for _ in range(photos):
                photo_id = upload(config, data)
                finished_at[photo_id] = time.time()
                time.sleep(interval)
            wait_all_done(config, list(finished_at))
            while len(seen_at) < photos:
                time.sleep(0.05)
        finally:
            stop.set()
            watcher.join()
            stop_workers(process)
        items = config.result_store().get_many(list(finished_at))
        done = [_epoch(items[i].updated_at) - finished_at[i] for i in finished_at]
        shown = [seen_at[i] - finished_at[i] for i in finished_at]
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
    sample = next(s for s in samples(quick=True) if s.label == "JPEG 12 MP")
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
    print("\nUploads arriving every 0.5 s (30 photos, 2 workers):\n")
    print("| from upload finished to | median | p95 | max |")
    print("|---|---|---|---|")
    print(
        f"| results item SUCCEEDED | {statistics.median(done) * 1000:.0f} ms | "
        f"{p95(done) * 1000:.0f} ms | {max(done) * 1000:.0f} ms |"
    )
    print(
        f"| card showing done (1 s polling) | {statistics.median(shown) * 1000:.0f} ms | "
        f"{p95(shown) * 1000:.0f} ms | {max(shown) * 1000:.0f} ms |"
    )


if __name__ == "__main__":
    main()
