"""StoreImageMetadata: the photo's metadata into the results store, while it is still RUNNING."""

from __future__ import annotations

from typing import Any

from processing.handlers._events import logged_step
from processing.results import ResultItem, Status
from processing.runtime import config


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    photo_id = str(event["objectID"])
    with logged_step("StoreImageMetadata", photo_id):
        fields = {**event["imageMetadata"], "photoId": photo_id, "status": Status.RUNNING.value}
        metadata = ResultItem.from_item(fields).metadata
        if metadata is None:
            raise ValueError("imageMetadata holds no image format")
        config().result_store().record_metadata(photo_id, metadata)
        return {"stored": True}
