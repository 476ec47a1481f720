"""What one photo costs in AWS, from a recorded local execution of the real definition.

    .venv/bin/python bench/cost_per_photo.py [--photo FILE] [--runs 3]

Runs a 12 MP JPEG through the local runtime in a scratch var/ directory (the biggest JPEG in
/work/shared/corpus, resized to 4000 x 3000 when it is smaller, its content kept; a generated
one without a corpus), photo after photo: the S3 notification (S3Trigger), then the whole state
machine. From the recorded history it counts what AWS bills:
state transitions as Step Functions Standard counts them (every state entered, and every retry),
Lambda invocations (the trigger and every Task attempt), and GB-seconds, each function's
duration here times its MemorySize in infra/template.yaml. S3 and DynamoDB calls are counted as
the pipeline makes them. Durations are this machine's (x86, shared), not Lambda's arm64, and
Recognize ran the local models, not a Rekognition call; the table says so. Prices are
us-east-1's on-demand list prices (PRICES below, with their pages).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processing.adapters.local_files import LocalBlobStore  # noqa: E402
from processing.adapters.local_results import LocalResultStore  # noqa: E402
from processing.keys import UploadKey  # noqa: E402
from processing.local.pipeline import FUNCTIONS, current_definition, run_execution  # noqa: E402
from processing.local.worker import work_once  # noqa: E402
from processing.runtime import config  # noqa: E402

CORPUS = Path("/work/shared/corpus")
TEMPLATE = ROOT / "infra" / "template.yaml"
# us-east-1 on-demand list prices.
PRICES = {
    "sfn_standard_transition": 0.025 / 1000,  # aws.amazon.com/step-functions/pricing
    "sfn_express_request": 1.00 / 1_000_000,
    "sfn_express_gb_second": 0.00001667,  # billed in 100 ms steps, 64 MB minimum memory
    "lambda_request": 0.20 / 1_000_000,  # aws.amazon.com/lambda/pricing
    "lambda_arm64_gb_second": 0.0000133334,
    "rekognition_image": 1.00 / 1000,  # DetectLabels, first million a month (rekognition/pricing)
    "s3_put": 0.005 / 1000,  # PUT, COPY, POST, LIST (aws.amazon.com/s3/pricing)
    "s3_get": 0.0004 / 1000,
    "s3_gb_month": 0.023,  # S3 Standard, and Intelligent-Tiering's frequent tier
    "dynamodb_wru": 0.625 / 1_000_000,  # on demand (aws.amazon.com/dynamodb/pricing/on-demand)
    "dynamodb_rru": 0.125 / 1_000_000,
    "egress_gb": 0.09,  # S3 to the internet, first 10 TB a month (aws.amazon.com/s3/pricing)
}
# Assumptions about the web app, stated in the output.
VIEWS = {250: 10, 1024: 3}  # downloads of each thumbnail size per photo (browsers cache the rest)
STATUS_POLLS = 5  # status reads (BatchGetItem, projected) while the photo processes
FULL_READS = 1  # the final item read once into the web app's database


def memory_sizes() -> dict[str, int]:
    """MemorySize of each function in the template (the Globals' where it sets none)."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load(TEMPLATE.read_text(), Loader=Loader)
    default = int(template.get("Globals", {}).get("Function", {}).get("MemorySize", 128))
    return {
        name.removesuffix("Function"): int(resource["Properties"].get("MemorySize", default))
        for name, resource in template["Resources"].items()
        if resource.get("Type") == "AWS::Serverless::Function"
    }


TWELVE_MP = (4000, 3000)


def the_photo(chosen: str | None, scratch: Path) -> tuple[Path, str]:
    """The photo and where it came from."""
    if chosen:
        return Path(chosen), "given"
    jpegs = sorted(CORPUS.glob("*.jp*g"), key=lambda p: p.stat().st_size) if CORPUS.exists() else []
    resized = scratch / "photo-12mp.jpg"
    if jpegs:
        with Image.open(jpegs[-1]) as image:
            if image.width * image.height >= TWELVE_MP[0] * TWELVE_MP[1]:
                return jpegs[-1], "the corpus's biggest JPEG"
            landscape = image.width >= image.height
            size = TWELVE_MP if landscape else TWELVE_MP[::-1]
            image.convert("RGB").resize(size, Image.Resampling.LANCZOS).save(resized, quality=90)
        return resized, f"the corpus's biggest JPEG, {jpegs[-1].name}, resized to 12 MP"
    gradient = Image.linear_gradient("L").resize(TWELVE_MP)
    Image.merge(
        "RGB", (gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), gradient)
    ).save(resized, quality=90)
    return resized, "generated (no corpus)"


