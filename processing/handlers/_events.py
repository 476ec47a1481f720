"""Parsing the state input the pipeline's tasks receive, and a one-line structured log."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from processing.keys import UploadKey, parse_upload_key

logger = logging.getLogger("processing.handlers")


@dataclass(frozen=True, slots=True)
class PhotoRef:
    bucket: str
    key: UploadKey
    photo_id: str


def photo_ref(event: dict[str, Any]) -> PhotoRef:
    """The photo a task works on: ``{"s3Bucket", "s3Key", "objectID"}`` as in the reference."""
    try:
        bucket, key, photo_id = event["s3Bucket"], event["s3Key"], event["objectID"]
    except KeyError as missing:
        raise ValueError(f"the task input has no {missing.args[0]}") from None
    upload = parse_upload_key(key)
    if upload.photo_id != photo_id:
        raise ValueError(f"objectID {photo_id!r} does not match the key {key!r}")
    return PhotoRef(bucket=bucket, key=upload, photo_id=photo_id)


@contextmanager
def logged_step(step: str, photo_id: str) -> Iterator[None]:
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except Exception as error:
        outcome = type(error).__name__
        raise
    finally:
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        record = {"step": step, "photoId": photo_id, "outcome": outcome, "ms": elapsed_ms}
        logger.info(json.dumps(record))
