"""The web app's cost of 100 thumbnail URLs in aws mode (presigning is local computation: no
network, no moto), three ways:

- a boto3 client per URL (what the issue measured before a signer was kept per request),
- one client, every URL signed afresh (one signer per request, as before this change),
- the process's signer (`albums.pipeline.upload_signer`, one per process): its first render signs
  each URL, the next renders hand the same URLs out again.
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
        started = time.perf_counter()
        render()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def a_client_per_url() -> None:
    for key in KEYS:
        S3UploadSigner(s3_client(REGION), BUCKET).presigned_get(key, expires_in=EXPIRES)


def one_client_signing_each() -> None:
    client = s3_client(REGION)
    for key in KEYS:
        params = {"Bucket": BUCKET, "Key": key}
        client.generate_presigned_url("get_object", Params=params, ExpiresIn=EXPIRES)


def main() -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    s3_client(REGION)  # botocore's first client loads its data files: not a per-URL cost
    signer = S3UploadSigner(s3_client(REGION), BUCKET)
    first_started = time.perf_counter()
    for key in KEYS:
        signer.presigned_get(key, expires_in=EXPIRES)
    first_render = (time.perf_counter() - first_started) * 1000

    def next_render() -> None:
        for key in KEYS:
            signer.presigned_get(key, expires_in=EXPIRES)

    rows = [
        ("a boto3 client per URL", timed(a_client_per_url, repeat=3)),
        ("one client, each URL signed", timed(one_client_signing_each)),
        ("the process's signer, first render", first_render),
        ("the process's signer, next renders (same URLs)", timed(next_render)),
    ]
    print("| 100 thumbnail URLs | time |")
    print("|---|---:|")
    for name, ms in rows:
        print(f"| {name} | {ms:.1f} ms |")


if __name__ == "__main__":
    main()
