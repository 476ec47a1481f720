"""S3Trigger: uploads in, one state-machine execution per new original out.

In AWS the uploads arrive through a durable queue: S3 sends every Object Created event to
EventBridge, a rule forwards those under private/*/uploads/* to SQS, and SQS invokes this
handler with a batch (each body an EventBridge event). A record whose start raised is named in
``batchItemFailures``: SQS delivers it again, and after five receives moves it to the dead-letter
queue, from which one command redrives it (docs/deploy.md, "Operating the pipeline"). The same
code still takes S3's own notification records (the local bucket's queue, and the web app's
replay of an original that has no result). Keys are URL-decoded either way: S3 notifications
encode them ('+' for spaces); the keys the web app signs are digits, a UUID and an extension,
so decoding an EventBridge key changes nothing whether or not it arrived encoded. Only originals
under private/{user}/uploads/ start work. The execution is named after the photo, so a repeated
event starts nothing new.

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

import json
import logging
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from processing.keys import parse_upload_key
from processing.ports import BlobStore, ExecutionStarter, PhotoDeleted, ResultStore
from processing.results import ResultItem, Status, StoredOriginal, Tombstone
from processing.runtime import config

logger = logging.getLogger(__name__)

REPLACED_ERROR = "OriginalReplaced"
REPLACED_MESSAGE = "The original was replaced after it was processed; upload it again"


@dataclass(frozen=True, slots=True)
class ObjectCreated:
    """One stored object, whichever way its event came: the key decoded, the ETag and version id
    as S3 reported them (None when the event carries none, as a replay does)."""

    bucket: str
    key: str
    etag: str | None
    version_id: str | None


@dataclass(slots=True)
class Outcome:
    started: list[dict[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"started": self.started, "skipped": self.skipped, "refused": self.refused}


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    settings = config()
    starter, results, store = (
        settings.execution_starter(),
        settings.result_store(),
        settings.blob_store(),
    )
    records = event.get("Records", [])
    if records and all(record.get("eventSource") == "aws:sqs" for record in records):
        return start_batch(event, starter, results, store)
    return start_executions(event, starter, results, store)


def start_batch(
    event: dict[str, Any], starter: ExecutionStarter, results: ResultStore, store: BlobStore
) -> dict[str, Any]:
    """An SQS batch of EventBridge events, as the event source mapping delivers it with
    ReportBatchItemFailures: the messages whose start raised are reported, so SQS keeps only
    them (and, past maxReceiveCount, moves them to the dead-letter queue); the rest are done."""
    failures: list[dict[str, str]] = []
    for record in event.get("Records", []):
        try:
            created = object_created_from_eventbridge(json.loads(record["body"]))
            if created is not None:
                start_one(created, starter, results, store, Outcome())
        except Exception:
            # Anything: a throttled or refused StartExecution, DynamoDB unreachable, a body that
            # does not parse. Retrying is safe (named executions, conditional writes), and what
            # never succeeds ends in the DLQ, where the alarm sees it.
            logger.exception("Could not start the pipeline for message %s", record["messageId"])
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def object_created_from_eventbridge(event: dict[str, Any]) -> ObjectCreated | None:
    """The object of an EventBridge "Object Created" event from S3; None for any other event."""
    if event.get("source") != "aws.s3" or event.get("detail-type") != "Object Created":
        return None
    detail = event["detail"]
    stored = detail["object"]
    return ObjectCreated(
        bucket=detail["bucket"]["name"],
        key=unquote_plus(stored["key"]),
        etag=stored.get("etag") or None,
        version_id=stored.get("version-id") or None,
    )


def start_executions(
    event: dict[str, Any], starter: ExecutionStarter, results: ResultStore, store: BlobStore
) -> dict[str, Any]:
    """What the trigger does with an S3 notification; also how the web app replays one for an
    original that is stored but has no result (see albums.outcomes)."""
    outcome = Outcome()
    for record in event.get("Records", []):
        if record.get("eventSource") != "aws:s3" or not record.get("eventName", "").startswith(
            "ObjectCreated:"
        ):
            continue
        stored = record["s3"]["object"]
        created = ObjectCreated(
            bucket=record["s3"]["bucket"]["name"],
            key=unquote_plus(stored["key"]),
            etag=stored.get("eTag") or None,
            version_id=stored.get("versionId") or None,
        )
        start_one(created, starter, results, store, outcome)
    return outcome.as_dict()


def start_one(
    created: ObjectCreated,
    starter: ExecutionStarter,
    results: ResultStore,
    store: BlobStore,
    outcome: Outcome,
) -> None:
    """Starts the execution for one stored object, or records in ``outcome`` why not."""
    key = created.key
    try:
        upload = parse_upload_key(key)
    except ValueError:
        logger.info("Ignoring %s: not under private/{user}/uploads/", key)
        outcome.skipped.append(key)
        return
    photo_id = upload.photo_id
    arrived = StoredOriginal(created.etag, created.version_id)
    refusal = _refusal(photo_id, key, arrived, results, store)
    if refusal is not None:
        outcome.refused.append({"objectID": photo_id, "reason": refusal})
        return
    if store.size(key) is None:
        logger.info("Ignoring %s: the object is no longer there", key)
        outcome.skipped.append(key)
        return
    try:
        # The item first: an execution never runs for a photo without one, so a step that
        # finds none knows the photo was deleted.
        # The key too, so the sweeper can start an execution recorded here but never started.
        results.record_start(
            photo_id,
            original=StoredOriginal(created.etag, created.version_id, key),
        )
    except PhotoDeleted:
        outcome.refused.append({"objectID": photo_id, "reason": "deleted"})
        return
    execution_input = {"s3Bucket": created.bucket, "s3Key": key, "objectID": photo_id}
    arn = starter.start(name=photo_id, execution_input=execution_input)
    # Deleted meanwhile? Then the execution's steps find that and end quietly.
    with suppress(PhotoDeleted):
        results.record_start(photo_id, arn)
    outcome.started.append({"objectID": photo_id, "executionArn": arn})


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
