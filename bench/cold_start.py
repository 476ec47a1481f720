"""Each Lambda handler's cold start: its import and its first call, in a fresh interpreter.

`make bench-cold` runs every module in processing/handlers/ in its own subprocess, as a new
Lambda execution environment would: the time to import the handler module (what Lambda's INIT
phase pays), then the time of its first call (configuration, clients and adapters built on that
call, and the real work), against moto's S3, DynamoDB, Step Functions and Rekognition in server
mode, in aws mode. Handlers that read an original get a real small JPEG (640 x 480). Each handler
is measured ``--repeat`` times (a new subprocess each time); the table gives medians.

``--root DIR`` measures another checkout's code (e.g. a `git worktree` of main) with this script:
the probe runs there with that directory first on sys.path; ``--compare DIR`` adds another
checkout, and the two take turns run by run, so a before/after comparison runs the same events
under the same load.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import statistics
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer
from PIL import Image

from processing.adapters.aws_dynamodb import DynamoResultStore
from processing.metadata import extract_metadata
from processing.results import ResultItem, Status
from tests.infra.cfn import results_table

ROOT = Path(__file__).resolve().parents[1]
REGION = "eu-west-1"
BUCKET = "photoshare-bench"
TABLE = "ImageMetadata"
USER = "eu-west-1:bench-user"

# Budgets from the issue: a handler that only writes items, and one that decodes images.
LIGHT_GOAL_MS, IMAGE_GOAL_MS = 100, 400
IMAGE_HANDLERS = {"extract_metadata", "thumbnails", "recognize"}

# Runs inside the fresh interpreter: import, then one call, each timed.
PROBE = r"""
import importlib, json, sys, time
started, started_cpu = time.perf_counter(), time.process_time()
module = importlib.import_module("processing.handlers." + sys.argv[1])
imported, imported_cpu = time.perf_counter(), time.process_time()
event = json.loads(sys.argv[2])
error = None
if event is not None:
    try:
        module.handler(event, None)
    except Exception as exc:  # reported, not hidden: a first call that fails is no measurement
        error = f"{type(exc).__name__}: {exc}"
called, called_cpu = time.perf_counter(), time.process_time()
heavy = sorted(m for m in ("PIL", "numpy", "pi_heif", "onnxruntime") if m in sys.modules)
print(json.dumps({"import_ms": (imported - started) * 1000, "call_ms": (called - imported) * 1000,
                  "import_cpu_ms": (imported_cpu - started_cpu) * 1000,
                  "call_cpu_ms": (called_cpu - imported_cpu) * 1000,
                  "error": error, "heavy": heavy}))
"""


def small_jpeg() -> bytes:
    """A real photograph-sized-down JPEG: a gradient, so it compresses like a picture."""
    image = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


class Stack:
    """The stack's resources in moto, and what each handler's first call needs in them."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        self.s3 = session.client("s3", endpoint_url=endpoint)
        self.dynamodb = session.client("dynamodb", endpoint_url=endpoint)
        self.s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        # The table as infra/template.yaml declares it (the sweeper queries its Running index).
        self.dynamodb.create_table(**results_table(TABLE))
        machine = session.client("stepfunctions", endpoint_url=endpoint)
        definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
        self.state_machine = machine.create_state_machine(
            name="PhotoPipeline",
            definition=json.dumps(definition),
            roleArn="arn:aws:iam::123456789012:role/photoshare",
        )["stateMachineArn"]
        self.jpeg = small_jpeg()
        # This checkout's own shapes for what the steps before a handler would have given it.
        self.metadata = extract_metadata(self.jpeg)
        self.results = DynamoResultStore(self.dynamodb, TABLE)

    def environment(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "PHOTOSHARE_BACKEND": "aws",
            "PHOTOSHARE_BUCKET": BUCKET,
            "PHOTOSHARE_RESULTS_TABLE": TABLE,
            "PHOTOSHARE_STATE_MACHINE_ARN": self.state_machine,
            "PHOTOSHARE_AWS_REGION": REGION,
            "PHOTOSHARE_AWS_ENDPOINT_URL": self.endpoint,
        }

    def photo(self, *, running: bool) -> dict[str, Any]:
        """A new photo: its original (and 250/1024 px JPEGs where thumbnails go) in S3, its
        RUNNING item when asked; the union of the fields the pipeline's tasks read."""
        photo_id = str(uuid.uuid4())
        key = f"private/{USER}/uploads/bench-album/{photo_id}.jpg"
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=self.jpeg, ContentType="image/jpeg")
        thumbnails = []
        for size in (250, 1024):
            thumbnail_key = f"private/{USER}/resized/{photo_id}/{size}.jpg"
            self.s3.put_object(Bucket=BUCKET, Key=thumbnail_key, Body=self.jpeg)
            thumbnails.append(
                {
                    "size": size,
                    "key": thumbnail_key,
                    "width": 640,
                    "height": 480,
                    "contentType": "image/jpeg",
                }
            )
        if running:
            self.results.record_start(photo_id, f"arn:bench:{photo_id}")
        return {
            "s3Bucket": BUCKET,
            "s3Key": key,
            "objectID": photo_id,
            "extractedMetadata": self.metadata.to_dict(),
            "imageMetadata": ResultItem(
                photo_id, Status.RUNNING, metadata=self.metadata
            ).metadata_attributes(),
            "thumbnails": thumbnails,
            "labels": [],
            "outcome": "SUCCEEDED",
        }

    def event(self, handler: str) -> dict[str, Any] | None:
        if handler == "s3_trigger":
            photo = self.photo(running=False)
            record = {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Post",
                "s3": {"bucket": {"name": BUCKET}, "object": {"key": photo["s3Key"], "size": 1}},
            }
            return {"Records": [record]}
        if handler == "sweeper":
            return {}
        return self.photo(running=True)


