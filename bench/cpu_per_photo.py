"""Where a photo's CPU goes in the local pipeline: each Task's handler, the runner and the stores.

    PYTHONPATH=. .venv/bin/python bench/cpu_per_photo.py [--photos 20] [--profile]

Runs the 12 MP camera-like JPEG of bench/pipeline.py through the worker's own functions in this
process, photo after photo: the S3 notification job (S3Trigger), then the execution job (the
whole state machine). CPU time is counted per thread (``time.thread_time``), so figures hold on a
machine that other work shares, where wall-clock times do not. With ``--profile`` it also prints
cProfile's view of the execution jobs (CPU time), which splits the image work into decode,
resample and encode, and recognition into the detector and the classifier.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from pipeline import twelve_megapixels  # noqa: E402

from processing.keys import UploadKey  # noqa: E402
from processing.local import pipeline as local_pipeline  # noqa: E402
from processing.local.worker import work_once  # noqa: E402
from processing.runtime import PipelineConfig, configured  # noqa: E402

spent: dict[str, list[float]] = defaultdict(list)


def _timed(name: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    def run(event: dict[str, Any], context: object = None) -> Any:
        started = time.thread_time()
        try:
            return handler(event, context)
        finally:
            spent[name].append((time.thread_time() - started) * 1000)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    args = parser.parse_args()
    data = twelve_megapixels().data
    for name, handler in list(local_pipeline.FUNCTIONS.items()):
        local_pipeline.FUNCTIONS[name] = _timed(name.removesuffix("FunctionArn"), handler)

    profiler = cProfile.Profile(time.process_time)
    # The environment's settings, locally in a scratch var/, installed rather than put in
    # os.environ (processing.runtime reads the environment once per process).
    local = replace(PipelineConfig.from_environment(), backend="local", recognizer_name="local")
    with (
        tempfile.TemporaryDirectory() as scratch,
        configured(replace(local, var_dir=Path(scratch))) as settings,
    ):
        settings.recognizer()  # the worker's warm-up
        queue, bucket = settings.local_queue(), settings.local_bucket()
        for number in range(args.photos + 1):
            key = UploadKey("1", "1", str(uuid.uuid4()), "jpg")
            bucket.put_object(str(key), data, content_type="image/jpeg")
            started = time.process_time()
            work_once(queue, settings)  # the S3 notification: S3Trigger starts the execution
            trigger = time.process_time()
            if args.profile and number:
                profiler.enable()
            work_once(queue, settings)  # the execution job: the whole state machine
            profiler.disable()
            finished = time.process_time()
            if number == 0:  # the first photo warms up (onnxruntime's first-run allocations)
                spent.clear()
                continue
            spent["(s3-event job)"].append((trigger - started) * 1000)
            spent["(execution job)"].append((finished - trigger) * 1000)

    handlers = [name for name in spent if not name.startswith("(")]
    per_photo = {name: sum(values) / args.photos for name, values in spent.items()}
    runner = per_photo["(execution job)"] - sum(per_photo[name] for name in handlers)
    print(f"CPU ms per photo, mean of {args.photos} (12 MP JPEG, one process)\n")
    print("| stage | CPU ms | median of the calls |")
    print("|---|---|---|")
    for name in handlers:
        print(f"| {name} | {per_photo[name]:.1f} | {statistics.median(spent[name]):.1f} |")
    print(f"| runner, history and stores around the tasks | {runner:.1f} | |")
    print(f"| S3 notification job (S3Trigger) | {per_photo['(s3-event job)']:.1f} | |")
    total = per_photo["(execution job)"] + per_photo["(s3-event job)"]
    print(f"| **total** | **{total:.1f}** | |")
    print(f"\nceiling on 2 cores at this CPU cost: {2000 / total:.1f} photos/s")
    if args.profile:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
