"""S3Trigger: an S3 notification in, one state-machine execution per new upload out.

Keys arrive URL-encoded (spaces as '+'); only originals under private/{user}/uploads/ start work.
The execution is named after the photo, so a repeated notification starts nothing new.

A presigned POST can be used again until it expires, and S3 cannot be told otherwise (the local
bucket can: it stores a key once). So the trigger refuses what a replayed ticket stores:

- **After deletion.** Deleting a photo leaves a tombstone in the results store (until every
  ticket for it has expired, plus a day of grace for late notifications). An object arriving
  for a tombstoned photo is deleted and starts nothing.
- **A replaced original.** The results item records the object its execution was started for
  (the notification's ETag, and version id on a versioned bucket). A notification naming another
  object under the same key is a replacement, refused whatever the photo's state: on a versioned
  bucket the new version is deleted, so the checked original is current again and the photo
  stays as it was; without versioning the object is deleted and the photo recorded FAILED
  ("The original was replaced after it was processed; upload it again"). Nothing starts either
  way, so unchecked bytes never become a finished photo.
- A repeated notification of the same object (same ETag), or one without an ETag (the web app's
  replay of a lost notification), starts nothing new, as before. An object that is no longer
  there (deleted since) starts nothing.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any
from urllib.parse import unquote_plus

from processing.keys import parse_upload_key
from processing.ports import BlobStore, ExecutionStarter, PhotoDeleted, ResultStore
from processing.results import ResultItem, Status, StoredOriginal, Tombstone
from processing.runtime import config

logger = logging.getLogger(__name__)

REPLACED_ERROR = "OriginalReplaced"
REPLACED_MESSAGE = "The original was replaced after it was processed; upload it again"


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    settings = config()
    return start_executions(
        event, settings.execution_starter(), settings.result_store(), settings.blob_store()
    )


def start_executions(
    event: dict[str, Any], starter: ExecutionStarter, results: ResultStore, store: BlobStore
) -> dict[str, Any]:
    """What the trigger does with an S3 notification; also how the web app replays one for an
    original that is stored but has no result (see albums.outcomes)."""
    started: list[dict[str, str]] = []
    skipped: list[str] = []
    refused: list[dict[str, str]] = []
    for record in event.get("Records", []):
        if record.get("eventSource") != "aws:s3" or not record.get("eventName", "").startswith(
            "ObjectCreated:"
        ):
            continue
        bucket = record["s3"]["bucket"]["name"]
        stored = record["s3"]["object"]
        key = unquote_plus(stored["key"])
        try:
            upload = parse_upload_key(key)
        except ValueError:
            logger.info("Ignoring %s: not under private/{user}/uploads/", key)
            skipped.append(key)
            continue
        photo_id = upload.photo_id
        arrived = StoredOriginal(stored.get("eTag") or None, stored.get("versionId") or None)
        refusal = _refusal(photo_id, key, arrived, results, store)
        if refusal is not None:
            refused.append({"objectID": photo_id, "reason": refusal})
            continue
        if store.size(key) is None:
            logger.info("Ignoring %s: the object is no longer there", key)
            skipped.append(key)
            continue
        try:
            # The item first: an execution never runs for a photo without one, so a step that
            # finds none knows the photo was deleted.
            results.record_start(photo_id, original=arrived if arrived.etag else None)
        except PhotoDeleted:
            refused.append({"objectID": photo_id, "reason": "deleted"})
            continue
        execution_input = {"s3Bucket": bucket, "s3Key": key, "objectID": photo_id}
        arn = starter.start(name=photo_id, execution_input=execution_input)
        # Deleted meanwhile? Then the execution's steps find that and end quietly.
        with suppress(PhotoDeleted):
            results.record_start(photo_id, arn)
        started.append({"objectID": photo_id, "executionArn": arn})
    return {"started": started, "skipped": skipped, "refused": refused}


def _refusal(
    photo_id: str, key: str, arrived: StoredOriginal, results: ResultStore, store: BlobStore
) -> str | None:
    """Why this object must not be processed ("deleted", "replaced"), having dealt with it; None
    when it may."""
    current = results.get(photo_id)
    if isinstance(current, Tombstone):
        store.delete(key, version_id=arrived.version_id)
        logger.warning("Deleted %s: its photo was deleted, and its ticket used again", key)
        return "deleted"
    recorded = current.original if isinstance(current, ResultItem) else None
    if recorded is None or not recorded.differs_from(arrived):
        return None
    if arrived.version_id:
        store.delete(key, version_id=arrived.version_id)
        logger.warning(
            "Deleted version %s of %s: it replaced the original already started; the checked "
            "original is current again",
            arrived.version_id,
            key,
        )
        return "replaced"
    store.delete(key)
    failed = ResultItem(photo_id, Status.FAILED, message=REPLACED_MESSAGE, error=REPLACED_ERROR)
    with suppress(PhotoDeleted):
        results.record_final(failed, overwrite=True)
    logger.warning(
        "Deleted %s: it replaced the original already started (no versioning to restore it); "
        "the photo is FAILED",
        key,
    )
    return "replaced"
