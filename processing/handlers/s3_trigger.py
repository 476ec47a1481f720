"""S3Trigger: an S3 notification in, one state-machine execution per new upload out.

Keys arrive URL-encoded (spaces as '+'); only originals under private/{user}/uploads/ start work.
The execution is named after the photo, so a repeated notification starts nothing new.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote_plus

from processing.keys import parse_upload_key
from processing.ports import ExecutionStarter, ResultStore
from processing.runtime import config

logger = logging.getLogger(__name__)


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    settings = config()
    return start_executions(event, settings.execution_starter(), settings.result_store())


def start_executions(
    event: dict[str, Any], starter: ExecutionStarter, results: ResultStore
) -> dict[str, Any]:
    """What the trigger does with an S3 notification; also how the web app replays one for an
    original that is stored but has no result (see albums.outcomes)."""
    started, skipped = [], []
    for record in event.get("Records", []):
        if record.get("eventSource") != "aws:s3" or not record.get("eventName", "").startswith(
            "ObjectCreated:"
        ):
            continue
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        try:
            upload = parse_upload_key(key)
        except ValueError:
            logger.info("Ignoring %s: not under private/{user}/uploads/", key)
            skipped.append(key)
            continue
        execution_input = {"s3Bucket": bucket, "s3Key": key, "objectID": upload.photo_id}
        arn = starter.start(name=upload.photo_id, execution_input=execution_input)
        results.record_start(upload.photo_id, arn)
        started.append({"objectID": upload.photo_id, "executionArn": arn})
    return {"started": started, "skipped": skipped}
