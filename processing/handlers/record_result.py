"""RecordSuccess, RecordRejection and RecordFailure: the final state of a photo, written once the
pipeline knows it. Success writes the labels, the thumbnails and SUCCEEDED in one conditional
write (what StoreLabels and RecordSuccess did as two). The rejection's reason and plain words
travel in the error cause as JSON: inside Lambda's error object when ExtractImageMetadata raised
ImageRejected, or bare when the definition's UnsupportedFormat Pass state shaped it."""

from __future__ import annotations

import json
from typing import Any

from processing.handlers._events import logged_step
from processing.recognition.labels import Label
from processing.results import ResultItem, Status, StoredThumbnail
from processing.runtime import config

FAILED_MESSAGE = "Something went wrong while processing this photo"


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    photo_id = str(event["objectID"])
    outcome = Status(event["outcome"])
    with logged_step(f"Record{outcome.value.title()}", photo_id):
        item = _final_item(photo_id, outcome, event)
        config().result_store().record_final(item)
        if outcome is Status.SUCCEEDED:
            return {"status": item.status.value, "labelCount": len(item.labels)}
        return {"status": item.status.value}


def _final_item(photo_id: str, outcome: Status, event: dict[str, Any]) -> ResultItem:
    if outcome is Status.SUCCEEDED:
        thumbnails = tuple(StoredThumbnail.from_item(t) for t in event.get("thumbnails", []))
        labels = tuple(Label.from_item(label) for label in event.get("labels", []))
        return ResultItem(photo_id, Status.SUCCEEDED, thumbnails=thumbnails, labels=labels)
    error = event.get("error") or {}
    name, cause = str(error.get("Error", "Unknown")), error.get("Cause")
    if outcome is Status.REJECTED:
        rejection = _rejection(cause)
        return ResultItem(
            photo_id,
            Status.REJECTED,
            rejection_reason=rejection.get("reason"),
            message=rejection.get("message"),
            error=name,
            cause=cause,
        )
    return ResultItem(photo_id, Status.FAILED, message=FAILED_MESSAGE, error=name, cause=cause)


def _rejection(cause: str | None) -> dict[str, str]:
    """ImageRejected's JSON: inside Lambda's error cause ({"errorMessage": "<json>", ...}), or
    the cause itself when the definition shaped it ({"reason": ..., "message": ...})."""
    try:
        outer = json.loads(cause or "")
        inner = outer if "reason" in outer else json.loads(outer.get("errorMessage", ""))
    except (ValueError, AttributeError, TypeError):
        return {}
    return inner if isinstance(inner, dict) else {}
