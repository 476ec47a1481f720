"""The web app's cost of 100 thumbnail URLs in aws mode (presigning is local computation: no
network, no moto), three ways:

- a boto3 client per URL (the web app before a signer was kept per request),
- a client per request, every URL signed afresh (the web app before this change: a signer kept
  on the request),
- the process's signer (`albums.pipeline.upload_signer`, one per process): its first render signs
  each URL, the next renders hand the same URLs out again.

Times are the process's CPU time (presigning is pure computation; wall time on this shared
machine moves with its neighbours), median of several renders.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from processing.adapters.aws_s3 import S3UploadSigner, s3_client

REGION = "eu-west-1"
BUCKET = "photoshare-bench"
KEYS = [f"private/u/resized/{n:05d}/250.jpg" for n in range(100)]
EXPIRES = 3600


def timed(render: Callable[[], object], repeat: int = 7) -> float:
    runs = []
    for _ in range(repeat):
        started = time.process_time()
        render()
        runs.append((time.process_time() - started) * 1000)
    return statistics.median(runs)


def a_client_per_url() -> None:
    for key in KEYS:
        S3UploadSigner(s3_client(REGION), BUCKET).presigned_get(key, expires_in=EXPIRES)


def a_client_per_request() -> None:
    client = s3_client(REGION)
    for key in KEYS:
        params = {"Bucket": BUCKET, "Key": key}
        client.generate_presigned_url("get_object", Params=params, ExpiresIn=EXPIRES)


def main() -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    s3_client(REGION)  # botocore's first client loads its data files: not a per-URL cost
    signer = S3UploadSigner(s3_client(REGION), BUCKET)
    first_started = time.process_time()
    for key in KEYS:
        signer.presigned_get(key, expires_in=EXPIRES)
    first_render = (time.process_time() - first_started) * 1000

    def next_render() -> None:
        for key in KEYS:
            signer.presigned_get(key, expires_in=EXPIRES)

    rows = [
        ("a boto3 client per URL (before the per-request signer)", timed(a_client_per_url, 3)),
        ("a client per request, each URL signed (before)", timed(a_client_per_request)),
        ("the process's signer, first render (after)", first_render),
        ("the process's signer, next renders, same URLs (after)", timed(next_render)),
    ]
    print("| 100 thumbnail URLs | time |")
    print("|---|---:|")
    for name, ms in rows:
        print(f"| {name} | {ms:.1f} ms |")


if __name__ == "__main__":
    main()