@dataclass
class Calls:
    s3: Counter[str]
    dynamodb: Counter[str]


def counted(calls: Calls) -> None:
    """Counts the stores' calls by wrapping the local adapters' methods (the S3 and DynamoDB
    calls the aws adapters would make one for one)."""
    for name, kind in (("get", "GET"), ("size", "HEAD"), ("put", "PUT"), ("open", "GET")):
        original = getattr(LocalBlobStore, name)

        def wrapper(self: Any, *args: Any, _o: Any = original, _k: str = kind, **kw: Any) -> Any:
            calls.s3[_k] += 1
            return _o(self, *args, **kw)

        setattr(LocalBlobStore, name, wrapper)
    for name in ("record_start", "record_metadata", "record_labels", "record_final", "get"):
        original = getattr(LocalResultStore, name)

        def store_wrapper(
            self: Any, *args: Any, _o: Any = original, _n: str = name, **kw: Any
        ) -> Any:
            calls.dynamodb["read" if _n == "get" else "write"] += 1
            return _o(self, *args, **kw)

        setattr(LocalResultStore, name, store_wrapper)


def run_once(data: bytes) -> tuple[list[dict[str, Any]], float, str]:
    settings = config()
    key = UploadKey("1", "1", str(uuid.uuid4()), "jpg")
    settings.local_bucket().put_object(str(key), data, content_type="image/jpeg")
    queue = settings.local_queue()
    started = time.perf_counter()
    work_once(queue, settings)  # the S3 notification: S3Trigger starts the execution
    trigger_seconds = time.perf_counter() - started
    job = queue.take()
    assert job is not None
    execution = run_execution(settings.local_executions(), job.body["name"])
    queue.done(job)
    if execution.status != "SUCCEEDED":
        raise SystemExit(f"the execution failed: {execution.error} {execution.cause}")
    history = [event.to_dict() for event in execution.history]
    return history, trigger_seconds, key.photo_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", help="a JPEG to use instead of the corpus's biggest")
    parser.add_argument("--runs", type=int, default=4, help="photos to run (the first warms up)")
    arguments = parser.parse_args()
    sizes = memory_sizes()
    with tempfile.TemporaryDirectory() as scratch:
        os.environ |= {"PHOTOSHARE_BACKEND": "local", "PHOTOSHARE_VAR_DIR": scratch}
        photo, origin = the_photo(arguments.photo, Path(scratch))
        data = photo.read_bytes()
        with Image.open(photo) as image:
            megapixels = image.width * image.height / 1e6
        calls = Calls(Counter(), Counter())
        runs = []
        for index in range(max(2, arguments.runs)):
            calls.s3.clear()
            calls.dynamodb.clear()
            if index == 0:
                run_once(data)  # warms imports and models up, as a warm Lambda would be
                counted(calls)
                continue
            history, trigger_seconds, photo_id = run_once(data)
            runs.append((history, trigger_seconds, Counter(calls.s3), Counter(calls.dynamodb)))
        item = config().result_store().get(photo_id)
        item_kb = len(json.dumps(item.to_item())) / 1024 if item is not None else 1.0
        thumbnail_bytes = {
            t.size: config().blob_store().size(t.key) or 0 for t in getattr(item, "thumbnails", ())
        }
    report(origin, megapixels, len(data), sizes, runs, item_kb, thumbnail_bytes)


