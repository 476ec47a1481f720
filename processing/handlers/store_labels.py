"""StoreLabels: the recognized labels into the results store, while the photo is RUNNING."""

from __future__ import annotations

from typing import Any

from processing.handlers._events import logged_step
from processing.recognition.labels import Label
from processing.runtime import config


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    photo_id = str(event["objectID"])
    with logged_step("StoreLabels", photo_id):
        labels = [Label.from_item(item) for item in event.get("labels", [])]
        config().result_store().record_labels(photo_id, labels)
        return {"labelCount": len(labels)}