def handlers(root: Path) -> list[str]:
    folder = root / "processing" / "handlers"
    return sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))


def probe(
    root: Path, handler: str, event: dict[str, Any] | None, env: dict[str, str]
) -> dict[str, Any]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOSHARE_", "AWS_"))}
    clean.update(env, PYTHONPATH=str(root))
    result = subprocess.run(
        [sys.executable, "-c", PROBE, handler, json.dumps(event)],
        cwd=root,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def measure(roots: list[Path], repeat: int) -> dict[Path, list[dict[str, Any]]]:
    """Rows per checkout. The checkouts take turns, run by run, so a comparison sees the same
    load on this shared machine (it moves timings by 2x within minutes)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        stack = Stack(f"http://{host}:{port}")
        rows: dict[Path, list[dict[str, Any]]] = {root: [] for root in roots}
        names = sorted({name for root in roots for name in handlers(root)})
        for handler in names:
            runs: dict[Path, list[dict[str, Any]]] = {root: [] for root in roots}
            for _ in range(repeat):
                for root in roots:
                    if handler in handlers(root):
                        event = stack.event(handler)
                        runs[root].append(probe(root, handler, event, stack.environment()))
            for root, done in runs.items():
                if done:
                    rows[root].append(summary(handler, done))
        return rows
    finally:
        server.stop()


def summary(handler: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "handler": handler,
        "import_ms": statistics.median(run["import_ms"] for run in runs),
        "call_ms": statistics.median(run["call_ms"] for run in runs),
        "import_cpu_ms": statistics.median(run["import_cpu_ms"] for run in runs),
        "call_cpu_ms": statistics.median(run["call_cpu_ms"] for run in runs),
        "total_ms": statistics.median(run["import_ms"] + run["call_ms"] for run in runs),
        "heavy": runs[-1]["heavy"],
        "errors": sorted({run["error"] for run in runs if run["error"]}),
    }


def table(rows: list[dict[str, Any]], repeat: int) -> str:
    """CPU time of the subprocess first (what this shared machine's load disturbs least: moto's
    server runs in this process, so its work is not counted), then wall time."""
    lines = [
        "| handler | import (CPU) | first call (CPU) | both (CPU) | both (wall) | goal | loads |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        goal = IMAGE_GOAL_MS if row["handler"] in IMAGE_HANDLERS else LIGHT_GOAL_MS
        cpu = row["import_cpu_ms"] + row["call_cpu_ms"]
        loads = ", ".join(row["heavy"]) or "none of PIL, NumPy, pi_heif, onnxruntime"
        note = f" (first call failed: {'; '.join(row['errors'])})" if row["errors"] else ""
        lines.append(
            f"| {row['handler']} | {row['import_cpu_ms']:.0f} ms | {row['call_cpu_ms']:.0f} ms | "
            f"{cpu:.0f} ms | {row['total_ms']:.0f} ms | ≤ {goal} ms | {loads}{note} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose handlers to run")
    parser.add_argument(
        "--compare", type=Path, action="append", default=[], help="another checkout, in turns"
    )
    parser.add_argument("--repeat", type=int, default=5, help="fresh interpreters per handler")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    roots = [path.resolve() for path in [*args.compare, args.root]]
    measured = measure(roots, args.repeat)
    for root, rows in measured.items():
        print(f"\n{root}\n")
        print(json.dumps(rows, indent=2) if args.json else table(rows, args.repeat))
    print(
        f"\n{os.cpu_count()} cores; Python {sys.version.split()[0]}; "
        f"{args.repeat} runs each, medians."
    )


if __name__ == "__main__":
    main()