def report(
    origin: str,
    megapixels: float,
    size: int,
    memory: dict[str, int],
    runs: list[tuple[list[dict[str, Any]], float, Counter[str], Counter[str]]],
    item_kb: float,
    thumbnail_bytes: dict[int, int],
) -> None:
    definition = current_definition()
    function_of = {
        state: str(spec["Resource"]).rsplit(":", 1)[-1]
        for state, spec in definition["States"].items()
        if str(spec.get("Resource", "")).startswith("arn:aws:lambda:")
    }
    history, _, s3_calls, dynamo_calls = runs[-1]
    transitions = sum(1 + max(0, e["attempts"] - 1) for e in history)
    invocations = 1 + sum(e["attempts"] for e in history if e["state"] in function_of)
    per_function: dict[str, list[float]] = {}
    for run_history, trigger_seconds, _, _ in runs:
        per_function.setdefault("S3Trigger", []).append(trigger_seconds)
        for event in run_history:
            if event["state"] in function_of:
                seconds = event["endedAt"] - event["startedAt"]
                per_function.setdefault(function_of[event["state"]], []).append(seconds)
    gb_seconds = 0.0
    rows = []
    for function, durations in per_function.items():
        seconds = statistics.median(durations)
        billed = math.ceil(seconds * 1000) / 1000  # Lambda bills by the millisecond
        gb = memory.get(function, 512) / 1024
        gb_seconds += gb * billed
        rows.append(f"{function} {memory.get(function, 512)} MB × {seconds * 1000:.1f} ms")
    execution_seconds = history[-1]["endedAt"] - history[0]["startedAt"]
    express_gb_seconds = 0.0625 * math.ceil(execution_seconds * 10) / 10

    puts = s3_calls["PUT"]  # the upload (the local bucket stores it as S3 does), the thumbnails
    # Recognize's read of the 1024 px thumbnail here is Rekognition's S3Object read in aws mode.
    gets = s3_calls["GET"] + s3_calls["HEAD"]
    viewed_gets = sum(VIEWS.values())
    egress_gb = sum(VIEWS[s] * thumbnail_bytes.get(s, 0) for s in VIEWS) / 1e9
    stored_gb = (size + sum(thumbnail_bytes.values())) / 1e9
    wru = dynamo_calls["write"] * max(1, math.ceil(item_kb))
    rru = dynamo_calls["read"] * max(1, math.ceil(item_kb / 4)) + STATUS_POLLS * 0.5 + FULL_READS
    p = PRICES
    lines = [
        (
            "Step Functions Standard",
            f"{transitions} state transitions (retries included)",
            transitions * p["sfn_standard_transition"],
        ),
        (
            "(Step Functions Express instead)",
            f"1 request, {execution_seconds:.1f} s at 64 MB",
            p["sfn_express_request"] + express_gb_seconds * p["sfn_express_gb_second"],
        ),
        (
            "Lambda requests",
            f"{invocations} invocations (S3Trigger and every Task attempt)",
            invocations * p["lambda_request"],
        ),
        (
            "Lambda duration, arm64",
            f"{gb_seconds:.2f} GB-s: " + ", ".join(rows),
            gb_seconds * p["lambda_arm64_gb_second"],
        ),
        ("Rekognition DetectLabels", "1 image", p["rekognition_image"]),
        (
            "S3 requests",
            f"{puts} PUT/POST, {gets} GET/HEAD by the pipeline, {viewed_gets} GETs by viewers",
            puts * p["s3_put"] + (gets + viewed_gets) * p["s3_get"],
        ),
        (
            "DynamoDB writes",
            f"{dynamo_calls['write']} conditional writes of a {item_kb:.1f} KB item: {wru} WRU",
            wru * p["dynamodb_wru"],
        ),
        (
            "DynamoDB reads",
            f"{dynamo_calls['read']} by the pipeline, {STATUS_POLLS} status polls, "
            f"{FULL_READS} full read: {rru:g} RRU",
            rru * p["dynamodb_rru"],
        ),
        (
            "Egress (thumbnails viewed)",
            f"250 px × {VIEWS[250]} + 1024 px × {VIEWS[1024]} downloads: {egress_gb * 1e3:.2f} MB",
            egress_gb * p["egress_gb"],
        ),
    ]
    print(
        f"Photo: {origin}, {megapixels:.1f} MP, {size / 1e6:.1f} MB; "
        f"median of {len(runs)} warm runs on this machine.\n"
    )
    print("| service | what one photo uses | per 1,000 photos |")
    print("|---|---|---|")
    total = 0.0
    for service, usage, cost in lines:
        print(f"| {service} | {usage} | ${cost * 1000:.4f} |")
        if not service.startswith("("):
            total += cost
    print(f"| **total (Standard)** | | **${total * 1000:.3f}** |")
    storage = stored_gb * p["s3_gb_month"] * 1000
    print(f"| S3 storage | {stored_gb * 1e3:.2f} MB per photo | ${storage:.4f} a month |")
    print()
    print(
        "Lambda functions in the template and their MemorySize: "
        + ", ".join(f"{name} {mb} MB" for name, mb in sorted(memory.items()))
    )
    print(f"Handlers run here: {', '.join(sorted(FUNCTIONS))}")
    print(
        "Durations are this machine's (x86, shared cores), not Lambda's arm64; Recognize ran the "
        "local models here, where Lambda would wait for DetectLabels (a few hundred ms). "
        f"Assumed: each photo's thumbnails downloaded {VIEWS[250]} times (250 px) and "
        f"{VIEWS[1024]} times (1024 px), browsers caching the rest; {STATUS_POLLS} status polls."
    )


if __name__ == "__main__":
    main()
